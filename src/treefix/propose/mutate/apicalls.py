"""Slips in how a project calls its own code, common in real repositories' fixes
(bench/real/RESULTS.md, repository bugs): a keyword argument the callee declares but the call
leaves out (`kwarg`: `Route(path, name=name)` -> `Route(path, name=name, provider=self.provider)`,
the value taken from another call that passes that keyword, or the same-named variable in scope),
and a call of a value that is not callable (`nocall`: `self.path()` -> `self.path`, offered when the
failing tests raised "object is not callable")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.ingredients import bound_at, callee_name
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_KWARGS = 6  # keyword arguments offered per call
MAX_VALUES = 2  # values offered per keyword
_PARAM_TYPES = ("default_parameter", "typed_default_parameter")


def keyword_params(file: SourceFile) -> dict[str, list[list[str]]]:
    """For each function, method or class of the file (a class by its `__init__`): the names of
    its parameters that a caller may pass by keyword, in order (`self`/`cls` and splats left out).
    Several entries when a name is defined more than once."""
    out: dict[str, list[list[str]]] = {}
    for n in iter_nodes(file.tree.root_node):
        if n.type == "function_definition":
            name, params = n.child_by_field_name("name"), n.child_by_field_name("parameters")
            if name is not None and params is not None:
                out.setdefault(file.text(name), []).append(_names(file, params))
        elif n.type == "class_definition":
            name, body = n.child_by_field_name("name"), n.child_by_field_name("body")
            init = _init(file, body) if body is not None else None
            params = init.child_by_field_name("parameters") if init is not None else None
            if name is not None and params is not None:
                out.setdefault(file.text(name), []).append(_names(file, params))
    return out


def _init(file: SourceFile, body: Node) -> Node | None:
    for c in body.named_children:
        fn = c.child_by_field_name("definition") if c.type == "decorated_definition" else c
        if fn is not None and fn.type == "function_definition":
            name = fn.child_by_field_name("name")
            if name is not None and file.text(name) == "__init__":
                return fn
    return None


def _names(file: SourceFile, params: Node) -> list[str]:
    names: list[str] = []
    for p in params.named_children:
        if p.type == "identifier":
            names.append(file.text(p))
        elif p.type == "typed_parameter" and p.named_children:
            names.append(file.text(p.named_children[0]))
        elif p.type in _PARAM_TYPES:
            named = p.child_by_field_name("name")
            if named is not None:
                names.append(file.text(named))
    return [n for n in names if n not in ("self", "cls")]


def keyword_values(file: SourceFile) -> dict[str, list[tuple[str, int]]]:
    """Every `name=value` passed in a call of the file: value texts per keyword, with their row."""
    out: dict[str, list[tuple[str, int]]] = {}
    for n in iter_nodes(file.tree.root_node):
        if n.type != "keyword_argument" or n.parent is None or n.parent.type != "argument_list":
            continue
        name, value = n.child_by_field_name("name"), n.child_by_field_name("value")
        if name is not None and value is not None and "\n" not in file.text(value):
            out.setdefault(file.text(name), []).append((file.text(value), n.start_point[0]))
    return out


def kwarg(site: Site) -> Iterator[Mutant]:
    f = site.file
    params = f.keyword_params
    for call in site.nodes("call"):
        args = call.child_by_field_name("arguments")
        name = callee_name(f, call)
        if args is None or args.type != "argument_list" or name not in params:
            continue
        kids = [a for a in args.named_children if a.type != "comment"]
        if any(a.type in ("dictionary_splat", "list_splat") for a in kids):
            continue  # *args/**kwargs may already carry it
        passed = {
            f.text(k)
            for a in kids
            if a.type == "keyword_argument"
            for k in [a.child_by_field_name("name")]
            if k is not None
        }
        positional = sum(1 for a in kids if a.type != "keyword_argument")
        missing: list[str] = []
        for names in params[name]:
            for p in names[positional:]:
                if p not in passed and p not in missing:
                    missing.append(p)
        at = kids[-1].end_byte if kids else args.start_byte + 1
        sep = ", " if kids else ""
        offered = 0
        for p in missing:
            for value, w in _values(site, p):
                desc = f"pass `{p}={short(value, 28)}` to `{name}` in `{site.context}`"
                yield Mutant("kwarg", ((at, at, f"{sep}{p}={value}"),), desc, w)
                offered += 1
            if offered >= MAX_KWARGS:
                break


def _values(site: Site, param: str) -> list[tuple[str, float]]:
    """What to pass for a keyword: what other calls pass for it (nearest first; its names must be
    readable here), then the same-named variable."""
    row = site.stmt.start_point[0]
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    donors = sorted(site.file.keyword_values.get(param, []), key=lambda v: abs(v[1] - row))
    for value, _row in donors:
        head = value.split(".", 1)[0].split("(", 1)[0].split("[", 1)[0]
        if value in seen or (head.isidentifier() and not bound_at(site, head)):
            continue
        seen.add(value)
        out.append((value, 1.0 - 0.1 * len(out)))
        if len(out) >= MAX_VALUES:
            break
    if param not in seen and bound_at(site, param):
        out.append((param, 0.8))
    return out


def nocall(site: Site) -> Iterator[Mutant]:
    """`x.attr()` -> `x.attr` when the tests said a value is not callable."""
    if not site.not_callable:
        return
    f = site.file
    for call in site.nodes("call"):
        fn, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if fn is None or args is None or args.type != "argument_list" or args.named_children:
            continue
        if fn.type == "attribute" or (fn.type == "identifier" and f.text(fn) != "super"):
            desc = f"`{short(f.text(call), 32)}` is not callable: read `{f.text(fn)}`"
            yield Mutant("nocall", ((fn.end_byte, call.end_byte, ""),), desc, 1.0)
