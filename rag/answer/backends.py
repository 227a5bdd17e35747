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

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import LLMResult

from rag.answer import model_files, prompts
from rag.answer.llama import LlamaChatModel
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
                self._chat_model.keep_fixed(*self._judging("?", "?"))  # its fixed part, evaluated now
        except Exception as err:
            raise self._unavailable(err) from err

    @staticmethod
    def _judging(question: str = "-", evidence: str = "-") -> tuple[list[BaseMessage], list[BaseMessage]]:
        """The judging turn's messages, and the same filled with "-" (the tokens the two share are the prompt's fixed
        part)."""
        prompt = prompts.judge_prompt()
        return (
            prompt.format_messages(evidence=evidence, question=question),
            prompt.format_messages(evidence="-", question="-"),
        )

    def judge(self, question: str, evidence: str) -> float | None:
        """P(Yes) read from a local model's logits; None for other chat models (no logits to read)."""
        try:
            self._chain()
            if not isinstance(self._chat_model, LlamaChatModel):
                return None
            return self._chat_model.yes_probability(*self._judging(question, evidence))
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
