"""Issue mode (`treefix repair PATH --issue FILE|-`): from a bug report with no failing test, the
model writes a reproduction test first (SWE-agent's and Agentless's "reproduce first").

The model sees the issue and a compact repository map, may read the project through the retrieval
tools, and answers with a test file and the failure it expects. The test is run in a sandbox on
the snapshot and kept only when it fails there with that failure (same exception type, and the
stated message found in pytest's); otherwise the reason is told to the model and it tries again,
a few times. The kept test joins the project the run repairs, so the baseline fails on it and the
search repairs against it.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass

from treefix.code.prompts import phrase, render
from treefix.code.repomap import repo_map
from treefix.code.testfiles import is_test_file
from treefix.errors import NotReproduced, ProviderError
from treefix.markup import escape
from treefix.models.base import Message, Request
from treefix.pipeline.events import Events
from treefix.pipeline.record import RunRecord
from treefix.pipeline.sandboxes import open_executor
from treefix.propose.tools import Refused, Toolbox, ToolLoop
from treefix.propose.tools.box import clean_path
from treefix.protocols import Evaluation
from treefix.testing.runner import TestRunner
from treefix.types import TestReport
from treefix.workspace.snapshot import FileEntry

MAX_ATTEMPTS = 3
DEFAULT_PATH = "tests/test_treefix_issue.py"
_FILE = re.compile(r"^\s*FILE:\s*`?([^\s`]+)`?\s*$", re.M)
_CODE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)
_EXPECTED = re.compile(r"^\s*EXPECTED FAILURE:\s*(.+)$", re.M)


@dataclass
class Reproduction:
    path: str
    source: str
    expected: str  # what the model said the test fails with
    failure: str  # what it failed with
    attempts: int

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def new_file_diff(self) -> str:
        """The test as a patch creating it (`--keep-test`)."""
        lines = self.source.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n\\ No newline at end of file\n"
        return "".join(difflib.unified_diff([], lines, "/dev/null", f"b/{self.path}"))


class Rejected(Exception):
    """One reproduction attempt not kept; the text goes back to the model."""


def parse(text: str, existing: set[str]) -> tuple[str, str, str]:
    """(path, source, expected failure) from an answer, or Rejected."""
    code = _CODE.search(text)
    expected = _EXPECTED.search(text)
    if code is None:
        raise Rejected("the answer held no ```python block with the test file")
    if expected is None or not expected.group(1).strip(" `"):
        raise Rejected("the answer did not state the EXPECTED FAILURE")
    m = _FILE.search(text)
    try:
        path = clean_path(m.group(1)) if m else DEFAULT_PATH
    except Refused as exc:
        raise Rejected(f"FILE: {exc}") from None
    if not path.endswith(".py") or not is_test_file(path):
        raise Rejected(f"{path} is not a test file pytest collects (tests/test_*.py)")
    if path in existing:
        raise Rejected(f"{path} already exists: write a new file")
    return path, code.group(1), expected.group(1).strip().strip("`").strip()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def same_failure(expected: str, message: str) -> bool:
    """The test failed the way the model said: same exception type (when it named one) and the
    stated message inside pytest's (or pytest's inside the stated one)."""
    head, sep, rest = expected.partition(":")
    got_head, _, got_rest = message.partition(":")
    if sep and re.fullmatch(r"[A-Za-z_][\w.]*", head.strip()):
        if head.strip().rsplit(".", 1)[-1] != got_head.strip().rsplit(".", 1)[-1]:
            return False
        want = _norm(rest)
    elif re.fullmatch(r"[A-Za-z_][\w.]*", expected.strip()):
        return expected.strip().rsplit(".", 1)[-1] == got_head.strip().rsplit(".", 1)[-1]
    else:
        want = _norm(expected)
    got = _norm(got_rest if sep else message)
    return not want or want in got or (len(got) > 8 and got in want)


def judge(report: TestReport, path: str, expected: str) -> str:
    """The failure the test produced when it reproduces the issue; Rejected otherwise."""
    mine = {n: t for n, t in report.tests.items() if n.split("::", 1)[0] == path}
    failed = [t for t in mine.values() if t.outcome in ("failed", "error")]
    if not mine:
        tail = report.tail(8).strip()
        raise Rejected(f"no test of {path} ran (status {report.status}):\n{tail}")
    if not failed:
        raise Rejected("the test passes on the current code, so it does not reproduce the issue")
    for t in failed:
        if same_failure(expected, t.message):
            return t.message
    got = "; ".join(t.message or t.outcome for t in failed[:3])
    raise Rejected(f"the test fails for another reason: expected `{expected}`, got `{got}`")


def reproduce(
    record: RunRecord, kind: str, image: str | None, runner: TestRunner, events: Events
) -> Reproduction:
    """Ask, run, judge; the kept test is added to record.project. Raises ProviderError without a
    model, NotReproduced when no attempt is kept, BudgetExhausted when the model budget ends."""
    opts, project = record.options, record.project
    assert project is not None
    issue = opts.workflow.issue or ""
    gateway = record.model.gateway if record.model is not None else None
    if gateway is None:
        raise ProviderError(
            "--issue needs a model to write the reproduction test: set ANTHROPIC_API_KEY or "
            "OPENAI_API_KEY/OPENAI_BASE_URL, or pass --provider"
        )
    tests = [p for p in project.sources if is_test_file(p)]
    loop = ToolLoop(gateway, opts.model.tool_rounds)
    box = Toolbox(list(project.sources), project.sources.__getitem__)
    previous = ""
    reasons: list[str] = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        prompt = render(
            "reproduce.txt",
            issue=issue.strip()[:20000],
            repo_map=repo_map(project.sources),
            tests=", ".join(sorted(tests)[:30]) or "(none)",
            previous=previous,
        )
        request = Request(
            system=phrase("reproducer"),
            messages=(Message("user", prompt),),
            temperature=0.0 if attempt == 1 else opts.model.temperature,
            max_tokens=opts.model.llm_max_tokens,
            sample=attempt - 1,
            purpose="reproduce",
        )
        reply = loop.complete(request, box)
        try:
            path, source, expected = parse(reply.text, set(project.files))
            report = _run(record, kind, image, runner, events, path, source, attempt)
            failure = judge(report, path, expected)
        except Rejected as exc:
            reasons.append(str(exc))
            previous = render("reproduce_rejected.txt", reason=str(exc))
            gateway.records.append(
                {"type": "reproduction", "attempt": attempt, "rejected": str(exc)}
            )
            events.message(f"[yellow]reproduction test {attempt} rejected: {_first(str(exc))}[/]")
            continue
        repro = Reproduction(path, source, expected, failure, attempt)
        data = source.encode()
        project.files[path] = FileEntry(path, len(data), 0o100644)
        project.sources[path] = data
        gateway.records.append({"type": "reproduction", **repro.as_dict()})
        events.message(f"reproduction test {path} fails as the issue describes: {_first(failure)}")
        return repro
    raise NotReproduced(
        f"no reproduction test failed for the reason the issue describes ({MAX_ATTEMPTS} "
        f"attempts; last: {_first(reasons[-1])})"
    )


def _first(text: str) -> str:
    return escape(text.splitlines()[0][:200] if text else "")


def _run(record, kind, image, runner, events, path: str, source: str, attempt: int) -> TestReport:
    """The test alone, in a one-worker sandbox over the snapshot plus the new file."""
    project = record.project
    data = source.encode()
    trial = dataclasses.replace(
        project,
        files={**project.files, path: FileEntry(path, len(data), 0o100644)},
        sources={**project.sources, path: data},
    )
    sandbox = dataclasses.replace(record.options.sandbox, workers=1)
    executor, _ = open_executor(
        kind, image, trial, f"{record.run_id}-repro{attempt}", sandbox, runner, events
    )
    search = record.options.search
    focus = [path] if record.command is not None and record.command.is_pytest else None
    try:
        return executor.run([Evaluation({}, focus, search.test_timeout, search.per_test_timeout)])[
            0
        ]
    finally:
        executor.close()
