"""The repair pipeline: snapshot -> baseline -> localise -> search -> validate -> report.

The CLI, the pre-commit hook and the Action all call `repair()`; what they show is driven by the
`Events` they pass in.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from treefix.errors import (
    EnvironmentProblem,
    ProviderError,
    SandboxError,
    SandboxUnavailable,
    UsageError,
)
from treefix.markup import escape as _escape
from treefix.protocols import Proposer, Sandbox
from treefix.search.mcts import Budget, Search, SearchResult, SearchStats
from treefix.search.reward import WHOLE_COMMAND, Baseline
from treefix.search.tree import Node
from treefix.testing.command import TestCommand, detect_test_command
from treefix.testing.harness import broken_harness
from treefix.testing.runner import TestRunner
from treefix.types import ProgramState, Status, Suspicion, TestOutcome, TestReport
from treefix.workspace.snapshot import Project, snapshot

CANDIDATE_MIN_TIMEOUT = 5.0
COPY_PROGRESS_FILES = 2000  # projects this large get a progress line for the sandbox copies
PROPOSERS = ("auto", "mutation", "model")
MAX_GUARDS = 25


@dataclass
class RepairOptions:
    path: str = "."
    test_cmd: str | None = None
    sandbox: str = "auto"  # auto | local | docker
    proposer: str = "auto"  # auto | mutation
    max_evals: int = 500
    time_limit: float = 300.0  # whole run, seconds
    test_timeout: float = 120.0  # one run of the test command, seconds
    per_test_timeout: float = 10.0  # one test inside a pytest run, seconds
    seed: int = 0
    workers: int = 0  # 0: one per core, at most 4
    max_depth: int = 3
    apply: bool = False
    image: str | None = None  # docker image (default: the project's built image)
    # sandbox limits per worker (unset: the backend's default, see docs/SECURITY.md)
    sandbox_memory_mb: int | None = None  # local 4096 (cgroup), docker 2048
    sandbox_pids: int | None = None  # local 512 (cgroup), docker 256
    sandbox_file_mb: int | None = None  # largest file a candidate may write (1024)
    sandbox_output_kb: int | None = None  # output kept per stream (1024)
    sandbox_tmp_mb: int | None = None  # docker /tmp tmpfs (256)
    sandbox_cpus: float | None = None  # docker: CPUs per container (1.0)
    # model-guided repair (see treefix.propose.factory); keys come from the environment only
    provider: str | None = None  # anthropic | openai | llamacpp | scripted (default: from env)
    model: str | None = None  # model name (scripted: the script file)
    base_url: str | None = None
    max_cost_usd: float | None = 1.0  # hard budget, checked before every model call
    max_llm_calls: int | None = 60
    cache: str | None = None  # folder of the on-disk response cache
    judge: bool = False  # the model picks among several validated fixes
    samples: int = 2  # model samples per expansion
    temperature: float = 0.7
    llm_timeout: float = 60.0  # seconds for one model request
    llm_max_tokens: int = 2048  # most tokens in one model answer (a rambling model stops there)
    model_path: str | None = None  # --provider llamacpp: the GGUF file run in-process
    llm_context: int | None = None  # llamacpp: context window in tokens (default 4096)


@dataclass
class Events:
    """Hooks for whoever shows progress; every method is optional to override."""

    def header(self, info: dict) -> None: ...
    def baseline(self, report: TestReport, baseline: Baseline | None) -> None: ...
    def localized(self, focus: list[Suspicion]) -> None: ...
    def node(self, node: Node, stats: SearchStats, budget: Budget) -> None: ...
    def message(self, text: str) -> None: ...
    def model(self, stats: dict) -> None: ...


@dataclass
class RepairRun:
    """Everything a report needs, filled in as the pipeline goes."""

    options: RepairOptions
    started: float = field(default_factory=time.time)
    project: Project | None = None
    command: TestCommand | None = None
    sandbox_kind: str = ""
    isolation: str = ""
    workers: int = 1
    baseline_report: TestReport | None = None
    baseline: Baseline | None = None
    focus: list[Suspicion] = field(default_factory=list)
    result: SearchResult | None = None
    status: str = "error"  # fixed | nothing_to_repair | no_fix | interrupted | error
    message: str = ""
    candidate_durations: list[float] = field(default_factory=list)
    copy_seconds: float | None = None  # creating the sandboxes (scratch copies / containers)
    applied: list[str] = field(default_factory=list)
    model: object | None = None  # propose.factory.ModelSetup when a model takes part
    run_id: str = field(default_factory=lambda: _new_run_id())
    git_snapshot: object | None = (
        None  # workspace.gitrepo.Snapshot: refs/treefix/snapshots/<run_id>
    )
    write_back: object | None = None  # workspace.writeback.WriteBackResult, set by the caller


def _project_modules(project: Project) -> set[str]:
    mods = set()
    for name in project.files:
        parts = name.split("/")
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        mods.add(parts[0][:-3] if parts[0].endswith(".py") else parts[0])
    return mods


def _environment_problem(report: TestReport, command: TestCommand, project: Project) -> str | None:
    """A baseline that fails for reasons outside the project is reported, not searched."""
    text = report.output + "\n".join(t.message for t in report.tests.values())
    if command.is_pytest and not report.tests and re.search(r"No module named '?pytest'?", text):
        return f"pytest is not installed for {command.python}: install it there or pass --test-cmd"
    internal = _project_modules(project)
    for name in re.findall(r"No module named '([\w.]+)'", text):
        top = name.split(".")[0]
        if top not in internal:
            return f"the tests import '{name}', which is not part of the project and not installed: install the project's dependencies first"
    return None


def choose_sandbox(
    kind: str, project: Project, image: str | None, events: Events
) -> tuple[str, str | None]:
    """(kind, image). auto = Docker when an engine answers and the project's image exists."""
    if kind not in ("auto", "local", "docker"):
        raise UsageError(f"--sandbox must be auto, local or docker, not {kind!r}")
    if kind == "local":
        return "local", None
    from treefix.sandbox.docker_engine import probe
    from treefix.sandbox.image import image_tag

    ok, why = probe()
    if not ok:
        if kind == "docker":
            raise SandboxUnavailable(
                f"--sandbox docker: {why}; install/start Docker or use --sandbox local"
            )
        events.message(f"sandbox: local ({_escape(why)})")
        return "local", None
    tag = image or image_tag(project.root)
    if kind == "auto":
        import docker.errors

        from treefix.sandbox.docker_engine import client

        try:
            client().images.get(tag)
        except docker.errors.ImageNotFound:
            events.message(
                f"sandbox: local (Docker answers but {tag} is not built: `treefix sandbox build {project.root}`)"
            )
            return "local", None
    return "docker", tag


