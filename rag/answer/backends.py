"""Answer backends, by registry name: what writes the one-sentence lead of an answer.

`BACKENDS` maps a name to a factory `Settings -> Backend`; `@register` fills
it and `get_backend` looks names up. LLM backends share one LCEL chain,
`lead_prompt() | chat_model | StrOutputParser()`, and differ only in the chat
model: a local GGUF through llama.cpp (`local`, `smollm2`) or an
OpenAI-compatible endpoint (`openai`). Before the lead, `judge` gives a local
model's probability that the quoted evidence answers the question (read from its
logits; the lead's prompt extends the judging turn, so it is evaluated once).
`extractive` needs no model, judges nothing and writes no lead: its answers are
the quoted evidence sentences alone.
Any failure of a backend surfaces as LLMUnavailable with what to do about it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, LLMResult

from rag.answer import model_files, prompts
from rag.core.errors import LLMUnavailable, RagError, UnknownBackend
from rag.core.redact import redact
from rag.core.settings import Settings, get_settings


class Backend(Protocol):
    name: str
    model: str  # human-readable model name for the UI
    usage: dict[str, int]  # token counts of the last call: input_tokens, output_tokens (when known)

    def stream(self, question: str, evidence: str, language: str = "English") -> Iterator[str]:
        """Yield the lead sentence in pieces from the numbered `evidence` lines; raise LLMUnavailable on failure."""
        ...

    def warm(self) -> None:
        """Load whatever the first call would load (so timings exclude it); may raise LLMUnavailable."""
        ...

    def judge(self, question: str, evidence: str) -> float | None:
        """The model's probability that the numbered `evidence` answers `question` (its "Yes" against "No"), or
        None when this backend cannot say; may raise LLMUnavailable."""
        ...


BACKENDS: dict[str, Callable[[Settings], Backend]] = {}


def register(name: str) -> Callable[[Callable[[Settings], Backend]], Callable[[Settings], Backend]]:
    def add(factory: Callable[[Settings], Backend]) -> Callable[[Settings], Backend]:
        BACKENDS[name] = factory
        return factory

    return add


def get_backend(name: str, settings: Settings | None = None) -> Backend:
    """Build the backend registered as `name`; cheap, models load on first use."""
    try:
        factory = BACKENDS[name]
    except KeyError:
        raise UnknownBackend(name, sorted(BACKENDS)) from None
    return factory(settings or get_settings())


# --- llama.cpp as a LangChain chat model -------------------------------------

_LLAMAS: dict[tuple[str, int, int, int], tuple[Any, threading.Lock]] = {}
_LOAD_LOCK = threading.Lock()
# Per Llama (by id): the judging turn whose prompt it holds evaluated, so the lead that follows it reuses it.
_JUDGED: dict[int, tuple] = {}


def forget(llama: Any, keep: tuple | None = None) -> None:
    """Forget the previous call's context (hold the Llama's lock): llama.cpp would otherwise reuse the KV cache of the
    longest shared prompt prefix, and a prefix evaluated in another batch split gives slightly different logits, so
    the same question could get another answer after other questions. Only the judging turn of the same question
    (`keep`, its messages) is kept: it was evaluated the same way every time."""
    if keep is None or _JUDGED.pop(id(llama), None) != keep:
        _JUDGED.pop(id(llama), None)
        llama.reset()


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

    def _acquire(self, llama: Any, lock: threading.Lock, keep: tuple | None = None) -> None:
        """Take the model and forget the previous call's context, unless it is the judging turn `keep` (`forget`)."""
        if not lock.acquire(timeout=self.busy_timeout_s):
            raise LLMUnavailable(f"The local model stayed busy for {self.busy_timeout_s:.0f} s with another question.")
        forget(llama, keep)

    def yes_probability(self, messages: list[BaseMessage]) -> float:
        """P("Yes") against "No" as the model's first word after `messages` (read from its logits, not sampled)."""
        from llama_cpp import LogitsProcessorList

        llama, lock = self.load()
        self._acquire(llama, lock)
        seen: list[tuple[float, float]] = []

        def read(_ids: Any, logits: Any) -> Any:
            seen.append((max(logits[t] for t in yes), max(logits[t] for t in no)))
            return logits

        try:
            yes, no = ({llama.tokenize(w.encode(), add_bos=False)[0] for w in words} for words in (YES, NO))
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


# --- backends -----------------------------------------------------------------


class _UsageRecorder(BaseCallbackHandler):
    def __init__(self, usage: dict[str, int]):
        self.usage = usage

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        message = getattr(response.generations[0][0], "message", None)
        self.usage.update(getattr(message, "usage_metadata", None) or {})


