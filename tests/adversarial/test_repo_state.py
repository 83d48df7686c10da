"""Cases 15-23 of the adversarial suite: bad repository state and environment, through the CLI.

15 a missing path, a file, an empty folder, a folder with no tests, a bare repo, a .git folder;
16 an unborn branch; 17 a detached HEAD; 18 a real merge, rebase, cherry-pick, revert, `git am`
and bisect in progress; 19 a tree dirty in every way (success, failure, time limit, --apply; the
Ctrl-C run of this tree is in test_faults.py); 20 the user edits a file during the search;
21 no tests, a wrong test command, a suite hanging at import: caught by the baseline before any
model call; 22 green already / red for an environment reason: no search; 23 a flaky test.
All on the local sandbox (the cases are about the repository, not the backend).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.adversarial.host import HostState
from tests.adversarial.repo_helpers import (
    BUGGY_LINE,
    FIXED_LINE,
    invoke,
    isolate,
    messy,
    one_error_line,
    split,
    unchanged,
)
from tests.conftest import BUGGY, git, init_repo, write_tree
from tests.models.llm_server import serve

llm_server = pytest.fixture(serve, name="llm_server")


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    isolate(tmp_path, monkeypatch)


def _everything(root: Path) -> dict[str, str]:
    """Every file and folder under root, .git included (a bare repo is all .git internals)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = hashlib.sha256(fh.read()).hexdigest()
    return out


# -- 15: path missing, not a project, a bare repo ----------------------------------------------


def _bare(tmp: Path) -> Path:
    src = init_repo(write_tree(tmp / "src", BUGGY))
    git(tmp, "clone", "-q", "--bare", str(src), "bare.git")
    return tmp / "bare.git"


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda t: t / "missing", ["path does not exist"]),
        (lambda t: write_tree(t, {"file.txt": "x\n"}) / "file.txt", ["not a directory"]),
        (lambda t: (t / "empty").mkdir() or t / "empty", ["no tests found", "--test-cmd"]),
        (lambda t: write_tree(t / "docs", {"README.md": "# hi\n"}), ["no tests found"]),
        (_bare, ["bare git repository", "point treefix at a checkout"]),
        (lambda t: init_repo(write_tree(t / "r", BUGGY)) / ".git", ["inside a .git folder"]),
    ],
    ids=["missing", "a-file", "empty-folder", "no-project", "bare-repo", "dot-git"],
)
def test_15_not_a_project_is_one_line_exit_2_and_nothing_is_created(tmp_path, make, words):
    target = make(tmp_path)
    before = _everything(tmp_path)
    result, _ = invoke(target)
    assert result.exit_code == 2, result.output
    one_error_line(result, *words)
    assert _everything(tmp_path) == before  # no .treefix, no ref, no object, nothing


def test_15_a_bare_repo_gets_no_snapshot_even_with_a_test_command(tmp_path):
    bare = _bare(tmp_path)
    before = _everything(tmp_path)
    result, _ = invoke(bare, "--test-cmd", "python -m pytest")
    assert result.exit_code == 2, result.output
    one_error_line(result, "bare git repository")
    assert _everything(tmp_path) == before


# -- 16, 17: unborn branch, detached HEAD --------------------------------------------------------


def test_16_unborn_branch_is_repaired_and_only_apply_touches_the_tree(tmp_path):
    root = write_tree(tmp_path / "r", BUGGY)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "shop")  # staged, never committed
    before = HostState.capture(root)
    staged = git(root, "diff", "--cached")
    # --commit has nothing to put the fix on: refused before any run, with what to do instead
    result, _ = invoke(root, "--commit")
    assert result.exit_code == 2, result.output
    one_error_line(result, "no commits yet", "--branch NAME or --apply")
    result, report = invoke(root, "--apply")
    assert result.exit_code == 0, result.output
    assert report["fix"]["applied"] == ["shop/cart.py"]
    unchanged(before, HostState.capture(root), except_files={"shop/cart.py"})
    assert git(root, "diff", "--cached") == staged  # the index still holds the user's version
    assert FIXED_LINE in (root / "shop/cart.py").read_text()
    snap = report["snapshot"]
    assert snap["head_commit"] is None and snap["head_branch"] == "refs/heads/main"
    assert BUGGY_LINE in git(root, "show", f"{snap['ref']}:shop/cart.py")


def test_17_detached_head_gets_its_commit_and_no_branch_moves(tmp_path):
    root = init_repo(write_tree(tmp_path / "r", {**BUGGY, "notes.md": "n\n"}))
    git(root, "checkout", "-q", "--detach")
    (root / "notes.md").write_text("unstaged\n")
    old = git(root, "rev-parse", "HEAD").strip()
    branches = git(root, "for-each-ref", "refs/heads")
    result, report = invoke(root, "--commit")
    assert result.exit_code == 0, result.output
    assert git(root, "rev-parse", "HEAD^").strip() == old
    assert report["write_back"]["ref"] == "HEAD"
    assert git(root, "rev-parse", "--abbrev-ref", "HEAD") == "HEAD\n"  # still detached
    assert git(root, "for-each-ref", "refs/heads") == branches  # no branch moved
    assert git(root, "status", "--porcelain") == " M notes.md\n"
    assert FIXED_LINE in git(root, "show", "HEAD:shop/cart.py")


