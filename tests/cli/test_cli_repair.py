"""`treefix repair` end to end, through typer's CliRunner and through the installed script."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import git, init_repo, tree_digest, write_tree
from treefix.cli.app import app

FAST = ["--max-evals", "150", "--time-limit", "90", "--workers", "2", "--sandbox", "local"]
FIXED_LINE = "    if len(prices) >= discount_from:\n"


def _repair(path: Path, *extra: str):
    result = CliRunner().invoke(app, ["repair", str(path), "--json", *FAST, *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else None
    return result, report


def test_repair_finds_a_validated_fix_and_leaves_the_repo_untouched(buggy_repo: Path):
    (buggy_repo / "notes.txt").write_text("untracked work\n")  # untracked file of the user
    (buggy_repo / "shop" / "__init__.py").write_text("# staged edit\n")
    git(buggy_repo, "add", "shop/__init__.py")
    before = tree_digest(buggy_repo)
    status_before = git(buggy_repo, "status", "--porcelain")

    result, report = _repair(buggy_repo)

    assert result.exit_code == 0, result.output
    assert report["status"] == "fixed"
    assert "+" + FIXED_LINE in report["fix"]["patch"]
    assert report["fix"]["files"] == ["shop/cart.py"]
    assert report["fix"]["applied"] == []
    assert set(report["targets"]) == {"tests/test_cart.py::test_three_get_discount"}
    assert report["search"]["evals_to_first_fix"] >= 1
    # the user's files, index and refs are byte-identical; .git/info/exclude gained a line and the
    # snapshot was recorded as new objects under a private ref
    after = tree_digest(buggy_repo)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    snap_ref = report["snapshot"]["ref"]
    assert snap_ref == f"refs/treefix/snapshots/{report['run_id']}"
    added_objects = {k for k in changed if k.startswith(".git/objects/") and k not in before}
    assert changed - added_objects == {".git/info/exclude", ".git/" + snap_ref}
    assert git(buggy_repo, "show", f"{snap_ref}:notes.txt") == "untracked work\n"
    assert git(buggy_repo, "show", f"{snap_ref}:shop/__init__.py") == "# staged edit\n"
    assert ".treefix/" in (buggy_repo / ".git/info/exclude").read_text()
    assert git(buggy_repo, "status", "--porcelain") == status_before
    run_dir = Path(report["run_dir"])
    assert (run_dir / "fix.patch").read_text() == report["fix"]["patch"]
    assert json.loads((run_dir / "report.json").read_text())["status"] == "fixed"
    lines = (run_dir / "trajectory.jsonl").read_text().splitlines()
    assert len(lines) == report["search"]["evaluations"] - report["search"]["validations"]
    assert all("reward" in json.loads(line) for line in lines)
    # the saved patch applies to the user's tree
    subprocess.run(["git", "apply", "--check", str(run_dir / "fix.patch")], cwd=buggy_repo, check=True)


def test_apply_writes_the_fix(buggy_project: Path):
    result, report = _repair(buggy_project, "--apply")
    assert result.exit_code == 0, result.output
    assert report["fix"]["applied"] == ["shop/cart.py"]
    assert FIXED_LINE in (buggy_project / "shop/cart.py").read_text()
    check = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=buggy_project, capture_output=True)
    assert check.returncode == 0


def test_same_seed_same_search(buggy_project: Path, tmp_path: Path):
    other = tmp_path / "copy"
    shutil.copytree(buggy_project, other)
    _, a = _repair(buggy_project, "--seed", "3")
    _, b = _repair(other, "--seed", "3")
    ta = [json.loads(x)["edit"] for x in (Path(a["run_dir"]) / "trajectory.jsonl").read_text().splitlines()]
    tb = [json.loads(x)["edit"] for x in (Path(b["run_dir"]) / "trajectory.jsonl").read_text().splitlines()]
    assert ta == tb
    assert a["fix"]["patch"] == b["fix"]["patch"]


def test_two_edit_bug_in_a_subfolder_of_a_repo(tmp_path: Path):
    repo = tmp_path / "repo"
    write_tree(repo, {"README": "top\n"})
    sub = write_tree(repo / "svc", {
        "conftest.py": "",
        "calc/__init__.py": "",
        "calc/ops.py": (
            "def area(w, h):\n    return w + h\n\n\n"
            "def clamp(x, lo, hi):\n    if x < lo:\n        return hi\n    if x > hi:\n        return hi\n    return x\n"
        ),
        "tests/test_ops.py": (
            "from calc.ops import area, clamp\n\n"
            "def test_area():\n    assert area(3, 4) == 12\n\n"
            "def test_area_square():\n    assert area(2, 2) == 4\n\n"
            "def test_clamp_low():\n    assert clamp(-5, 2, 10) == 2\n\n"
            "def test_clamp_mid():\n    assert clamp(5, 0, 10) == 5\n\n"
            "def test_clamp_high():\n    assert clamp(50, 0, 10) == 10\n"
        ),
    })
    init_repo(repo)
    result, report = _repair(sub)
    assert result.exit_code == 0, result.output
    assert len(report["fix"]["edits"]) == 2
    patch = report["fix"]["patch"]
    assert "+    return w * h" in patch and "+        return lo" in patch
    assert (repo / ".git/info/exclude").read_text().count(".treefix/") == 1
    assert git(repo, "status", "--porcelain") == ""


def test_syntax_error_in_the_project_is_repaired(tmp_path: Path):
    proj = write_tree(tmp_path / "p", {
        "conftest.py": "",
        "geo/__init__.py": "",
        "geo/shapes.py": "def perimeter(w, h)\n    return 2 * (w + h)\n",
        "tests/test_shapes.py": "from geo.shapes import perimeter\n\ndef test_p():\n    assert perimeter(2, 3) == 10\n",
    })
    result, report = _repair(proj)
    assert result.exit_code == 0, result.output
    assert "+def perimeter(w, h):" in report["fix"]["patch"]
    assert report["baseline"]["status"] == "error"


def test_a_bug_that_loops_forever_is_contained_and_repaired(tmp_path: Path):
    proj = write_tree(tmp_path / "p", {
        "conftest.py": "",
        "cnt/__init__.py": "",
        "cnt/count.py": "def count_down(n):\n    steps = 0\n    while n > 0:\n        n += 1\n        steps += 1\n    return steps\n",
        "tests/test_count.py": (
            "from cnt.count import count_down\n\n"
            "def test_zero():\n    assert count_down(0) == 0\n\n"
            "def test_three():\n    assert count_down(3) == 3\n"
        ),
    })
    result, report = _repair(proj, "--per-test-timeout", "2")
    assert result.exit_code == 0, result.output
    assert report["baseline"]["status"] == "timeout"
    assert "+        n -= 1" in report["fix"]["patch"]


def test_nothing_to_repair_exits_zero(tmp_path: Path):
    proj = write_tree(tmp_path / "ok", {"conftest.py": "", "tests/test_ok.py": "def test_ok():\n    assert True\n"})
    result, report = _repair(proj)
    assert result.exit_code == 0
    assert report["status"] == "nothing_to_repair"
    assert report["fix"] is None


@pytest.mark.parametrize(
    ("files", "args", "code", "words"),
    [
        (None, [], 2, "path does not exist"),
        ({"readme.txt": "no tests here\n"}, [], 2, "no tests found"),
        ({"tests/test_a.py": "def test_a():\n    assert 0\n"}, ["--test-cmd", "no-such-runner --all"], 2, "test command not found"),
        ({"tests/test_a.py": "import not_a_real_dependency_xyz\n\ndef test_a():\n    assert 1\n"}, [], 3, "not_a_real_dependency_xyz"),
        ({"tests/test_a.py": "def test_a():\n    assert 0\n"}, ["--sandbox", "bogus"], 2, "--sandbox"),
    ],
)
def test_bad_input_gets_one_line_and_its_exit_code(tmp_path: Path, files, args, code, words):
    path = tmp_path / "proj"
    if files is not None:
        write_tree(path, files)
    before = tree_digest(path) if files is not None else None
    result = CliRunner().invoke(app, ["repair", str(path), *args])
    assert result.exit_code == code, result.output
    assert words in result.output
    assert "Traceback" not in result.output
    if files is None:
        assert not path.exists()
    else:
        assert tree_digest(path) == before
        assert not (path / ".treefix").exists() or code == 3


def _script() -> str:
    exe = Path(sys.executable).parent / "treefix"
    assert exe.exists(), "the console script is installed with the package"
    return str(exe)


def test_installed_console_script_repairs(buggy_project: Path):
    out = subprocess.run([_script(), "repair", str(buggy_project), "--json", *FAST], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["status"] == "fixed"
    assert "isolation" in report["sandbox"] and report["sandbox"]["kind"] == "local"


def test_ctrl_c_stops_cleanly_writes_a_partial_report_and_leaves_no_process(tmp_path: Path):
    # the test sleeps far past any check below, so a sandboxed run is surely in flight when we interrupt
    proj = write_tree(tmp_path / "p", {
        "conftest.py": "",
        "slow/__init__.py": "",
        "slow/mod.py": "import time\n\ndef f(x):\n    time.sleep(30)\n    return x + 1\n",
        "tests/test_mod.py": "from slow.mod import f\n\ndef test_f():\n    assert f(1) == 3\n",
    })
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    proc = subprocess.Popen(
        [_script(), "repair", str(proj), "--json", "--sandbox", "local", "--per-test-timeout", "20", "--test-timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(scratch)},
    )
    deadline = time.time() + 60
    while time.time() < deadline and not _sandboxed_pids(scratch):
        time.sleep(0.2)
    assert _sandboxed_pids(scratch), "a sandboxed test run started"
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert _sandboxed_pids(scratch) == []
    reports = list((proj / ".treefix" / "runs").glob("*/report.json"))
    assert len(reports) == 1
    assert json.loads(reports[0].read_text())["status"] == "interrupted"


def _sandboxed_pids(scratch: Path) -> list[int]:
    """Processes whose working directory is a scratch copy under `scratch` (this test's TMPDIR,
    so treefix runs elsewhere on the machine do not count)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if cwd.startswith(str(scratch)) and cwd.endswith("/project"):
                pids.append(int(entry))
    return pids
