"""The error tree: one exit code per branch, and the drawing in errors.py matches the classes."""

from __future__ import annotations

import pytest

from treefix import errors
from treefix.errors import (
    ContextOverflow,
    EnvironmentProblem,
    FatalModelError,
    GitError,
    ProviderError,
    RepoBusy,
    SandboxError,
    SandboxUnavailable,
    TransientModelError,
    TreefixError,
    UsageError,
    WriteBackRefused,
)


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (TreefixError, 3),
        (UsageError, 2),
        (EnvironmentProblem, 3),
        (SandboxError, 3),
        (SandboxUnavailable, 3),
        (GitError, 3),
        (RepoBusy, 3),
        (WriteBackRefused, 3),
        (ProviderError, 4),
        (FatalModelError, 4),
        (TransientModelError, 4),
        (ContextOverflow, 4),
    ],
)
def test_exit_codes(cls, code):
    assert cls("x").exit_code == code


def test_model_failures_are_one_branch_and_say_whether_asking_again_can_help():
    for cls in (FatalModelError, TransientModelError, ContextOverflow):
        assert issubclass(cls, ProviderError)
    assert ProviderError("no model").fatal and FatalModelError("401", 401).fatal
    t = TransientModelError("busy", retry_after=2.0, status=429)
    assert not t.fatal and t.retry_after == 2.0 and t.status == 429
    o = ContextOverflow("too long", window=4096, requested=5000)
    assert not o.fatal and (o.window, o.requested, o.status) == (4096, 5000, 400)
    assert not issubclass(ContextOverflow, FatalModelError)  # trimmed and asked again, not fatal


def test_the_drawn_tree_names_every_error_class():
    defined = {
        name
        for name, obj in vars(errors).items()
        if isinstance(obj, type) and issubclass(obj, TreefixError)
    }
    drawn = {
        line.split("──")[1].split()[0]
        for line in errors.__doc__.splitlines()
        if "──" in line
    } | {"TreefixError"}
    assert drawn == defined
