"""One owner for a repair run. The entry point is `treefix.pipeline.main.run`; the stages:

    workspace.py   recover an interrupted --apply, preflight, snapshot ref, write-back
    sandboxes.py   the backend, its sandboxes, the executor over them
    baseline.py    baseline run, what it rules out, flaky check, localisation
    evaluate.py    the search's evaluation stage (a batch of runs on the executor)
    search.py      MCTS with the value agent and discriminator
    report.py      the run folder; summary.py the run record -> report.json dict
    exits.py       status -> exit code
    options.py     typed option groups; record.py the run record; events.py progress hooks

Kept free of imports: `treefix test` imports summary.py, which must not load the stages.
"""
