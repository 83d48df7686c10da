"""How likely each family holds the fix, before suspiciousness: the proposer's one prior table.

A candidate's prior is suspiciousness x family prior x the operator's own weight (how plausible
the mutant is within its family, e.g. `<`->`<=` over `<`->`==`, an ingredient from the same
function over one from elsewhere in the module) x an edit-size factor.

Where the figures come from
---------------------------
Expression-level families are set from how often the matching pattern fixes real Python bugs:
TSSB-3M (Richter & Wehrheim, "TSSB-3M: Mining single statement bugs at massive scale", MSR 2022;
counts from the dataset README, github.com/cedricrupb/TSSB3M), 3M single-statement bug fixes from
public Python projects. A family's prior is not its raw share, though: a family that yields many
mutants per site (rename: every name in scope for every name read) must spread its share over
them, so per mutant it is worth less than a family with one or two mutants per site (binop) -
Prophet's and CapGen's point that a prior is P(fix | candidate), not P(pattern). Each prior below
is the TSSB-3M share corrected by that fan-out, then placed so the original 13 families keep the
order the 44-case corpus (bench/RESULTS.md) was tuned with.

Statement-level families (insert, delete, move, guards, jumps, try/except) are outside TSSB-3M's
single-statement patterns; they are set by hand below every counted family of a similar fan-out,
since they change more code and fit more wrong programs (the overfitting risk of GenProg's
insert/delete reported by Qi et al., "An analysis of patch plausibility and correctness", ISSTA
2015: most of GenProg's plausible patches delete functionality).
"""

from __future__ import annotations

# TSSB-3M pattern counts (thousands of fixes; the README's TSSB-3M column).
SSTUB_COUNTS_K: dict[str, int] = {
    "change identifier used": 237,
    "change binary operand": 174,
    "same function more args": 150,
    "wrong function name": 134,
    "add function around expression": 117,
    "change attribute used": 104,
    "change numeric literal": 97,
    "more specific if": 68,
    "add method call": 60,
    "add elements to iterable": 57,
    "same function less args": 50,
    "change boolean literal": 37,
    "add attribute access": 32,
    "change binary operator": 29,
    "same function wrong caller": 25,
    "less specific if": 22,
    "change keyword argument used": 20,
    "change unary operator": 15,
    "same function swap args": 8,
    "change constant type": 6,
}

