"""bench/real: build -> validate -> run on a tiny local fixture (no network, no mirrors).

The fixture is one repository bug (a git repo with a buggy and a fixed commit, one wrong operator)
and one program bug (a student-style function with input/output cases). Both run in this
interpreter (`python: current`), so nothing is installed.
"""

from __future__ import annotations

import difflib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "bench" / "real"
sys.path.insert(0, str(REAL))

import programs  # noqa: E402
import score  # noqa: E402

BUGGY_SRC = "def add(a, b):\n    total = a - b\n    return total\n\n\ndef neg(a):\n    return -a\n"
FIXED_SRC = BUGGY_SRC.replace("a - b", "a + b")
TESTS = (
    "from calc.ops import add, neg\n\n\n"
    "def test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_neg():\n    assert neg(2) == -2\n"
)
PROGRAM = "def search(x, seq):\n    for i in range(len(seq)):\n        if x < seq[i]:\n            return i\n    return len(seq)\n"
PROGRAM_FIX = PROGRAM.replace("x < seq[i]", "x <= seq[i]")
CASES = [
    ("001", "search(3, (1, 3, 5))", "1"),
    ("002", "search(9, (1, 3))", "2"),
    ("003", "search(0, (1, 3))", "0"),
]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def make_upstream(root: Path) -> tuple[Path, str, str]:
    repo = root / "upstream"
    for name, text in {
        "calc/__init__.py": "",
        "calc/ops.py": BUGGY_SRC,
        "tests/test_ops.py": TESTS,
        "conftest.py": "",
    }.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "buggy")
    buggy = git(repo, "rev-parse", "HEAD")
    (repo / "calc/ops.py").write_text(FIXED_SRC)
    git(repo, "commit", "-q", "-am", "fix add")
    return repo, buggy, git(repo, "rev-parse", "HEAD")


def manifest(root: Path) -> Path:
    upstream, buggy, fixed = make_upstream(root)
    cases = [programs.Case(*c) for c in CASES]
    bugs = [
        {
            "id": "fixture-repo",
            "source": "fixture",
            "kind": "repo",
            "python": "current",
            "deps": [],
            "origin": {
                "path": str(upstream),
                "buggy": buggy,
                "fixed": fixed,
                "test_files": ["tests/test_ops.py"],
            },
            "test_cmd": "{python} -m pytest -q tests/test_ops.py",
            "failing_tests": ["tests/test_ops.py::test_add"],
            "changed_files": ["calc/ops.py"],
        },
        {
            "id": "fixture-program",
            "source": "fixture",
            "kind": "program",
            "python": "current",
            "deps": [],
            "origin": {
                "files": programs.project_files(PROGRAM, cases),
                "fix": {programs.MODULE: programs.module_text(PROGRAM_FIX)},
            },
            "test_cmd": "{python} -m pytest -q " + programs.TEST_FILE,
            "failing_tests": [programs.test_id(cases[0])],
            "changed_files": [programs.MODULE],
        },
    ]
    path = root / "fixture.jsonl"
    path.write_text("".join(json.dumps(b) + "\n" for b in bugs))
    return path


def script(name: str, *args: str | Path) -> None:
    subprocess.run(
        [sys.executable, str(REAL / name), *map(str, args)], check=True, cwd=ROOT, timeout=900
    )


