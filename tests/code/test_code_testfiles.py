"""One rule for test code, shared by localisation, the mutation and model proposers and the search."""

from __future__ import annotations

import inspect

import pytest

from treefix.code.testfiles import is_test_file


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        # pytest's file patterns, anywhere
        ("test_x.py", True),
        ("pkg/test_x.py", True),
        ("pkg/x_test.py", True),
        # conftest.py is test code, and only that exact name
        ("conftest.py", True),
        ("pkg/conftest.py", True),
        ("pkg/myconftest.py", False),
        # everything under a test/ or tests/ folder, at any depth (the two old rules disagreed on test/)
        ("tests/helpers.py", True),
        ("pkg/tests/helpers.py", True),
        ("src/pkg/test/util.py", True),
        ("test/data/sample.py", True),
        # look-alikes that are project code
        ("pkg/testing.py", False),
        ("pkg/contest.py", False),
        ("pkg/tests.py", False),
        ("pkg/test.py", False),
        ("pkg/attest_x.py", False),
        ("latest_test_data/mod.py", False),
        ("testing/mod.py", False),
        ("pkg/test_data.json", False),
        ("pkg/mod.py", False),
        # Windows separators from a traceback, empty paths
        ("pkg\\tests\\helpers.py", True),
        ("", False),
        ("/", False),
    ],
)
def test_is_test_file(path, expected):
    assert is_test_file(path) is expected


def test_every_stage_uses_the_kernel_rule():
    from treefix import localize
    from treefix.localize import ranker
    from treefix.propose import blocks, code_context, mutation
    from treefix.search import mcts, remap

    for module in (localize, ranker, blocks, code_context, mutation, remap):
        assert module.is_test_file is is_test_file, module.__name__
    assert not hasattr(mutation, "is_test_path")
    # the search takes the language's rule; Python's (and the default) is the kernel's
    default = inspect.signature(mcts.Search.__init__).parameters["is_test_file"].default
    assert default is is_test_file
    from treefix.languages.python import PythonLanguage

    assert PythonLanguage().is_test_file("pkg/test/util.py") is True


def test_the_mutation_proposer_leaves_files_under_test_folders_alone():
    from treefix.propose.mutation import MutationProposer
    from treefix.protocols import Feedback
    from treefix.types import ProgramState, Suspicion

    src = b"def f(a, b):\n    return a < b\n"
    state = ProgramState({"pkg/test/util.py": src, "pkg/conftest.py": src, "pkg/mod.py": src})
    focus = [Suspicion(p, 2, 0.9) for p in ("pkg/test/util.py", "pkg/conftest.py", "pkg/mod.py")]
    cands = MutationProposer(seed=0).propose(state, focus, Feedback(None))
    assert cands and {e.path for c in cands for e in c.edits} == {"pkg/mod.py"}
