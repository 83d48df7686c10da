"""Value origins: a wrong attribute or default is found where it was made, not only where it failed."""

from __future__ import annotations

import textwrap

from tests.localize import baselines
from tests.localize.baselines import one_failing_among_passing
from treefix.code.syntax import parse
from treefix.localize import localize
from treefix.localize.origins import value_origins
from treefix.types import ProgramState

WORKER = textwrap.dedent(
    """
    import time


    class Worker:
        def __init__(self, worker_id, last_active=None):
            self.id = worker_id
            self.reference = None
            self.last_active = last_active
            self.started = time.time()
            self.tasks = set()
            self.info = {}

        def add_info(self, info):
            self.info.update(info)

        def prune(self, delay):
            if self.last_active + delay < time.time():
                return True
            return False
    """
).lstrip("\n")
TEST = "tests/test_worker.py"


def line_of(needle: str) -> int:
    return baselines.line_of(WORKER, needle)


def test_a_none_default_stored_by_the_constructor_ranks_in_the_top_three():
    # Every test builds a Worker, so the spectrum ties the constructor's lines; only the failing
    # test prunes. The fix is the `def` line's default, which no line coverage marks as run.
    init = list(range(line_of("self.id ="), line_of("self.info = {}") + 1))
    failing_line = line_of("if self.last_active + delay")
    target = f"{TEST}::test_prune_after_init"
    message = "TypeError: unsupported operand type(s) for +: 'NoneType' and 'int'"
    passing = [line_of("self.info.update")]
    baseline = one_failing_among_passing(target, "worker.py", message, failing_line, init, passing)
    state = ProgramState({"worker.py": WORKER.encode(), TEST: b"def test_x(): ...\n"})
    result = localize(state, baseline, [target])
    top3 = [(s.path, s.line) for s in result[:3]]
    assert ("worker.py", line_of("def __init__")) in top3
    assert ("worker.py", line_of("self.last_active = last_active")) in top3
    header = next(s for s in result if s.line == line_of("def __init__"))
    assert "slice" in header.reasons
    # attributes the failing line does not read are not origins
    assert not {line_of("self.started"), line_of("self.info = {}")} & {
        s.line for s in result if "slice" in s.reasons
    }


def test_origins_follow_defaulted_parameters_and_the_class_s_attribute_assignments():
    source = textwrap.dedent(
        """
        class A:
            def __init__(self, items, limit=10, name=None):
                self.items = items
                self.name = name
                self.size = len(items)

            def f(me, extra=()):
                return me.name.upper() + str(me.size) + str(extra)

            def g(self, key):
                return key
        """
    ).encode()
    cls = parse(source).root_node.children[0]
    methods = [c for c in cls.child_by_field_name("body").named_children]
    f = methods[1]
    ret = f.child_by_field_name("body").named_children[0]
    found = {(n.start_point[0] + 1, hops) for n, hops in value_origins(ret, f)}
    # f's own default (extra), the two attributes it reads, and name's default in __init__
    assert found == {(8, 1), (5, 1), (6, 1), (3, 2)}
    g = methods[2]
    key = g.child_by_field_name("body").named_children[0]
    assert list(value_origins(key, g)) == []
