"""End-to-end ranking on small hand-made buggy projects with hand-built test reports."""

from __future__ import annotations

import textwrap

from tests.localize.baselines import line_of
from treefix.localize import is_test_file, localize

# aliased so pytest does not try to collect the dataclasses named Test*
from treefix.types import ProgramState, Status, Suspicion
from treefix.types import TestOutcome as Outcome
from treefix.types import TestReport as Report


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def report(
    outcomes: list[Outcome],
    coverage: dict[str, dict[str, list[int]]] | None = None,
    output: str = "",
) -> Report:
    failed = any(o.outcome in ("failed", "error") for o in outcomes)
    return Report(
        status=Status.FAILED if failed else Status.PASSED,
        exit_code=1 if failed else 0,
        duration=0.1,
        output=output,
        tests={o.nodeid: o for o in outcomes},
        coverage=coverage,
    )


def passed(nodeid: str) -> Outcome:
    return Outcome(nodeid, "passed")


def where(result: list[Suspicion]) -> list[tuple[str, int]]:
    return [(s.path, s.line) for s in result]


def assert_no_test_files(result: list[Suspicion]) -> None:
    assert result
    assert not [s for s in result if is_test_file(s.path)]


# --- wrong value, assertion in the test: only the spectrum can tell -------------------------

MEDIAN = src(
    """
    def median(values):
        ordered = sorted(values)
        mid = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[mid]
        return (ordered[mid] + ordered[mid + 1]) / 2
    """
)
MEDIAN_TESTS = "def test_odd(): ...\ndef test_even(): ...\n"


def test_off_by_one_wrong_value_ranks_first_from_coverage_alone():
    common = [line_of(MEDIAN, "sorted"), line_of(MEDIAN, "mid ="), line_of(MEDIAN, "% 2")]
    odd = common + [line_of(MEDIAN, "return ordered[mid]")]
    even = common + [line_of(MEDIAN, "mid + 1")]
    test = "tests/test_median.py"
    coverage = {
        # The lazy import of the module is charged to the first test that ran: def line included.
        f"{test}::test_even": {"stats.py": [1, *even], test: [2]},
        f"{test}::test_odd": {"stats.py": odd, test: [1]},
        f"{test}::test_single": {"stats.py": odd},
        f"{test}::test_many": {"stats.py": odd},
    }
    baseline = report(
        [
            Outcome(
                f"{test}::test_even",
                "failed",
                "AssertionError: assert 3.5 == 2.5",
                frames=[(test, 2)],  # the assertion fails in the test itself
            ),
            passed(f"{test}::test_odd"),
            passed(f"{test}::test_single"),
            passed(f"{test}::test_many"),
        ],
        coverage,
    )
    state = ProgramState({"stats.py": MEDIAN.encode(), test: MEDIAN_TESTS.encode()})
    result = localize(state, baseline, [f"{test}::test_even"])

    assert where(result)[0] == ("stats.py", line_of(MEDIAN, "mid + 1"))
    assert result[0].reasons == ("ochiai",)
    # Lines every test ran rank below the one only the failing test ran.
    shared = {s.line: s.score for s in result if s.line in common}
    assert shared and max(shared.values()) < result[0].score
    assert ("stats.py", 1) not in where(result)  # import-time lines carry no per-test signal
    assert_no_test_files(result)


GRADE = src(
    """
    def grade(score):
        if score < 0:
            raise ValueError("negative score")
        if score >= 90:
            return "A"
        if score >= 80:
            return "B"
        if score > 70:
            return "C"
        return "F"
    """
)


