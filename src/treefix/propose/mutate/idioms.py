"""Python-specific slips (bench/real/PATTERNS.md): a value added to a list without brackets
(`wrap`), a method named but not called or subscripted instead of called (`callfix`), a result
printed instead of returned (`printret`), the `None` of an in-place method kept (`inplace`), a
comparison written where an assignment was meant (`eqassign`), and an `or` chain whose second
clause lost its left operand (`orchain`).

Each matches a narrow shape, so each yields one or two mutants per site: cheap to try early.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.code.syntax import iter_nodes
from treefix.propose.mutate.exprs import atom
from treefix.propose.mutate.operators import comparison_parts
from treefix.propose.mutate.site import Mutant, Site, is_called, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

# Values that cannot be a list element somebody forgot to bracket, or already are a sequence.
_NOT_ELEMENT = frozenset(
    {
        "list",
        "tuple",
        "list_comprehension",
        "generator_expression",
        "integer",
        "float",
        "binary_operator",
        "parenthesized_expression",
    }
)
_STRINGS = frozenset({"string", "concatenated_string"})
_SCALARS = frozenset({"integer", "float", "string", "concatenated_string", "true", "false"})
# Built-in mutators that return None: `x = lst.append(v)` loses the list.
_IN_PLACE = frozenset(
    {
        "append",
        "extend",
        "insert",
        "remove",
        "sort",
        "reverse",
        "clear",
        "update",
        "add",
        "discard",
    }
)
# Literals that are always truthy or falsy as a lone `or`/`and` clause: `x == 1 or 2`.
_LITERALS = frozenset(
    {"integer", "float", "string", "concatenated_string", "list", "tuple", "dictionary", "set"}
)
# Methods of str, list, dict and set that are never read as plain values.
_METHODS = _IN_PLACE | frozenset(
    {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "title",
        "capitalize",
        "keys",
        "values",
        "items",
        "copy",
        "pop",
        "isdigit",
        "isalpha",
        "isupper",
        "islower",
        "isspace",
        "splitlines",
    }
)
_EQUALITY = frozenset({"==", "!=", "in", "not in", "is", "is not"})


def _target(node: Node) -> bool:
    """The node is (inside) the left side of an assignment or a `for` target."""
    child, n = node, node.parent
    while n is not None and n.type not in ("expression_statement", "block", "module"):
        if n.type in ("assignment", "augmented_assignment") and child == n.child_by_field_name(
            "left"
        ):
            return True
        if n.type == "for_statement" and child == n.child_by_field_name("left"):
            return True
        child, n = n, n.parent
    return False


def wrap(site: Site) -> Iterator[Mutant]:
    """`acc += v` -> `acc += [v]` (or `(v,)`), `acc + v` -> `acc + [v]`, `.extend(v)` ->
    `.extend([v])`: a single value concatenated to a sequence."""
    f = site.file
    for n in site.targets:
        if n.type == "augmented_assignment":
            op, right = n.child_by_field_name("operator"), n.child_by_field_name("right")
            if op is None or right is None or op.type != "+=":
                continue
            left = n.child_by_field_name("left")
            if left is not None and right.type == "binary_operator":
                yield from _doubled(site, left, right)
            if right.type in _NOT_ELEMENT or right.type in _STRINGS:
                continue
            kinds = _initial_kinds(site, f.text(left)) if left is not None else set()
            if kinds & _SCALARS:
                continue  # `total = 0 ... total += x`: a number, not a list
            w = 1.0 if kinds & {"list", "tuple"} else 0.7
            yield site.replace(right, f"[{f.text(right)}]", "wrap", w)
            yield site.replace(right, f"({f.text(right)},)", "wrap", 0.7 * w)
        elif n.type == "binary_operator":
            op, left = n.child_by_field_name("operator"), n.child_by_field_name("left")
            right = n.child_by_field_name("right")
            if op is None or left is None or right is None or op.type != "+":
                continue
            if left.type == "list" and right.type not in _NOT_ELEMENT | _STRINGS:
                yield site.replace(right, f"[{f.text(right)}]", "wrap", 0.8)
            elif (
                left.type in ("identifier", "attribute")
                and right.type in ("identifier", "subscript", "call")
                and _assigned_to(site, n, f.text(left))
            ):
                yield site.replace(right, f"[{f.text(right)}]", "wrap", 0.9)
                yield site.replace(right, f"({f.text(right)},)", "wrap", 0.6)
        elif n.type == "call":
            fn, arglist = n.child_by_field_name("function"), n.child_by_field_name("arguments")
            name = fn.child_by_field_name("attribute") if fn and fn.type == "attribute" else None
            if name is None or arglist is None or f.text(name) != "extend":
                continue
            positional = [c for c in arglist.named_children if c.type != "comment"]
            if len(positional) == 1 and positional[0].type not in _NOT_ELEMENT:
                a = positional[0]
                yield site.replace(a, f"[{f.text(a)}]", "wrap", 0.8)


def _doubled(site: Site, left: Node, right: Node) -> Iterator[Mutant]:
    """`acc += acc + v` adds `acc` to itself: `acc += [v]` (or `acc += v`) was meant."""
    f = site.file
    op, first, rest = (right.child_by_field_name(k) for k in ("operator", "left", "right"))
    if op is None or first is None or rest is None or op.type != "+":
        return
    if f.text(first) != f.text(left) or rest.type in _STRINGS:
        return
    kinds = _initial_kinds(site, f.text(left))
    element = rest.type not in _NOT_ELEMENT and not kinds & _SCALARS
    # never meant: above the family's usual weight, like eqassign's `x == 0` statement
    if element:
        yield site.replace(right, f"[{f.text(rest)}]", "wrap", 1.25)
    yield site.replace(right, f.text(rest), "wrap", 1.0 if element else 1.25)


def _initial_kinds(site: Site, name: str) -> set[str]:
    """Node types of the literals `name` is assigned in the site's function (`[]`, `0`, ...)."""
    f, func = site.file, site.func
    if func is None:
        return set()
    out: set[str] = set()
    for n in iter_nodes(func):
        if n.type == "assignment":
            left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
            if left is not None and right is not None and f.text(left) == name:
                out.add(right.type)
    return out


