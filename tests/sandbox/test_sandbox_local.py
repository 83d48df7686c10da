from __future__ import annotations

import hashlib
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from treefix.errors import SandboxError
from treefix.executors.thread import ThreadExecutor
from treefix.protocols import ExecRequest
from treefix.sandbox.isolation import Isolation, detect
from treefix.sandbox.local import Limits, LocalSandbox
from treefix.sandbox.pool import SandboxPool
from treefix.testing.command import detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import Status
from treefix.workspace.snapshot import snapshot

FILES = {
    "pkg/__init__.py": "",
    "pkg/mod.py": "VALUE = 1\n",
    "tests/test_it.py": "from pkg.mod import VALUE\n\n\ndef test_value():\n    assert VALUE == 1\n",
    "data.txt": "original data\n",
    "run.sh": "#!/bin/sh\necho script-ran\n",
}
LISTING = (
    r"find . \( -type f -o -type l \) -print | sort; "
    "cat pkg/mod.py tests/test_it.py data.txt run.sh; ls -l run.sh | cut -c1-10"
)


def _make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture
def project(tmp_path):
    root = _make(tmp_path / "proj", FILES)
    os.chmod(root / "run.sh", 0o755)
    return snapshot(root)


@pytest.fixture
def sandbox(project):
    sb = LocalSandbox(project)
    yield sb
    sb.close()


def sh(sb: LocalSandbox, script: str, changed=None, env=None, timeout: float = 30.0):
    return sb.execute(changed or {}, ExecRequest(["sh", "-c", script], env or {}, timeout))


def tree_digest(root: Path) -> dict[str, tuple[int, str]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + dirnames:
            full = Path(dirpath, name)
            st = full.lstat()
            if stat.S_ISLNK(st.st_mode):
                body = "link:" + os.readlink(full)
            elif stat.S_ISDIR(st.st_mode):
                body = "dir"
            else:
                body = hashlib.sha256(full.read_bytes()).hexdigest()
            out[str(full.relative_to(root))] = (st.st_mode, body)
    return out


def test_runs_happen_in_a_private_copy(sandbox, project):
    assert not Path(sandbox.workdir).resolve().is_relative_to(project.root)
    res = sh(sandbox, "pwd; echo made > created.txt; echo junk >> pkg/mod.py; cat pkg/mod.py")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0] == str(Path(sandbox.workdir).resolve())
    assert "junk" in res.stdout
    assert not (project.root / "created.txt").exists()
    assert (project.root / "pkg/mod.py").read_text() == "VALUE = 1\n"


def test_exit_code_timeout_and_signal_are_reported(sandbox):
    assert sh(sandbox, "exit 4").exit_code == 4
    res = sh(sandbox, "sleep 1000", timeout=1)
    assert res.timed_out and res.exit_code is None
    segfault = [sys.executable, "-c", "import ctypes; ctypes.string_at(0)"]
    res = sandbox.execute({}, ExecRequest(segfault, {}, 30))
    assert res.exit_code is None and res.signal == 11


@pytest.mark.skipif(not detect().namespaces, reason="no network namespace on this machine")
def test_a_candidate_cannot_reach_the_network(project):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    probe = (
        f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); "
        "print('connected')"
    )
    try:
        boxed = LocalSandbox(project)
        open_box = LocalSandbox(project, isolation=Isolation(False, False, ()))
        try:
            assert "network+PID namespaces" in boxed.isolation
            res = boxed.execute({}, ExecRequest([sys.executable, "-c", probe], {}, 20))
            assert "connected" not in res.stdout
            assert res.exit_code != 0
            # the same probe without namespaces does connect: the probe itself works
            res = open_box.execute({}, ExecRequest([sys.executable, "-c", probe], {}, 20))
            assert res.stdout.strip() == "connected"
        finally:
            boxed.close()
            open_box.close()
    finally:
        server.close()


def test_a_destructive_run_is_undone_before_the_next_run(sandbox):
    before = sh(sandbox, LISTING)
    assert "./pkg/mod.py" in before.stdout and "-rwx" in before.stdout
    res = sh(
        sandbox,
        "rm -rf pkg; echo junk > tests/test_it.py; ln -s /etc etc; ln -s /etc/passwd pw.py; "
        "mkdir -p newdir; echo x > newdir/f; echo x > new.txt; chmod 600 run.sh; : > data.txt",
    )
    assert res.exit_code == 0
    after = sh(sandbox, LISTING)
    assert after.stdout == before.stdout