def test_boundary_bug_in_shared_branch_is_top_three_and_above_shared_lines():
    n = {k: line_of(GRADE, k) for k in ("< 0", "raise", ">= 90", '"A"', ">= 80", '"B"')}
    n |= {
        "> 70": line_of(GRADE, "> 70"),
        '"C"': line_of(GRADE, '"C"'),
        '"F"': line_of(GRADE, '"F"'),
    }
    runs = {
        "test_a": ["< 0", ">= 90", '"A"'],
        "test_b": ["< 0", ">= 90", ">= 80", '"B"'],
        "test_c": ["< 0", ">= 90", ">= 80", "> 70", '"C"'],
        "test_f": ["< 0", ">= 90", ">= 80", "> 70", '"F"'],
        "test_negative": ["< 0", "raise"],
        "test_seventy_is_c": ["< 0", ">= 90", ">= 80", "> 70", '"F"'],
    }
    coverage = {f"t/test_grade.py::{t}": {"grade.py": [n[k] for k in ks]} for t, ks in runs.items()}
    target = "t/test_grade.py::test_seventy_is_c"
    outcomes = [passed(f"t/test_grade.py::{t}") for t in runs if t != "test_seventy_is_c"]
    outcomes.append(Outcome(target, "failed", "AssertionError: assert 'F' == 'C'"))
    state = ProgramState({"grade.py": GRADE.encode()})
    result = localize(state, report(outcomes, coverage), [target])

    lines = [s.line for s in result]
    assert n["> 70"] in lines[:3]
    score = {s.line: s.score for s in result}
    # executed by the failing test and by fewer passing tests -> more suspicious
    assert score[n["> 70"]] > score[n[">= 80"]] > score[n[">= 90"]] > score[n["< 0"]]
    assert n['"A"'] not in score and n["raise"] not in score  # never run by the failing test


# --- exception raised in project code: traceback signal -----------------------------------

INVENTORY = src(
    """
    def restock(levels, item, amount):
        current = levels[item]
        levels[item] = current + amount
        return levels


    def last_item(items):
        return items[len(items)]


    def summary(items):
        head = items[0]
        tail = last_item(items)
        return f"{head}..{tail}"
    """
)
INVENTORY_TEST = "from shop.inventory import summary\n\ndef test_summary():\n    assert summary(['a', 'b']) == 'a..b'\n"


def inventory_case(with_coverage: bool) -> tuple[ProgramState, Report, str]:
    test = "tests/test_inventory.py"
    target = f"{test}::test_summary"
    raise_line = line_of(INVENTORY, "items[len(items)]")
    call_line = line_of(INVENTORY, "tail = last_item")
    failing = Outcome(
        target,
        "failed",
        "IndexError: list index out of range",
        frames=[(test, 4), ("shop/inventory.py", call_line), ("shop/inventory.py", raise_line)],
    )
    restock = [line_of(INVENTORY, "current ="), line_of(INVENTORY, "levels[item] ="), 4]
    coverage = {
        target: {
            "shop/inventory.py": [line_of(INVENTORY, "head ="), call_line, raise_line],
            test: [4],
        },
        f"{test}::test_restock": {"shop/inventory.py": restock},
        f"{test}::test_restock_twice": {"shop/inventory.py": restock},
    }
    baseline = report(
        [failing, passed(f"{test}::test_restock"), passed(f"{test}::test_restock_twice")],
        coverage if with_coverage else None,
    )
    files = {"shop/__init__.py": b"", "shop/inventory.py": INVENTORY.encode()}
    files[test] = INVENTORY_TEST.encode()
    return ProgramState(files), baseline, target


def test_exception_in_project_code_ranks_raising_statement_first():
    state, baseline, target = inventory_case(with_coverage=True)
    result = localize(state, baseline, [target])
    raise_line = line_of(INVENTORY, "items[len(items)]")
    call_line = line_of(INVENTORY, "tail = last_item")
    assert where(result)[:2] == [
        ("shop/inventory.py", raise_line),
        ("shop/inventory.py", call_line),
    ]
    assert result[0].reasons == ("traceback", "ochiai")
    assert result[0].score > 0.95
    # restock ran only in passing tests: not suspicious at all
    assert line_of(INVENTORY, "current =") not in [s.line for s in result]
    assert_no_test_files(result)


