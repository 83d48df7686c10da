"""Hierarchical localisation through the real SDKs against the local server: files from the
repository map, then functions, then lines; and how its answer merges with the spectrum."""

from __future__ import annotations

import pytest

from tests.models.llm_server import prompt_text, serve
from treefix.models import Gateway, RetryPolicy
from treefix.models.providers import AnthropicModel, OpenAIModel
from treefix.propose.hierarchy import HierarchicalLocalizer, merge, statement_start
from treefix.types import ProgramState, Status, Suspicion, TestOutcome, TestReport

llm_server = pytest.fixture(serve, name="llm_server")

NODE = "tests/test_cart.py::test_total"
SRC = {f"shop/mod{i}.py": f"def helper{i}(x):\n    return x + {i}\n".encode() for i in range(30)}
SRC |= {
    "shop/__init__.py": b"",
    "shop/config.py": b'"""Settings."""\nDEFAULT_RATE = 0.02\nCURRENCY = "EUR"\n',
    "shop/cart.py": (
        b"from shop import config\n\n\nclass Cart:\n    def total(self, price):\n"
        b"        rate = config.DEFAULT_RATE\n        return price * (1 + rate)\n"
    ),
    "tests/test_cart.py": b"from shop.cart import Cart\n\n\ndef test_total():\n    assert Cart().total(100) == 120\n",
}
REPORT = TestReport(
    Status.FAILED,
    1,
    0.2,
    tests={NODE: TestOutcome(NODE, "failed", "AssertionError: assert 102.0 == 120")},
)


def _oracle(body: dict) -> str:
    text = prompt_text(body)
    if "Which files" in text:
        assert "shop/config.py" in text and "shop/cart.py: class Cart, Cart.total" in text
        assert "assert 102.0 == 120" in text
        return "FILE: shop/cart.py\nFILE: shop/config.py\nFILE: tests/test_cart.py\nFILE: nope.py"
    if "Which functions" in text:
        assert "Cart.total (lines 5-7)" in text and "(module-level code only)" in text
        return "LOCATION: shop/config.py:2\nLOCATION: shop/cart.py:Cart.total\nLOCATION: x.py:f"
    assert "    2  DEFAULT_RATE = 0.02" in text and "    6          rate = config" in text
    return "EDIT: shop/config.py:2\nEDIT: shop/cart.py:6\nEDIT: shop/cart.py:99"


@pytest.mark.parametrize("kind", ["anthropic", "openai"])
def test_files_then_functions_then_lines(kind, llm_server):
    llm_server.default = _oracle
    if kind == "anthropic":
        model = AnthropicModel("claude-sonnet-5-5", llm_server.url, llm_server.key)
    else:
        model = OpenAIModel("gpt-4o", llm_server.url + "/v1", llm_server.key)
    gw = Gateway(model, retry=RetryPolicy(max_retries=0, timeout=10), max_calls=10)
    found = HierarchicalLocalizer(gw).locate(ProgramState(SRC), REPORT, [NODE])
    assert found.files == ["shop/cart.py", "shop/config.py"]  # test files and unknowns dropped
    assert found.functions == [("shop/config.py", "2"), ("shop/cart.py", "Cart.total")]
    assert found.lines == [("shop/config.py", 2), ("shop/cart.py", 6)]
    assert [(s.path, s.line, s.reasons) for s in found.suspicions] == [
        ("shop/config.py", 2, ("model",)),
        ("shop/cart.py", 6, ("model",)),
    ]
    assert found.suspicions[0].score > found.suspicions[1].score
    assert gw.stats.calls == 3 and gw.stats.by_purpose == {"localize": 3}


def test_merge_uses_the_model_alone_when_the_spectrum_is_empty():
    model = [Suspicion("a.py", 2, 0.9, ("model",))]
    assert merge([], model) == model
    assert merge([Suspicion("b.py", 1, 0.5, ("ochiai",))], []) == [
        Suspicion("b.py", 1, 0.5, ("ochiai",))
    ]


def test_merge_raises_agreement_and_keeps_covered_code_first():
    spectrum = [
        Suspicion("cart.py", 6, 0.7, ("ochiai",)),
        Suspicion("cart.py", 7, 0.7, ("ochiai",)),
    ]
    model = [
        Suspicion("config.py", 2, 0.9, ("model",)),  # not covered by the failing tests
        Suspicion("cart.py", 7, 0.76, ("model",)),  # agrees with the spectrum
    ]
    out = merge(spectrum, model)
    assert [(s.path, s.line) for s in out] == [("cart.py", 7), ("cart.py", 6), ("config.py", 2)]
    assert out[0].reasons == ("ochiai", "model") and out[0].score == pytest.approx(0.86)
    assert out[2].score == pytest.approx(0.45)


def test_statement_start_snaps_to_the_innermost_statement():
    src = b"def f(x):\n    if x:\n        y = (1 +\n             2)\n    return y\n"
    assert statement_start(src, 4) == 3
    assert statement_start(src, 2) == 2
    assert statement_start(src, 1) == 1
