"""Cases 26-30 of the adversarial suite: generation and infrastructure faults.

26 malformed model edits, served by the local stand-in for the Anthropic API; 27 provider errors
(read timeout, connection reset, truncated answer, refusal, 429 with retry-after, 5xx, 401) and
budgets; 28 Ctrl-C once and twice, SIGTERM, SIGHUP sent to the installed console script (local
and Docker); 29 SIGKILL of treefix inside --apply, then the next start and a restore from the
snapshot ref; 30 no Docker engine, permission denied on its socket, no space left (the engine
dying mid-run is tests/docker/test_docker_engine_death.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tests.adversarial.host import HostState, tagged_processes
from tests.adversarial.repo_helpers import (
    BUGGY_LINE,
    FIXED_LINE,
    SLOW_TEST,
    invoke,
    isolate,
    messy,
    one_error_line,
    sandboxed_pids,
    spawn,
    unchanged,
)
from tests.conftest import BUGGY, git, init_repo, write_tree
from tests.models.llm_server import LLMServer, Seen, Step

MODEL = ["--proposer", "model", "--samples", "1"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    isolate(tmp_path, monkeypatch)


# -- the model stand-in, with the faults it lacks --------------------------------------------------

RESET = "<connection reset>"


class FaultyServer(LLMServer):
    """The stand-in API server, plus: a step that resets the connection (RST, no answer), a step
    whose answer carries another stop reason (header "x-stop-reason": max_tokens, refusal), and
    the time of every request."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self._reason = threading.local()

    def _handle(self, h, body):
        self.times.append(time.monotonic())
        with self._lock:
            step = self.steps[0] if self.steps else None
            if step is not None and step.text == RESET:
                self.steps.pop(0)
                self.requests.append(Seen(h.path, "anthropic", body, "", 0))
        if step is not None and step.text == RESET:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()  # an RST: the client sees "connection reset by peer"
            h.close_connection = True
            return
        self._reason.value = step.headers.pop("x-stop-reason", None) if step else None
        super()._handle(h, body)

    def _send(self, h, status, payload, headers=None):
        reason = getattr(self._reason, "value", None)
        if reason and status == 200:
            if "stop_reason" in payload:
                payload["stop_reason"] = reason
                if reason == "refusal":
                    payload["content"] = []
            else:
                payload["choices"][0]["finish_reason"] = reason
        LLMServer._send(h, status, payload, headers)


@pytest.fixture
def llm(monkeypatch):
    server = FaultyServer().start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", server.key)
    yield server
    server.stop()


GREET = {
    "greet/__init__.py": "",
    "greet/core.py": (
        'def greeting(name):\n    return "Helo, " + name + "!"\n\n\n'
        "def shout(name):\n    return greeting(name).upper()\n"
    ),
    "tests/test_greet.py": (
        "from greet.core import greeting, shout\n\n\n"
        'def test_greeting():\n    assert greeting("Ada") == "Hello, Ada!"\n\n\n'
        'def test_shout_has_name():\n    assert "ADA" in shout("Ada")\n'
    ),
}
OLD = '    return "Helo, " + name + "!"\n'
NEW = '    return "Hello, " + name + "!"\n'


def block(path: str, old: str, new: str) -> str:
    return f"<<<<<<< SEARCH {path}\n{old}=======\n{new}>>>>>>> REPLACE\n"


FIX = "EXPLANATION: The literal is misspelled.\n\n" + block("greet/core.py", OLD, NEW)
HALF = "    return greeting(name).upper() + ' HALF-APPLIED'\n"


@pytest.fixture
def greet(tmp_path) -> Path:
    return init_repo(write_tree(tmp_path / "greet", GREET))