def test_without_coverage_traceback_ranking_still_works():
    state, baseline, target = inventory_case(with_coverage=False)
    result = localize(state, baseline, [target])
    raise_line = line_of(INVENTORY, "items[len(items)]")
    call_line = line_of(INVENTORY, "tail = last_item")
    assert result[0] == Suspicion("shop/inventory.py", raise_line, 1.0, ("traceback",))
    assert result[1] == Suspicion("shop/inventory.py", call_line, 0.8, ("traceback",))
    # the rest of a frame's function gets a floor so the proposer has somewhere to look
    head = [s for s in result if s.line == line_of(INVENTORY, "head =")]
    assert head and head[0].score == 0.1 and head[0].reasons == ("enclosing",)
    assert line_of(INVENTORY, "current =") not in [s.line for s in result]
    assert_no_test_files(result)


def test_frames_from_output_text_when_the_runner_gave_none():
    state, _, target = inventory_case(with_coverage=False)
    raise_line = line_of(INVENTORY, "items[len(items)]")
    output = textwrap.dedent(
        f"""
        =================================== FAILURES ===================================
        _________________________________ test_summary _________________________________
        tests/test_inventory.py:4: in test_summary
            assert summary(['a', 'b']) == 'a..b'
        /sandbox/work/shop/inventory.py:{line_of(INVENTORY, "tail = last_item")}: in summary
            tail = last_item(items)
        _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _
        /sandbox/work/shop/inventory.py:{raise_line}: in last_item
            return items[len(items)]
        E   IndexError: list index out of range
        """
    )
    baseline = report([Outcome(target, "failed", "IndexError: list index out of range")])
    baseline.output = output
    result = localize(state, baseline, [target])
    assert where(result)[0] == ("shop/inventory.py", raise_line)
    assert result[0].reasons == ("traceback",)


# --- syntax errors ------------------------------------------------------------------------

AREA = src(
    """
    def area(w, h):
        if w < 0 or h < 0
            raise ValueError("negative")
        return w * h
    """
)
MEAN = src(
    """
    def mean(xs):
        total = sum(
            x for x in xs

        count = len(xs)
        return total / count
    """
)


def collection_error(nodeid: str, message: str) -> Report:
    return report([Outcome(nodeid, "error", message)])


def test_missing_colon_is_flagged_at_its_line():
    state = ProgramState(
        {
            "geo/area.py": AREA.encode(),
            "geo/ok.py": b"def f():\n    return 1\n",
            # a broken test file is not ours to fix
            "tests/test_area.py": b"def test_area(:\n    pass\n",
        }
    )
    baseline = collection_error("tests/test_area.py", "SyntaxError: expected ':'")
    result = localize(state, baseline, ["tests/test_area.py"])
    assert result[0] == Suspicion("geo/area.py", 2, 1.0, ("syntax",))
    assert {s.path for s in result} == {"geo/area.py"}
    assert all(s.score < 1.0 for s in result[1:])  # neighbours and tree-sitter's view rank lower


def test_unclosed_paren_spanning_lines_points_at_the_opener():
    state = ProgramState({"calc/mean.py": MEAN.encode()})
    nodeid = "tests/test_mean.py"
    output = textwrap.dedent(
        """
        ______________________ ERROR collecting tests/test_mean.py ______________________
        E     File "/tmp/sandbox/calc/mean.py", line 2
        E       total = sum(
        E                  ^
        E   SyntaxError: '(' was never closed
        """
    )
    baseline = collection_error(nodeid, "SyntaxError: '(' was never closed")
    baseline.output = output
    result = localize(state, baseline, [nodeid])
    opener = line_of(MEAN, "sum(")
    assert where(result)[0] == ("calc/mean.py", opener)
    assert result[0].score == 1.0 and "syntax" in result[0].reasons
    assert ("calc/mean.py", opener + 1) in where(result)[:4]


