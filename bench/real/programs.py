"""A student program as a tiny project: the module plus a pytest file made from input/output cases.

Refactory's cases are pairs of files: `input_NNN.txt` holds a call (`search(42, (1, 3))`) and
`output_NNN.txt` the expected value as Python source. Each case becomes one test function so a
bug's failing tests are named per case. The expected value is compared with `==` after
`ast.literal_eval` (strings that are not literals are compared as text, as Refactory does).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

MODULE = "solution.py"
TEST_FILE = "tests/test_solution.py"
CONFTEST = "conftest.py"  # empty root conftest: pytest puts the project root on sys.path


@dataclass
class Case:
    name: str  # "001"
    call: str
    expected: str


def normalise(source: str) -> str:
    """Comments and layout dropped (ast.unparse), so buggy and fixed files line up by line."""
    return ast.unparse(ast.parse(source)).rstrip() + "\n"


def module_text(program: str, prelude: str = "") -> str:
    """The instructor's global code (imports, data) first, then the submission."""
    parts = [normalise(prelude)] if prelude.strip() else []
    parts.append(normalise(program))
    return "\n\n".join(p.rstrip() for p in parts) + "\n"


def test_text(cases: list[Case]) -> str:
    lines = [
        "import ast",
        "",
        "from solution import *  # noqa: F403",
        "",
        "",
        "def expect(actual, expected_src):",
        "    try:",
        "        expected = ast.literal_eval(expected_src)",
        "    except (ValueError, SyntaxError):",
        "        assert str(actual) == expected_src",
        "        return",
        "    assert actual == expected",
    ]
    for case in cases:
        lines += [
            "",
            "",
            f"def test_case_{case.name}():",
            f"    expect({case.call.strip()}, {case.expected.strip()!r})",
        ]
    return "\n".join(lines) + "\n"


def project_files(program: str, cases: list[Case], prelude: str = "") -> dict[str, str]:
    return {
        MODULE: module_text(program, prelude),
        TEST_FILE: test_text(cases),
        "tests/__init__.py": "",
        CONFTEST: "",
    }


def test_id(case: Case) -> str:
    return f"{TEST_FILE}::test_case_{case.name}"
