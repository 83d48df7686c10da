"""A compact map of the repository (Aider's repo map is the anchor): the classes and functions
of each module, as signature lines from tree-sitter, ranked by how often the failing tests and
the suspicious code refer to them, within a token budget.

A definition's rank is the number of references to its name from the seed text (the failing
tests' source, the suspicious code, the failure text), plus a small share for how many other
modules refer to it; a module ranks by its best definitions, and modules the tests' traceback
or the localiser point at come first. Test modules are left out (their source is shown apart).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from treefix.code.syntax import parse
from treefix.code.testfiles import is_test_file
from treefix.propose.context.budget import tokens
from treefix.types import ProgramState

MAX_FILES_PARSED = 2000  # a bigger repository is mapped from the modules that matter first
MAX_FILE_BYTES = 400_000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMON = frozenset(
    {
        "self",
        "cls",
        "None",
        "True",
        "False",
        "assert",
        "return",
        "def",
        "class",
        "import",
        "from",
        "in",
        "is",
        "not",
        "and",
        "or",
        "if",
        "else",
        "for",
        "while",
        "with",
        "as",
        "try",
        "except",
        "raise",
        "lambda",
        "yield",
        "pass",
        "len",
        "str",
        "int",
        "list",
        "dict",
        "set",
        "tuple",
        "print",
        "range",
        "test",
        "main",
        "__init__",
    }
)


@dataclass
class Definition:
    name: str
    line: int
    signature: str  # "def f(a, b=1) -> int" / "class X(Base)"
    depth: int  # 0: module level, 1: in a class
    rank: float = 0.0


@dataclass
class Module:
    path: str
    defs: list[Definition] = field(default_factory=list)
    rank: float = 0.0


def _signature(node) -> str:
    text = node.text.decode("utf-8", "replace")
    body = node.child_by_field_name("body")
    if body is not None:
        text = text[: body.start_byte - node.start_byte]
    return " ".join(text.split()).rstrip(":").strip()


def definitions(source: bytes) -> list[Definition]:
    """Top-level classes and functions and the methods of top-level classes."""
    out: list[Definition] = []

    def walk(block, depth: int) -> None:
        for child in block.named_children:
            target = (
                child.child_by_field_name("definition")
                if child.type == "decorated_definition"
                else child
            )
            if target is None or target.type not in ("function_definition", "class_definition"):
                continue
            name = target.child_by_field_name("name")
            if name is None:
                continue
            out.append(
                Definition(
                    name.text.decode("utf-8", "replace"),
                    target.start_point[0] + 1,
                    _signature(target),
                    depth,
                )
            )
            if target.type == "class_definition" and depth == 0:
                body = target.child_by_field_name("body")
                if body is not None:
                    walk(body, 1)

    walk(parse(source).root_node, 0)
    return out


def references(text: str) -> Counter:
    return Counter(w for w in _IDENT.findall(text) if w not in _COMMON and len(w) > 2)


def repo_map(
    state: ProgramState,
    seed_text: str,
    budget: int,
    first_paths: Iterable[str] = (),
) -> str:
    """The map within `budget` tokens; `first_paths` (traceback / localised modules) lead."""
    if budget <= 0:
        return ""
    first = list(dict.fromkeys(p for p in first_paths if p.endswith(".py") and not is_test_file(p)))
    seeds = references(seed_text)
    paths = [p for p in state.paths() if p.endswith(".py") and not is_test_file(p)]
    # with many modules, parse those the seeds name (by module name) and the first ones
    if len(paths) > MAX_FILES_PARSED:
        named = {p for p in paths if p.rsplit("/", 1)[-1][:-3] in seeds}
        paths = list(dict.fromkeys([*first, *sorted(named), *paths]))[:MAX_FILES_PARSED]
    modules: list[Module] = []
    used_by: Counter = Counter()  # name -> modules referring to it
    for path in paths:
        try:
            source = state.read(path)
        except KeyError:
            continue
        if len(source) > MAX_FILE_BYTES:
            continue
        defs = definitions(source)
        if not defs:
            continue
        modules.append(Module(path, defs))
        used_by.update(set(references(source.decode("utf-8", "replace"))))
    for m in modules:
        for d in m.defs:
            d.rank = seeds.get(d.name, 0) + 0.1 * min(used_by.get(d.name, 0) - 1, 10)
        best = sorted((d.rank for d in m.defs), reverse=True)[:3]
        m.rank = sum(best) + (1000 - first.index(m.path) if m.path in first else 0)
    modules.sort(key=lambda m: (-m.rank, m.path))
    out: list[str] = []
    used = 0
    for m in modules:
        block = _render(m)
        cost = tokens(block) + 1
        if used + cost > budget:
            # a module that does not fit whole is shown with its ranked definitions only
            block = _render(m, only_ranked=True)
            cost = tokens(block) + 1
            if not block or used + cost > budget:
                continue
        out.append(block)
        used += cost
    return "\n".join(out)


def _render(m: Module, only_ranked: bool = False) -> str:
    defs = [d for d in m.defs if d.rank > 0] if only_ranked else m.defs
    if not defs:
        return ""
    rows = [f"{m.path}:"]
    for d in defs:
        rows.append(f"{'    ' * (d.depth + 1)}{d.line:>4}: {d.signature}")
    return "\n".join(rows)