def make_sandboxes(
    kind: str, project: Project, n: int, run_id: str, image: str | None, options=None
) -> list[Sandbox]:
    from treefix.sandbox.settings import docker_limits, local_limits

    options = options or RepairOptions()
    if kind == "docker":
        from treefix.sandbox.docker import DockerSandbox
        from treefix.sandbox.docker_engine import client, sweep

        dc = client()
        sweep(dc)
        boxes: list[Sandbox] = []
        try:
            for i in range(n):
                boxes.append(
                    DockerSandbox(
                        project,
                        image=image or "",
                        run_id=run_id,
                        client=dc,
                        label=f"w{i}",
                        limits=docker_limits(options),
                    )
                )
        except BaseException:
            for b in boxes:
                b.close()
            raise
        return boxes
    from treefix.sandbox.local import LocalSandbox

    limits = local_limits(options)
    return [LocalSandbox(project, label=f"{run_id}-w{i}", limits=limits) for i in range(n)]


def _targets(report: TestReport, command: TestCommand) -> list[str]:
    if not command.is_pytest:
        return [WHOLE_COMMAND]
    return sorted(report.failing())


def _guards(report: TestReport, focus: list[Suspicion], targets: list[str]) -> list[str]:
    """Passing tests that execute the most suspicious lines: the likeliest to regress."""
    passing = report.passing()
    if report.coverage is None:
        return sorted(passing)[:MAX_GUARDS]
    top = {(s.path, s.line) for s in focus[:10]}
    scored = []
    for t in passing:
        lines = report.coverage.get(t, {})
        hits = sum(1 for p, ln in top if ln in lines.get(p, ()))
        if hits:
            scored.append((-hits, t))
    return [t for _, t in sorted(scored)[:MAX_GUARDS]]


