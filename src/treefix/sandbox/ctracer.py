"""Where treefix's own coverage.py keeps its compiled trace function (CTracer).

Before Python 3.12, treefix's plugin records per-test lines with a C tracer when one loads: this
one, when the project's interpreter has the same ABI as treefix's (the plugin checks the file's
suffix), else that of the project's own coverage.py; settrace (a Python callback per line) last."""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os


@functools.cache
def ctracer_path() -> str:
    """The compiled `coverage/tracer` module beside treefix, "" when there is none (a pure-Python
    coverage.py, or none at all). Found without importing coverage."""
    spec = importlib.util.find_spec("coverage")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "tracer" + suffix)
            if os.path.isfile(path):
                return path
    return ""
