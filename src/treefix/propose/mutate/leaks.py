"""A loop variable read after its loop (`leak`): after `for x in xs: ... best = x`, a read of
`x` past the loop sees the last element, not the one the loop picked; the name the loop assigned
from `x` was meant, at every read past the loop at once.

    for n in lst:                       for n in lst:
        if n > largest:                     if n > largest:
            largest = n                         largest = n
    out.append(n)              ->       out.append(largest)
    lst.remove(n)                       lst.remove(largest)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.names import is_read
from treefix.propose.mutate.scope import target_names
from treefix.propose.mutate.site import Mutant, Site

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_NAMES = 2


def _loops_binding(f: SourceFile, root: Node, name: str, row: int) -> list[Node]:
    """`for` loops of `root` that bind `name` and end before `row`."""
    return [
        n
        for n in iter_nodes(root)
        if n.type == "for_statement"
        and n.end_point[0] < row
        and name in {f.text(i) for i in target_names(n.child_by_field_name("left"))}
    ]


def _picked(f: SourceFile, loop: Node, name: str) -> list[str]:
    """Names the loop body assigns `name` to (`best = x`), in order."""
    out: list[str] = []
    body = loop.child_by_field_name("body")
    for n in iter_nodes(body) if body is not None else ():
        if n.type != "assignment":
            continue
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None or left.type != "identifier" or f.text(right) != name:
            continue
        if f.text(left) not in out and f.text(left) != name:
            out.append(f.text(left))
    return out[:MAX_NAMES]


def leak(site: Site) -> Iterator[Mutant]:
    f, func = site.file, site.func
    if func is None:
        return
    done: set[str] = set()
    for n in site.nodes("identifier"):
        name = f.text(n)
        if name in done or not is_read(n):
            continue
        done.add(name)
        loops = _loops_binding(f, func, name, n.start_point[0])
        if not loops:
            continue
        loop = loops[-1]  # the nearest one above
        if any(b.start_point[0] > loop.end_point[0] for b in _bindings(f, func, name)):
            continue  # bound again after the loop: the reads see that value
        reads = [
            r
            for r in iter_nodes(func)
            if r.type == "identifier"
            and f.text(r) == name
            and is_read(r)
            and r.start_point[0] > loop.end_point[0]
        ]
        for rank, alt in enumerate(_picked(f, loop, name)):
            w = 1.0 - 0.1 * rank
            edits = tuple((r.start_byte, r.end_byte, alt) for r in reads)
            if len(reads) > 1:
                desc = f"read `{alt}`, not the loop's leftover `{name}` ({len(reads)} reads)"
                yield Mutant("leak", edits, desc, w)
            yield site.replace(n, alt, "leak", 0.8 * w)


def _bindings(f: SourceFile, root: Node, name: str) -> list[Node]:
    return [
        n
        for n in iter_nodes(root)
        if n.type == "identifier" and f.text(n) == name and not is_read(n)
    ]
