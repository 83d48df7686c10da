"""String fix patterns:

- expected: a literal edited toward what the failing assertion expected. The failure shows the
  value the program made and the one the test wanted (`assert 'a"b"' == 'ab'`, unittest's
  `'x' != 'y'` or "First differing element" lines, pytest's "At index 3 diff:"); each difference
  between the two (difflib), found in a literal at the suspicious statement by its anchor (the
  value's start or end, or the characters around it), is applied to the literal:
  `'"{0}={1}"'.format(k, v)` -> `'{0}={1}'.format(k, v)` when `'"a=1"'` was made where `'a=1'`
  was expected. Either side may be the made one (unittest's argument order is a convention):
  the literal decides. Not for numbers, nor for text the program itself made (see below).
- normcase: a string compared without normalising its case or whitespace: `x in out` ->
  `x.lower() in out` (TSSB-3M "add method call").
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from treefix.propose.mutate.operators import comparison_parts
from treefix.propose.mutate.site import Mutant, Site, short

if TYPE_CHECKING:
    from tree_sitter import Node

    from treefix.propose.mutate.site import SourceFile

MAX_PAIRS = 6
MAX_CHANGES = 4  # differences in one pair beyond which the literal is not "nearly right"
MIN_SIMILAR = 0.5  # made and wanted values less alike than this are not "nearly right"
MIN_BARE = 3  # a word fragment placed without the characters around it: this long at least
_CONTEXT = (3, 2, 1)
_SPLIT = re.compile(r" (?:!=|==) ")
_E_LINE = re.compile(r"^E\s?")
_DIFF_AT = re.compile(r"^(?:At index \d+ diff|Full diff|.*? differ): ")
_FIRST_DIFF = re.compile(r"^First differing element \d+:$")

Value = str | int | float


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _MISSING


_MISSING = object()


def _sides(line: str) -> list[tuple[object, object]]:
    """(left, right) of `left != right` / `assert left == right` where both are literals."""
    line = line.strip()
    for head in ("AssertionError:", "assert "):
        if line.startswith(head):
            line = line[len(head) :].strip()
    line = _DIFF_AT.sub("", line)
    for m in _SPLIT.finditer(line):
        a, b = _literal(line[: m.start()]), _literal(line[m.end() :])
        if a is not _MISSING and b is not _MISSING:
            return [(a, b)]
    return []


def _leaves(a: object, b: object, out: list[tuple[Value, Value]], depth: int = 0) -> None:
    """The differing scalar pairs of two values, element by element."""
    if depth > 3 or len(out) >= MAX_PAIRS or a == b:
        return
    if isinstance(a, str) and isinstance(b, str):
        out.append((a, b))
    elif _number(a) and _number(b):
        out.append((a, b))  # type: ignore[arg-type]
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for x, y in zip(a, b, strict=True):
            _leaves(x, y, out, depth + 1)
    elif isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() & b.keys():
            _leaves(a[k], b[k], out, depth + 1)


def _number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_pairs(message: str, detail: str = "") -> list[tuple[Value, Value]]:
    """Differing (one side, other side) scalars a failing assertion shows, from its first line
    and pytest's "E" lines."""
    lines = [message.strip()] + [_E_LINE.sub("", ln).strip() for ln in detail.splitlines()]
    found: list[tuple[object, object]] = []
    for i, line in enumerate(lines):
        found += _sides(line)
        if _FIRST_DIFF.match(line) and i + 2 < len(lines):  # unittest: the two elements follow
            a, b = _literal(lines[i + 1]), _literal(lines[i + 2])
            if a is not _MISSING and b is not _MISSING:
                found.append((a, b))
    out: list[tuple[Value, Value]] = []
    for a, b in found:
        _leaves(a, b, out)
    return list(dict.fromkeys(out))[:MAX_PAIRS]


def _locate(value: str, old: str, before: str, after: str) -> tuple[int, int] | None:
    """Where `old` sits in `value`, known by the characters around it: the widest context
    found exactly once."""
    for k in _CONTEXT:
        sides = [(before[-k:], after[:k])]
        if old:  # an insertion needs the literal on both sides: at its edge it may be data
            sides += [(before[-k:], ""), ("", after[:k])]
        for left, right in sides:
            if not old and not (left and right):
                continue
            probe = left + old + right
            if len(probe) <= len(old) or value.count(probe) != 1:
                continue
            at = value.index(probe) + len(left)
            return at, at + len(old)
    # no context: a long fragment, or a separator (`:` for `.`), found once
    bare = len(old) >= MIN_BARE or (old and not any(c.isalnum() for c in old))
    if bare and value.count(old) == 1:
        at = value.index(old)
        return at, at + len(old)
    return None