# -- 18: an operation in progress ----------------------------------------------------------------


def _conflicting(root: Path) -> Path:
    """main and `other` both changed notes.md since `base`."""
    init_repo(write_tree(root, {**BUGGY, "notes.md": "base\n"}))
    git(root, "branch", "base")
    git(root, "checkout", "-q", "-b", "other")
    (root / "notes.md").write_text("other\n")
    git(root, "commit", "-qam", "other")
    git(root, "checkout", "-q", "main")
    (root / "notes.md").write_text("main\n")
    git(root, "commit", "-qam", "main")
    return root


def _try(root: Path, *args: str) -> None:
    subprocess_run = __import__("subprocess").run
    subprocess_run(["git", *args], cwd=root, capture_output=True)  # fails on the conflict


def _merge(root):
    _try(root, "merge", "other")


def _rebase(root):
    git(root, "checkout", "-q", "other")
    _try(root, "rebase", "main")


def _cherry_pick(root):
    _try(root, "cherry-pick", "other")


def _revert(root):
    (root / "notes.md").write_text("main again\n")
    git(root, "commit", "-qam", "again")
    _try(root, "revert", "--no-edit", "HEAD~1")


def _am(root):
    patch = git(root, "format-patch", "-1", "--stdout", "other")
    (root.parent / "p.mbox").write_text(patch)
    _try(root, "am", str(root.parent / "p.mbox"))


def _bisect(root):
    git(root, "bisect", "start")
    git(root, "bisect", "bad")


@pytest.mark.parametrize(
    ("start", "words"),
    [
        (_merge, ["a merge is in progress", "git merge --abort"]),
        (_rebase, ["a rebase is in progress", "git rebase --abort"]),
        (_cherry_pick, ["a cherry-pick is in progress", "git cherry-pick --abort"]),
        (_revert, ["a revert is in progress", "git revert --abort"]),
        (_am, ["git am --abort"]),
        (_bisect, ["a bisect is in progress", "git bisect reset"]),
    ],
    ids=["merge", "rebase", "cherry-pick", "revert", "am", "bisect"],
)
@pytest.mark.parametrize("mode", [[], ["--branch", "fix"]], ids=["default", "branch"])
def test_18_an_operation_in_progress_is_refused_with_how_to_finish_it(tmp_path, start, words, mode):
    root = _conflicting(tmp_path / "r")
    start(root)
    before = HostState.capture(root)
    result, _ = invoke(root, *mode)
    assert result.exit_code == 3, result.output
    one_error_line(result, *words, "then run treefix again")
    unchanged(before, HostState.capture(root))
    assert git(root, "for-each-ref", "refs/treefix") == ""  # not even a snapshot ref
    assert not (root / ".treefix").exists()


# -- 19: a tree dirty everywhere -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    return messy(tmp_path_factory.mktemp("dirty") / "r")


@pytest.mark.parametrize(
    ("args", "code", "status"),
    [
        ([], 0, "fixed"),
        (["--proposer", "mutation", "--max-evals", "1"], 1, "no_fix"),
        # cold and one worker: warm candidates are fast enough to fix this within 1 s
        (["--time-limit", "1", "--runner", "cold", "--workers", "1"], 1, "no_fix"),
    ],
    ids=["success", "failure", "time-limit"],
)
def test_19_a_dirty_tree_is_byte_identical_after_any_run_without_write_back(
    dirty, args, code, status, monkeypatch
):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(dirty.parent))
    before, before_split = HostState.capture(dirty), split(dirty)
    result, report = invoke(dirty, *args)
    assert result.exit_code == code, result.output
    assert report["status"] == status
    unchanged(before, HostState.capture(dirty))
    assert split(dirty) == before_split  # staged stays staged, unstaged stays unstaged
    assert git(dirty, "stash", "list").count("\n") == 1


def test_19_apply_on_a_dirty_tree_changes_only_the_fixed_hunk(tmp_path):
    root = messy(tmp_path / "r")
    before, (staged, _) = HostState.capture(root), split(root)
    text = (root / "shop/cart.py").read_text()
    result, report = invoke(root, "--apply")
    assert result.exit_code == 0, result.output
    assert report["fix"]["applied"] == ["shop/cart.py"]
    unchanged(before, HostState.capture(root), except_files={"shop/cart.py"})
    assert git(root, "diff", "--cached") == staged  # the index is the user's, untouched
    # the user's unstaged comment stays; the fix's one line is the only other change
    assert (root / "shop/cart.py").read_text() == text.replace(BUGGY_LINE, FIXED_LINE)


# -- 20: the user edits a file while the search runs ---------------------------------------------


