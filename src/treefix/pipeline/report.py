"""The report stage: the run folder (.treefix/runs/<id>/: trajectory, report.json, fix.patch)."""

from __future__ import annotations

import json

from treefix.pipeline.record import RunRecord
from treefix.pipeline.summary import build_report, node_record
from treefix.report.folder import RunFolder


def write_run_folder(record: RunRecord, exit_code: int) -> dict:
    assert record.project is not None
    folder = RunFolder(record.project, record.run_id)
    try:
        if record.result:
            for node in record.result.trajectory:
                folder.trajectory(node_record(node))
        gateway = record.model.gateway if record.model is not None else None
        for call in gateway.records if gateway is not None else ():
            folder.trajectory(call)  # prompt hash, response, usage, cost of every model call
        report = build_report(record, folder.id, str(folder.path), exit_code)
        _reproduction(record, report)
        if report.get("fix"):
            folder.write("fix.patch", report["fix"]["patch"])
        folder.write("report.json", json.dumps(report, indent=2) + "\n")
    finally:
        folder.close()
    return report


def _reproduction(record: RunRecord, report: dict) -> None:
    """Issue mode: the reproduction test in the report, and with --keep-test in the fix."""
    repro = record.reproduction
    if repro is None:
        return
    keep = record.options.workflow.keep_test
    report["reproduction"] = {
        **repro.as_dict(),
        "kept_in_fix": bool(keep and report.get("fix")),
        # in the working tree (--apply, --commit); --branch commits it on the branch only
        "written": repro.path in record.applied,
        "committed": bool(
            keep and report.get("fix") and (record.write_back and record.write_back.commit)
        ),
    }
    if keep and report.get("fix"):
        fix = report["fix"]
        fix["patch"] += repro.new_file_diff()
        fix["files"] = sorted({*fix["files"], repro.path})


def resume_hint(record: RunRecord, report: dict) -> str:
    """What an interrupted user needs: where the partial report is and how to carry on."""
    again = "run the same `treefix repair` command again: it starts from your working tree as it is then"
    cache = record.options.model.cache
    if cache:
        again += f" and replays the model answers cached in {cache}"
    elif record.model is not None and record.model.gateway is not None:
        again += " (add --cache DIR to replay model answers on later runs)"
    snap = f"; the tree it read is kept in {record.git_snapshot.ref}" if record.git_snapshot else ""
    return f"partial report: {report.get('run_dir')}/report.json; to resume, {again}{snap}"