# --- infinite loop interrupted by the runner ----------------------------------------------

COUNTDOWN = src(
    """
    def countdown(n):
        steps = []
        while n > 0:
            steps.append(n)
            n += 1
        return steps


    def banner():
        return "go"
    """
)


def test_infinite_loop_flags_the_loop_and_its_body():
    test = "tests/test_countdown.py"
    target = f"{test}::test_three"
    body = line_of(COUNTDOWN, "steps.append")
    timed_out = Outcome(
        target, "failed", "Failed: Timeout >2.0s", frames=[(test, 4), ("countdown.py", body)]
    )
    # The killed test left no coverage; the passing ones did.
    passing_lines = [line_of(COUNTDOWN, "steps = []"), line_of(COUNTDOWN, "while"), 6]
    coverage = {f"{test}::test_zero": {"countdown.py": passing_lines}}
    baseline = report([timed_out, passed(f"{test}::test_zero")], coverage)
    baseline.status = Status.TIMEOUT
    state = ProgramState({"countdown.py": COUNTDOWN.encode()})
    result = localize(state, baseline, [target])

    top3 = [s.line for s in result[:3]]
    assert line_of(COUNTDOWN, "n += 1") in top3  # the actual fault
    assert line_of(COUNTDOWN, "while") in top3[:2]  # the loop header
    assert all("loop" in s.reasons or "traceback" in s.reasons for s in result[:3])
    assert line_of(COUNTDOWN, '"go"') not in [s.line for s in result]


# --- ordering and odd input ---------------------------------------------------------------


def test_ties_sort_by_path_then_line_and_limit_caps():
    a = "def f(x):\n    return x[1]\n"
    state = ProgramState({"b.py": a.encode(), "a.py": a.encode()})
    outcomes = [
        Outcome("t.py::test_b", "failed", "IndexError: x", frames=[("b.py", 2)]),
        Outcome("t.py::test_a", "failed", "IndexError: x", frames=[("a.py", 2)]),
    ]
    result = localize(state, report(outcomes), ["t.py::test_b", "t.py::test_a"])
    assert where(result)[:2] == [("a.py", 2), ("b.py", 2)]
    assert where(localize(state, report(outcomes), ["t.py::test_b", "t.py::test_a"], limit=1)) == [
        ("a.py", 2)
    ]
    assert localize(state, report(outcomes), ["t.py::test_a"], limit=0) == []


def test_odd_input_never_raises():
    state = ProgramState({"m.py": b"def f():\n    return 1\n"})
    weird = Outcome(
        "t.py::test_x",
        "failed",
        "",
        frames=[("gone.py", 3), ("m.py", 999), ("m.py", 0), ("m.py", "2"), ("m.py",)],  # type: ignore[list-item]
    )
    coverage = {
        "t.py::test_x": {"m.py": [2, 500, -1], "gone.py": [1], "/abs/elsewhere.py": [1]},
        "t.py::test_ok": {"m.py": "oops"},  # type: ignore[dict-item]
    }
    baseline = report([weird, passed("t.py::test_ok")], coverage)
    result = localize(state, baseline, ["t.py::test_x", "t.py::not_a_test"])
    assert where(result) == [("m.py", 2)]
    assert localize(state, report([weird], {}), ["t.py::test_x"]) == []
    assert localize(ProgramState({}), report([]), []) == []


SCHEDULER = src(
    """
    def halve(n):
        if n % 2:
            return n - 1
        return n // 2


    def settle(n):
        rounds = 0
        while n != 1:
            for _ in range(2):
                rounds += 1
            n = halve(n)
        return rounds
    """
)


