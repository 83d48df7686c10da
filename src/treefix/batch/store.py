"""The batch's output folder: results/<name>.json per entry (what --resume reads), runs/<name>/
with each entry's report.json and fix.patch, and the summary batch.json + batch.md."""

from __future__ import annotations

import json
import os
from pathlib import Path

OK_STATUSES = ("fixed", "nothing_to_repair")


class Store:
    def __init__(self, root: Path):
        self.root = root
        (root / "results").mkdir(parents=True, exist_ok=True)

    def _result(self, name: str) -> Path:
        return self.root / "results" / f"{name}.json"

    def stored(self, name: str, input_hash: str) -> dict | None:
        """The stored result when it was made from the same input, else None."""
        try:
            data = json.loads(self._result(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("input_hash") != input_hash or data.get("status") == "interrupted":
            return None
        return data

    def save(self, result: dict) -> None:
        """Atomic: a batch killed mid-write leaves the old result or the new one."""
        report = result.pop("report", None)
        run_dir = self.root / "runs" / result["name"]
        if report:
            run_dir.mkdir(parents=True, exist_ok=True)
            _write(run_dir / "report.json", json.dumps(report, indent=2) + "\n")
            if report.get("fix"):
                _write(run_dir / "fix.patch", report["fix"]["patch"])
            result["run_dir"] = str(run_dir)
            result["project_run_dir"] = report.get("run_dir")
            result["cost_usd"] = ((report.get("model") or {}).get("cost_usd")) or 0.0
            search = report.get("search") or {}
            result["evaluations"] = search.get("evaluations")
            result["fix_patch"] = (report.get("fix") or {}).get("patch")
        _write(self._result(result["name"]), json.dumps(result, indent=2) + "\n")


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def summary(results: list[dict], meta: dict) -> dict:
    counts: dict[str, int] = {}
    for r in results:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {
        **meta,
        "entries": len(results),
        "counts": counts,
        "fixed": counts.get("fixed", 0),
        "cost_usd": round(sum(r.get("cost_usd") or 0.0 for r in results), 6),
        "results": results,
    }


def write_summary(root: Path, data: dict) -> None:
    _write(root / "batch.json", json.dumps(data, indent=2) + "\n")
    lines = [
        "# treefix batch",
        "",
        f"{data['entries']} entries · {data['fixed']} fixed · "
        + " · ".join(f"{k} {v}" for k, v in sorted(data["counts"].items()))
        + f" · ${data['cost_usd']:.4f} · {data.get('seconds', 0):.1f}s · executor {data.get('executor')}",
        "",
        "| entry | status | exit | seconds | evaluations | resumed | message |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in data["results"]:
        msg = str(r.get("message", "")).replace("|", "\\|").replace("\n", " ")[:120]
        lines.append(
            f"| {r['name']} | {r['status']} | {r.get('exit_code')} | {r.get('seconds', 0):.1f} "
            f"| {r.get('evaluations') if r.get('evaluations') is not None else '-'} "
            f"| {'yes' if r.get('resumed') else ''} | {msg} |"
        )
    _write(root / "batch.md", "\n".join(lines) + "\n")
