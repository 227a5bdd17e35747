"""llama.cpp as a LangChain chat model: one process-wide Llama per GGUF, its lock, the KV-state rule, and the
threads of each call (with settings.n_threads = 0, the cores other processes leave free: `use_threads`).

A Llama serves one generation at a time (its lock). Before each call the previous call's context is forgotten
(`forget`), except the judging turn of the same question, which the lead's prompt extends: that prefix was
evaluated the same way every time, so reusing it keeps answers independent of earlier questions. A prompt's
fixed prefix (the judging instructions, a translation's instructions and example) is evaluated on its own once;
its KV state is kept (`_STATES`) and loaded for the next prompt that starts with it.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from rag.core.errors import LLMUnavailable

log = logging.getLogger("rag.answer")

_LLAMAS: dict[tuple[str, int, int, int], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()
# Per Llama (by id): the judging turn whose prompt it holds evaluated, so the lead that follows it reuses it.
_JUDGED: dict[int, tuple] = {}
_FORMATTERS: dict[int, Any] = {}  # per Llama (by id): its chat template, to know a prompt's tokens before the call
# Per Llama and fixed prefix: the KV state right after the prefix was evaluated alone (about 28 KB a token). Loading
# one takes about 0.03 s against 1.1 s to evaluate an 80-token prefix on 2 cores (measured); 8 cover every prompt.
_STATES: OrderedDict[tuple[int, tuple[int, ...]], Any] = OrderedDict()
_MAX_STATES = 8


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
    if not prefix:
        return
    key = (id(llama), tuple(prefix))
    if key in _STATES:
        llama.load_state(_STATES[key])  # the same bits as evaluating the prefix alone again
        _STATES.move_to_end(key)
        return
    llama.eval(prefix)
    _STATES[key] = llama.save_state()
    while len(_STATES) > _MAX_STATES:
        _STATES.popitem(last=False)


_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
_TICK_S = 1 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01
_WINDOW_S = (0.1, 10.0)  # the load is read over at least 0.1 s, and over at most the last 10 s
_LAST: list[tuple[float, int, int]] = []  # the previous reading: (monotonic s, busy ticks of all cores, own ticks)


def _ticks() -> tuple[float, int, int] | None:
    """(now, CPU ticks all cores spent busy, ticks this process spent), from /proc; None where unreadable."""
    try:
        with open("/proc/stat") as f:
            cpu = [int(x) for x in f.readline().split()[1:9]]
        with open("/proc/self/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
        return time.monotonic(), sum(cpu) - cpu[3] - cpu[4], int(own[11]) + int(own[12])  # less idle, iowait
    except (OSError, ValueError, IndexError):
        return None


def free_cores() -> int | None:
    """Cores that other processes left free since the previous reading (this process's own work, the model's
    included, is left out), read over at least 0.1 s; None where /proc cannot be read."""
    start = _LAST[0] if _LAST and time.monotonic() - _LAST[0][0] <= _WINDOW_S[1] else _ticks()
    if start is None:
        return None
    time.sleep(max(0.0, _WINDOW_S[0] - (time.monotonic() - start[0])))
    end = _ticks()
    if end is None:
        return None
    _LAST[:] = [end]
    others = ((end[1] - start[1]) - (end[2] - start[2])) * _TICK_S / (end[0] - start[0])  # in cores
    return _CORES - max(0, math.ceil(others - 0.3))  # a core is taken when another process kept it 30% busy


def use_threads(llama: Any, n_threads: int) -> int:
    """Set the threads of the next call (hold the Llama's lock): `n_threads`, or with 0 every core that other
    processes leave free, at least one. On 2 cores two threads generate 1.7x faster than one on an idle machine;
    beside a busy process they wait on each other: 5.6 tokens/s against one thread's 9.5 with OpenMP's default
    spin, 9.8 with the short spin rag/__init__ sets. Thread count never changes the logits."""
    import llama_cpp

    n = n_threads or max(1, free_cores() or _CORES)
    llama_cpp.llama_set_n_threads(llama._ctx.ctx, n, n)
    log.debug("llama.cpp call on %d thread(s)", n)
    return n


def prepare(llama: Any, n_threads: int, keep: tuple | None = None, prefix: list[int] | None = None) -> None:
    """Before any call (hold the Llama's lock): forget the previous call's context (`forget`) and set the threads
    (`use_threads`)."""
    forget(llama, keep, prefix)
    use_threads(llama, n_threads)


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


def fixed_prefix(llama: Any, messages: list[dict]) -> list[int] | None:
    """The tokens of `messages` (a system message, any example turns, a last user message) that every prompt with
    the same messages before the last starts with; None when not known."""
    tokens = chat_tokens(llama, messages)
    a, b = (chat_tokens(llama, [*messages[:-1], {"role": "user", "content": x}]) for x in ("A", "B"))
    if not tokens or not a or not b:
        return None
    prefix = shared_prefix(a, b)
    return prefix if tokens[: len(prefix)] == prefix else None


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
            threads = n_threads or _CORES  # 0: chosen per call (use_threads)
            llama = Llama(
                model_path=path,
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=n_batch,
                seed=0,
                verbose=False,
            )
            _LLAMAS[key] = (llama, threading.Lock())
        return _LLAMAS[key]


_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
YES, NO = ("Yes", "yes"), ("No", "no")  # the judging turn's answer words (their first tokens)


class LlamaChatModel(BaseChatModel):
    """A thin LangChain chat model over `llama_cpp.Llama.create_chat_completion`."""

    model_path: str
    n_ctx: int = 2048
    n_threads: int = 0  # 0: every core other processes leave free, chosen per call
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
        prepare(llama, self.n_threads, keep, prefix)

    def _fixed(self, llama: Any, messages: list[BaseMessage], probe: list[BaseMessage]) -> list[int] | None:
        """The tokens `messages` and `probe` (the same prompt filled with other inputs) share from the start."""
        tokens, fixed = (chat_tokens(llama, self._call_args(m, None)["messages"]) for m in (messages, probe))
        return shared_prefix(tokens, fixed) if tokens and fixed else None

    def keep_fixed(self, messages: list[BaseMessage], probe: list[BaseMessage]) -> None:
        """Evaluate the prompt's fixed part now (see `yes_probability`), so the first question does not wait for it."""
        llama, lock = self.load()
        self._acquire(llama, lock, prefix=self._fixed(llama, messages, probe))
        lock.release()

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

        self._acquire(llama, lock, prefix=self._fixed(llama, messages, probe))
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