def _trajectory(report: dict) -> list[dict]:
    text = (Path(report["run_dir"]) / "trajectory.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


# -- 26: malformed model edits ----------------------------------------------------------------------


def test_26_malformed_edits_are_rejected_whole_with_a_reason(greet, llm):
    fence = "```python\n"
    malformed = [
        "EXPLANATION: fenced.\n" + block("greet/core.py", fence + OLD + "```\n", NEW),
        "EXPLANATION: wrong context.\n" + block("greet/core.py", "    return 'nothing'\n", NEW),
        "EXPLANATION: outside.\n" + block("../outside.py", OLD, NEW),
        "EXPLANATION: into git.\n" + block(".git/config", "[core]\n", "[core]\n\tfsmonitor = x\n"),
        "EXPLANATION: empty.\n" + block("greet/core.py", "", ""),
        "EXPLANATION: half.\n"
        + block("greet/core.py", "    return greeting(name).upper()\n", HALF)
        + block("greet/core.py", "    return 'no such line'\n", NEW),
        "EXPLANATION: huge.\n" + block("greet/core.py", OLD, "#" * (50 << 20) + "\n" + NEW),
    ]
    llm.push(*malformed, FIX)
    before = HostState.capture(greet)
    result, report = invoke(
        greet, "--proposer", "model", "--samples", str(len(malformed) + 1),
        "--base-url", llm.url, "--max-llm-calls", "8",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    m = report["model"]
    assert m["calls"] == len(malformed) + 1 and m["rejected_responses"] == len(malformed)
    reasons = " | ".join(m["rejection_reasons"])
    assert "does not match" in reasons and "MiB limit" in reasons, reasons
    # the fix is the good answer alone; no evaluated state ever held half of a rejected answer
    assert "+" + NEW in report["fix"]["patch"] and "HALF-APPLIED" not in report["fix"]["patch"]
    trajectory = _trajectory(report)
    # the 50 MB answer is recorded clipped (its size noted), not copied whole
    assert max(len(json.dumps(r)) for r in trajectory) < 1 << 20
    assert max(r.get("response_chars", 0) for r in trajectory) > 50 << 20
    for rec in trajectory:
        if rec.get("type") != "model_call":
            assert "HALF-APPLIED" not in json.dumps(rec) and "fsmonitor" not in json.dumps(rec)
    unchanged(before, HostState.capture(greet))
    assert not (greet.parent / "outside.py").exists()
    assert "fsmonitor" not in (greet / ".git/config").read_text()


def test_26_the_rejection_reasons_name_each_fault():
    """The same answers straight through the proposer's parser: each reason, one by one."""
    from treefix.propose.blocks import Rejected, blocks_to_edits, parse_response
    from treefix.types import ProgramState

    state = ProgramState({p: t.encode() for p, t in GREET.items() if p.endswith(".py")})
    cases = {
        block("../outside.py", OLD, NEW): "unknown file '../outside.py'",
        block(".git/config", "x\n", "y\n"): "unknown file '.git/config'",
        block("/etc/passwd", "x\n", "y\n"): "unknown file '/etc/passwd'",
        block("greet/core.py", "```\n" + OLD + "```\n", NEW): "does not match",
        block("tests/test_greet.py", "x\n", "y\n"): "test file",
    }
    for text, words in cases.items():
        _, blocks = parse_response(text)
        with pytest.raises(Rejected, match=words.replace("(", r"\(")):
            blocks_to_edits(state, blocks)


# -- 27: provider errors ----------------------------------------------------------------------------


def test_27_timeouts_resets_truncation_refusal_429_and_5xx_are_retried_within_bounds(greet, llm):
    truncated = FIX[: FIX.index("=======")]  # cut inside the block, as at the token limit
    llm.push(
        Step(FIX, delay=3.0),  # read timeout (--llm-timeout 1): retried
        RESET,  # connection reset: retried
        Step(truncated, headers={"x-stop-reason": "max_tokens"}),  # answered, cut: rejected
        Step("", headers={"x-stop-reason": "refusal"}),  # answered, refused: rejected
        Step("slow down", status=429, headers={"retry-after": "0.5"}),  # waits 0.5 s
        Step("oops", status=503, headers={"retry-after": "0"}),
        FIX,
    )
    before = HostState.capture(greet)
    result, report = invoke(
        greet, "--proposer", "model", "--samples", "3", "--base-url", llm.url,
        "--llm-timeout", "1", "--max-llm-calls", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    m = report["model"]
    assert len(llm.requests) == 7 and m["requests"] == 7
    assert m["calls"] == 3 and m["retries"] == 4  # bounded: 4 faults, 4 retries
    assert m["truncated"] == 1 and m["rejected_responses"] == 2
    assert llm.times[5] - llm.times[4] >= 0.5  # retry-after honoured
    assert report["status"] == "fixed"
    unchanged(before, HostState.capture(greet))


@pytest.mark.parametrize(
    ("provider", "steps", "requests", "words"),
    [
        ("openai", [Step("bad key", status=401)], 1, "refused the key (HTTP 401)"),
        ("anthropic", [Step("down", status=500, headers={"retry-after": "0"})] * 6, 5, "still failing"),
    ],
    ids=["401-fails-fast", "5xx-gives-up-after-4-retries"],
)  # fmt: skip
def test_27_auth_fails_at_once_and_a_dead_provider_is_given_up(
    greet, llm, monkeypatch, provider, steps, requests, words
):
    monkeypatch.setenv("OPENAI_API_KEY", llm.key)
    llm.push(*steps)
    before = HostState.capture(greet)
    base = llm.url + ("/v1" if provider == "openai" else "")
    result, report = invoke(greet, *MODEL, "--provider", provider, "--base-url", base)
    assert result.exit_code == 4, result.output
    assert len(llm.requests) == requests
    assert words in result.output and llm.key not in result.output
    assert report["status"] == "provider_error"  # and the report was written
    unchanged(before, HostState.capture(greet))


def test_27_the_call_budget_holds_with_retries_in_between(greet, llm):
    wrong = block("greet/core.py", "    return greeting(name).upper()\n", "    return 'x'\n")
    llm.push(Step("slow", status=429, headers={"retry-after": "0"}))
    llm.default = "EXPLANATION: wrong.\n" + wrong
    result, report = invoke(greet, *MODEL, "--base-url", llm.url, "--max-llm-calls", "2")
    assert result.exit_code == 1, result.output
    assert report["search"]["stop_reason"] == "model call budget (2 calls)"
    assert len(llm.requests) == 3 and report["model"]["calls"] == 2


# -- 28: Ctrl-C once and twice, SIGTERM, SIGHUP ------------------------------------------------------


@pytest.fixture
def slow_messy(tmp_path) -> Path:
    """The dirty-everywhere repo of case 19 whose suite takes 3 s: a run is surely in flight."""
    return messy(tmp_path / "r", SLOW_TEST)


def _interrupt(proc, scratch: Path, signals: list[int], gap: float = 0.02):
    deadline = time.time() + 60
    while time.time() < deadline and not sandboxed_pids(scratch):
        time.sleep(0.1)
    assert sandboxed_pids(scratch), "a sandboxed test run started"
    time.sleep(0.5)
    for sig in signals:
        proc.send_signal(sig)
        time.sleep(gap)
    out, err = proc.communicate(timeout=60)
    return out, err


def _assert_nothing_left(before: HostState, root: Path, tag: str, scratch: Path) -> None:
    time.sleep(0.3)
    assert tagged_processes(tag) == set()
    assert sandboxed_pids(scratch) == []
    assert list(scratch.iterdir()) == []  # no scratch copy, no temp index, no crash file
    unchanged(before, HostState.capture(root, tag))


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["ctrl-c", "sigterm", "sighup"]
)
def test_28_one_signal_stops_gracefully_keeps_a_partial_report_and_says_how_to_resume(
    slow_messy, tmp_path, sig
):
    tag, scratch = f"adv28-{os.getpid()}-{sig}", tmp_path / "scratch"
    scratch.mkdir()
    before = HostState.capture(slow_messy)
    t0 = time.monotonic()
    proc = spawn(slow_messy, "--sandbox", "local", "--json", tag=tag, tmpdir=scratch)
    out, err = _interrupt(proc, scratch, [sig])
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "to resume, run the same `treefix repair` command" in err
    report = json.loads(out)
    assert (
        report["status"] == "interrupted"
        and signal.Signals(sig).name.replace("SIGINT", "Ctrl-C") in report["message"]
    )
    assert (Path(report["run_dir"]) / "report.json").exists()
    _assert_nothing_left(before, slow_messy, tag, scratch)
    print(f"\n{signal.Signals(sig).name}: stopped and cleaned up in {time.monotonic() - t0:.1f}s")


def test_28_a_second_ctrl_c_stops_at_once_and_still_leaves_nothing(slow_messy, tmp_path):
    tag, scratch = f"adv28-twice-{os.getpid()}", tmp_path / "scratch"
    scratch.mkdir()
    before = HostState.capture(slow_messy)
    proc = spawn(slow_messy, "--sandbox", "local", "--workers", "2", tag=tag, tmpdir=scratch)
    out, err = _interrupt(proc, scratch, [signal.SIGINT, signal.SIGINT], gap=0.01)
    # the second Ctrl-C usually lands while the first is cleaning up (exit 130 at once, no
    # report); when the cleanup was faster, Python's own exit took it (-2): both leave nothing
    assert proc.returncode in (130, -signal.SIGINT), err
    assert "Traceback" not in err
    _assert_nothing_left(before, slow_messy, tag, scratch)
    print(f"\ntwice: {'stopped at once' if 'interrupted again' in err else 'graceful first'}")


@pytest.mark.docker
def test_28_ctrl_c_removes_the_docker_sandboxes(slow_messy, tmp_path, docker_engine, sandbox_image):
    tag, scratch = f"adv28-docker-{os.getpid()}", tmp_path / "scratch"
    scratch.mkdir()
    before = HostState.capture(slow_messy)
    args = ["--sandbox", "docker", "--image", sandbox_image, "--workers", "2", "--json"]
    proc = spawn(slow_messy, *args, tag=tag, tmpdir=scratch)
    mine = {"label": f"treefix.pid={proc.pid}"}
    deadline = time.time() + 60
    while time.time() < deadline and len(docker_engine.containers.list(filters=mine)) < 2:
        time.sleep(0.2)
    time.sleep(1.5)  # the baseline (3 s) is running in one of them
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert json.loads(out)["status"] == "interrupted"
    assert docker_engine.containers.list(all=True, filters=mine) == []
    assert took < 15, f"Ctrl-C took {took:.1f}s"
    unchanged(before, HostState.capture(slow_messy, tag))
    print(f"\ndocker Ctrl-C: containers removed, exit in {took:.1f}s")


# -- 29: SIGKILL during the write-back ---------------------------------------------------------------

# Runs the real console entry point with one change: at the given point of --apply the process
# SIGKILLs itself (after the journal is committed, or just before), as a power cut would.
KILL_AT = r"""
import os, signal, sys
from treefix.workspace import apply, writeback
where = sys.argv.pop(1)
if where == "after-journal":
    apply._roll_forward = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
else:
    real = writeback.apply_fix
    def apply_fix(project, state, **kw):
        def pause(step):
            if step == "journal":
                os.kill(os.getpid(), signal.SIGKILL)
        return real(project, state, _pause=pause)
    writeback.apply_fix = apply_fix
from treefix.cli.app import main
sys.argv[0] = "treefix"
main()
"""


def _killed_apply(root: Path, where: str, scratch: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", KILL_AT, where, "repair", "--sandbox", "local", "--workers", "1",
         "--apply", "--", str(root)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip


def test_29_sigkill_after_the_journal_is_finished_by_the_next_start(tmp_path):
    root, scratch = messy(tmp_path / "r"), tmp_path / "scratch"
    scratch.mkdir()
    before = HostState.capture(root)
    cart = (root / "shop/cart.py").read_bytes()
    killed = _killed_apply(root, "after-journal", scratch)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (root / "shop/cart.py").read_bytes() == cart  # old, whole: nothing renamed yet
    staged = list((root / ".treefix/apply").glob("*/journal.json"))
    assert len(staged) == 1
    # the snapshot ref restores the whole tree it read, byte for byte (tracked + untracked)
    ref = git(root, "for-each-ref", "--format=%(refname)", "refs/treefix/snapshots").split()
    assert len(ref) == 1
    _assert_ref_restores(root, ref[0], before)
    # the next start finishes the job first and says so, then finds nothing left to repair
    result, report = invoke(root)
    said = " ".join(result.stderr.split())
    assert "finished an interrupted --apply from its journal: shop/cart.py" in said
    assert result.exit_code == 0 and report["status"] == "nothing_to_repair"
    assert (root / "shop/cart.py").read_bytes() == cart.replace(
        BUGGY_LINE.encode(), FIXED_LINE.encode()
    )
    assert not (root / ".treefix/apply").exists()
    unchanged(before, HostState.capture(root), except_files={"shop/cart.py"})
    assert list(scratch.iterdir()) == []


def test_29_sigkill_before_the_journal_leaves_the_tree_and_the_next_start_sweeps(tmp_path):
    root, scratch = messy(tmp_path / "r"), tmp_path / "scratch"
    scratch.mkdir()
    before = HostState.capture(root)
    killed = _killed_apply(root, "before-journal", scratch)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    unchanged(before, HostState.capture(root))  # not a byte of the user's tree changed
    assert list((root / ".treefix/apply").iterdir())  # the staged copies are left over
    result, _ = invoke(root, "--max-evals", "1", "--proposer", "mutation")
    assert "removed the leftovers of 1 --apply interrupted before it wrote any file" in " ".join(
        result.stderr.split()
    )
    assert not (root / ".treefix/apply").exists()
    unchanged(before, HostState.capture(root))


def _assert_ref_restores(root: Path, ref: str, before: HostState) -> None:
    restored = root.parent / "restored"
    restored.mkdir()
    archive = subprocess.run(
        ["git", "-c", "tar.umask=022", "archive", ref], cwd=root, capture_output=True, check=True
    )
    with tarfile.open(fileobj=__import__("io").BytesIO(archive.stdout)) as tar:
        tar.extractall(restored, filter="fully_trusted")
    from tests.adversarial.host import files_of

    ignored = {"run.log", "build/out.bin"}
    expected = {p: v for p, v in before.files.items() if p not in ignored}
    assert files_of(restored) == expected
    shutil.rmtree(restored)


# -- 30: Docker unavailable, its socket forbidden, no space left ------------------------------------


@pytest.fixture
def dead_engine(monkeypatch):
    from treefix.sandbox.docker_engine import probe

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    probe.cache_clear()
    yield
    monkeypatch.undo()
    probe.cache_clear()


def test_30_no_engine_docker_asked_is_exit_3_and_auto_falls_back_saying_why(tmp_path, dead_engine):
    root = init_repo(write_tree(tmp_path / "r", BUGGY))
    before = HostState.capture(root)
    result, _ = invoke(root, "--sandbox", "docker", fast=False)
    assert result.exit_code == 3, result.output
    one_error_line(result, "does not answer", "--sandbox local")
    unchanged(before, HostState.capture(root))
    assert git(root, "for-each-ref", "refs/treefix") == "" and not (root / ".treefix").exists()
    result, report = invoke(root, "--sandbox", "auto", "--workers", "1", "--max-evals", "40", fast=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert report["sandbox"]["kind"] == "local"
    assert "sandbox: local (the Docker engine at unix:///nonexistent/docker.sock does not answer" in " ".join(result.stderr.split())  # fmt: skip
    unchanged(before, HostState.capture(root))


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root to become nobody"
)
def test_30_permission_denied_on_the_docker_socket_says_what_to_do(tmp_path):
    if not os.path.exists("/var/run/docker.sock"):
        pytest.skip("no local Docker socket")
    shared = Path(tempfile.mkdtemp(prefix="adv30-", dir="/tmp"))
    try:
        shared.chmod(0o777)
        root = write_tree(shared / "p", BUGGY)
        for p in [root, *root.rglob("*")]:
            p.chmod(0o777 if p.is_dir() else 0o666)
        before = HostState.capture(root)
        env = {k: v for k, v in os.environ.items() if k != "DOCKER_HOST"}
        out = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             sys.executable, "-m", "treefix", "repair", "--sandbox", "docker", "--", str(root)],
            capture_output=True, text=True, timeout=60, env={**env, "HOME": str(shared)},
        )  # fmt: skip
        assert out.returncode == 3, out.stderr
        said = " ".join(out.stderr.split())
        assert "permission denied on the Docker socket" in said and "'docker' group" in said
        assert "Traceback" not in said
        unchanged(before, HostState.capture(root))
    finally:
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture
def tiny_fs(tmp_path):
    """A 256 KiB tmpfs (root only; skipped where mounting is not allowed)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_30_no_space_for_the_scratch_copies_is_exit_3_and_leaves_nothing(
    tmp_path, tiny_fs, monkeypatch
):
    root = init_repo(write_tree(tmp_path / "r", {**BUGGY, "data/big.bin": "x" * 400_000}))
    monkeypatch.setenv("TMPDIR", str(tiny_fs))
    monkeypatch.setattr(tempfile, "tempdir", str(tiny_fs))
    before = HostState.capture(root)
    result, _ = invoke(root)
    assert result.exit_code == 3, result.output
    one_error_line(result, "No space left on device")
    assert list(tiny_fs.iterdir()) == []
    unchanged(before, HostState.capture(root))


def test_30_a_full_disk_under_the_project_is_exit_3_and_the_tree_is_intact(tiny_fs):
    root = init_repo(write_tree(tiny_fs / "r", BUGGY))
    try:  # fill what is left
        with open(tiny_fs / "filler", "wb") as fh:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass
    before = HostState.capture(root)
    result, _ = invoke(root)
    assert result.exit_code == 3, result.output
    one_error_line(result, "No space left on device")
    unchanged(before, HostState.capture(root))
