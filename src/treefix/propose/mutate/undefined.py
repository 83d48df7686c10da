"""Names that cannot be right: a name read but bound nowhere (a certain NameError once reached:
`day` where the parameter is `date`, `new_lst` for `new_list`), a function called by a name
defined nowhere (`lists(...)` for `list(...)`), and a built-in callable used as a plain value
where a similarly named variable was meant (`for x in list:` with a parameter `lst`).

`rename` only swaps names the scope knows; these are the ones it skips. Candidates are the names
in scope, the closest spelling first, then the nearest use.
"""

from __future__ import annotations

import ast
import builtins
import difflib
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.scope import SKIP_NAMES
from treefix.propose.mutate.site import Mutant, Site, is_called

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_NAMES = 5
_BUILTINS = frozenset(dir(builtins))
# Where a built-in callable read as a value is a slip, not a higher-order use (`map(str, xs)`).
_VALUE_USES = frozenset(
    {"for_statement", "for_in_clause", "subscript", "binary_operator", "comparison_operator"}
)


def _candidates(site: Site, name: str, row: int, pool: list[str]) -> list[str]:
    """Closest spellings (ratio >= 0.5) first, then the names used nearest `row`."""
    close = sorted(
        (n for n in pool if n != name),
        key=lambda n: -difflib.SequenceMatcher(None, name, n).ratio(),
    )
    similar = [n for n in close if difflib.SequenceMatcher(None, name, n).ratio() >= 0.5]
    near = site.scope.alternatives(name, row, MAX_NAMES)
    # a parameter nobody reads: likeliest
    unused = [site.file.text(p) for p in unused_parameters(site)]
    return list(dict.fromkeys(unused + similar[:3] + near))[:MAX_NAMES]


@lru_cache(maxsize=32)
def bound_names(source: bytes) -> frozenset[str] | None:
    """Every name the module binds anywhere (any scope), or None when anything might be bound
    (`import *`, a file Python cannot parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                out.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            out.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            out.add(node.name)
    return frozenset(out)


def undefined(site: Site) -> Iterator[Mutant]:
    f, scope = site.file, site.scope
    bound = bound_names(f.source)
    if bound is None:
        return
    pool = [n for n in [*scope.local, *scope.module] if n not in SKIP_NAMES]
    for n in site.nodes("identifier"):
        name = f.text(n)
        if name in SKIP_NAMES or name in bound:
            continue
        row = n.start_point[0]
        parent = n.parent
        if is_called(n):
            if name in _BUILTINS:
                continue
            # A function called by a name bound nowhere: a module function or a built-in.
            funcs = sorted(n for n in bound if n not in SKIP_NAMES)
            close = difflib.get_close_matches(name, funcs + sorted(_BUILTINS), n=3, cutoff=0.6)
            for rank, alt in enumerate(close):
                yield site.replace(n, alt, "undefined", 1.0 - 0.05 * rank)
            continue
        if not is_read(n):
            continue
        if name in _BUILTINS:
            if not callable(getattr(builtins, name)) or parent is None:
                continue
            if parent.type not in _VALUE_USES or name[0].isupper():
                continue
            # `for x in list:` iterates a type: a variable spelt like it was meant
            alts = difflib.get_close_matches(name, pool, n=2, cutoff=0.5)
            for rank, alt in enumerate(alts):
                yield site.replace(n, alt, "undefined", 0.8 - 0.05 * rank)
            continue
        uses = _reads(site, name)
        for rank, alt in enumerate(_candidates(site, name, row, pool)):
            w = 1.0 - 0.05 * rank
            if len(uses) > 1:
                # Unbound here is unbound everywhere in the function: rename every read at once.
                edits = tuple((u.start_byte, u.end_byte, alt) for u in uses)
                desc = f"replace the unbound `{name}` with `{alt}` ({len(uses)} uses)"
                yield Mutant("undefined", edits, desc, w)
                w *= 0.8
            yield site.replace(n, alt, "undefined", w)
        yield from _unused_parameter(site, name)


def _reads(site: Site, name: str) -> list[Node]:
    """Every read of `name` in the site's function (or module-level code)."""
    root = site.func if site.func is not None else site.file.tree.root_node
    f = site.file
    return [
        n for n in iter_nodes(root) if n.type == "identifier" and f.text(n) == name and is_read(n)
    ]


def _unused_parameter(site: Site, name: str) -> Iterator[Mutant]:
    """`def f(date): ... day ...`: a parameter never read, renamed to the unbound name."""
    f = site.file
    for p in unused_parameters(site):
        mutant = site.replace(p, name, "undefined", 0.95)
        desc = f"rename the unused parameter `{f.text(p)}` to `{name}`"
        line = p.start_point[0] + 1
        yield Mutant(mutant.family, mutant.edits, desc, mutant.weight, line=line)


def unused_parameters(site: Site) -> list[Node]:
    """Plain parameters of the site's function that its body never mentions."""
    func, f = site.func, site.file
    params = func.child_by_field_name("parameters") if func is not None else None
    if params is None:
        return []
    def_row = params.start_point[0]
    out = []
    for p in params.named_children:
        rows = site.scope.local.get(f.text(p), [])
        if p.type == "identifier" and f.text(p) not in SKIP_NAMES and set(rows) <= {def_row}:
            out.append(p)
    return out
