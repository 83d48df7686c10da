"""Reading what a test run left behind: the exit marker, JUnit XML, the plugin's JSON lines."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from treefix.types import TestOutcome

KILLED_WHILE_RUNNING = "Timeout: killed while running"
MAX_DETAIL = 4000  # characters of pytest's "E" lines kept per test
_RANK = {"passed": 0, "skipped": 0, "failed": 1, "error": 2}


def read_marker(stdout: str, marker: str) -> int | None:
    found = re.findall(rf"(?m)^{re.escape(marker)}=(-?\d+)$", stdout)
    return int(found[-1]) if found else None


def strip_marker(stdout: str, marker: str) -> str:
    return re.sub(rf"\n?{re.escape(marker)}=-?\d+\n?", "\n", stdout).rstrip("\n")


def _nodeid(case: ET.Element) -> str | None:
    name = case.get("name")
    file = case.get("file")
    classname = case.get("classname", "")
    if not name:
        return None
    if file:
        module = file[:-3].replace("/", ".") if file.endswith(".py") else file
        if not classname and name == module:
            return file  # a collection error: pytest names the module itself
        if not classname or classname == module or classname.startswith(module + "."):
            rest = classname[len(module) + 1 :]
            return "::".join([file, *[p for p in rest.split(".") if p], name])
        # `file` is where the test is defined, not the module that collected it (a method
        # inherited from a mixin in a helper module, a test function imported): that id does not
        # exist, and pytest fails a run given it. classname is the collecting module's dotted
        # path, then the classes (capitalised, as pytest's Test* classes are).
    parts = classname.split(".")
    if not parts or not parts[0]:
        return name
    split = next((i for i, p in enumerate(parts[1:], 1) if p[:1].isupper()), len(parts))
    return "::".join(["/".join(parts[:split]) + ".py", *parts[split:], name])


def parse_junit(text: str) -> dict[str, TestOutcome]:
    if not text.strip() or "<!DOCTYPE" in text or "<!ENTITY" in text:
        return {}  # refuse entity tricks; pytest never writes them
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return {}
    out: dict[str, TestOutcome] = {}
    for case in root.iter("testcase"):
        nodeid = _nodeid(case)
        if nodeid is None:
            continue
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed" if child.tag == "failure" else "error"
                message = (
                    (child.get("message") or "").splitlines()[0][:500]
                    if child.get("message")
                    else ""
                )
                break
            if child.tag == "skipped":
                outcome = "skipped"
        prev = out.get(nodeid)
        if prev is None or _RANK[outcome] > _RANK[prev.outcome]:
            out[nodeid] = TestOutcome(nodeid, outcome, message, float(case.get("time") or 0.0))
    return out


def _collect_message(text: str) -> str:
    lines = [ln[1:].strip() for ln in text.splitlines() if ln.startswith("E ")]
    errs = [ln for ln in lines if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", ln)]
    if errs:
        return errs[-1][:500]
    return (
        lines[-1]
        if lines
        else text.strip().splitlines()[-1]
        if text.strip()
        else "collection error"
    )[:500]


def parse_plugin(text: str) -> tuple[dict[str, TestOutcome], set[str], dict[str, str]]:
    """Returns outcomes, the ids of tests that hit the per-test limit or were still running when
    the run was killed, and collection error texts by node id."""
    outcomes: dict[str, TestOutcome] = {}
    started: list[str] = []
    timeouts: set[str] = set()
    collect_errors: dict[str, str] = {}
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a truncated last line of a killed run
        if not isinstance(rec, dict):
            continue
        event, nodeid = rec.get("event"), str(rec.get("nodeid", ""))
        if event == "start":
            started.append(nodeid)
        elif event == "result":
            outcome = str(rec.get("outcome", "error"))
            if outcome not in _RANK:
                continue
            frames = [
                (str(f[0]), int(f[1]))
                for f in rec.get("frames", [])
                if isinstance(f, list) and len(f) == 2
            ]
            new = TestOutcome(
                nodeid,
                outcome,
                str(rec.get("message", "")),
                float(rec.get("duration", 0.0)),
                frames,
                str(rec.get("detail", ""))[:MAX_DETAIL],
            )
            prev = outcomes.get(nodeid)
            if prev is None or _RANK[new.outcome] > _RANK[prev.outcome]:
                if prev is not None:
                    new.duration += prev.duration
                outcomes[nodeid] = new
            if rec.get("timeout"):
                timeouts.add(nodeid)
        elif event == "collect_error":
            text_ = str(rec.get("message", ""))
            collect_errors[nodeid] = text_
            outcomes[nodeid] = TestOutcome(nodeid, "error", _collect_message(text_))
    for nodeid in started:
        if nodeid not in outcomes:  # killed mid-test: that is the one that hung
            outcomes[nodeid] = TestOutcome(nodeid, "error", KILLED_WHILE_RUNNING)
            timeouts.add(nodeid)
    return outcomes, timeouts, collect_errors


def merge(junit: dict[str, TestOutcome], plugin: dict[str, TestOutcome]) -> dict[str, TestOutcome]:
    """JUnit gives the verdict per test; the plugin adds frames, exact ids and killed-run tests."""
    merged = dict(plugin)
    for nodeid, j in junit.items():
        p = plugin.get(nodeid)
        if p is None:
            merged[nodeid] = j
        elif p.outcome != j.outcome and _RANK[j.outcome] > _RANK[p.outcome]:
            merged[nodeid] = TestOutcome(
                nodeid, j.outcome, j.message or p.message, j.duration, p.frames, p.detail
            )
    return merged


def stopped_at_budget(text: str) -> bool:
    """The plugin ended the session because the run's time budget was spent."""
    return '"event": "budget"' in text


