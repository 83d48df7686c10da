"""Classify the developer fixes of the program bugs into edit-pattern families (issue 12 §2).

    python bench/real/patterns.py [--work bench/real/.work] [--md bench/real/PATTERNS.md]

For every built program bug, the buggy `repo/solution.py` and the developer's `fix/solution.py`
(both `ast.unparse`-normalised by build.py, so their lines align) are diffed line by line; every
hunk becomes one edit, classified by the smallest AST difference between its lines. The table
it writes is the priority list for the mutation proposer: which families cover how many bugs,
and how many fixes need one, two or more edits.
"""

from __future__ import annotations

import argparse
import ast
import builtins
import difflib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
JUMPS = (ast.Return, ast.Break, ast.Continue)
INPLACE = frozenset({"append", "extend", "insert", "remove", "sort", "reverse", "update", "add"})


@dataclass
class Edit:
    family: str
    old: str
    new: str


def _stmt(line: str) -> ast.stmt | None:
    """One line as a statement; block headers get a `pass` body so they parse."""
    text = line.strip()
    for candidate in (text, text + " pass", text.replace("elif", "if", 1) + " pass"):
        if text.startswith(("else", "try", "finally", "except")):
            candidate = "if 1: pass\n" + text + " pass" if text.startswith("else") else candidate
        try:
            body = ast.parse(candidate).body
        except SyntaxError:
            continue
        if body:
            return body[-1] if text.startswith("else") else body[0]
    return None


def _diff_nodes(a: ast.AST, b: ast.AST) -> tuple[ast.AST, ast.AST] | None:
    """The smallest pair of differing subtrees (None when equal)."""
    if ast.dump(a) == ast.dump(b):
        return None
    if type(a) is not type(b):
        return a, b
    fields_a, fields_b = dict(ast.iter_fields(a)), dict(ast.iter_fields(b))
    diffs: list[tuple[ast.AST, ast.AST]] = []
    for name, va in fields_a.items():
        vb = fields_b.get(name)
        if isinstance(va, ast.AST) and isinstance(vb, ast.AST):
            d = _diff_nodes(va, vb)
            if d:
                diffs.append(d)
        elif isinstance(va, list) and isinstance(vb, list):
            if len(va) != len(vb):
                return a, b
            for x, y in zip(va, vb, strict=True):
                if isinstance(x, ast.AST) and isinstance(y, ast.AST):
                    d = _diff_nodes(x, y)
                    if d:
                        diffs.append(d)
                elif x != y:
                    return a, b
        elif va != vb:
            return a, b
    return diffs[0] if len(diffs) == 1 else (a, b)


def _contains(outer: ast.AST, inner: ast.AST) -> bool:
    dump = ast.dump(inner)
    return any(ast.dump(n) == dump for n in ast.walk(outer) if n is not outer)


def _bound(module: str) -> set[str] | None:
    """Names the module binds anywhere (a rough cut: stores, parameters, defs, imports)."""
    out: set[str] = set()
    try:
        tree = ast.parse(module)
    except SyntaxError:
        return None
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
    return out