FAKE = textwrap.dedent(
    """
    import json, sys
    print(json.dumps({{"status": "fixed", "message": "", "targets": ["t"],
                      "localization": [{{"path": "calc/ops.py", "line": 7}},
                                       {{"path": "calc/ops.py", "line": 2}}],
                      "search": {{"evaluations": 3, "evals_to_first_fix": 2,
                                 "time_to_first_fix": 0.5}},
                      "fix": {{"patch": {patch!r}, "edits": []}}}}))
    """
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    work = root / "work"
    script("build.py", "--manifest", manifest(root), "--work", work, "--mirrors", root)
    script("validate.py", "--work", work, "--out", root / "validated.json")
    return root


def test_validation_keeps_both_fixture_bugs(built: Path) -> None:
    verdicts = {v["id"]: v for v in json.loads((built / "validated.json").read_text())["bugs"]}
    assert verdicts["fixture-repo"]["outcome"] == "ok"
    assert verdicts["fixture-repo"]["targets"] == ["tests.test_ops::test_add"]
    assert verdicts["fixture-program"]["outcome"] == "ok"
    assert verdicts["fixture-program"]["targets"] == ["tests.test_solution::test_case_001"]
    bug = built / "work" / "bugs" / "fixture-repo"
    assert (bug / "fix" / "calc" / "ops.py").read_text() == FIXED_SRC
    assert (bug / "repo" / "calc" / "ops.py").read_text() == BUGGY_SRC
    assert git(bug / "repo", "rev-list", "--count", "HEAD") == "1"


@pytest.mark.slow
def test_treefix_repairs_the_fixture_and_scores_come_out_right(built: Path) -> None:
    script(
        "run.py",
        "--work",
        built / "work",
        "--validated",
        built / "validated.json",
        "--results",
        built / "results",
        "--run",
        "real",
        "--md",
        built / "RESULTS.md",
    )
    rows = {
        r["id"]: r
        for r in map(json.loads, (built / "results" / "real.jsonl").read_text().splitlines())
    }
    for bug_id, path, line in (
        ("fixture-repo", "calc/ops.py", 2),
        ("fixture-program", programs.MODULE, 3),
    ):
        row = rows[bug_id]
        assert row["plausible"] and row["ast_equal"], row
        assert row["dev_lines"] == {path: [line]}
        ranked = [p == path and n == line for p, n in row["localization"]]
        assert row["fl_rank"] == ranked.index(True) + 1
        assert row["fl_rank_stmt"] == row["fl_rank"]  # one-line statements: the same rank
    md = (built / "RESULTS.md").read_text()
    assert "| programs | 1 | 1/1 (100%) | 1/1 (100%) |" in md
    assert "| real-repository bugs | 1 | 1/1 (100%) | 1/1 (100%) |" in md


def diff(path: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}")
    )


@pytest.mark.parametrize(
    ("patch", "plausible", "ast_equal"),
    [
        (diff("calc/ops.py", BUGGY_SRC, BUGGY_SRC.replace("a - b", "a - -b")), True, False),
        (
            diff("calc/ops.py", BUGGY_SRC, BUGGY_SRC.replace("a - b", "(a + b)  # fixed")),
            True,
            True,
        ),
        (diff("tests/test_ops.py", TESTS, TESTS.replace("== 5", "== -1")), False, False),
        ("--- a/calc/ops.py\n+++ b/calc/ops.py\n@@ -40 +40 @@\n-nothing\n+here\n", False, False),
    ],
    ids=["plausible-not-equal", "equal-up-to-format", "edits-tests", "does-not-apply"],
)
def test_scores_of_a_given_patch(
    built: Path, tmp_path: Path, patch: str, plausible: bool, ast_equal: bool
) -> None:
    fake = tmp_path / "fake_treefix.py"
    fake.write_text(FAKE.format(patch=patch))
    script(
        "run.py",
        "--work",
        built / "work",
        "--validated",
        built / "validated.json",
        "--results",
        tmp_path,
        "--run",
        "fake",
        "--md",
        tmp_path / "R.md",
        "--only",
        "fixture-repo",
        "--treefix-cmd",
        f"{sys.executable} {fake}",
    )
    row = json.loads((tmp_path / "fake.jsonl").read_text())
    assert row["plausible"] is plausible
    assert bool(row.get("ast_equal")) is ast_equal
    assert row["fl_rank"] == 2  # line 7 is not changed by the developer, line 2 is
    assert row["evaluations"] == 3


def test_changed_lines_of_replacements_deletions_and_insertions() -> None:
    buggy = "a\nb\nc\nd\n"
    assert score.changed_lines(buggy, "a\nB\nc\nd\n") == {2}
    assert score.changed_lines(buggy, "a\nc\nd\n") == {2}
    assert score.changed_lines(buggy, "a\nb\nnew\nc\nd\n") == {2, 3}  # before and after
    assert score.changed_lines(buggy, "a\nb\nc\nd\nend\n") == {4}  # after the last line
    assert (
        score.fl_rank(
            [{"path": "x.py", "line": 9}, {"path": "x.py", "line": 3}], {"x.py": {3}}, Path("/r")
        )
        == 2
    )
    assert score.fl_rank([{"path": "y.py", "line": 3}], {"x.py": {3}}, Path("/r")) is None


