"""Families for real repositories' slips (`apicalls`, `checks`): each proposes, as exact source,
the shape of a developer fix from the repository bugs of bench/real, among the first candidates
for its line, and stays silent where the shape is absent."""

from __future__ import annotations

from textwrap import dedent

import pytest
from helpers_mutation import assert_proposed, propose, raised

from treefix.protocols import Feedback

ROUTES = """\
class Route:
    def __init__(self, path, endpoint, *, name=None, provider=None):
        self.path = path
        self.provider = provider


class Router:
    def add_route(self, path, endpoint, name=None):
        route = Route(path, endpoint=endpoint, name=name, provider=self.provider)
        self.routes.append(route)

    def add_socket(self, path, endpoint, name=None):
        route = Route(path, endpoint=endpoint, name=name)
        self.routes.append(route)
"""

COLUMNS = """\
class Copy:
    columns = None

    def run(self, cursor):
        names = ''
        if len(self.columns) > 0:
            names = ",".join(c[0] for c in self.columns)
        cursor.execute(names)
"""

AUTH = """\
class Basic:
    def __call__(self, header):
        if not header:
            if self.auto_error:
                raise Forbidden("Not authenticated")
            else:
                return None
        return header


class Bearer:
    def __call__(self, header):
        scheme, _, token = header.partition(" ")
        if scheme != "bearer":
            raise Forbidden("Invalid credentials")
        return token
"""

TABLE = """\
class Load:
    def run(self):
        path = self.load_path()
        return path
"""


CASES = [
    pytest.param(
        ROUTES,
        13,
        ROUTES.replace(
            "route = Route(path, endpoint=endpoint, name=name)\n",
            "route = Route(path, endpoint=endpoint, name=name, provider=self.provider)\n",
        ),
        "kwarg",
        3,
        "",
        id="kwarg-from-a-sibling-call",
    ),
    pytest.param(
        COLUMNS,
        6,
        COLUMNS.replace("if len(self.columns)", "if self.columns and len(self.columns)"),
        "truthy",
        6,
        "TypeError: object of type 'NoneType' has no len()",
        id="truthy-before-len",
    ),
    pytest.param(
        AUTH,
        15,
        AUTH.replace(
            '            raise Forbidden("Invalid credentials")\n',
            '            if self.auto_error:\n                raise Forbidden("Invalid credentials")\n'
            "            else:\n                return None\n",
        ),
        "likeguard",
        4,  # the sibling is in another class (module distance)
        "",
        id="likeguard-copies-the-sibling-if",
    ),
    pytest.param(
        TABLE,
        3,
        TABLE.replace("self.load_path()", "self.load_path"),
        "nocall",
        1,
        "TypeError: 'str' object is not callable",
        id="nocall-when-not-callable",
    ),
]


@pytest.mark.parametrize(("source", "line", "fixed", "operator", "top", "message"), CASES)
def test_repo_family_ranks_the_fix(
    source: str, line: int, fixed: str, operator: str, top: int, message: str
) -> None:
    assert_proposed(
        source, line, fixed, operator, top, feedback=raised(message) if message else None
    )


def _families(source: str, line: int, feedback: Feedback | None = None) -> set[str]:
    _, cands = propose(source, line, feedback=feedback)
    return {c.operator for c in cands}


def test_kwarg_passes_only_parameters_the_callee_declares() -> None:
    src = ROUTES.replace(", *, name=None, provider=None", ", *, name=None")
    assert "kwarg" not in _families(src, 13)


def test_kwarg_value_must_be_readable_at_the_call() -> None:
    # the only donor value reads `self`, which a module-level call cannot see
    src = dedent(
        """\
        def route(path, name=None, provider=None):
            return path


        class Router:
            def add(self, path):
                return route(path, provider=self.provider)


        ROOT = route("/")
        """
    )
    _, cands = propose(src, 10)
    texts = [c.description for c in cands if c.operator == "kwarg"]
    assert not any("self.provider" in t for t in texts), texts


def test_nocall_needs_the_not_callable_failure() -> None:
    assert "nocall" not in _families(TABLE, 3)
    assert "nocall" in _families(TABLE, 3, raised("TypeError: 'str' object is not callable"))


def test_likeguard_needs_a_sibling_guarding_the_same_statement() -> None:
    src = AUTH.replace('raise Forbidden("Not authenticated")', "raise Missing()")
    assert "likeguard" not in _families(src, 15)


STATUS = """\
from states import DONE, DISABLED, FAILED, UNKNOWN


def keep(task):
    if task.status not in (DONE, DISABLED):
        return True
    return False
"""


def test_addelem_adds_a_member_of_the_same_import() -> None:
    fixed = STATUS.replace("(DONE, DISABLED)", "(DONE, DISABLED, UNKNOWN)")
    assert_proposed(STATUS, 5, fixed, "addelem", 8)


def test_addelem_offers_only_names_of_the_members_kind() -> None:
    _, cands = propose(STATUS, 5)
    added = {c.description.split("`")[1] for c in cands if c.operator == "addelem"}
    assert added == {"FAILED", "UNKNOWN"}