def classify_line(old: str, new: str, module: str) -> str:
    """The family of a one-line replacement `old` -> `new` in the buggy `module`."""
    if old.strip() == new.strip():
        return "indentation (into/out of a block)"
    a, b = _stmt(old), _stmt(new)
    if a is None or b is None:
        return "other line rewrite"
    if (
        isinstance(a, ast.Expr)
        and isinstance(a.value, ast.Call)
        and isinstance(a.value.func, ast.Name)
        and a.value.func.id == "print"
        and isinstance(b, ast.Return)
    ):
        return "print -> return"
    d = _diff_nodes(a, b)
    if d is None:
        return "indentation (into/out of a block)"
    x, y = d
    if isinstance(x, ast.Name) and isinstance(y, ast.Name):
        if isinstance(x.ctx, ast.Store):
            return "binding renamed (loop/assignment target)"
        bound = _bound(module)
        if bound is not None and x.id not in bound and x.id not in dir(builtins):
            return "unbound name (NameError)"
        return "wrong variable"
    if (
        isinstance(x, ast.Subscript)
        and isinstance(y, ast.Call)
        and ast.dump(x.value) == ast.dump(y.func)
    ):
        return "missing call ()"
    if isinstance(x, ast.arg) and isinstance(y, ast.arg):
        return "parameter renamed"
    if isinstance(a, (ast.Assign, ast.AugAssign)) and isinstance(a.value, ast.Call):
        fn = a.value.func
        if isinstance(fn, ast.Attribute) and fn.attr in INPLACE:
            return "in-place call's None assigned"
    if isinstance(a, ast.Expr) and isinstance(a.value, ast.Compare) and isinstance(b, ast.Assign):
        return "comparison for assignment (`==` -> `=`)"
    if isinstance(a, (ast.Assign, ast.Break)) and isinstance(b, ast.Return):
        return "assignment/break -> return"
    if isinstance(x, ast.Constant) and isinstance(y, ast.Constant):
        return "constant"
    if isinstance(x, (ast.operator, ast.cmpop, ast.boolop, ast.unaryop)):
        return "operator"
    if (
        isinstance(y, (ast.List, ast.Tuple))
        and len(y.elts) == 1
        and ast.dump(y.elts[0]) == ast.dump(x)
    ):
        return "wrap in list/tuple"
    if (
        isinstance(x, (ast.Constant, ast.List, ast.Tuple))
        and isinstance(y, ast.Compare)
        and any(ast.dump(c) == ast.dump(x) for c in y.comparators)
    ):
        return "comparison completed (`x == 1 or 2`)"
    if isinstance(y, ast.Call) and ast.dump(y.func) == ast.dump(x) and not y.args:
        return "missing call ()"
    if isinstance(y, ast.Call) and any(ast.dump(g) == ast.dump(x) for g in y.args):
        return "wrap in a call (conversion)"
    if isinstance(y, ast.BinOp) and ast.dump(x) in (ast.dump(y.left), ast.dump(y.right)):
        if isinstance(y.right, ast.Constant) and y.right.value in (1, -1):
            return "+1/-1"
        return "operand added"
    if isinstance(x, ast.BinOp) and ast.dump(y) in (ast.dump(x.left), ast.dump(x.right)):
        return "operand dropped"
    if isinstance(y, ast.BoolOp) and any(ast.dump(v) == ast.dump(x) for v in y.values):
        return "condition clause added"
    if isinstance(x, ast.BoolOp) and any(ast.dump(v) == ast.dump(y) for v in x.values):
        return "condition clause dropped"
    if isinstance(x, ast.Call) and isinstance(y, ast.Call) and ast.dump(x.func) == ast.dump(y.func):
        return "call arguments changed"
    if isinstance(x, ast.stmt) and isinstance(y, ast.stmt) and type(x) is not type(y):
        return "statement kind changed"
    tree = ast.parse(module)
    if isinstance(y, ast.expr) and _contains(tree, y):
        return "expression replaced (ingredient in module)"
    return "expression replaced (new code)"


