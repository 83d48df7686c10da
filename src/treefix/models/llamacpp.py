"""In-process local model: a GGUF file run by llama.cpp (`llama_cpp.Llama`), no server, no network.

    treefix repair . --provider llamacpp --model-path model.gguf      # pip install 'treefix[local]'

Same `Model` seam as the API providers: one attempt per `complete()`, usage from llama.cpp's own
token counts, cost zero (`free`). The model is loaded once, when the run starts, so a bad file is
an error before any test runs. `context_window` and `count_tokens` let the proposer trim its
prompt to the window before asking. llama.cpp cannot be interrupted from outside, so the request
timeout is enforced inside the sampler: past it only end-of-text may follow, generation ends there and the answer is marked cut
(`finish_reason` "timeout"), like one that reached the output token limit.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from treefix.errors import FatalModelError
from treefix.models.base import Reply, Request, Usage, context_overflow, merged_turns
from treefix.models.registry import PROVIDERS

GGUF_MAGIC = b"GGUF"
DEFAULT_CONTEXT = 4096


def check_model_file(path: str | Path) -> Path:
    """The path as a GGUF file, or ValueError with a one-line reason (a usage error)."""
    p = Path(path).expanduser()
    if not p.exists():
        raise ValueError(f"--model-path {path}: no such file")
    if not p.is_file():
        raise ValueError(f"--model-path {path}: not a file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise ValueError(f"--model-path {path}: cannot be read ({exc.strerror})") from None
    if head != GGUF_MAGIC:
        raise ValueError(f"--model-path {path}: not a GGUF model file (llama.cpp reads .gguf)")
    return p


def available() -> tuple[bool, str]:
    """For `treefix doctor`: is llama-cpp-python importable, and which version."""
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    if find_spec("llama_cpp") is None:
        return False, f"llama-cpp-python not installed: {PROVIDERS['llamacpp'].install}"
    try:
        return True, f"llama-cpp-python {version('llama_cpp_python')} (--provider llamacpp)"
    except PackageNotFoundError:
        return True, "llama_cpp importable (--provider llamacpp)"


class LlamaCppModel:
    provider = "llamacpp"
    free = True

    def __init__(
        self,
        model_path: str | Path,
        *,
        context: int | None = None,
        threads: int | None = None,
        seed: int = 0,
    ):
        path = check_model_file(model_path)
        try:
            import llama_cpp
        except ImportError:
            raise FatalModelError(
                f"llamacpp: llama-cpp-python is not installed: {PROVIDERS['llamacpp'].install}"
            ) from None
        self.name = path.name.removesuffix(".gguf")
        self.path = path
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=context or DEFAULT_CONTEXT,
                n_threads=threads,
                seed=seed,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ValueError(
                f"--model-path {model_path}: llama.cpp could not load it "
                f"({str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__})"
            ) from None
        self.context_window = int(self._llm.n_ctx())
        self._lock = threading.Lock()  # one llama.cpp context: one request at a time

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def complete(self, request: Request, timeout: float) -> Reply:
        # llama-cpp-python's TypedDicts per role; plain dicts are what it accepts at run time
        messages: list[Any] = [{"role": "system", "content": request.system}]
        for role, blocks in merged_turns(request.messages):
            messages.append({"role": role, "content": "\n\n".join(b.content for b in blocks)})
        with self._lock:
            start = time.monotonic()
            timed_out = False

            eos = self._llm.token_eos()

            def end_at_deadline(_tokens, scores):
                """Past the timeout, only end-of-text may follow: generation stops there."""
                nonlocal timed_out
                if timed_out or time.monotonic() - start > timeout:
                    timed_out = True
                    scores[:] = -float("inf")
                    scores[eos] = 0.0
                return scores

            import llama_cpp

            try:
                # not streamed: one response dict (the stub's union also covers stream=True)
                resp: Any = self._llm.create_chat_completion(
                    messages=messages,
                    max_tokens=request.max_tokens,
                    temperature=request.temperature,
                    seed=request.sample,
                    logits_processor=llama_cpp.LogitsProcessorList([end_at_deadline]),
                )
            except ValueError as exc:
                overflow = context_overflow(str(exc), self.provider)
                if overflow is not None:
                    raise overflow from None
                raise FatalModelError(f"llamacpp: {str(exc)[:300]}") from None
        choices = resp.get("choices") or []
        text = (choices[0].get("message", {}).get("content") or "") if choices else ""
        finish = (choices[0].get("finish_reason") or "") if choices else ""
        if timed_out:
            finish = "timeout"
        u = resp.get("usage") or {}
        usage = Usage(
            input_tokens=int(u.get("prompt_tokens", 0) or 0),
            output_tokens=int(u.get("completion_tokens", 0) or 0),
        )
        return Reply(text=text, usage=usage, model=self.name, finish_reason=finish)


class LlamaCppProvider:
    """`--provider llamacpp --model-path FILE.gguf`: the registry's face of LlamaCppModel."""

    def create(self, spec) -> LlamaCppModel:
        path = spec.model_path or spec.name
        if not path:
            raise ValueError("--provider llamacpp needs --model-path FILE.gguf")
        return LlamaCppModel(path, context=spec.context, seed=spec.seed)

    def doctor(self) -> list[tuple[str, bool, str]]:
        """llama-cpp-python, and the model file TREEFIX_MODEL_PATH names."""
        import os

        ok, detail = available()
        path = os.environ.get("TREEFIX_MODEL_PATH")
        if path:
            try:
                check_model_file(path)
                detail += f"; TREEFIX_MODEL_PATH {path} is a GGUF file"
            except ValueError as exc:
                detail = f"{detail}; {exc}".replace("--model-path", "TREEFIX_MODEL_PATH")
                return [("llama.cpp in-process", False, detail)]
        return [("llama.cpp in-process", ok, detail)]


PROVIDER = LlamaCppProvider()
