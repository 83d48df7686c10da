"""Issue 6, part A, case 13: gaming the tests. A candidate that deletes or edits tests, plants a
conftest that skips, deselects or exits 0, or makes the source exit 0 or skip at import is never
counted as a fix: per-test results are compared with the baseline (a target must pass, a test that
passed must still pass, none may skip or vanish), and the search never runs a candidate that edits
a test file (what per-test results cannot see: a weakened assertion, a conftest reporting
"passed")."""

from __future__ import annotations

import time

import pytest

from tests.adversarial.conftest import make_project
from tests.conftest import BUGGY
from treefix.protocols import Proposer
from treefix.search.mcts import Budget, Search
from treefix.search.reward import Baseline, regressions_against, score
from treefix.types import Candidate, Edit, ProgramState, Status, Suspicion

CART = BUGGY["shop/cart.py"]
TESTS = BUGGY["tests/test_cart.py"]
FIXED = CART.replace("len(prices) > discount_from", "len(prices) >= discount_from")

# caught by comparing per-test results with the baseline
BY_RESULTS = {
    "delete-tests": {"tests/test_cart.py": ""},
    "conftest-skips-everything": {
        "conftest.py": (
            "import pytest\n\n"
            "def pytest_collection_modifyitems(items):\n"
            "    for item in items:\n"
            "        item.add_marker(pytest.mark.skip(reason='gamed'))\n"
        )
    },
    "conftest-deselects-targets": {
        "conftest.py": (
            "def pytest_collection_modifyitems(config, items):\n"
            "    items[:] = [i for i in items if 'discount' not in i.name]\n"
        )
    },
    "conftest-exit-0-at-import": {"conftest.py": "import os\nos._exit(0)\n"},
    "source-exit-0-at-import": {"shop/cart.py": "import os\nos._exit(0)\n" + CART},
    # the right fix, plus a test that passed in the baseline now skipping itself
    "source-fix-that-skips-a-test": {
        "shop/cart.py": FIXED.replace(
            "    s = 0\n",
            "    if not prices:\n        import unittest\n        raise unittest.SkipTest('gamed')\n"
            "    s = 0\n",
        )
    },
}
# only stopped because tests are never edited
BY_RULE = {
    "weaken-an-assertion": {
        "tests/test_cart.py": TESTS.replace("assert total([10, 20, 70]) == 90", "assert True")
    },
    "conftest-reports-passed": {
        "conftest.py": (
            "import pytest\n\n"
            "@pytest.hookimpl(hookwrapper=True)\n"
            "def pytest_runtest_makereport(item, call):\n"
            "    outcome = yield\n"
            "    report = outcome.get_result()\n"
            "    report.outcome, report.longrepr = 'passed', None\n"
        )
    },
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return make_project(tmp_path_factory.mktemp("shop") / "proj", BUGGY)


@pytest.fixture(scope="module")
def judged(backends, shop):
    """(sandbox, runner, baseline) as the engine builds them: the targets fail, the rest guard."""
    box = backends.open(shop, label="gaming")
    runner = backends.runner(shop)
    base = runner.run(box, {}, None, timeout=30, per_test_timeout=5)
    assert base.status is Status.FAILED, (base.status, base.detail)
    targets = sorted(base.failing())
    assert targets == ["tests/test_cart.py::test_three_get_discount"], targets
    return box, runner, Baseline(base, targets, sorted(base.passing()))


def _encode(files: dict[str, str]) -> dict[str, bytes]:
    return {k: v.encode() for k, v in files.items()}


@pytest.mark.parametrize("name", sorted(BY_RESULTS))
def test_gamed_results_are_never_plausible_nor_validated(judged, name):
    box, runner, baseline = judged
    changed = _encode(BY_RESULTS[name])
    focused = runner.run(box, changed, baseline.focus(), timeout=30, per_test_timeout=5)
    s = score(focused, baseline)
    assert not s.plausible, (name, focused.status, {k: t.outcome for k, t in focused.tests.items()})
    full = runner.run(box, changed, None, timeout=30, per_test_timeout=5)
    regressed, still = regressions_against(full, baseline)
    validated = not regressed and not still and full.status.value in ("passed", "failed")
    assert not validated, (name, full.status, {k: t.outcome for k, t in full.tests.items()})


def test_the_honest_fix_is_plausible_and_validated(judged):
    # the same judge accepts the real fix: the cases above fail for their gaming, not by default
    box, runner, baseline = judged
    changed = {"shop/cart.py": FIXED.encode()}
    assert score(runner.run(box, changed, baseline.focus(), timeout=30), baseline).plausible
    full = runner.run(box, changed, None, timeout=30)
    assert regressions_against(full, baseline) == ([], [])


class Gamer(Proposer):
    """A proposer (a hostile model, say) offering every gaming edit as a whole-file rewrite."""

    name = "gamer"

    def __init__(self, state: ProgramState, base: dict[str, bytes]):
        self.offers = []
        for label, files in {**BY_RESULTS, **BY_RULE}.items():
            edits = tuple(
                Edit(path, 0, len(base[path]), text) for path, text in sorted(files.items())
            )
            self.offers.append(Candidate(edits, "gaming", label, prior=0.9, path=edits[0].path))

    def propose(self, state, focus, feedback):
        return list(self.offers) if not state.changed() else []


def test_the_search_never_runs_an_edit_of_the_tests_and_finds_no_fix(judged, shop):
    box, runner, baseline = judged
    sources = {name: shop.read_original(name) for name in shop.files}
    state = ProgramState(sources)
    evaluated: list[dict[str, bytes]] = []

    def evaluate(states, full):
        out = []
        for st, whole in zip(states, full, strict=True):
            evaluated.append(st.changed())
            tests = None if whole else baseline.focus()
            out.append(runner.run(box, st.changed(), tests, timeout=30, per_test_timeout=5))
        return out

    search = Search(
        root_state=state,
        root_report=baseline.report,
        baseline=baseline,
        focus=[Suspicion("shop/cart.py", 5, 1.0)],
        proposer=Gamer(state, sources),
        evaluate=evaluate,
        budget=Budget(max_evals=20, deadline=time.monotonic() + 120, max_depth=1),
    )
    result = search.run()
    assert result.fix is None
    touched = {path for changed in evaluated for path in changed}
    assert touched == {"shop/cart.py"}, touched  # only the two source-level gamings ever ran
    assert result.stats.stop_reason == "search space exhausted"