def _new_run_id() -> str:
    from treefix.report.folder import new_run_id

    return new_run_id()


def _git_snapshot(run: RepairRun, project: Project) -> None:
    """Refuse a repo in the middle of a merge/rebase/...; record the tree in a private ref."""
    if project.git_dir is None or project.git_toplevel is None:
        return
    from treefix.workspace.gitrepo import GitRepo

    repo = GitRepo(project.git_toplevel, project.git_dir)
    repo.refuse_if_busy()
    run.git_snapshot = repo.snapshot(run.run_id)
    from treefix.workspace.gitrepo import KEEP_SNAPSHOTS

    repo.prune_snapshots(KEEP_SNAPSHOTS, run.git_snapshot.ref)


def repair(
    options: RepairOptions, events: Events | None = None, run: RepairRun | None = None
) -> RepairRun:
    events = events or Events()
    run = run or RepairRun(options)
    t0 = time.monotonic()
    deadline = t0 + options.time_limit
    project = run.project = snapshot(options.path)
    _git_snapshot(run, project)
    run.sandbox_kind, image = choose_sandbox(options.sandbox, project, options.image, events)
    python = "python3" if run.sandbox_kind == "docker" else None
    command = run.command = detect_test_command(project.root, options.test_cmd, python=python)
    from treefix.propose.factory import build as build_proposers

    run.model = build_proposers(options, deadline, events.message)
    proposer = run.model.proposer
    if run.model.gateway is not None:
        events.message(f"model: {run.model.gateway.label} ({run.model.mode})")
    n = options.workers or min(os.cpu_count() or 1, 4)
    run.workers = n
    from treefix.sandbox.pool import SandboxPool

    size = sum(f.size for f in project.files.values())
    big = len(project.files) >= COPY_PROGRESS_FILES
    if big:  # copying a large tree takes seconds: say what is happening and how long it took
        events.message(
            f"copying {len(project.files)} files ({size / 2**20:.1f} MiB) into {n} {run.sandbox_kind} sandbox(es)..."
        )
    t_copy = time.monotonic()
    pool = SandboxPool(make_sandboxes(run.sandbox_kind, project, n, run.run_id, image, options))
    run.copy_seconds = time.monotonic() - t_copy
    if big:
        events.message(f"copied in {run.copy_seconds:.1f}s")
    run.isolation = pool.sandboxes[0].isolation
    runner = TestRunner(command)
    events.header(
        {
            "project": str(project.root),
            "command": command.display,
            "sandbox": run.sandbox_kind,
            "isolation": run.isolation,
            "workers": n,
            "files": len(project.files),
            "sources": len(project.sources),
        }
    )
    try:
        _search(run, pool, runner, proposer, events, deadline)
    finally:
        pool.close()
    return run


