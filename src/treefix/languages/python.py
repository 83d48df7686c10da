"""Python: tree-sitter-python, pytest's test-file conventions and tracebacks, pytest as the runner
(or the project's own --test-cmd). A thin adapter over the modules that implement each part."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from treefix.code.syntax import parse
from treefix.code.testfiles import is_test_file
from treefix.localize.frames import TracebackBlock, parse_traceback_text
from treefix.localize.ranker import localize
from treefix.testing.command import TestCommand, detect_test_command
from treefix.testing.runner import TestRunner
from treefix.types import ProgramState, Suspicion, TestReport

if TYPE_CHECKING:
    from tree_sitter import Tree


class PythonLanguage:
    name = "python"

    def parse(self, source: bytes) -> Tree:
        return parse(source)  # tree-sitter itself loads on first use

    def is_test_file(self, path: str) -> bool:
        return is_test_file(path)

    def tracebacks(self, text: str) -> list[TracebackBlock]:
        return parse_traceback_text(text)

    def test_command(self, root: Path, override: str | None, python: str | None) -> TestCommand:
        return detect_test_command(root, override, python=python)

    def runner(self, command: TestCommand) -> TestRunner:
        return TestRunner(command)

    def localize(
        self, state: ProgramState, report: TestReport, targets: Sequence[str]
    ) -> list[Suspicion]:
        return localize(state, report, targets)
