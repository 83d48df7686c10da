"""The syntax family: line-based repairs for a file that does not compile.

tree-sitter's tree around an error is unreliable, so this works on raw lines: the suspicious
lines, their neighbours, and the line Python's own compiler blames.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from treefix.propose.mutate.site import Mutant, short

_HEADERS = frozenset(
    {
        "if",
        "elif",
        "else",
        "while",
        "for",
        "def",
        "class",
        "try",
        "except",
        "finally",
        "with",
        "async",
        "match",
        "case",
    }
)
_CONDITIONS = frozenset({"if", "elif", "while", "assert"})
_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}
_WORDS = sorted(set(keyword.kwlist) - {"True", "False", "None"}) + ["True", "False", "None"]
_LONE_EQ = re.compile(r"(?<![=!<>:+\-*/%&|^@])=(?!=)")
_MISTYPED_OPS = (("===", "=="), ("=<", "<="), ("=>", ">="), ("=!", "!="), ("<>", "!="))
_TOKEN = re.compile(r"[A-Za-z_]\w*|\d\w*|==|!=|<=|>=|//|\*\*|->|:=|\S")
_JUXTAPOSED = re.compile(r"([\w)\]\"'])(\s+)(?=[\w(\[\"'])")
MAX_LINES = 14
MAX_TOKENS = 16
MAX_CLOSE_AT = 8  # places tried for a missing closing bracket


@dataclass
class Scan:
    """Bracket and string state of one line of code."""

    unclosed: list[tuple[int, str]]  # (position, opener) still open at the end
    stray: list[int]  # positions of closers with no opener
    quote: str | None  # a string literal left open
    comment: int  # where a trailing comment starts (or len)


def scan(code: str) -> Scan:
    stack: list[tuple[int, str]] = []
    stray: list[int] = []
    quote: str | None = None
    i = 0
    while i < len(code):
        ch = code[i]
        if quote is not None:
            if ch == "\\":
                i += 2
                continue
            if code.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
            i += 1
            continue
        if ch == "#":
            return Scan(stack, stray, None, i)
        if ch in "'\"":
            quote = code[i : i + 3] if code[i : i + 3] in ("'''", '"""') else ch
            i += len(quote)
            continue
        if ch in _PAIRS:
            stack.append((i, ch))
        elif ch in _CLOSERS:
            if stack and stack[-1][1] == _CLOSERS[ch]:
                stack.pop()
            else:
                stray.append(i)
        i += 1
    return Scan(stack, stray, quote, len(code))


def _closers(s: Scan) -> str:
    return "".join(_PAIRS[c] for _, c in reversed(s.unclosed))


def _first_word(code: str) -> str:
    m = re.match(r"\s*([A-Za-z_]\w*)", code)
    return m.group(1) if m else ""


def _complete(code: str, header: bool) -> str:
    """Close an open string, then open brackets, then add the header's colon."""
    s = scan(code)
    if s.quote is not None and len(s.quote) == 1:
        code += s.quote
        s = scan(code)
    colon = header and code.endswith(":")
    body = code[:-1] if colon else code
    body += _closers(scan(body))
    return body + ":" if header else body


def line_variants(
    line: str, source: str, unit: str, levels: Iterable[str] = ()
) -> Iterator[tuple[str | None, str, float]]:
    """(new line or None to delete it, description, weight) for one line of a broken file.

    `levels` are indentations seen on the lines around it: a misplaced line moves to one.
    """
    s = scan(line)
    code = line[: s.comment].rstrip()
    trail = line[len(code) :]
    if not code.strip():
        return
    word = _first_word(code)
    header = word in _HEADERS and not code.lstrip().startswith(f"{word}.")
    done = _complete(code, header)
    if done != code:
        yield done + trail, "complete the line (colon, brackets, quotes)", 1.0
    if header and not code.endswith(":"):
        yield code + ":" + trail, "add the missing `:`", 1.0
    if s.unclosed:
        yield code + _closers(s) + trail, f"close `{_closers(s)}`", 0.95
        pos, opener = s.unclosed[-1]
        closer = _PAIRS[opener]
        for q in _word_ends(code, pos + 1)[:MAX_CLOSE_AT]:
            fixed = code[:q] + closer + code[q:]
            yield fixed + trail, f"close `{opener}` after `{short(code[pos:q], 24)}`", 0.85
    for pos in s.stray:
        yield code[:pos] + code[pos + 1 :] + trail, f"remove the stray `{code[pos]}`", 0.9
        openers = [c for p, c in s.unclosed if p < pos] if s.unclosed else []
        if openers:
            fixed = code[:pos] + _PAIRS[openers[-1]] + code[pos + 1 :]
            yield fixed + trail, f"replace `{code[pos]}` with `{_PAIRS[openers[-1]]}`", 0.95
    if word in _CONDITIONS or " if " in code:
        for m in list(_LONE_EQ.finditer(code))[:3]:
            p = m.start()
            yield code[:p] + "==" + code[p + 1 :] + trail, "replace `=` with `==`", 1.0
    for bad, good in _MISTYPED_OPS:
        if bad in code:
            yield code.replace(bad, good, 1) + trail, f"replace `{bad}` with `{good}`", 1.0
    yield from _typos(code, trail, source)
    bare_print = re.match(r"(\s*)print\s+(?![(=])(.+)$", code)
    if bare_print:
        yield f"{bare_print.group(1)}print({bare_print.group(2)})" + trail, "call `print(...)`", 0.9
    for m in list(_JUXTAPOSED.finditer(code))[:4]:
        left = re.search(r"\w+$", code[: m.end(1)])
        right = re.match(r"\w+", code[m.end(2) :])
        if (left and keyword.iskeyword(left.group())) or (
            right and keyword.iskeyword(right.group())
        ):
            continue
        yield code[: m.end(1)] + "," + code[m.end(1) :] + trail, "insert a missing `,`", 0.6
    indent = code[: len(code) - len(code.lstrip())]
    yield unit + line, "indent the line", 0.7
    shallower = [indent[: -len(unit)]] if indent.endswith(unit) else []
    for level in dict.fromkeys([*shallower, *levels, ""]):
        if level != indent and level != unit + indent:
            yield level + line.lstrip(), f"re-indent the line to {len(level)} columns", 0.7
    yield None, "delete the line", 0.4
    yield indent + "pass", "replace the line with `pass`", 0.4


