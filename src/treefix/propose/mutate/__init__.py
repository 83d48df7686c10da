"""Mutation operators and fix templates over tree-sitter trees, used by `MutationProposer`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from treefix.propose.mutate.apicalls import kwarg, nocall
from treefix.propose.mutate.calls import args, sibling_calls
from treefix.propose.mutate.checks import likeguard, truthy
from treefix.propose.mutate.constants import const, offbyone
from treefix.propose.mutate.expected import expected, normcase
from treefix.propose.mutate.guards import guard, jump, trywrap
from treefix.propose.mutate.idioms import callfix, eqassign, inplace, orchain, printret, wrap
from treefix.propose.mutate.initial import init, order
from treefix.propose.mutate.leaks import leak
from treefix.propose.mutate.loops import loopexit
from treefix.propose.mutate.members import addelem
from treefix.propose.mutate.moves import move
from treefix.propose.mutate.names import attr, rename, returns
from treefix.propose.mutate.operators import binop, dropcond, isnone_compare, negate, swapargs
from treefix.propose.mutate.patterns import convert, swaptargets
from treefix.propose.mutate.plastic import addcond, ingredient
from treefix.propose.mutate.site import Mutant, Site, SourceFile
from treefix.propose.mutate.statements import delete, insert, none_guards
from treefix.propose.mutate.templates import empty, keycmp, litname, nestswap, popend
from treefix.propose.mutate.undefined import undefined
from treefix.propose.mutate.unwrap import discard, unwrap

Operator = Callable[[Site], Iterable[Mutant]]

# Every statement-level operator; the syntax family runs per broken file instead.
OPERATORS: tuple[Operator, ...] = (
    binop,
    negate,
    dropcond,
    const,
    offbyone,
    rename,
    swapargs,
    returns,
    delete,
    insert,
    attr,
    isnone_compare,
    none_guards,
    # beyond the first 13 families: donor code, more fix templates
    ingredient,
    addcond,
    sibling_calls,
    args,
    convert,
    swaptargets,
    move,
    guard,
    jump,
    trywrap,
    # Python-specific slips (bench/real/PATTERNS.md)
    wrap,
    callfix,
    printret,
    inplace,
    eqassign,
    orchain,
    undefined,
    loopexit,
    # real repositories' slips (bench/real/RESULTS.md, repository bugs)
    kwarg,
    nocall,
    truthy,
    likeguard,
    addelem,
    # new-expression templates (code the program does not have)
    keycmp,
    litname,
    empty,
    nestswap,
    popend,
    leak,
    # statements the program lacks around its accumulators
    init,
    order,
    # statement shapes and strings (bench/real/RESULTS.md, repository bugs)
    unwrap,
    discard,
    normcase,
    expected,
)

__all__ = ["OPERATORS", "Mutant", "Operator", "Site", "SourceFile"]