def classify(buggy: str, fixed: str) -> list[Edit]:
    old_lines, new_lines = buggy.splitlines(), fixed.splitlines()
    sm = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    deleted: list[str] = []
    inserted: list[str] = []
    edits: list[Edit] = []
    uneven: list[tuple[list[str], list[str]]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        olds, news = old_lines[i1:i2], new_lines[j1:j2]
        if tag == "replace" and len(olds) == len(news):
            for o, n in zip(olds, news, strict=True):
                edits.append(Edit(classify_line(o, n, buggy), o, n))
            continue
        if tag == "replace":
            uneven.append((olds, news))
            continue
        deleted += olds
        inserted += news
    for olds, news in uneven:
        # A hunk that shares a line with some other changed line is a move plus what is
        # around it; one that shares nothing is rewritten code.
        others = {s.strip() for s in deleted + inserted}
        if {s.strip() for s in olds} & ({s.strip() for s in news} | others) or {
            s.strip() for s in news
        } & others:
            deleted += olds
            inserted += news
        else:
            edits.append(Edit("multi-line rewrite", "\n".join(olds), "\n".join(news)))
    moved = {s.strip() for s in deleted} & {s.strip() for s in inserted}
    for line in deleted:
        if line.strip() in moved:
            edits.append(Edit("statement moved", line, ""))
        else:
            edits.append(Edit("statement deleted", line, ""))
    for line in inserted:
        if line.strip() in moved:
            continue  # counted once, with the deletion
        stmt = _stmt(line)
        if isinstance(stmt, JUMPS):
            family = "jump inserted (return/break/continue)"
        elif any(o.strip() == line.strip() for o in old_lines):
            family = "statement inserted (copy in module)"
        else:
            family = "statement inserted (new code)"
        edits.append(Edit(family, "", line))
    return edits


# Which mutation families (src/treefix/propose/mutate) propose each kind of edit.
OPERATORS = {
    "wrong variable": "rename, ingredient, leak (a loop variable read after its loop)",
    "unbound name (NameError)": "undefined",
    "parameter renamed": "undefined (an unused parameter renamed to the unbound name read)",
    "binding renamed (loop/assignment target)": "- (mostly a no-op rename in the nearest fix)",
    "operator": "binop, isnone",
    "constant": "const, expected (a string literal edited toward the failing assertion's value)",
    "+1/-1": "offbyone",
    "wrap in list/tuple": "wrap",
    "missing call ()": "callfix",
    "print -> return": "printret (in place, or after the loop)",
    "in-place call's None assigned": "inplace",
    "comparison for assignment (`==` -> `=`)": "eqassign",
    "comparison completed (`x == 1 or 2`)": "orchain",
    "assignment/break -> return": "jump (`return x` after `x = ...`), return",
    "condition clause added": "addcond",
    "condition clause dropped": "dropcond",
    "operand dropped": "ingredient (partly)",
    "call arguments changed": "args, swapargs, popend (`pop()` <-> `pop(0)`)",
    "jump inserted (return/break/continue)": (
        "jump, return (missing return at the end: the built list, the opposite literal, the "
        "uncalled helper, len() of the walked sequence)"
    ),
    "statement inserted (copy in module)": "insert",
    "statement inserted (new code)": "insert (donors only), guard, init, order",
    "statement deleted": "delete",
    "statement moved": "move (data-flow priors: `placement`)",
    "indentation (into/out of a block)": "move (into/out of a block)",
    "expression replaced (ingredient in module)": "ingredient",
    "expression replaced (new code)": (
        "keycmp, litname, empty, nestswap, wrap (`x += x + v`), normcase (`.lower()`/`.strip()` on"
        " a compared string); the rest beyond templates"
    ),
    "statement kind changed": "discard (an expression statement returned), unwrap (a check removed,"
    " its body kept); the rest -",
    "multi-line rewrite": "-",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=WORK)
    ap.add_argument("--md", type=Path, default=HERE / "PATTERNS.md")
    ap.add_argument("--jsonl", type=Path, default=HERE / "results" / "patterns.jsonl")
    args = ap.parse_args()
    rows = []
    for bug in sorted((args.work / "bugs").glob("refactory-*")):
        buggy, fixed = bug / "repo" / "solution.py", bug / "fix" / "solution.py"
        if not (buggy.exists() and fixed.exists()):
            continue
        edits = classify(buggy.read_text(), fixed.read_text())
        rows.append({"id": bug.name, "edits": [e.__dict__ for e in edits]})
    args.jsonl.parent.mkdir(parents=True, exist_ok=True)
    args.jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    per_edit: Counter[str] = Counter()
    per_bug: Counter[str] = Counter()
    alone: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for r in rows:
        fams = [e["family"] for e in r["edits"]]
        per_edit.update(fams)
        per_bug.update(set(fams))
        if len(fams) == 1:
            alone[fams[0]] += 1
        sizes["3+" if len(fams) >= 3 else str(len(fams))] += 1
    n = len(rows)
    out = [
        "# Edit patterns of the program bugs' developer fixes",
        "",
        f"`bench/real/patterns.py` over the {n} built Refactory program bugs (buggy vs the nearest "
        "correct submission, both `ast.unparse`-normalised; one edit per changed line, a moved line "
        "counted once). Per-bug rows: `results/patterns.jsonl`.",
        "",
        "Edits per fix: " + ", ".join(f"{k} edit(s): {sizes[k]} bugs" for k in ("1", "2", "3+")),
        "",
        "| family | edits | bugs with it | bugs whose only edit it is | proposed by |",
        "|---|---|---|---|---|",
    ]
    for fam, count in per_edit.most_common():
        ops = OPERATORS.get(fam, "-")
        out.append(f"| {fam} | {count} | {per_bug[fam]} | {alone[fam]} | {ops} |")
    args.md.write_text("\n".join(out) + "\n")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