def _word_ends(code: str, start: int) -> list[int]:
    """Positions from `start` on where a bracket could close: right there, or after a word,
    a literal or a closed group (nearest first)."""
    ends = [start]
    for i in range(start + 1, len(code) + 1):
        prev, nxt = code[i - 1], code[i] if i < len(code) else " "
        if (prev.isalnum() or prev in "_)]}'\"") and not (nxt.isalnum() or nxt == "_"):
            ends.append(i)
    return ends


def _typos(code: str, trail: str, source: str) -> Iterator[tuple[str, str, float]]:
    """A misspelt keyword (`retrun`, `esle`, `Ture`): a word used once, close to a keyword."""
    for m in re.finditer(r"[A-Za-z_]\w*", code):
        word = m.group()
        if len(word) < 3 or keyword.iskeyword(word):
            continue
        close = difflib.get_close_matches(word, _WORDS, n=1, cutoff=0.75)
        if close and len(re.findall(rf"\b{re.escape(word)}\b", source)) == 1:
            fixed = code[: m.start()] + close[0] + code[m.end() :]
            yield fixed + trail, f"replace `{word}` with `{close[0]}`", 0.9


def _levels(lines: list[str], line: int) -> list[str]:
    """Indentations of the nearest code lines above (and the one below), nearest first."""
    out: list[str] = []
    for i in [*range(line - 2, max(line - 12, 0) - 1, -1), line]:
        if 0 <= i < len(lines) and lines[i].strip() and not lines[i].lstrip().startswith("#"):
            text = lines[i]
            indent = text[: len(text) - len(text.lstrip())]
            if indent not in out:
                out.append(indent)
    return out


def _remove_tokens(code: str, trail: str) -> Iterator[tuple[str, str, float]]:
    tokens = list(_TOKEN.finditer(code))
    if len(tokens) < 2:
        return
    for m in tokens[:MAX_TOKENS]:
        new = code[: m.start()] + code[m.end() :]
        yield new.rstrip() + trail, f"remove the stray `{m.group()}`", 0.5


def syntax_repairs(
    source: bytes,
    focus: list[tuple[int, float]],
    blamed: list[int],
    unit: str,
    hints: list[int] | tuple[int, ...] = (),
) -> Iterator[Mutant]:
    """Line repairs for a broken file around the lines the compiler `blamed`, the suspicious
    `focus` lines, given as (line, score), and tree-sitter's error `hints`, in that order."""
    weights: dict[int, float] = {}
    top = max((w for _, w in focus), default=1.0) or 1.0
    ranked = [(ln, 1.0) for ln in blamed] + [(ln, 0.95 * w / top) for ln, w in focus]
    ranked += [(ln, 0.6) for ln in hints]
    for line, w in ranked:
        for near, f in ((line, 1.0), (line - 1, 0.8), (line + 1, 0.8)):
            weights[near] = max(weights.get(near, 0.0), w * f)
    lines = sorted(weights, key=lambda ln: (-weights[ln], ln))[:MAX_LINES]
    starts = [0] + [m.end() for m in re.finditer(rb"\n", source)]
    source_text = source.decode("utf-8", "replace")
    lines_of = source_text.split("\n")
    for line in lines:
        if not 1 <= line <= len(starts):
            continue
        start = starts[line - 1]
        end = source.find(b"\n", start)
        end = len(source) if end < 0 else end
        raw = source[start:end].decode("utf-8", "replace")
        cr = "\r" if raw.endswith("\r") else ""
        text = raw[: len(raw) - len(cr)]
        variants = list(line_variants(text, source_text, unit, _levels(lines_of, line)))
        if line in blamed[:1]:
            s = scan(text)
            code = text[: s.comment].rstrip()
            variants += _remove_tokens(code, text[len(code) :])
        for new, what, w in variants:
            # None deletes the line, newline included.
            edit = (start, min(end + 1, len(source)), "") if new is None else (start, end, new + cr)
            desc = f"{what} on line {line}: `{short(text.strip(), 40)}`"
            yield Mutant("syntax", (edit,), desc, w * weights[line], line=line)