def test_a_same_size_change_with_its_mtime_put_back_is_undone(sandbox):
    # e.g. a test restoring a fixture with shutil.copy2 / cp -p, or tar extraction
    forge = (
        "import os; p = 'pkg/mod.py'; st = os.stat(p); n = st.st_size; "
        "open(p, 'wb').write(b'#' * n); os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))"
    )
    res = sandbox.execute({}, ExecRequest([sys.executable, "-c", forge], {}, 30))
    assert res.exit_code == 0, res.stderr
    assert sh(sandbox, "cat pkg/mod.py").stdout == "VALUE = 1\n"


def test_changed_files_are_written_for_one_run_then_restored(sandbox, project):
    changed = {
        "pkg/mod.py": b"VALUE = 2\n",
        "data.txt": b"candidate data\n",
        "run.sh": b"#!/bin/sh\necho candidate-script\n",
    }
    res = sh(sandbox, "cat pkg/mod.py data.txt; ./run.sh", changed)
    assert res.stdout == "VALUE = 2\ncandidate data\ncandidate-script\n"
    res = sh(sandbox, "cat pkg/mod.py data.txt; ./run.sh")  # still executable after restore
    assert res.stdout == "VALUE = 1\noriginal data\nscript-ran\n"
    assert (project.root / "pkg/mod.py").read_text() == "VALUE = 1\n"


def test_a_candidate_outside_the_project_files_is_refused_without_touching_anything(
    sandbox, tmp_path
):
    victim = tmp_path / "victim.py"
    victim.write_text("keep me\n")
    escape = os.path.relpath(victim, sandbox.workdir)
    assert escape.startswith("..")
    with pytest.raises(SandboxError):
        sh(sandbox, "true", {escape: b"owned\n"})
    assert victim.read_text() == "keep me\n"
    with pytest.raises(SandboxError):
        sh(sandbox, "true", {"pkg/new_module.py": b"x = 1\n"})
    assert sh(sandbox, "cat pkg/mod.py").stdout == "VALUE = 1\n"


def test_a_run_swapping_a_folder_for_a_symlink_cannot_make_the_restore_write_outside(
    sandbox, tmp_path
):
    outside = _make(tmp_path / "outside", {"mod.py": "user file\n"})
    res = sh(sandbox, f"rm -rf pkg && ln -s {outside} pkg", {"pkg/mod.py": b"VALUE = 3\n"})
    assert res.exit_code == 0
    assert (outside / "mod.py").read_text() == "user file\n"
    assert not Path(sandbox.workdir, "pkg").is_symlink()
    assert sh(sandbox, "cat pkg/mod.py").stdout == "VALUE = 1\n"


def test_the_users_project_is_byte_identical_after_many_runs(sandbox, project):
    before = tree_digest(project.root)
    scripts = [
        "rm -rf pkg tests",
        "echo junk > pkg/mod.py; ln -s /etc etc",
        f"ln -s {project.root} user; echo changed > data.txt",
        "chmod 000 pkg/mod.py; mkdir -p .pytest_cache/v; echo x > .pytest_cache/v/x",
        "sleep 1000",
    ]
    for i, script in enumerate(scripts):
        sh(sandbox, script, {"pkg/mod.py": f"VALUE = {i}\n".encode()}, timeout=2)
    assert tree_digest(project.root) == before


def test_artifacts_come_back_as_text_and_symlinks_are_ignored(sandbox):
    script = (
        'echo "<xml/>" > "$R/junit.xml"; printf "bad \\377 byte" > "$R/bin.txt"; '
        'ln -s /etc/passwd "$R/passwd"; mkdir "$R/sub"; echo x > "$R/sub/inner.txt"'
    )
    res = sh(sandbox, script, env={"R": sandbox.results_dir})
    assert res.artifacts == {"junit.xml": "<xml/>\n", "bin.txt": "bad \ufffd byte"}
    # the next run starts with an empty results dir
    assert sh(sandbox, "true").artifacts == {}


def test_a_results_dir_swapped_for_a_symlink_does_not_get_its_target_emptied(sandbox, tmp_path):
    outside = _make(tmp_path / "outside", {"keep.txt": "mine\n", "sub/deep.txt": "mine too\n"})
    res = sh(sandbox, f'rm -rf "$R" && ln -s {outside} "$R"', env={"R": sandbox.results_dir})
    # inside the mount namespace the results folder is a mount point: the swap itself fails
    assert res.exit_code == 0 or sandbox.iso.filesystem
    res = sh(sandbox, 'echo fresh > "$R/out.txt"', env={"R": sandbox.results_dir})
    assert (outside / "keep.txt").read_text() == "mine\n"
    assert (outside / "sub/deep.txt").read_text() == "mine too\n"
    assert not (outside / "out.txt").exists()
    assert res.artifacts == {"out.txt": "fresh\n"}


