"""Executors: run a batch of candidate evaluations (see protocols.Executor). A new one (a cluster)
is one module here implementing run/cancel/abort/close; the search never sees which."""