OPERATOR_PRIORS: dict[str, float] = {
    # binary operator 29K, one to five mutants per operator: the best value per mutant
    "binop": 0.95,  # comparisons x1.0, arithmetic x0.95, bitwise x0.8
    # numeric literal 97K, shared by const and offbyone (both +-1 on an integer)
    "offbyone": 0.95,
    "const": 0.9,  # + boolean literal 37K
    "negate": 0.75,  # unary operator 15K, one mutant per condition
    "isnone": 0.7,  # `is`/`==` swaps; the None guards carry weight ~0.6 on top
    "return": 0.7,
    "attr": 0.7,  # attribute used 104K + wrong function name 134K, fan-out ~6
    "dropcond": 0.6,  # less specific if 22K, two mutants per `and`/`or`
    # more specific if 68K (`and` clause added) + less specific if 22K (`or` clause added);
    # fan-out: up to 2 x MAX_CLAUSES mutants per condition
    "addcond": 0.45,
    # binary operand 174K + wrong caller 25K: the same kind of fix as rename with richer donors
    # (expressions in scope, not only names); fan-out capped at 4 per target, 24 per site
    "ingredient": 0.55,
    # identifier used 237K but fan-out ~6 names x every name read
    "rename": 0.5,
    "swapargs": 0.5,  # swap args 8K, one mutant per adjacent pair
    # more args 150K + less args 50K + keyword argument used 20K; fan-out: one per argument
    # dropped, one per in-scope name or donor argument added
    "args": 0.45,
    # add function around expression 117K + constant type 6K; fan-out: 4 wrappers per operand
    "convert": 0.4,
    # statement level, set by hand (see above)
    "delete": 0.35,
    "insert": 0.35,
    "move": 0.35,
    "guard": 0.35,  # empty and bounds guards; None guards stay in `isnone`
    "jump": 0.3,  # a missing `return`/`break`/`continue` after a statement
    "swaptargets": 0.3,
    "trywrap": 0.2,  # swallowing an exception fits many wrong programs: last resort
    # Python-specific slips (`idioms`): outside TSSB-3M's patterns except `callfix` ("add method
    # call" 60K). Counted in the development corpus's developer fixes (bench/real/PATTERNS.md:
    # wrap 7 bugs, printret 4, orchain 3, inplace ~5, eqassign 2, callfix 4 incl. `m[x]`->`m(x)`).
    # Each matches one narrow shape and yields one or two mutants per site, so a high prior
    # costs a program without the shape nothing and puts the fix early in one with it.
    # a name bound nowhere raises NameError when reached: it must change. "change identifier
    # used" (237K) is the largest TSSB-3M pattern; fan-out <= 5 names per unbound name
    "undefined": 0.95,
    # an `if`/`else` in a loop body that returns on both branches: the loop never passes its
    # first element. The shape is rare in working code and one mutant per loop
    "loopexit": 0.8,
    "eqassign": 0.9,  # `a == b` as a statement is never what was meant
    "orchain": 0.9,  # `x == 1 or 2`: the literal clause is constant
    "inplace": 0.85,  # `x = lst.append(v)` keeps None
    "printret": 0.95,  # x0.7 when the function already returns a value elsewhere
    "wrap": 0.75,
    "callfix": 0.75,  # x1.0 for a known method, x0.3 for an attribute never called
    # Real repositories' slips (apicalls, checks), counted in the repository bugs' developer
    # fixes (bench/real/RESULTS.md): a keyword argument left out is TSSB-3M's "same function
    # more args" (150K) narrowed to parameters the callee declares and values other calls pass
    # (fan-out <= 6 per call): two constraints a random argument does not meet, so above `args`
    # and `rename`. A truthiness check before a `len`/index/`in` is "more specific if" (68K)
    # with at most 4 mutants per condition. The sibling's guard is a statement-level change,
    # set by hand well above `guard`: the sibling shows the very check around the very statement
    # (the same callee raised or called, or the same return), a narrow shape. `nocall` fires only when
    # the tests said "not callable", and then it is nearly always the fix.
    "kwarg": 0.6,
    "truthy": 0.5,
    "likeguard": 0.7,
    "nocall": 0.9,
    # "add elements to iterable" (57K) narrowed to literals of plain names and new members of
    # their kind (co-members elsewhere, the same import line, one block of constants): <= 8
    # mutants per literal
    "addelem": 0.6,
    # New-expression templates (`templates`): the developer fixes' largest family that no donor
    # reaches, "expression replaced (new code)" (54 of 211 program bugs, bench/real/PATTERNS.md).
    # Counted by hand among those: a record compared whole or by one field (keycmp) 6 bugs, a
    # literal where a parameter was meant (litname) 5, an emptiness test tied to one container
    # type (empty) 4. Each shape is narrow (one to four mutants per comparison or literal), so
    # the priors sit with the idioms'. keycmp is one mutant per comparison against binop's five,
    # for about half binop's bugs: a little below it. A parameter the body never reads is a
    # near-certain bug, so litname for one ranks with the best families.
    "keycmp": 0.9,
    "litname": 0.95,  # x0.5 for a parameter the body already reads
    "empty": 0.8,
    # nested one-argument calls in the wrong order (`len(range(x))`) and a list popped from the
    # wrong end (`pop()` for `pop(0)`): one bug each in the corpus, one mutant per call
    "nestswap": 0.6,
    # a loop variable read after its loop where the loop copied the element it picked into
    # another name (`largest = n` in the loop, `out.append(n)` after it): "wrong variable"
    # (21 bugs) in the shape no spelling or distance ranks early; one or two mutants per read
    "leak": 0.85,
    "popend": 0.6,
    # Statements inserted around accumulators (`initial`), of "statement inserted (new code)"
    # (18 bugs): a missing initial value (init) ~5 bugs, a missing reorder before the return
    # (order) 3. init fires only on a name read before anything sets it, a certain
    # UnboundLocalError/NameError: top. order fires on every returned list: below the
    # one-token families.
    "init": 1.0,
    "order": 0.6,
    # Shapes seen in the repository bugs' developer fixes (bench/real/RESULTS.md, 2026-11-30
    # session 7). A check that should not be there, removed whole with its body kept (`unwrap`):
    # the end of "less specific if" (22K) beyond dropping one clause, FixMiner's and TBar's
    # "remove a conditional". One mutant per `if` (two with an `else`) against dropcond's two per
    # clause, but it deletes a check (Qi et al.'s overfitting risk): a little below `dropcond`.
    "unwrap": 0.55,
    # a value computed and dropped (pylint's pointless-statement) is nearly always a missing
    # `return`; one mutant, only on effect-free expression statements: with eqassign
    "discard": 0.9,
    # "add method call" (60K) narrowed to case/space normalisers on a compared operand; three
    # mutants per operand, two operands per comparison: with `convert`'s fan-out, a little above
    "normcase": 0.45,
    # a literal edited toward the value the failing assertion expected: fires only when the
    # failure shows both values and their difference is found in a literal at the suspicious
    # statement, so it is nearly always the fix when it fires (one or two mutants per literal):
    # with `init`, the other family that needs certain evidence to fire
    "expected": 1.0,
    "syntax": 1.0,  # only offered, and then alone, when the file does not compile
}

# Ingredient distance (SimFix, ARJA): donor code from the same function is the likeliest fix,
# then the same class, then the rest of the module.
DISTANCE = (1.0, 0.85, 0.7)

# Edit size: of two mutants equally likely otherwise, the smaller one first (CapGen ranks by
# AST-distance too). Mild, so the family prior still decides between families.
_SIZE_SCALE = 600.0


def size_factor(chars: int) -> float:
    """1.0 for a one-character edit, 0.9 for ~70 characters, 0.5 for ~600."""
    return 1.0 / (1.0 + max(0, chars - 1) / _SIZE_SCALE)