class ChainBackend:
    """Any LangChain chat model behind the answer prompt, streamed through LCEL."""

    def __init__(
        self, name: str, model: str, make_chat_model: Callable[[], BaseChatModel], *, timeout_s: float, hint: str
    ):
        self.name, self.model = name, model
        self.usage: dict[str, int] = {}
        self._make_chat_model = make_chat_model
        self._chat_model: BaseChatModel | None = None
        self._timeout_s = timeout_s
        self._hint = hint

    def _chain(self):
        if self._chat_model is None:
            self._chat_model = self._make_chat_model()
        return prompts.lead_prompt() | self._chat_model | StrOutputParser()

    def _unavailable(self, err: Exception) -> LLMUnavailable:
        if isinstance(err, LLMUnavailable):
            return err
        if isinstance(err, RagError):  # ModelMissing / ModelCorrupt already say what to do
            return LLMUnavailable(str(err))
        return LLMUnavailable(f"The {self.name} backend failed ({type(err).__name__}: {err}). {self._hint}")

    def warm(self) -> None:
        try:
            self._chain()
            if isinstance(self._chat_model, LlamaChatModel):
                self._chat_model.load()
        except Exception as err:
            raise self._unavailable(err) from err

    def judge(self, question: str, evidence: str) -> float | None:
        """P(Yes) read from a local model's logits; None for other chat models (no logits to read)."""
        try:
            self._chain()
            if not isinstance(self._chat_model, LlamaChatModel):
                return None
            return self._chat_model.yes_probability(
                prompts.judge_prompt().format_messages(evidence=evidence, question=question)
            )
        except Exception as err:
            raise self._unavailable(err) from err

    def stream(self, question: str, evidence: str, language: str = "English") -> Iterator[str]:
        self.usage = {}
        deadline = time.monotonic() + self._timeout_s
        try:
            pieces = self._chain().stream(
                {"evidence": evidence, "question": question, "language": language},
                config={"callbacks": [_UsageRecorder(self.usage)]},
            )
            try:
                for piece in pieces:
                    if time.monotonic() > deadline:
                        raise LLMUnavailable(
                            f"The {self.name} backend ran past {self._timeout_s:.0f} s (RAG_LLM_TIMEOUT_S); the machine "
                            "may be busy. Raise the limit, or use a faster backend (--backend extractive)."
                        )
                    yield piece
            finally:
                pieces.close()
        except Exception as err:  # any backend failure becomes the fallback's cue, with its cause in the notice
            raise self._unavailable(err) from err


def _llama_chat_model(path: Callable[[], object], settings: Settings) -> Callable[[], BaseChatModel]:
    def make() -> BaseChatModel:
        return LlamaChatModel(
            model_path=str(path()),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_batch=settings.n_batch,
            temperature=settings.temperature,
            max_tokens=settings.max_answer_tokens,
            busy_timeout_s=settings.llm_timeout_s,
        )

    return make


@register("local")
def local_backend(settings: Settings) -> Backend:
    name = settings.model_file.name if settings.model_file else model_files.QWEN.name
    return ChainBackend(
        "local",
        name,
        _llama_chat_model(lambda: model_files.ensure_model(settings), settings),
        timeout_s=settings.llm_timeout_s,
        hint="Reinstall the local model with scripts/install_llm.sh, or choose --backend extractive.",
    )


@register("smollm2")
def smollm2_backend(settings: Settings) -> Backend:
    return ChainBackend(
        "smollm2",
        model_files.SMOLLM2_NAME,
        _llama_chat_model(lambda: model_files.smollm2_path(settings), settings),
        timeout_s=settings.llm_timeout_s,
        hint="Reinstall with scripts/install_llm.sh.",
    )


@register("openai")
def openai_backend(settings: Settings) -> Backend:
    def make() -> BaseChatModel:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            timeout=settings.llm_timeout_s,
            max_retries=0,  # the extractive fallback answers faster than a retry would
            temperature=settings.temperature,
            max_tokens=settings.max_answer_tokens,
        )

    return ChainBackend(
        "openai",
        redact(f"{settings.openai_model} @ {settings.openai_base_url}"),  # shown in the app: no credentials
        make,
        timeout_s=settings.llm_timeout_s,
        hint=f"Check that an OpenAI-compatible server answers at {settings.openai_base_url} "
        "(RAG_OPENAI_BASE_URL, RAG_OPENAI_MODEL, RAG_OPENAI_API_KEY).",
    )


class ExtractiveBackend:
    """No model: the answer is the quoted evidence sentences (rag.answer.quotes) without a lead."""

    name = "extractive"
    model = "none (extractive: quotes the evidence)"

    def __init__(self, settings: Settings):
        self.settings = settings
        self.usage: dict[str, int] = {}

    def warm(self) -> None:
        pass

    def judge(self, question: str, evidence: str) -> float | None:
        return None

    def stream(self, question: str, evidence: str, language: str = "English") -> Iterator[str]:
        return iter(())


@register("extractive")
def extractive_backend(settings: Settings) -> Backend:
    return ExtractiveBackend(settings)
