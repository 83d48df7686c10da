"""A collection literal of names missing a member (`addelem`; TSSB-3M's "add elements to
iterable", 57K fixes): `status not in (DONE, DISABLED)` -> `(DONE, DISABLED, UNKNOWN)`. The new
member is a name of the same kind as those there: one that sits beside them in another literal of
the file, or is imported by the same `from ... import` line, or is a module constant assigned
among them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.site import Mutant, Site

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

_LITERALS = ("tuple", "list", "set")
MAX_MEMBERS = 8  # new members offered per literal (an import line of states has ~8)


def addelem(site: Site) -> Iterator[Mutant]:
    f = site.file
    for lit in site.nodes(*_LITERALS):
        members = _members(f, lit)
        if not members:
            continue
        last = [c for c in lit.named_children if c.type != "comment"][-1]
        offered = 0
        for name, w in _kin(f, set(members)):
            if name in members:
                continue
            desc = f"add `{name}` to `({', '.join(members)})` in `{site.context}`"
            yield Mutant("addelem", ((last.end_byte, last.end_byte, f", {name}"),), desc, w)
            offered += 1
            if offered >= MAX_MEMBERS:
                break


def _members(f: SourceFile, lit: Node) -> list[str]:
    """The literal's members when every one is a plain name (a constant, mostly), else []."""
    kids = [c for c in lit.named_children if c.type != "comment"]
    if not kids or any(k.type != "identifier" for k in kids):
        return []
    return [f.text(k) for k in kids]


def _kin(f: SourceFile, members: set[str]) -> list[tuple[str, float]]:
    """Names of the members' kind, best first: co-members elsewhere, then import and
    assignment neighbours."""
    groups = f.name_groups
    out: dict[str, float] = {}
    for weight, kind in ((1.0, "literal"), (0.8, "import"), (0.7, "assign")):
        for group in groups.get(kind, []):
            if members & set(group):
                for name in group:
                    if name not in members and name not in out:
                        out[name] = weight
    return sorted(out.items(), key=lambda kv: -kv[1])


def name_groups(f: SourceFile) -> dict[str, list[list[str]]]:
    """Names that go together in the file: members of collection literals of names, names one
    `from ... import` line brings in, and module constants assigned in one run of statements."""
    out: dict[str, list[list[str]]] = {"literal": [], "import": [], "assign": []}
    for n in iter_nodes(f.tree.root_node):
        if n.type in _LITERALS:
            members = _members(f, n)
            if len(members) >= 2:
                out["literal"].append(members)
        elif n.type == "import_from_statement":
            names = [
                f.text(c.child_by_field_name("alias") or c.child_by_field_name("name") or c)
                if c.type == "aliased_import"
                else f.text(c)
                for c in n.children_by_field_name("name")
            ]
            if len(names) >= 2:
                out["import"].append(names)
    run: list[str] = []
    for stmt in f.tree.root_node.named_children:
        target = _constant_target(f, stmt)
        if target is not None:
            run.append(target)
            continue
        if len(run) >= 2:
            out["assign"].append(run)
        run = []
    if len(run) >= 2:
        out["assign"].append(run)
    return out


def _constant_target(f: SourceFile, stmt: Node) -> str | None:
    """`NAME = ...` at module level with an upper-case name, else None."""
    if stmt.type != "expression_statement" or not stmt.named_children:
        return None
    a = stmt.named_children[0]
    left = a.child_by_field_name("left") if a.type == "assignment" else None
    if left is None or left.type != "identifier":
        return None
    name = f.text(left)
    return name if name.isupper() else None