def _assigned_to(site: Site, expr: Node, name: str) -> bool:
    """`name = name + v`: the sum goes back into its left operand (an accumulator)."""
    parent = expr.parent
    if parent is None or parent.type != "assignment" or parent.child_by_field_name("right") != expr:
        return False
    left = parent.child_by_field_name("left")
    return left is not None and site.file.text(left) == name


def callfix(site: Site) -> Iterator[Mutant]:
    """`s.lower` -> `s.lower()` where a method is read but never called; `d.get[k]` ->
    `d.get(k)` where it is subscripted (at every such place of the function at once too: each
    is a certain TypeError, and fixing one only moves the failure to the next)."""
    f = site.file
    yield from _all_subscripted(site)
    for n in site.targets:
        if n.type == "attribute" and not is_called(n) and not _target(n):
            parent = n.parent
            if (
                parent is not None
                and parent.type == "subscript"
                and (parent.child_by_field_name("value") == n)
            ):
                index = parent.child_by_field_name("subscript")
                if index is not None:
                    new = f"{f.text(n)}({f.text(index)})"
                    yield site.replace(parent, new, "callfix", 1.0)
                continue
            name = n.child_by_field_name("attribute")
            method = f.text(name) if name is not None else ""
            # A name known as a method (built-in, or called elsewhere in the file) is likely a
            # missing call; any other attribute read is likelier a plain field.
            called = method in _METHODS or any(u.called and u.name == method for u in f.attributes)
            weight = 1.0 if called else 0.3
            if parent is not None and parent.type == "attribute":
                weight *= 0.6  # `lst.reverse().remove`: a chain, less often the slip
            yield site.replace(n, f"{f.text(n)}()", "callfix", weight)


