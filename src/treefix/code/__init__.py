"""The code kernel: facts about source files that every stage shares, below all of them.

syntax     tree-sitter parsing (one cached parser), statement lookup, compile check
normalize  parse + unparse, so equal programs compare equal (dedup, votes, transposition table)
diff       unified diffs of a program state and their size
testfiles  which paths are test code (never the fault we repair, never edited by a fix)
secrets    which environment variables, texts and home files hold credentials
prompts    the prompt templates of prompts/ (shipped as treefix/prompts), loaded and filled

Nothing here imports another treefix package: the stages import the kernel, never the reverse.
"""
