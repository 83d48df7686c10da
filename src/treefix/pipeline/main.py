"""The one entry point of a repair run: `run(options, events, interrupt) -> RunOutcome`.

snapshot -> baseline -> flaky check -> localise -> search (with validation) -> write-back ->
report (run folder). The CLI (`repair`, `check`), the Action (through the CLI) and bench/ call it;
what a person sees is driven by the Events passed in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from treefix.errors import EXIT_OK, EnvironmentProblem, ProviderError, TreefixError
from treefix.languages.python import PythonLanguage
from treefix.localize.diagnose import HarnessView, explain_empty
from treefix.markup import escape
from treefix.pipeline import baseline as stages
from treefix.pipeline.cancel import Interrupt
from treefix.pipeline.evaluate import CandidateRuns, relocalizer
from treefix.pipeline.events import Events
from treefix.pipeline.exits import process_exit_code, run_exit_code
from treefix.pipeline.issue import reproduce
from treefix.pipeline.limits import derive
from treefix.pipeline.locate import model_locate
from treefix.pipeline.options import RunOptions, SearchOptions
from treefix.pipeline.record import RunRecord
from treefix.pipeline.report import resume_hint, write_run_folder
from treefix.pipeline.sandboxes import open_executor
from treefix.pipeline.search import search
from treefix.pipeline.summary import children_cpu
from treefix.pipeline.workspace import drop_snapshot, preflight, recover, take_snapshot, write_fix
from treefix.propose.factory import build as build_proposers
from treefix.protocols import Executor, Language
from treefix.sandbox.backends import backend, choose_sandbox
from treefix.testing.harness import Harness
from treefix.types import ProgramState, Status
from treefix.workspace.snapshot import snapshot


@dataclass
class RunOutcome:
    record: RunRecord
    exit_code: int  # what the process exits with
    report: dict | None = None  # None: the run leaves no trace (a passing hook run)
    errors: list[str] = field(default_factory=list)  # to show after the report, in order
    resume: str | None = None  # an interrupted run: where the partial report is, how to go on

    @property
    def status(self) -> str:
        return self.record.status

    @property
    def message(self) -> str:
        return self.record.message


def run(
    options: RunOptions,
    events: Events | None = None,
    interrupt: Interrupt | None = None,
    language: Language | None = None,
) -> RunOutcome:
    """Raises a TreefixError (its own exit code) when the run fails before the tests ran, and
    KeyboardInterrupt when interrupted before anything worth a report."""
    events = events or Events()
    interrupt = interrupt or Interrupt()
    language = language or PythonLanguage()
    workflow = options.workflow
    recover(workflow.path, events)
    preflight(workflow.plan, workflow.path)
    record = RunRecord(options)
    failure: TreefixError | None = None  # the run failed after the tests ran
    try:
        repair(record, events, interrupt, language)
    except KeyboardInterrupt:
        record.status = "interrupted"
        record.message = f"interrupted ({interrupt.reason or 'Ctrl-C'}): partial report written"
    except ProviderError as exc:
        failure = exc
        record.status, record.message = "provider_error", str(exc)
    except TreefixError as exc:
        if record.result is None:  # failed before the search: a one-line error and no trace
            drop_snapshot(record)
            raise
        failure = exc  # e.g. the Docker engine died mid-run: keep what the search found so far
        record.status, record.message = "error", f"{exc} (partial report)"
    except BaseException:
        drop_snapshot(record)
        raise
    finally:
        events.stop()
    interrupted = record.status == "interrupted"
    if record.project is None or (record.baseline_report is None and not interrupted):
        drop_snapshot(record)  # nothing ran: leave no trace
        if interrupted:
            raise KeyboardInterrupt
        if failure is not None:
            raise failure
        return RunOutcome(record, EXIT_OK)
    code = run_exit_code(record.status, failure)
    if record.status == "nothing_to_repair" and workflow.hook:
        drop_snapshot(record)  # a passing pre-commit check leaves nothing behind
        return RunOutcome(record, code)
    refused = write_fix(record)
    if refused is not None:
        code = refused.exit_code
    report = write_run_folder(record, code)
    errors = [str(e) for e in (refused, failure) if e is not None]
    return RunOutcome(
        record,
        process_exit_code(code, record.status, workflow.hook),
        report,
        errors,
        resume_hint(record, report) if interrupted else None,
    )


def repair(record: RunRecord, events: Events, interrupt: Interrupt, language: Language) -> None:
    """Snapshot, sandboxes, then the stages on them; fills the record as it goes."""
    opts = record.options
    deadline = time.monotonic() + opts.search.time_limit
    project = record.project = snapshot(opts.workflow.path)
    take_snapshot(record, project)
    kind, image = choose_sandbox(
        opts.sandbox.sandbox, project, opts.sandbox.image, events.message, opts.workflow.test_cmd
    )
    record.sandbox_kind = kind
    python = backend(kind).python
    command = language.test_command(project.root, opts.workflow.test_cmd, python)
    record.command = command
    record.model = build_proposers(opts.model, opts.search.seed, deadline, events.message)
    if record.model.gateway is not None:
        events.message(f"model: {record.model.gateway.label} ({record.model.mode})")
    runner = language.runner(command)
    runner.mode = opts.search.runner  # warm | cold | auto: decided after the baseline
    if opts.workflow.issue is not None:  # issue mode: a reproduction test joins the project first
        record.reproduction = reproduce(record, kind, image, runner, events)
    executor, record.copy_seconds = open_executor(
        kind, image, project, record.run_id, opts.sandbox, runner, events
    )
    try:
        interrupt.attach(executor)
        record.workers, record.isolation = executor.workers, executor.isolation
        record.nodes = sorted(set(executor.nodes))
        events.header(
            {
                "project": str(project.root),
                "command": command.display,
                "focus": command.focus_note(),
                "sandbox": kind,
                "isolation": record.isolation,
                "workers": executor.workers,
                "files": len(project.files),
                "sources": len(project.sources),
            }
        )
        _stages(record, executor, language, runner.harness, events, deadline)
    except BaseException:
        executor.cancel()  # stop what still runs before waiting for the workers
        raise
    finally:
        try:
            executor.close()
            record.sandbox_peak_mb = executor.sandbox_peak_mb
        finally:  # only now: a second signal during the close must still reach the sandboxes
            interrupt.detach()


BASELINE_ALLOWANCE = 10  # the default time limit, times this: the most the baseline stages take


def baseline_deadline(opts: SearchOptions, deadline: float) -> float:
    """When the baseline stages (the suite, continued until every test ran, and the flaky
    re-check) must stop. With the default time limit they are not bounded by it: the search gets
    that limit from their end, and a baseline cut by the search's budget leaves the failing
    tests unrun (networkx on a loaded machine ran 831 of 4,400 tests in 300 s; the 24 slow ones
    it killed passed their re-check, and the run said "nothing to repair"). A limit the user set
    bounds the whole run."""
    if not opts.time_limit_is_default:
        return deadline
    return deadline - opts.time_limit + BASELINE_ALLOWANCE * opts.time_limit


def search_deadline(opts: SearchOptions, deadline: float, events: Events) -> float:
    """With the default time limit, the search gets all of it from here: a suite whose baseline
    takes minutes is still searched (a limit the user set bounds the whole run)."""
    if not opts.time_limit_is_default:
        return deadline
    spent = time.monotonic() - (deadline - opts.time_limit)
    if spent >= 0.1 * opts.time_limit:
        events.message(
            escape(
                f"time limit: {opts.time_limit:g}s for the search from here (the default; the "
                f"baseline took {spent:.0f}s; --time-limit bounds the whole run)"
            )
        )
    return time.monotonic() + opts.time_limit


def _stages(
    record: RunRecord,
    executor: Executor,
    language: Language,
    harness: Harness,
    events: Events,
    deadline: float,
) -> None:
    opts, project, command = record.options.search, record.project, record.command
    assert project is not None and command is not None
    local = record.sandbox_kind == "local" and record.options.sandbox.executor == "local"
    # the tests' processes: ours, waited for (local), or the containers' cgroups (Docker)
    measure = children_cpu if local else executor.sandbox_cpu
    cpu = measure()
    first = stages.run_baseline(executor, opts, baseline_deadline(opts, deadline))
    after = measure() if cpu is not None else None
    if cpu is not None and after is not None and after >= cpu:  # (a container replaced: none)
        record.baseline_cpu = after - cpu
    base = record.baseline_report = first.report
    for note in (first.cut, base.coverage_note):  # what the baseline could not see: said
        if note:
            events.message(f"[yellow]{escape(note)}[/]")
    record.tracer = harness.tracer
    for note in harness.notes():  # e.g. graded by JUnit alone: the plugin cannot load here
        events.message(escape(note))
    if harness.runner:  # warm, or cold and why
        record.runner = harness.runner
        events.message(escape(f"runner: {harness.runner}"))
    if base.status == Status.PASSED:
        record.status, record.message = "nothing_to_repair", "all tests pass: nothing to repair"
        events.baseline(base, None)
        return
    targets = stages.repair_targets(base, command, project, opts, harness)
    flaky = stages.flaky_targets(
        executor, base, targets, command, opts, baseline_deadline(opts, deadline)
    )
    targets = [t for t in targets if t not in flaky]
    if not targets and first.cut:  # what never ran is not known to pass
        raise EnvironmentProblem(stages.cut_and_flaky(first.cut, flaky))
    state = ProgramState(project.sources)
    record.focus, record.baseline = stages.localise(language, state, base, targets, flaky, command)
    record.focus = model_locate(record, state, base, targets, events)  # large repos, uncovered code
    events.baseline(base, record.baseline)
    if not targets:
        record.status = "nothing_to_repair"
        record.message = f"only flaky failures ({len(flaky)}): nothing to repair"
        return
    events.localized(record.focus)
    problem = stages.resource_limit_problem(base, record.focus)
    if problem:
        raise EnvironmentProblem(problem)
    if not record.focus:  # nothing to edit: say why rather than "search space exhausted"
        view = HarnessView(command.is_pytest, harness.plugin, harness.problem)
        raise EnvironmentProblem(explain_empty(base, targets, view))
    focus_tests = record.baseline.focus() if command.selects else None
    limits = record.limits = derive(
        base, targets, focus_tests, opts, first.runs, first.cut, first.traced_runs
    )
    limits.stop_on_hang = command.is_pytest  # the plugin stops the run; other runners can't
    events.message(escape(limits.line()))
    evaluate = CandidateRuns(executor, focus_tests, limits, opts, record.candidate_durations)
    relocalize = relocalizer(language, state, base, targets)
    search(
        record,
        state,
        evaluate,
        executor.workers,
        language,
        relocalize,
        events,
        search_deadline(opts, deadline, events),
    )