def test_fl_rank_by_statement_counts_lines_inside_a_ranked_multiline_statement(
    tmp_path: Path,
) -> None:
    """fastapi-7's shape: the developer changed line 3, the second line of a call ranked at its
    first line 2. By exact line it is a miss; by statement it is rank 1. A compound statement
    counts its header only: a change in an `if` body is not the `if`'s."""
    (tmp_path / "m.py").write_text(
        "def f(a):\n    x = g(\n        a,\n    )\n    if (a and\n            x):\n"
        "        return a\n    return x\n"
    )
    ranked = [{"path": "m.py", "line": 2}, {"path": "m.py", "line": 5}]
    assert score.fl_rank(ranked, {"m.py": {3}}, tmp_path) is None
    assert score.fl_rank_statement(ranked, {"m.py": {3}}, tmp_path, tmp_path) == 1
    assert score.fl_rank_statement(ranked, {"m.py": {6}}, tmp_path, tmp_path) == 2  # if header
    assert score.fl_rank_statement(ranked, {"m.py": {7}}, tmp_path, tmp_path) is None  # its body
    assert score.fl_rank_statement(ranked, {"x.py": {2}}, tmp_path, tmp_path) is None


def test_reach_splits_search_budget_from_proposer_reach(built: Path, tmp_path: Path) -> None:
    """A ranked developer line whose fix is a candidate is a search-budget miss; one whose fix
    no candidate makes (the run's localisation on the wrong function) is a proposer-reach miss."""
    base = {"kind": "repo", "status": "no_fix", "plausible": False, "fl_rank": 1}
    base["dev_lines"] = {"calc/ops.py": [2]}
    rows = [
        {**base, "id": "fixture-repo", "localization": [["calc/ops.py", 2]]},
        # the same bug, localised on `neg` only but scored as ranked: its fix is out of reach
        {**base, "id": "fixture-repo", "localization": [["calc/ops.py", 7]]},
    ]
    outs = []
    for i, row in enumerate(rows):
        run = tmp_path / f"run{i}.jsonl"
        run.write_text(json.dumps(row) + "\n")
        proc = subprocess.run(
            [sys.executable, str(REAL / "reach_repos.py"), str(run), "--work", str(built / "work")],
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        outs.append(proc.stdout.splitlines()[0].split("\t"))
    assert outs[0][0] == "fixture-repo" and outs[0][-1] == "search budget"
    assert outs[0][3] == "run-focus=1" and outs[0][4] == "perfect-focus=1"
    assert outs[1][-1] == "proposer reach" and outs[1][3] == "run-focus=-"


def test_fl_offline_splits_the_figures_by_project_group() -> None:
    import fl_offline

    ranks = {
        "luigi-1": (1, 1),
        "luigi-2": (None, 4),
        "fastapi-3": (None, None),
        "httpie-4": (2, 2),
        "cookiecutter-5": (None, 9),
    }
    rows = {row[0]: row for row in fl_offline.rows(ranks)}
    assert list(rows) == ["all", "check", "fastapi", "luigi"]
    assert rows["all"][1] == "5" and rows["check"][1] == "2"
    # columns: group, bugs, line top-1/3/5/10, stmt top-1/3/5/10
    assert rows["luigi"][2].startswith("1/2") and rows["luigi"][8].startswith("2/2")
    assert rows["check"][9].startswith("2/2")  # cookiecutter's 9th by statement is top-10
    assert [r[0] for r in fl_offline.rows({"refactory-q1-1_003": (1, 1)})] == ["all"]


def test_fl_offline_scores_the_44_cases_against_their_reference_patches() -> None:
    import fl_offline

    sources = {
        "shapes/bbox.py": b"def box(xs, ys):\n    lo = min(xs)\n    return lo, max(xs)\n",
        "tests/test_bbox.py": b"def test_box(): ...\n",
    }
    patch = (
        "--- a/shapes/bbox.py\n+++ b/shapes/bbox.py\n@@ -1,3 +1,3 @@\n def box(xs, ys):\n"
        "     lo = min(xs)\n-    return lo, max(xs)\n+    return lo, max(ys)\n"
    )
    assert fl_offline.patched_lines(sources, patch) == {"shapes/bbox.py": {3}}
    # a case id has no project prefix: one row for the whole corpus
    assert [r[0] for r in fl_offline.rows({"bounding_box": (1, 1), "brackets": (2, 2)})] == ["all"]