def retarget(value: str, made: str, wanted: str) -> str | None:
    """`value` with the differences between `made` and `wanted` applied, or None when one of
    them cannot be placed in it."""
    if value == made:
        return wanted
    matcher = difflib.SequenceMatcher(None, made, wanted, autojunk=False)
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if not changes or len(changes) > MAX_CHANGES or matcher.ratio() < MIN_SIMILAR:
        return None  # two unrelated values: nothing says which part of the literal made which
    out = value
    for _tag, i1, i2, j1, j2 in reversed(changes):  # the last first: earlier anchors stay put
        old, new = made[i1:i2], wanted[j1:j2]
        if new and new in made:
            return None  # text the program already made, shifted: computed data, not the literal
        if i1 == 0 and old and out.startswith(old):
            out = new + out[len(old) :]
        elif i2 == len(made) and old and out.endswith(old):
            out = out[: len(out) - len(old)] + new
        else:
            span = _locate(out, old, made[:i1], made[i2:])
            if span is None:
                return None
            out = out[: span[0]] + new + out[span[1] :]
    return out if out != value else None


def _quoted(original: str, value: str) -> str:
    """`value` as a literal in the original's quotes where that needs no escaping."""
    text = repr(value)
    q = original[-1]
    if text[0] != q and q not in value and "\\" + text[0] not in text:
        text = q + text[1:-1] + q
    return text


def _string_value(text: str) -> str | None:
    if text[:1] not in ("'", '"') or text.startswith(('"""', "'''")):
        return None  # prefixed (f/r/b) and triple-quoted strings are left alone
    v = _literal(text)
    return v if isinstance(v, str) else None


def expected(site: Site) -> Iterator[Mutant]:
    f = site.file
    if not site.values:
        return
    seen: set[tuple[int, str]] = set()
    # Strings only: a number literal equal to the value made is as often a default or a
    # coincidence (`d.get(k, 0)` -> `d.get(k, 7)` passes by overfitting); `const` has numbers.
    for n in site.nodes("string"):
        text = f.text(n)
        value = _string_value(text)
        if value is None:
            continue
        news: list[tuple[str, float]] = []
        for rank, (a, b) in enumerate(site.values):
            if not (isinstance(a, str) and isinstance(b, str)):
                continue
            for made, wanted, w in ((a, b, 1.0), (b, a, 0.9)):  # actual first, by convention
                new = retarget(value, made, wanted)
                if new is not None:
                    news.append((_quoted(text, new), w * (1.0 - 0.05 * rank)))
        for new, w in news:
            if (n.start_byte, new) not in seen:
                seen.add((n.start_byte, new))
                desc = f"edit `{short(text, 28)}` toward the expected value: `{short(new, 28)}`"
                yield Mutant("expected", ((n.start_byte, n.end_byte, new),), desc, w)


_NORMALISERS = (("lower", 1.0), ("strip", 0.8), ("upper", 0.7))
_OPERANDS = frozenset({"identifier", "attribute", "subscript", "call"})
_COMPARE = frozenset({"in", "not in", "==", "!="})
_NOT_TEXT = frozenset({"integer", "float", "true", "false", "none", "list", "tuple", "dictionary"})


def _normalised(f: SourceFile, node: Node) -> bool:
    """Already `x.lower()` (or another normaliser)."""
    fn = node.child_by_field_name("function") if node.type == "call" else None
    name = (
        fn.child_by_field_name("attribute") if fn is not None and fn.type == "attribute" else None
    )
    return name is not None and f.text(name) in {m for m, _ in _NORMALISERS}


def normcase(site: Site) -> Iterator[Mutant]:
    f = site.file
    for n in site.nodes("comparison_operator"):
        operands, ops = comparison_parts(n)
        if len(ops) != 1 or len(operands) != 2:
            continue
        op = " ".join(f.text(ops[0]).split())
        if op not in _COMPARE:
            continue
        if any(o.type in _NOT_TEXT for o in operands):
            continue  # compared with a number or a constant: not text
        for side, operand in enumerate(operands):
            if operand.type not in _OPERANDS or _normalised(f, operand):
                continue
            # the needle of `in` first: the text looked for is the one spelt another way
            sw = 1.0 if side == 0 or op not in ("in", "not in") else 0.8
            text = f.text(operand)
            for method, w in _NORMALISERS:
                new = f"{text}.{method}()"
                desc = f"normalise `{short(text, 28)}` with `.{method}()` in `{site.context}`"
                edit = ((operand.start_byte, operand.end_byte, new),)
                yield Mutant("normcase", edit, desc, w * sw)
