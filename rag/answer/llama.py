"""llama.cpp as a LangChain chat model: one process-wide Llama per GGUF, its lock, and the KV-state rule.

A Llama serves one generation at a time (its lock). Before each call the previous call's context is forgotten
(`forget`), except the judging turn of the same question, which the lead's prompt extends: that prefix was
evaluated the same way every time, so reusing it keeps answers independent of earlier questions.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from rag.core.errors import LLMUnavailable

_LLAMAS: dict[tuple[str, int, int, int], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()
# Per Llama (by id): the judging turn whose prompt it holds evaluated, so the lead that follows it reuses it.
_JUDGED: dict[int, tuple] = {}
_FORMATTERS: dict[int, Any] = {}  # per Llama (by id): its chat template, to know a prompt's tokens before the call


def forget(llama: Any, keep: tuple | None = None, prefix: list[int] | None = None) -> None:
    """Forget the previous call's context (hold the Llama's lock): llama.cpp would otherwise reuse the KV cache of the
    longest shared prompt prefix, and a prefix evaluated in another batch split gives slightly different logits, so
    the same question could get another answer after other questions. Kept are only what is evaluated the same way
    every time: the judging turn of the same question (`keep`, its messages), or the fixed `prefix` of the judging
    prompt (its tokens), which is always evaluated on its own, so the rest of the prompt starts from the same state."""
    judged = _JUDGED.pop(id(llama), None)
    if keep is not None and judged == keep:
        return
    n = len(prefix or [])
    if prefix and llama.n_tokens >= n and list(llama.input_ids[:n]) == prefix:
        llama.n_tokens = n  # the next call finds the prefix and evaluates only what follows it
        return
    llama.reset()
    if prefix:
        llama.eval(prefix)


def chat_tokens(llama: Any, messages: list[dict]) -> list[int] | None:
    """The tokens llama.cpp evaluates for `messages` under the GGUF's own chat template; None for another format."""
    if llama.chat_format != "chat_template.default":
        return None
    if id(llama) not in _FORMATTERS:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        text = lambda t: llama._model.token_get_text(t) if t != -1 else ""
        _FORMATTERS[id(llama)] = Jinja2ChatFormatter(
            template=llama.metadata["tokenizer.chat_template"],
            eos_token=text(llama.token_eos()),
            bos_token=text(llama.token_bos()),
        )
    prompt = _FORMATTERS[id(llama)](messages=messages).prompt
    return llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)  # as the chat handler does


def shared_prefix(a: list[int], b: list[int]) -> list[int]:
    n = 0
    while n < min(len(a), len(b)) - 1 and a[n] == b[n]:
        n += 1
    return a[:n]


def _turn_key(messages: list[BaseMessage]) -> tuple:
    return tuple((m.type, m.text) for m in messages[:2])


def load_llama(path: str, n_ctx: int, n_threads: int, n_batch: int = 512) -> tuple[Any, threading.Lock]:
    """The process-wide Llama for this file and its lock (a Llama serves one generation at a time)."""
    key = (path, n_ctx, n_threads, n_batch)
    with _LOAD_LOCK:
        if key not in _LLAMAS:
            try:
                from llama_cpp import Llama
            except ImportError as err:
                raise LLMUnavailable(
                    f"llama-cpp-python is not installed ({err}). Install it with: scripts/install_llm.sh"
                ) from err
            llama = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_batch=n_batch, seed=0, verbose=False)
            _LLAMAS[key] = (llama, threading.Lock())
        return _LLAMAS[key]


_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
YES, NO = ("Yes", "yes"), ("No", "no")  # the judging turn's answer words (their first tokens)


class LlamaChatModel(BaseChatModel):
    """A thin LangChain chat model over `llama_cpp.Llama.create_chat_completion`."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int = 2
    n_batch: int = 512
    temperature: float = 0.0
    max_tokens: int = 256
    busy_timeout_s: float = 120.0  # wait at most this long for another generation to finish

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "temperature": self.temperature}

    def load(self) -> tuple[Any, threading.Lock]:
        return load_llama(self.model_path, self.n_ctx, self.n_threads, self.n_batch)

    def _call_args(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        return {
            "messages": [{"role": _ROLES.get(m.type, "user"), "content": m.text} for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": stop or [],
            "seed": 0,
        }

    def _acquire(
        self, llama: Any, lock: threading.Lock, keep: tuple | None = None, prefix: list[int] | None = None
    ) -> None:
        """Take the model and forget the previous call's context but the judging turn `keep` or `prefix` (`forget`)."""
        if not lock.acquire(timeout=self.busy_timeout_s):
            raise LLMUnavailable(f"The local model stayed busy for {self.busy_timeout_s:.0f} s with another question.")
        forget(llama, keep, prefix)

    def yes_probability(self, messages: list[BaseMessage], probe: list[BaseMessage]) -> float:
        """P("Yes") against "No" as the model's first word after `messages` (read from its logits, not sampled).

        `probe` is the same prompt filled with other inputs: the tokens the two share from the start are the prompt's
        fixed part, evaluated once and kept for the next question (`forget`)."""
        from llama_cpp import LogitsProcessorList

        llama, lock = self.load()
        yes, no = ({llama.tokenize(w.encode(), add_bos=False)[0] for w in words} for words in (YES, NO))
        seen: list[tuple[float, float]] = []

        def read(_ids: Any, logits: Any) -> Any:
            seen.append((max(logits[t] for t in yes), max(logits[t] for t in no)))
            return logits

        tokens, fixed = (chat_tokens(llama, self._call_args(m, None)["messages"]) for m in (messages, probe))
        self._acquire(llama, lock, prefix=shared_prefix(tokens, fixed) if tokens and fixed else None)
        try:
            args = self._call_args(messages, None) | {"max_tokens": 1, "logits_processor": LogitsProcessorList([read])}
            llama.create_chat_completion(**args)
            _JUDGED[id(llama)] = _turn_key(messages)
        finally:
            lock.release()
        y, n = seen[0]
        return 1.0 / (1.0 + math.exp(n - y))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama, lock = self.load()
        self._acquire(llama, lock, _turn_key(messages))
        try:
            out = llama.create_chat_completion(**self._call_args(messages, stop), stream=False)
        finally:
            lock.release()
        u = out["usage"]
        message = AIMessage(
            content=out["choices"][0]["message"]["content"] or "",
            usage_metadata={
                "input_tokens": u["prompt_tokens"],
                "output_tokens": u["completion_tokens"],
                "total_tokens": u["total_tokens"],
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama, lock = self.load()
        self._acquire(llama, lock, _turn_key(messages))
        try:
            n_out, finish = 0, None
            parts = llama.create_chat_completion(**self._call_args(messages, stop), stream=True)
            try:
                for part in parts:
                    finish = part["choices"][0]["finish_reason"] or finish
                    text = part["choices"][0]["delta"].get("content")
                    if not text:
                        continue
                    n_out += 1  # llama.cpp streams one token per piece
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                    if run_manager:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            finally:
                parts.close()  # stops generation when the consumer gives up early
            # The context now holds the prompt and the generated tokens, less the last one when cut at max_tokens.
            n_in = max(llama.n_tokens - n_out + (finish == "length"), 0)
            usage = {"input_tokens": n_in, "output_tokens": n_out, "total_tokens": n_in + n_out}
            yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage))
        finally:
            lock.release()