def _search(
    run: RepairRun, pool, runner: TestRunner, proposer: Proposer, events: Events, deadline: float
) -> None:
    options, project, command = run.options, run.project, run.command
    assert project is not None and command is not None
    base = pool.map(
        lambda sb, _: runner.run(
            sb,
            {},
            None,
            timeout=options.test_timeout,
            per_test_timeout=options.per_test_timeout,
            coverage=True,
        ),
        [None],
    )[0]
    run.baseline_report = base
    for note in runner.harness.notes():  # e.g. graded by JUnit alone: the plugin cannot load
        events.message(_escape(note))
    if base.status == Status.PASSED:
        run.status, run.message = "nothing_to_repair", "all tests pass: nothing to repair"
        events.baseline(base, None)
        return
    if base.status == Status.NO_TESTS:
        raise UsageError(
            f"no tests were collected in {project.root} (pytest exit 5); pass --test-cmd to say how to run them"
        )
    if base.exit_code in (126, 127):
        raise UsageError(f"test command not found: {command.display}")
    if base.status == Status.SANDBOX_ERROR:
        raise EnvironmentProblem(f"the sandbox could not run the tests: {base.detail}")
    problem = _environment_problem(base, command, project) or broken_harness(base, runner.harness)
    if problem:
        raise EnvironmentProblem(problem)
    targets = _targets(base, command)
    if not targets and base.status == Status.TIMEOUT:
        # nothing ran to completion: the suite hangs while pytest collects (an import that
        # blocks or loops), or the first test outlives --test-timeout
        raise EnvironmentProblem(
            f"the tests did not finish within --test-timeout {options.test_timeout:g}s and no test "
            "result came back: the suite hangs at import or collection (or needs a larger "
            "--test-timeout); run `treefix test` to see where it stops"
        )
    if not targets:
        raise EnvironmentProblem(
            f"the test command failed ({base.status.value}, {base.detail}) but no test failed; see its output with `treefix test`"
        )
    # Flaky check: a target that passes when simply run again is not a bug to repair.
    flaky: list[str] = []
    # a hang is not re-checked: re-running it would cost the whole per-test limit again
    rerun = [t for t in targets if not base.tests.get(t) or "Timeout" not in base.tests[t].message]
    if command.is_pytest and rerun and time.monotonic() < deadline:
        again = pool.map(
            lambda sb, _: runner.run(
                sb,
                {},
                rerun,
                timeout=options.test_timeout,
                per_test_timeout=options.per_test_timeout,
            ),
            [None],
        )[0]
        flaky = [t for t in targets if t in again.tests and again.tests[t].outcome == "passed"]
        targets = [t for t in targets if t not in flaky]
    from treefix.localize.ranker import localize

    state = ProgramState(project.sources)
    run.focus = localize(state, base, targets)
    guards = _guards(base, run.focus, targets) if command.is_pytest else []
    run.baseline = Baseline(base, targets, guards, flaky)
    events.baseline(base, run.baseline)
    if not targets:
        run.status, run.message = (
            "nothing_to_repair",
            f"only flaky failures ({len(flaky)}): nothing to repair",
        )
        return
    events.localized(run.focus)
    if not run.focus and base.status in (Status.OOM, Status.RESOURCE_LIMIT):
        # killed by a sandbox limit before any frame or coverage came back: nothing to localise
        setting = "sandbox-memory-mb" if base.status == Status.OOM else "sandbox-pids"
        raise EnvironmentProblem(
            f"the tests hit the sandbox's {'memory' if base.status == Status.OOM else 'process'} "
            f"limit ({base.detail}) and left nothing to localise; if the suite needs more, raise "
            f"{setting} in [tool.treefix] (see docs/SECURITY.md)"
        )
    if not run.focus:  # nothing to edit: say why rather than "search space exhausted"
        from treefix.localize.diagnose import HarnessView, explain_empty

        harness = HarnessView(command.is_pytest, runner.harness.plugin, runner.harness.problem)
        raise EnvironmentProblem(explain_empty(base, targets, harness))
    slowest = max(
        (
            t.duration
            for t in base.tests.values()
            if t.nodeid not in targets or t.outcome == "passed"
        ),
        default=0.0,
    )
    per_test = min(options.per_test_timeout, max(1.0, 3 * slowest + 0.5))
    cand_timeout = min(
        options.test_timeout, max(CANDIDATE_MIN_TIMEOUT, per_test * (len(targets) + 1) + 5)
    )
    focus_tests = run.baseline.focus() if command.is_pytest else None

    def evaluate(states: list[ProgramState], full: list[bool]) -> list[TestReport]:
        def one(sb, item: tuple[ProgramState, bool]) -> TestReport:
            st, whole = item
            if whole:
                return runner.run(
                    sb,
                    st.changed(),
                    None,
                    timeout=options.test_timeout,
                    per_test_timeout=options.per_test_timeout,
                )
            rep = runner.run(
                sb, st.changed(), focus_tests, timeout=cand_timeout, per_test_timeout=per_test
            )
            run.candidate_durations.append(rep.duration)
            return rep

        return pool.map(one, list(zip(states, full, strict=True)))

    def relocalize(report: TestReport) -> list[Suspicion]:
        """Ochiai again with this state's outcomes over the baseline's coverage (no extra run)."""
        merged = dict(base.tests)
        for nodeid, outcome in report.tests.items():
            merged[nodeid] = TestOutcome(nodeid, outcome.outcome, outcome.message, outcome.duration)
        still = [t for t in targets if t not in merged or merged[t].outcome != "passed"] or targets
        synthetic = TestReport(
            report.status, report.exit_code, report.duration, tests=merged, coverage=base.coverage
        )
        return localize(state, synthetic, still)

    budget = Budget(options.max_evals, deadline, options.max_depth)
    search = Search(
        root_state=state,
        root_report=base,
        baseline=run.baseline,
        focus=run.focus,
        proposer=proposer,
        evaluate=evaluate,
        budget=budget,
        workers=pool.size,
        seed=options.seed,
        on_node=lambda node, stats: events.node(node, stats, budget),
        relocalize=relocalize if base.coverage else None,
        **_model_hooks(run, events),
    )
    try:
        run.result = search.run()
    except ProviderError as exc:  # the report still gets written, with what was done
        run.result = SearchResult(
            None, search.plausible, search.stats, search.root, search.trajectory
        )
        run.result.stats.stop_reason = "provider error"
        run.status, run.message = "provider_error", str(exc)
        raise
    except KeyboardInterrupt:
        run.result = SearchResult(
            None, search.plausible, search.stats, search.root, search.trajectory
        )
        run.result.stats.stop_reason = "interrupted"
        run.status = "interrupted"
        raise
    except SandboxError as exc:  # e.g. the engine died: the partial trajectory is still reported
        run.result = SearchResult(
            None, search.plausible, search.stats, search.root, search.trajectory
        )
        run.result.stats.stop_reason = f"sandbox error: {exc}"
        raise
    if run.result.fix is not None:
        run.status, run.message = "fixed", "validated fix found"
    else:
        run.status = "no_fix"
        run.message = f"no fix found ({run.result.stats.stop_reason}, {run.result.stats.evaluations} evaluations)"