def tracing_deferred(text: str) -> bool:
    """The plugin stopped tracing: the run collected more tests than its trace cap."""
    return '"event": "coverage_off"' in text


def parse_collected(text: str) -> tuple[float | None, list[str] | None]:
    """When pytest finished collecting (wall-clock seconds since the epoch) and, when the run
    asked for them, the collected node ids."""
    for line in text.splitlines():
        if '"collected"' not in line:
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and rec.get("event") == "collected":
            ids = rec.get("ids")
            when = rec.get("time")
            return (
                float(when) if isinstance(when, (int, float)) else None,
                [str(i) for i in ids] if isinstance(ids, list) else None,
            )
    return None, None


# `test_y (pkg.tests.test_a.TestX.test_y) ... ok` (3.11+ adds the method to the id), with an
# optional docstring line before the verdict
_UNITTEST_LINE = re.compile(
    r"(?m)^(\w+) \(([\w.]+)\)(?:\n[^\n]*?)? \.\.\. "
    r"(ok|FAIL|ERROR|skipped\b.*|expected failure|unexpected success)$"
)
_UNITTEST_BLOCK = re.compile(r"(?m)^(FAIL|ERROR): (\w+) \(([\w.]+)\)")
_UNITTEST_OUTCOME = {"ok": "passed", "FAIL": "failed", "ERROR": "error"}


def _unittest_id(name: str, where: str) -> str:
    return where if where.endswith("." + name) else f"{where}.{name}"


_FILE_LINE = re.compile(r'^\s*File "([^"]+)", line (\d+)')


def _block_frames(body: str, root: str) -> list[tuple[str, int]]:
    """The traceback's frames inside the project, as project paths (outermost first)."""
    frames = []
    prefix = root.rstrip("/") + "/"
    for line in body.splitlines():
        m = _FILE_LINE.match(line)
        if not m:
            continue
        path = m.group(1)
        if path.startswith(prefix):
            frames.append((path[len(prefix) :], int(m.group(2))))
        elif not path.startswith(("/", "<")):
            frames.append((path, int(m.group(2))))
    return frames


def parse_unittest(text: str, root: str = "") -> dict[str, TestOutcome]:
    """Per-test outcomes from `python -m unittest -v` (ids as unittest takes them back), the
    message and project frames from each failure's traceback block (`root`: the project's
    folder as the run saw it)."""
    out: dict[str, TestOutcome] = {}
    for m in _UNITTEST_LINE.finditer(text):
        verdict = m.group(3)
        outcome = _UNITTEST_OUTCOME.get(verdict)
        if outcome is None:
            outcome = "failed" if verdict == "unexpected success" else "skipped"
        nodeid = _unittest_id(m.group(1), m.group(2))
        out[nodeid] = TestOutcome(nodeid, outcome, "")
    blocks = list(_UNITTEST_BLOCK.finditer(text))
    for i, m in enumerate(blocks):
        end = blocks[i + 1].start() if i + 1 < len(blocks) else len(text)
        body = text[m.end() : end].split(
            "\n----------------------------------------------------------------------\nRan "
        )[0]
        lines = [ln for ln in body.splitlines() if ln.strip() and not set(ln) <= set("-=")]
        nodeid = _unittest_id(m.group(2), m.group(3))
        outcome = _UNITTEST_OUTCOME[m.group(1)]
        prev = out.get(nodeid)
        if prev is None or prev.outcome in ("passed", outcome):
            message = lines[-1].strip()[:500] if lines else ""
            out[nodeid] = TestOutcome(nodeid, outcome, message, 0.0, _block_frames(body, root))
    return out
