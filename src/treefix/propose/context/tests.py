"""The failing tests' source: the test function (found with tree-sitter from its node id) and
the fixtures it asks for, from its own module and the conftest.py files above it, one level of
fixture dependencies deep."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from treefix.code.syntax import parse
from treefix.types import ProgramState

MAX_FIXTURE_DEPTH = 2  # a fixture's own fixtures are shown, theirs are not
_BUILTIN_FIXTURES = frozenset(
    {"tmp_path", "tmpdir", "monkeypatch", "capsys", "capfd", "caplog", "request", "recwarn"}
)


@dataclass(frozen=True)
class Snippet:
    path: str
    first_line: int  # 1-based
    text: str
    kind: str  # "test" | "fixture"
    name: str


def _defs(tree) -> dict[tuple[str, ...], object]:
    """(Class, ..., name) -> the def node (decorated definitions included), top level and in
    classes."""
    out: dict[tuple[str, ...], object] = {}

    def walk(node, prefix: tuple[str, ...]) -> None:
        for child in node.named_children:
            target, outer = child, child
            if child.type == "decorated_definition":
                target = child.child_by_field_name("definition")
            if target is None:
                continue
            name_node = target.child_by_field_name("name")
            if name_node is None:
                continue
            name = name_node.text.decode("utf-8", "replace")
            if target.type == "function_definition":
                out.setdefault((*prefix, name), outer)
            elif target.type == "class_definition":
                body = target.child_by_field_name("body")
                if body is not None:
                    walk(body, (*prefix, name))

    walk(tree.root_node, ())
    return out


def _params(node) -> list[str]:
    target = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
    params = target.child_by_field_name("parameters") if target is not None else None
    names = []
    for p in params.named_children if params is not None else ():
        ident = p if p.type == "identifier" else p.child_by_field_name("name")
        if ident is None and p.named_children:
            ident = p.named_children[0]
        if ident is not None and ident.type == "identifier":
            names.append(ident.text.decode("utf-8", "replace"))
    return [n for n in names if n not in ("self", "cls")]


def _is_fixture(node) -> bool:
    if node.type != "decorated_definition":
        return False
    return any(c.type == "decorator" and b"fixture" in c.text for c in node.named_children)


def _snippet(path: str, node, kind: str, name: str) -> Snippet:
    return Snippet(path, node.start_point[0] + 1, node.text.decode("utf-8", "replace"), kind, name)


def _conftests(state: ProgramState, test_path: str) -> list[str]:
    known = set(state.paths())
    out, folder = [], posixpath.dirname(test_path)
    while True:
        candidate = posixpath.join(folder, "conftest.py") if folder else "conftest.py"
        if candidate in known:
            out.append(candidate)
        if not folder:
            return out
        folder = posixpath.dirname(folder)


class TestSource:
    """Finds tests and fixtures; parsed files are kept for the run (test files never change)."""

    __test__ = False

    def __init__(self, state: ProgramState):
        self.state = state
        self._trees: dict[str, dict] = {}

    def _index(self, path: str) -> dict:
        if path not in self._trees:
            try:
                self._trees[path] = _defs(parse(self.state.read(path)))
            except KeyError:
                self._trees[path] = {}
        return self._trees[path]

    def test(self, nodeid: str) -> Snippet | None:
        path, _, rest = nodeid.partition("::")
        if not rest:  # a module that failed to collect: its source is what the tests are
            try:
                text = self.state.read(path).decode("utf-8", "replace")
            except KeyError:
                return None
            return Snippet(path, 1, text.rstrip("\n"), "module", path)
        parts = tuple(p.split("[", 1)[0] for p in rest.split("::") if p)
        node = self._index(path).get(parts)
        return _snippet(path, node, "test", "::".join(parts)) if node is not None else None

    def fixture(self, name: str, test_path: str) -> tuple[Snippet, object] | None:
        """The nearest definition of fixture `name`: the test's module, then conftest.py files
        from its folder up (pytest's own lookup order)."""
        for path in [test_path, *_conftests(self.state, test_path)]:
            for key, node in self._index(path).items():
                if key[-1] == name and _is_fixture(node):
                    return _snippet(path, node, "fixture", name), node
        return None

    def for_targets(self, targets: Sequence[str]) -> list[Snippet]:
        """Each target's test, then the fixtures it uses (deduplicated, in order of use)."""
        out: list[Snippet] = []
        seen: set[tuple[str, int]] = set()

        def add(s: Snippet) -> bool:
            if (s.path, s.first_line) in seen:
                return False
            seen.add((s.path, s.first_line))
            out.append(s)
            return True

        for t in targets:
            test = self.test(t)
            if test is None or not add(test):
                continue
            node = self._index(test.path).get(tuple(test.name.split("::")))
            wanted = [(p, 1) for p in _params(node)] if node is not None else []
            while wanted:
                name, depth = wanted.pop(0)
                if name in _BUILTIN_FIXTURES:
                    continue
                found = self.fixture(name, test.path)
                if found is not None and add(found[0]) and depth < MAX_FIXTURE_DEPTH:
                    wanted.extend((p, depth + 1) for p in _params(found[1]))
        return out


def render_snippets(snippets: Sequence[Snippet]) -> str:
    parts = []
    for s in snippets:
        lines = s.text.splitlines()
        width = len(str(s.first_line + len(lines)))
        body = "\n".join(f"{s.first_line + i:>{width}} | {ln}" for i, ln in enumerate(lines))
        parts.append(f"### {s.path} ({s.kind} {s.name})\n```python\n{body}\n```")
    return "\n\n".join(parts)
