"""bench/run.py against a fake treefix: report parsing, reference comparison, overhead, errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "run.py"

FAKE = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    mode = {mode!r}
    args = sys.argv[1:]
    assert args[0] == "repair" and "--json" in args and args[args.index("--seed") + 1] == "0"
    if mode == "garbage":
        print("not json at all")
        print("Traceback ...\\nRuntimeError: sandbox exploded", file=sys.stderr)
        sys.exit(3)
    patch = Path({patch!r}).read_text()
    report = {{
        "status": "fixed",
        "search": {{"evaluations": 9, "evals_to_first_fix": 4}},
        "peak_rss_mb": 51.5,
        "fix": {{
            "patch": patch,
            "edits": [{{"path": "splitbill/split.py", "line": 11, "operator": "binop",
                        "description": "replace - by +"}}],
        }},
        "timings": {{"candidate_run_median": 0.5, "bare_argv": [sys.executable, "-c", "pass"]}},
    }}
    print("a stray log line")
    print(json.dumps(report, indent=2))
    """
)


def run_bench(tmp_path: Path, mode: str, patch: Path) -> tuple[subprocess.CompletedProcess, str]:
    fake = tmp_path / "fake_treefix.py"
    fake.write_text(FAKE.format(mode=mode, patch=str(patch)))
    out = tmp_path / "RESULTS.md"
    raw = tmp_path / "results.json"
    proc = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--cases",
            "money_split",
            "--time-limit",
            "5",
            "--out",
            str(out),
            "--json-out",
            str(raw),
            "--treefix-cmd",
            f"{sys.executable} {fake}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc, out.read_text() + "\n" + raw.read_text()


def test_fixed_case_is_recorded(tmp_path: Path):
    ref = ROOT / "bench" / "fixes" / "money_split.patch"
    _, text = run_bench(tmp_path, "fixed", ref)
    md, raw = text.split("\n{", 1)
    case = json.loads("{" + raw)["cases"][0]
    assert case["outcome"] == "fixed"
    assert case["evals_to_first_fix"] == 4 and case["evaluations"] == 9
    assert case["peak_rss_mb"] == 51.5
    assert case["matches_reference"] is True
    assert case["overhead_ratio"] is not None and case["overhead_ratio"] > 0
    assert "| money_split |" in md and "binop @ splitbill/split.py:11" in md
    assert "fixed: 1/1 (100%)" in md and "nproc=" in md and "--cases money_split" in md


def test_other_fix_is_not_the_reference(tmp_path: Path):
    other = tmp_path / "other.patch"
    ref = (ROOT / "bench" / "fixes" / "money_split.patch").read_text()
    other.write_text(
        ref.replace("+        shares.append(base + 1", "+        shares.append(1 + base")
    )
    _, text = run_bench(tmp_path, "fixed", other)
    # Same program up to formatting would be "yes"; `1 + base` is a different expression tree.
    assert json.loads("{" + text.split("\n{", 1)[1])["cases"][0]["matches_reference"] is False


def test_invalid_json_is_an_error_with_stderr(tmp_path: Path):
    _, text = run_bench(tmp_path, "garbage", tmp_path / "unused.patch")
    case = json.loads("{" + text.split("\n{", 1)[1])["cases"][0]
    assert case["outcome"] == "error"
    assert case["exit_code"] == 3
    assert case["note"] == "RuntimeError: sandbox exploded"
    assert "fixed: 0/1 (0%)" in text
