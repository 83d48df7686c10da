"""read_report: what bench/run.py and bench/real/run.py take from `treefix repair --json`'s stdout."""

from __future__ import annotations

import json

from treefix.report.reader import read_report

REPORT = {"status": "fixed", "search": {"evaluations": 9}, "fix": {"patch": "--- a/x\n+++ b/x\n"}}


def test_the_report_is_found_after_a_projects_own_prints():
    stdout = "collected 3 items\n{not json\n" + '{"progress": 1}\n' + json.dumps(REPORT, indent=2)
    assert read_report(stdout) == REPORT


def test_the_last_report_wins_and_objects_without_a_status_are_not_reports():
    first = {**REPORT, "status": "not_fixed"}
    assert read_report(json.dumps(first) + "\n" + json.dumps(REPORT) + "\n") == REPORT
    assert read_report('{"evaluations": 3}\n') is None


def test_no_report_in_garbage_an_empty_stdout_or_a_cut_report():
    assert read_report("Traceback (most recent call last):\nRuntimeError: boom\n") is None
    assert read_report("") is None
    assert read_report(json.dumps(REPORT, indent=2)[:-5]) is None
