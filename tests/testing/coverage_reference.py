"""A reference for treefix's per-test coverage, made by coverage.py's own collector (a pytest
plugin for the tests only: `-p coverage_reference`, with this folder on PYTHONPATH).

Per test, the lines coverage.py attributes to its dynamic context, plus those its test module's
import ran inside functions (the credit treefix's recorder gives them: the rule is treefix's own,
`_function_lines`, so only the collector differs); written as JSON to $REFERENCE_OUT. treefix's
support folder must be on PYTHONPATH too."""

import json
import os

import coverage
import pytest
from treefix_coverage_shape import _function_lines  # type: ignore[import-not-found]

_ROOT = os.getcwd()
_cov = coverage.Coverage(data_file=None, source=[_ROOT], branch=False, config_file=False)
_MODULE = "module:"


def pytest_configure(config):
    _cov.start()


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    module = isinstance(collector, pytest.Module)
    if module:
        _cov.switch_context(_MODULE + collector.nodeid)
    yield
    if module:
        _cov.switch_context("")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _cov.switch_context(item.nodeid)
    yield
    _cov.switch_context("")


def pytest_sessionfinish(session, exitstatus):
    _cov.stop()
    data = _cov.get_data()
    by_context: dict = {}
    for path in data.measured_files():
        rel = os.path.relpath(path, _ROOT).replace(os.sep, "/")
        for line, contexts in data.contexts_by_lineno(path).items():
            for ctx in contexts:
                by_context.setdefault(ctx, {}).setdefault(rel, set()).add(line)
    out = {}
    cache: dict = {}
    for item in session.items:
        lines = {p: set(v) for p, v in by_context.get(item.nodeid, {}).items()}
        for p, v in by_context.get(_MODULE + item.nodeid.split("::")[0], {}).items():
            body = _function_lines(_ROOT, p, cache)
            lines.setdefault(p, set()).update(n for n in v if n in body)
        out[item.nodeid] = {p: sorted(v) for p, v in lines.items() if v}
    with open(os.environ["REFERENCE_OUT"], "w") as fh:
        json.dump(out, fh)