def test_timeout_in_a_helper_flags_the_callers_loop():
    # halve(3) -> 2 -> 1 is fine, but halve(0) is 0 forever: interrupted inside the helper.
    target = "tests/test_sched.py::test_zero"
    frames = [
        ("tests/test_sched.py", 3),
        ("sched.py", line_of(SCHEDULER, "n = halve(n)")),
        ("sched.py", line_of(SCHEDULER, "return n // 2")),
    ]
    baseline = report([Outcome(target, "failed", "TimeoutError: 5s", frames=frames)])
    result = localize(ProgramState({"sched.py": SCHEDULER.encode()}), baseline, [target])
    top = [s.line for s in result[:4]]
    assert top[0] == line_of(SCHEDULER, "return n // 2")
    assert line_of(SCHEDULER, "while n != 1") in top
    # the inner for loop is finite work inside the interrupted one: still part of it
    assert line_of(SCHEDULER, "for _ in") in [s.line for s in result]


WINDOWS = src(
    """
    def pairs(values):
        out = []
        for i in range(len(values)):
            out.append((values[i], values[i + 1]))
        return out
    """
)


def test_index_error_in_loop_body_also_raises_the_loop_header():
    target = "tests/test_pairs.py::test_pairs"
    frames = [("tests/test_pairs.py", 2), ("pairs.py", line_of(WINDOWS, "out.append"))]
    baseline = report(
        [Outcome(target, "failed", "IndexError: list index out of range", frames=frames)]
    )
    result = localize(ProgramState({"pairs.py": WINDOWS.encode()}), baseline, [target])
    assert [s.line for s in result[:2]] == [
        line_of(WINDOWS, "out.append"),
        line_of(WINDOWS, "for i"),
    ]
    assert result[1].reasons == ("loop",) and result[1].score == 0.5


def test_frames_through_test_helpers_skip_to_project_code():
    code = "def load(path, opener):\n    return opener(path)\n"
    target = "tests/test_load.py::test_load"
    frames = [("tests/test_load.py", 4), ("loader.py", 2), ("tests/conftest.py", 7)]
    baseline = report([Outcome(target, "failed", "OSError: nope", frames=frames)])
    state = ProgramState({"loader.py": code.encode(), "tests/conftest.py": b"x = 1\n"})
    result = localize(state, baseline, [target])
    assert result[0] == Suspicion("loader.py", 2, 1.0, ("traceback",))
    assert_no_test_files(result)


def test_relocalising_a_big_project_never_parses_an_unchanged_file_again(monkeypatch):
    """The search re-localises after every evaluation: with thousands of files, a cache that
    forgets (the old 512-entry one) re-parsed the whole project each time."""
    import treefix.localize.ranker as ranker_mod

    sources = {f"pkg/m{i}.py": f"def f{i}(x):\n    return x + {i}\n".encode() for i in range(3000)}
    sources["pkg/broken.py"] = b"def g(:\n    return 1\n"
    state = ProgramState(sources)
    compiled = []
    real = ranker_mod.has_syntax_error
    monkeypatch.setattr(ranker_mod, "has_syntax_error", lambda src: compiled.append(1) or real(src))
    import treefix.localize.statements as statements_mod

    parsed = []
    real_parse = statements_mod.parse
    monkeypatch.setattr(statements_mod, "parse", lambda src: parsed.append(1) or real_parse(src))
    base = Report(Status.FAILED, 1, 0.1, tests={})
    first = localize(state, base, [])
    assert any(s.path == "pkg/broken.py" for s in first)
    compiled.clear()
    parsed.clear()
    again = localize(ProgramState(sources, {"pkg/m7.py": b"def f7(x):\n    return x\n"}), base, [])
    assert len(compiled) == 1 and parsed == []  # the one changed file, compiled, not parsed
    assert [s.path for s in again] == [s.path for s in first]


# --- equal scores: the function the failing test talks about comes first ------------------

ROUTER = src(
    """
    def add_route(table, path, handler):
        table[path] = handler
        return table


    def include_router(app_routes, router_routes, prefix):
        for path, handler in router_routes.items():
            app_routes[prefix] = handler
        return app_routes


    def audit(event, store):
        store.append(event)
        return len(store)
    """
)