@pytest.mark.parametrize("mode", ["--apply", "--commit"])
def test_20_an_edit_during_the_search_makes_write_back_refuse_and_survives(
    tmp_path, monkeypatch, mode
):
    from treefix.cli.render import RichEvents

    root = init_repo(write_tree(tmp_path / "r", BUGGY))
    cart = root / "shop/cart.py"
    mine = "# the user's edit, typed while treefix searched\n" + cart.read_text()
    node = RichEvents.node

    def edit_then_show(self, *args):
        if cart.read_text() != mine:  # the first evaluated candidate: the search is running
            cart.write_text(mine)
        return node(self, *args)

    monkeypatch.setattr(RichEvents, "node", edit_then_show)
    before = HostState.capture(root)
    result, report = invoke(root, mode)
    assert result.exit_code == 3, result.output
    assert "changed since treefix read it" in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert cart.read_text() == mine  # the edit survived
    unchanged(before, HostState.capture(root), except_files={"shop/cart.py"})
    assert report["status"] == "fixed" and "not applied" in report["write_back"]["error"]
    patch = Path(report["run_dir"]) / "fix.patch"
    assert "+" + FIXED_LINE in patch.read_text()  # the fix is kept for later


# -- 21, 22: the baseline catches it, before any model call and without a search -----------------


@pytest.fixture
def model_env(llm_server, monkeypatch):
    """A configured model (auto mode uses it); the test asserts it was never asked."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", llm_server.key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llm_server.url)
    return llm_server


HANG_AT_IMPORT = {**BUGGY, "conftest.py": "import time\n\ntime.sleep(600)\n"}
NO_TESTS_COLLECTED = {"shop/__init__.py": "", "tests/test_nothing.py": "X = 1\n"}


@pytest.mark.parametrize(
    ("files", "args", "code", "words"),
    [
        ({"README.md": "docs only\n"}, [], 2, ["no tests found"]),
        (NO_TESTS_COLLECTED, [], 2, ["no tests were collected", "--test-cmd"]),
        (BUGGY, ["--test-cmd", "no-such-runner --all"], 2, ["test command not found"]),
        (HANG_AT_IMPORT, ["--test-timeout", "2"], 3, ["hangs at import", "treefix test"]),
    ],
    ids=["no-tests", "none-collected", "wrong-command", "hang-at-import"],
)
def test_21_unrunnable_suites_stop_at_the_baseline_before_any_model_call(
    tmp_path, model_env, files, args, code, words
):
    root = init_repo(write_tree(tmp_path / "r", files))
    before = HostState.capture(root)
    result, _ = invoke(root, *args)
    assert result.exit_code == code, result.output
    one_error_line(result, *words)
    assert model_env.count() == 0
    unchanged(before, HostState.capture(root))
    assert git(root, "for-each-ref", "refs/treefix") == ""


def test_22_a_green_suite_is_reported_and_not_searched(tmp_path, model_env):
    fixed = {**BUGGY, "shop/cart.py": BUGGY["shop/cart.py"].replace(BUGGY_LINE, FIXED_LINE)}
    root = init_repo(write_tree(tmp_path / "r", fixed))
    result, report = invoke(root)
    assert result.exit_code == 0, result.output
    assert report["status"] == "nothing_to_repair" and report["fix"] is None
    assert report["search"]["evaluations"] == 0 if report.get("search") else True
    assert report["baseline"]["status"] == "passed"
    assert model_env.count() == 0


def test_22_a_missing_third_party_package_is_exit_3_without_a_search(tmp_path, model_env):
    files = {
        **BUGGY,
        "shop/cart.py": "import requests_that_is_not_installed\n" + BUGGY["shop/cart.py"],
    }
    root = init_repo(write_tree(tmp_path / "r", files))
    before = HostState.capture(root)
    result, _ = invoke(root)
    assert result.exit_code == 3, result.output
    one_error_line(result, "requests_that_is_not_installed", "install the project's dependencies")
    assert model_env.count() == 0
    unchanged(before, HostState.capture(root))
    assert not list(root.glob(".treefix/runs/*/trajectory.jsonl"))


# -- 23: a flaky test -------------------------------------------------------------------------------


def test_23_a_flaky_test_is_detected_excluded_from_targets_and_reported(tmp_path):
    # Flaky the way suites really are: it depends on what ran before it (another test leaves
    # state behind), so it fails in the whole suite and passes when run again on its own. (A
    # counter outside the project cannot be used: the sandbox sees the host read-only.)
    files = {
        **BUGGY,
        "tests/test_leaky.py": "import os\n\n\ndef test_leaks():\n    os.environ['LEAKED'] = '1'\n",
        "tests/test_order.py": "import os\n\n\ndef test_flaky():\n    assert 'LEAKED' not in os.environ\n",
    }
    root = init_repo(write_tree(tmp_path / "r", files))
    result, report = invoke(root)
    assert result.exit_code == 0, result.output
    assert report["flaky"] == ["tests/test_order.py::test_flaky"]
    assert report["targets"] == ["tests/test_cart.py::test_three_get_discount"]
    assert report["status"] == "fixed" and "tests/" not in report["fix"]["patch"]
    assert "flaky" in " ".join(result.stderr.split()).lower()