def _subscripted_method(f: SourceFile, n: Node) -> tuple[Node, Node] | None:
    """(method attribute, index) of `obj.method[index]` for a method of a built-in type."""
    value, index = n.child_by_field_name("value"), n.child_by_field_name("subscript")
    if n.type != "subscript" or value is None or index is None or value.type != "attribute":
        return None
    name = value.child_by_field_name("attribute")
    return (value, index) if name is not None and f.text(name) in _METHODS else None


def _all_subscripted(site: Site) -> Iterator[Mutant]:
    f = site.file
    root = site.func if site.func is not None else f.tree.root_node
    found = [p for n in iter_nodes(root) if (p := _subscripted_method(f, n)) is not None]
    if len(found) < 2 or not any(_subscripted_method(f, n) for n in site.targets):
        return
    edits = tuple(
        (m.end_byte, i.parent.end_byte if i.parent is not None else i.end_byte, f"({f.text(i)})")
        for m, i in found
    )
    desc = f"call instead of subscripting at {len(found)} places: `{short(f.text(found[0][0]), 24)}[...]`"
    yield Mutant("callfix", edits, desc, 1.2)  # before any one of them alone


def printret(site: Site) -> Iterator[Mutant]:
    """`print(x)` -> `return x` inside a function that should hand back what it prints."""
    stmt, f = site.stmt, site.file
    if site.func is None or stmt.type != "expression_statement" or not stmt.named_children:
        return
    call = stmt.named_children[0]
    fn, arglist = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if call.type != "call" or fn is None or arglist is None or f.text(fn) != "print":
        return
    values = [c for c in arglist.named_children if c.type != "comment"]
    if any(v.type == "keyword_argument" for v in values):
        values = [v for v in values if v.type != "keyword_argument"]
    if not values:
        return
    text = ", ".join(f.text(v) for v in values)
    new = f"return {text}" if len(values) == 1 else f"return ({text})"
    yield from _return_after_loop(site, new)
    yield Mutant(
        "printret",
        ((stmt.start_byte, stmt.end_byte, new),),
        f"return instead of printing: `{short(f.text(stmt), 32)}` -> `{short(new, 32)}`",
        # a function that returns nothing yet prints: its callers get None
        0.7 if site.scope.returns_value else 1.0,
    )


def _return_after_loop(site: Site, new: str) -> Iterator[Mutant]:
    """`print(result)` last in the loop that builds `result`: return it once, after the loop."""
    f, stmt = site.file, site.stmt
    block = stmt.parent
    loop = block.parent if block is not None else None
    if block is None or loop is None or loop.type not in ("for_statement", "while_statement"):
        return
    kids = [c for c in block.named_children if c.type != "comment"]
    indent = f.indent_of(loop)
    if kids[-1] != stmt or len(kids) < 2 or indent is None or not f.ends_line(loop):
        return
    if loop.end_byte != stmt.end_byte:
        return  # a loop `else:` follows
    # the print is the loop's last line: the same line, dedented to the loop's level
    edit = (f.line_start(stmt.start_byte), stmt.end_byte, f"{indent}{new}")
    yield Mutant("printret", (edit,), f"`{short(new, 32)}` after the loop, not a print in it", 0.9)


