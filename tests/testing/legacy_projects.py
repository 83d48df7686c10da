"""A small project in the style old code bases have: unittest TestCase classes with setUp and
tearDown, nose-style test functions with module fixtures, a generator, a thread. The bug gives a
wrong result, so its tracebacks end in the test files: only per-test coverage can localise it."""

from __future__ import annotations

import textwrap
from pathlib import Path

BUG = "    return total / (len(xs) + 1)\n"

LEGACY = {
    "pkg/__init__.py": "",
    "pkg/stats.py": """\
        def mean(xs):
            total = 0
            for x in xs:
                total += x
            return total / (len(xs) + 1)


        def spread(xs):
            lo = min(xs)
            hi = max(xs)
            return hi - lo


        def pairs(xs):
            for i in range(len(xs) - 1):
                yield xs[i], xs[i + 1]


        class Counter(object):
            def __init__(self):
                self.n = 0

            def bump(self, k=1):
                self.n += k
                return self.n
        """,
    "tests/__init__.py": "",
    "tests/test_unit.py": """\
        import unittest

        from pkg.stats import Counter, mean, spread


        class StatsTest(unittest.TestCase):
            def setUp(self):
                self.xs = [2, 4, 6]
                self.counter = Counter()

            def tearDown(self):
                self.counter = None

            def test_mean(self):
                self.assertEqual(mean(self.xs), 4)

            def test_spread(self):
                self.assertEqual(spread(self.xs), 4)

            def test_counter(self):
                self.counter.bump()
                self.assertEqual(self.counter.bump(2), 3)


        if __name__ == "__main__":
            unittest.main()
        """,
    "tests/test_nose.py": """\
        import threading

        from pkg.stats import pairs, spread

        DATA = []


        def setup_module():
            DATA.extend([1, 2, 3])


        def teardown_module():
            del DATA[:]


        def test_pairs():
            assert list(pairs(DATA)) == [(1, 2), (2, 3)]


        def test_in_a_thread():
            out = []
            worker = threading.Thread(target=lambda: out.append(spread([1, 9])))
            worker.start()
            worker.join()
            assert out == [8]
        """,
}

TESTS = {
    "tests/test_unit.py::StatsTest::test_mean",
    "tests/test_unit.py::StatsTest::test_spread",
    "tests/test_unit.py::StatsTest::test_counter",
    "tests/test_nose.py::test_pairs",
    "tests/test_nose.py::test_in_a_thread",
}


def write_legacy(root: Path) -> Path:
    for name, text in LEGACY.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def source_lines(coverage: dict, nodeid: str) -> set[int]:
    return set(coverage.get(nodeid, {}).get("pkg/stats.py", []))


def as_sets(coverage: dict) -> dict:
    """Per-test coverage with line lists as sets: recorders list lines in different orders."""
    return {t: {p: set(lines) for p, lines in files.items()} for t, files in coverage.items()}