def _model_hooks(run: RepairRun, events: Events) -> dict:
    """The value agent and the discriminator (judge with --judge) when a model takes part."""
    from treefix.search.value import Discriminator, ValueAgent

    gateway = getattr(run.model, "gateway", None)
    if gateway is None or run.baseline is None:
        return {"choose": Discriminator()}
    gateway.on_call = lambda stats: events.model(stats.as_dict())
    judge = gateway if run.options.judge else None
    return {
        "value": ValueAgent(gateway, run.baseline, on_disabled=events.message),
        "choose": Discriminator(judge, run.baseline),
    }


def bare_focus_argv(run: RepairRun) -> list[str] | None:
    """The focused test command as a user would type it, for the overhead benchmark."""
    if run.command is None or not run.command.is_pytest or run.baseline is None:
        return None
    return [*run.command.focused(run.baseline.focus()), "-q", "-p", "no:cacheprovider"]


def median_candidate_run(run: RepairRun) -> float | None:
    return statistics.median(run.candidate_durations) if run.candidate_durations else None


def changed_paths(run: RepairRun) -> list[str]:
    if run.result is None or run.result.fix is None:
        return []
    return sorted(run.result.fix.state.changed())


def project_root(run: RepairRun) -> Path | None:
    return run.project.root if run.project else None