def test_secrets_do_not_reach_the_candidate(sandbox, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    monkeypatch.setenv("TREEFIX_TEST_VISIBLE", "yes")
    res = sh(sandbox, "env")
    assert "sk-should-not-leak" not in res.stdout
    assert "TREEFIX_TEST_VISIBLE=yes" in res.stdout
    assert "PYTHONHASHSEED=0" in res.stdout


def test_close_removes_the_scratch_copy(project):
    sb = LocalSandbox(project)
    base = Path(sb.workdir).parent
    assert base.exists()
    sb.close()
    assert not base.exists()


def test_the_pool_returns_results_in_submission_order(project):
    pool = SandboxPool([LocalSandbox(project, label="w0"), LocalSandbox(project, label="w1")])
    executor = ThreadExecutor(pool)
    try:
        assert pool.size == 2

        def job(sb, i):
            res = sb.execute({}, ExecRequest(["sh", "-c", f"sleep 0.{5 - i % 5}; echo {i}"]))
            return int(res.stdout), sb.workdir

        results = executor.map(job, list(range(6)))
        assert [r[0] for r in results] == list(range(6))
        assert len({r[1] for r in results}) == 2  # both workers did some of the work
    finally:
        executor.close()
    assert all(not Path(sb.workdir).exists() for sb in pool.sandboxes)


# -- resource limits, graded by the test runner ------------------------------------------------

needs_rlimits = pytest.mark.skipif(not detect().rlimits, reason="prlimit is not usable here")


def _runner_project(tmp_path, test_body: str):
    root = _make(tmp_path / "limits", {"tests/test_limit.py": textwrap.dedent(test_body)})
    project = snapshot(root)
    return project, TestRunner(detect_test_command(project.root, None))


@needs_rlimits
def test_a_disk_filler_is_stopped_by_the_file_size_limit(tmp_path):
    project, runner = _runner_project(
        tmp_path,
        """
        def test_fill():
            with open("big.bin", "wb") as fh:
                for _ in range(2048):  # 2 GiB
                    fh.write(b"\\0" * (1 << 20))
        """,
    )
    sb = LocalSandbox(project, limits=Limits(file_bytes=16 << 20))
    try:
        report = runner.run(sb, {}, timeout=60)
        assert report.status in (Status.FAILED, Status.CRASHED), report.detail
        assert report.status is not Status.PASSED
        if report.status is Status.FAILED:
            assert report.tests["tests/test_limit.py::test_fill"].outcome == "failed"
            assert "File too large" in report.tests["tests/test_limit.py::test_fill"].message
        assert not Path(sb.workdir, "big.bin").exists()  # the scratch copy was rebuilt
    finally:
        sb.close()


@needs_rlimits
def test_a_memory_hog_is_stopped_and_graded_oom(tmp_path):
    # with a memory cgroup the hog is OOM-killed; without one, the address-space limit raises MemoryError
    project, runner = _runner_project(
        tmp_path,
        """
        def test_small():
            assert sum(range(10)) == 45

        def test_hog():
            data = bytearray(3 << 30)
            assert data
        """,
    )
    sb = LocalSandbox(project, limits=Limits(memory_bytes=1 << 30))
    try:
        report = runner.run(sb, {}, timeout=60)
        assert report.status is Status.OOM, (report.detail, report.tail())
        hog = report.tests["tests/test_limit.py::test_hog"]
        assert hog.outcome in ("failed", "error") and hog.exc_type in ("MemoryError", "OutOfMemory")
        assert report.tests["tests/test_limit.py::test_small"].outcome == "passed"
    finally:
        sb.close()


def test_a_finished_runs_stragglers_are_killed_before_the_next_run_but_a_live_server_stays(
    tmp_path,
):
    # A run's PID namespace is torn down after its outer process is reaped: under load a fork
    # bomb's children were still in the worker's group when the run returned (CI, session 8),
    # holding pids slots the next candidate would be refused and misgraded for.
    project = snapshot(_make(tmp_path / "p", FILES))
    sb = LocalSandbox(project, limits=Limits(pids=64))
    if sb._group is None:
        sb.close()
        pytest.skip("no cgroup pids controller on this machine")
    stray = None
    try:
        server = sb.spawn(ExecRequest(["sleep", "60"]))  # stands for a warm server
        # a process of an earlier run, still in the group when the run is over
        stray = subprocess.Popen(
            ["sh", "-c", f'echo $$ > "{sb._group.procs_files[0]}" && exec sleep 60'],
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while stray.pid not in sb._group.members() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert stray.pid in sb._group.members()
        res = sb.execute({}, ExecRequest(["true"]))
        assert res.exit_code == 0
        assert stray.wait(timeout=10) == -signal.SIGKILL  # killed, and gone when execute returned
        assert stray.pid not in sb._group.members()
        assert server.poll() is None  # the live server and its namespace were left alone
        assert server.pid in sb._group.members()
    finally:
        if stray is not None and stray.poll() is None:
            stray.kill()
            stray.wait()
        sb.close()


def test_a_fork_bomb_is_held_by_the_pids_limit_and_reaped(tmp_path):
    project, runner = _runner_project(
        tmp_path,
        """
        import os

        def test_bomb():
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
        """,
    )
    sb = LocalSandbox(project, limits=Limits(pids=64))
    if sb._group is None:
        sb.close()
        pytest.skip("no cgroup pids controller on this machine (the PID namespace still reaps)")
    try:
        started = time.monotonic()
        report = runner.run(sb, {}, timeout=5, per_test_timeout=3)
        assert time.monotonic() - started < 30
        assert report.status is not Status.PASSED
        assert report.status is Status.RESOURCE_LIMIT, report.detail  # pids.events counted it
        procs = sb._group.procs_files[0].read_text().split()
        assert procs == []  # everything in the worker's group was killed and reaped
        again = runner.run(sb, {}, timeout=5, per_test_timeout=2)  # the worker is usable afterwards
        assert again.status is not Status.SANDBOX_ERROR
    finally:
        sb.close()


def test_loopback_works_inside_the_namespace_but_nothing_outside(tmp_path):
    project, runner = _runner_project(
        tmp_path,
        """
        import socket

        import pytest

        def test_serve_on_loopback():
            srv = socket.socket()
            srv.bind(("127.0.0.1", 0))
            srv.listen(1)
            socket.create_connection(srv.getsockname(), timeout=2).close()
            srv.close()

        def test_outside_is_unreachable():
            with pytest.raises(OSError):
                socket.create_connection(("1.1.1.1", 80), timeout=2)
        """,
    )
    sb = LocalSandbox(project)
    if not sb.iso.namespaces:
        sb.close()
        pytest.skip("no network namespace on this machine")
    try:
        report = runner.run(sb, {}, timeout=30)
        assert report.status is Status.PASSED, {k: v.message for k, v in report.tests.items()}
    finally:
        sb.close()


def test_groups_left_by_killed_runs_are_swept(tmp_path):
    import subprocess

    from treefix.sandbox import cgroups

    gone = subprocess.Popen(["true"])
    gone.wait()
    base = tmp_path / "treefix"  # same layout as the real hierarchy, on a plain folder
    dead, mine, other = (
        base / f"{gone.pid}-20261127-w0",
        base / f"{os.getpid()}-20261127-w0",
        base / "cgroup.procs",
    )
    dead.mkdir(parents=True)
    mine.mkdir()
    other.write_text("")
    assert cgroups.sweep([base]) == 1
    assert not dead.exists() and mine.exists() and other.exists()


def test_an_interpreter_under_tmp_is_still_there_in_the_private_tmp():
    # the lockdown gives each run a private /tmp; a project or venv living under /tmp must not vanish
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tfx-venv-", dir="/tmp") as d:
        root = Path(d)
        (root / "venv/bin").mkdir(parents=True)
        runner_script = root / "venv/bin/runtests"
        runner_script.write_text(f'#!/bin/sh\nexec {sys.executable} -m pytest "$@"\n')
        runner_script.chmod(0o755)
        (root / "proj/tests").mkdir(parents=True)
        (root / "proj/tests/test_a.py").write_text("def test_ok():\n    assert 1\n")
        out = subprocess.run(
            [sys.executable, "-m", "treefix", "test", str(root / "proj"), "--sandbox", "local",
             "--test-cmd", str(runner_script), "--json"],
            capture_output=True, text=True,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        assert '"status": "passed"' in out.stdout


def test_started_from_a_folder_under_tmp_the_lockdown_still_holds(tmp_path):
    # the probe used to run in treefix's cwd, which does not exist once /tmp is private: the
    # local sandbox then silently lost its filesystem isolation
    import subprocess

    if not detect().filesystem:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no", "off"):
            pytest.fail("CI machines must give the local sandbox its lockdown (root or user namespaces)")
        pytest.skip("no mount-namespace lockdown on this machine")
    cwd = Path(tmp_path)
    assert str(cwd).startswith("/tmp/")
    out = subprocess.run(
        [sys.executable, "-c", "from treefix.sandbox.isolation import detect; print(detect().filesystem)"],
        cwd=cwd, capture_output=True, text=True,
    )
    assert out.stdout.strip() == "True", out.stderr