ROUTER_TEST = src(
    """
    from app.routing import include_router


    def test_include_router_with_prefix():
        routes = include_router({}, {"/items": 1}, prefix="/api")
        assert routes == {"/api/items": 1}
    """
)


def test_among_equal_scores_the_function_the_failing_test_names_comes_first():
    """One failing test ran three functions no passing test ran (a big project's selection of
    one test file): Ochiai ties them all; path and line order put `add_route` and `audit`
    lines first, though the test is about routers and prefixes."""
    failing = "tests/test_routing.py::test_include_router_with_prefix"
    fn_lines = [2, 3, 7, 8, 9, 13, 14]
    state = ProgramState(
        {
            "app/__init__.py": b"",
            "app/routing.py": ROUTER.encode(),
            "tests/test_routing.py": ROUTER_TEST.encode(),
        }
    )
    rep = report(
        [Outcome(failing, "failed", message="AssertionError"), passed("tests/test_x.py::test_x")],
        coverage={failing: {"app/routing.py": fn_lines}, "tests/test_x.py::test_x": {}},
    )
    result = localize(state, rep, [failing])
    assert len({s.score for s in result}) == 1  # one tie, as the spectrum sees it
    bug = line_of(ROUTER, "app_routes[prefix] = handler")
    assert where(result)[:3] == [("app/routing.py", n) for n in (bug - 1, bug, bug + 1)]
    assert ("app/routing.py", line_of(ROUTER, "store.append")) in where(result)[3:]


# --- files that do not compile but the run never reached ----------------------------------


def _median_run(extra: dict[str, bytes], output: str = "") -> list[Suspicion]:
    test = "tests/test_median.py"
    common = [line_of(MEDIAN, "sorted"), line_of(MEDIAN, "mid =")]
    coverage = {
        f"{test}::test_even": {"stats.py": [*common, line_of(MEDIAN, "mid + 1")]},
        f"{test}::test_odd": {"stats.py": [*common, line_of(MEDIAN, "return ordered[mid]")]},
    }
    failed = Outcome(f"{test}::test_even", "failed", "AssertionError: assert 3.5 == 2.5")
    baseline = report([failed, passed(f"{test}::test_odd")], coverage, output=output)
    files = {"stats.py": MEDIAN.encode(), test: MEDIAN_TESTS.encode(), **extra}
    return localize(ProgramState(files), baseline, [f"{test}::test_even"])


def test_a_broken_file_the_tests_never_reached_is_not_suspicious():
    """A repository's Python 2 examples and a `settings.py` that is not Python fail to compile;
    ranked first at 1.0 they took the search away from the line the failing test ran."""
    extra = {
        "examples/old.py": b'def main():\n    print "hello"\n',
        "doc/settings.py": b"STYLE_CACHE_DIRECTORY=/tmp\nexport X=1\n",
    }
    result = _median_run(extra, output="F.\nAssertionError: assert 3.5 == 2.5\n1 failed")
    assert where(result)[0] == ("stats.py", line_of(MEDIAN, "mid + 1"))
    assert not [s for s in result if s.path in extra]


def test_a_broken_file_the_output_names_is_still_flagged():
    extra = {"pkg/helpers.py": b"def g(:\n    return 1\n"}
    output = 'E     File "/tmp/sandbox/pkg/helpers.py", line 1\nE   SyntaxError: invalid syntax\n'
    result = _median_run(extra, output=output)
    assert where(result)[0] == ("pkg/helpers.py", 1)
    assert "syntax" in result[0].reasons


# --- a wrong predicate behind a deliberate raise (networkx bug 3) ----------------------------

GRAPHS = src(
    """
    def has_cycle(g):
        seen = set()
        for n in g:
            if n in seen:
                return True
            seen.add(n)
        return False


    def is_dag(g):
        return has_cycle(g)


    def topo_order(g):
        if not is_dag(g):
            raise ValueError("not a DAG")
        return sorted(g)


    def ancestors(g, n):
        if not is_dag(g):
            raise ValueError("not a DAG")
        return [m for m in g if m < n]


    def size(g):
        total = 0
        for n in g:
            total += 1
        return total
    """
)