def inplace(site: Site) -> Iterator[Mutant]:
    """`x = lst.append(v)` -> `lst.append(v)` (and `x.append(v)`); `return lst.sort()` ->
    `return sorted(lst)`: the None an in-place method returns was kept."""
    stmt, f = site.stmt, site.file
    if stmt.type == "expression_statement" and stmt.named_children:
        a = stmt.named_children[0]
        if a.type not in ("assignment", "augmented_assignment"):
            return
        left, right = a.child_by_field_name("left"), a.child_by_field_name("right")
        parts = _mutator_call(site, right)
        if left is None or right is None or parts is None:
            return
        receiver, method, args = parts
        call = f.text(right)
        yield Mutant(
            "inplace",
            ((a.start_byte, a.end_byte, call),),
            f"keep the list, not the None of `{short(call, 32)}`",
            1.0,
        )
        own = f"{f.text(left)}.{method}{args}"
        if f.text(left) != receiver and left.type in ("identifier", "attribute"):
            yield Mutant(
                "inplace",
                ((a.start_byte, a.end_byte, own),),
                f"call `{method}` on `{short(f.text(left), 24)}` instead of assigning its None",
                0.8,
            )
    elif stmt.type == "return_statement" and stmt.named_children:
        value = stmt.named_children[0]
        parts = _mutator_call(site, value)
        if parts is None:
            return
        receiver, method, args = parts
        new = {"sort": f"sorted({receiver})", "reverse": f"{receiver}[::-1]"}.get(method)
        if new is None:
            new = receiver
            what = f"call `{method}`, then return `{short(receiver, 24)}`"
            indent = f.indent_of(stmt)
            if indent is None:
                return
            edit = (stmt.start_byte, stmt.end_byte, f"{f.text(value)}\n{indent}return {new}")
        else:
            what = f"return `{short(new, 32)}`, not the None of `{method}`"
            edit = (value.start_byte, value.end_byte, new)
        yield Mutant("inplace", (edit,), what, 0.9)


def _mutator_call(site: Site, node: Node | None) -> tuple[str, str, str] | None:
    """(receiver text, method, argument text) of `receiver.method(args)` for a None mutator."""
    f = site.file
    if node is None or node.type != "call":
        return None
    fn, arglist = node.child_by_field_name("function"), node.child_by_field_name("arguments")
    if fn is None or arglist is None or fn.type != "attribute":
        return None
    obj, name = fn.child_by_field_name("object"), fn.child_by_field_name("attribute")
    if obj is None or name is None or f.text(name) not in _IN_PLACE:
        return None
    return atom(f, obj), f.text(name), f.text(arglist)


def eqassign(site: Site) -> Iterator[Mutant]:
    """`count == 0` as a statement -> `count = 0`: a comparison whose result nobody uses."""
    stmt = site.stmt
    if stmt.type != "expression_statement" or len(stmt.named_children) != 1:
        return
    cmp = stmt.named_children[0]
    if cmp.type != "comparison_operator":
        return
    operands, ops = comparison_parts(cmp)
    if (
        len(ops) != 1
        or ops[0].type != "=="
        or operands[0].type
        not in (
            "identifier",
            "attribute",
            "subscript",
        )
    ):
        return
    yield site.replace(ops[0], "=", "eqassign", 1.0)


def orchain(site: Site) -> Iterator[Mutant]:
    """`x == 1 or 2` -> `x == 1 or x == 2` (and `x in (1, 2)`): a clause that is a bare
    literal, always true or always false, lost the left side of its comparison."""
    f = site.file
    for n in site.nodes("boolean_operator"):
        left, right = n.child_by_field_name("left"), n.child_by_field_name("right")
        if left is None or right is None:
            continue
        for cmp, bare in ((left, right), (right, left)):
            if cmp.type != "comparison_operator" or bare.type not in _LITERALS:
                continue
            operands, ops = comparison_parts(cmp)
            if len(ops) != 1 or ops[0].type not in _EQUALITY:
                continue
            subject, op = f.text(operands[0]), ops[0].type
            yield site.replace(bare, f"{subject} {op} {f.text(bare)}", "orchain", 1.0)
            if op == "==" and cmp == left:
                both = f"{subject} in ({f.text(operands[1])}, {f.text(bare)})"
                yield site.replace(n, both, "orchain", 0.7)