# --- a wrong value built in the module that fails on it, ranked before look-alike lines elsewhere

PARAMS = src(
    """
    def to_text(params):
        out = {}
        for name, value in params.items():
            if not name.startswith("_"):
                out[name] = str(value)
        return out


    def from_text(params, names):
        return {name: params[name] for name in names}
    """
)
TEXT = src(
    """
    def text_params_to_text(text_params):
        params = dict(text_params)
        return params
    """
)


def test_the_predicate_a_raise_is_guarded_by_is_ranked_where_its_callers_raise():
    """Each failing test ends at its caller's `raise`; the predicate returned normally and many
    passing tests run it too, so neither frames nor the spectrum point at it."""
    path = "graphs/core.py"
    raises = [line_of(GRAPHS, "raise ValueError")]
    raises.append(raises[0] + 6)
    assert GRAPHS.splitlines()[raises[1] - 1].strip().startswith("raise ValueError")
    predicate = line_of(GRAPHS, "return has_cycle(g)")
    failing = [
        Outcome(
            f"tests/test_core.py::test_{i}",
            "failed",
            "ValueError: not a DAG",
            frames=[("tests/test_core.py", 3), (path, line - 1), (path, line)],
        )
        for i, line in enumerate(raises)
    ]
    cov_fail = {path: [predicate, raises[0] - 1, raises[0], raises[1] - 1, raises[1]]}
    cov_pass = {path: [predicate, line_of(GRAPHS, "total = 0"), line_of(GRAPHS, "total += 1")]}
    passing = [passed(f"tests/test_core.py::test_pass_{i}") for i in range(30)]
    coverage = {o.nodeid: cov_fail for o in failing}
    coverage.update({o.nodeid: cov_pass for o in passing[:20]})  # 20 of them run the predicate
    state = ProgramState({path: GRAPHS.encode(), "tests/test_core.py": b"def test(): ...\n"})
    result = localize(state, report(failing + passing, coverage), [o.nodeid for o in failing])
    top = where(result)
    assert top[:2] == [(path, raises[0]), (path, raises[1])]
    assert (path, predicate) in top[2:5]  # next, with the guards' `if` lines
    found = next(s for s in result if s.line == predicate)
    assert "guard" in found.reasons
    assert found.score > 0.7  # the spectrum alone gives it 0.27: below any line a frame names
    assert (path, line_of(GRAPHS, "total = 0")) not in top  # only passing tests ran it


def test_ties_go_to_the_module_the_traceback_passes_through() -> None:
    """luigi-20's shape: the KeyError is raised in from_text, but the dict lacks the key because
    to_text (same module) dropped it. One failing test, nothing to contrast: the spectrum ties
    every line it ran, and helpers.py's function shares more words with the test's name."""
    failing = Outcome(
        "tests/test_params.py::test_text_params_to_text_and_back",
        "failed",
        "KeyError: '_hidden'",
        frames=[("tests/test_params.py", 9), ("pkg/params.py", 10)],
    )
    cov = {failing.nodeid: {"pkg/params.py": [2, 3, 4, 5, 6, 10], "pkg/helpers.py": [2, 3]}}
    state = ProgramState({"pkg/params.py": PARAMS.encode(), "pkg/helpers.py": TEXT.encode()})
    ranked = where(localize(state, report([failing], cov), [failing.nodeid]))
    assert ranked[0] == ("pkg/params.py", 10)  # the traceback line
    # the line that built the wrong dict comes before every tied line of the other module
    assert ranked.index(("pkg/params.py", 5)) < ranked.index(("pkg/helpers.py", 2))
    assert ranked.index(("pkg/params.py", 5)) < ranked.index(("pkg/helpers.py", 3))
