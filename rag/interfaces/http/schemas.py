"""Request bodies of the HTTP service (responses are the JSON the CLI prints, documented in the routes)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


def _lone_surrogate(value: Any) -> bool:
    """Whether `value` (a JSON value) holds a string with a lone UTF-16 surrogate ("\\ud800"), which no UTF-8
    text, log line or database can hold."""
    if isinstance(value, str):
        return any("\ud800" <= ch <= "\udfff" for ch in value)
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


class Body(BaseModel):
    """A request body: 400 for text that is not valid Unicode, wherever it is."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if _lone_surrogate(data):
            raise ValueError(
                "the text holds a lone UTF-16 surrogate (an escape such as \\ud800 without its pair); send valid "
                "Unicode text"
            )
        return data


class Message(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"] = "user"
    content: str | list[dict[str, Any]] | None = ""

    def text(self) -> str:
        """The text of the message (OpenAI clients may send a list of content parts)."""
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content if part.get("type", "text") == "text")
        return self.content or ""


class AnswerRequest(Body):
    question: str = Field(description="The question about the Beijing opening-up documents.")
    history: list[Message] = Field(
        default_factory=list, description="Earlier turns of the conversation, oldest first (optional)."
    )
    backend: str | None = Field(None, description="Answer backend for this call: local, smollm2, openai, extractive.")
    doc_ids: list[str] | None = Field(None, description="Only these documents (optional).")
    stream: bool = Field(False, description="Stream server-sent events: evidence, token, notice, answer.")


class ChatRequest(Body):
    """OpenAI's chat-completions body; the last user message is the question, earlier messages the history.
    `model` may name a backend (local, smollm2, openai, extractive); any other name uses the default one."""

    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, ...: accepted, the server's settings decide

    model: str = "default"
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    backend: str | None = Field(None, description="Answer backend (overrides `model`).")


class FeedbackRequest(Body):
    rating: Literal["up", "down"]
    answer_id: str | None = Field(None, description="The `id` of an answer this server gave (fills the rest).")
    question: str | None = None
    comment: str = Field("", max_length=4000)
    history: list[Message] = Field(default_factory=list)
    answer: str | None = None
    refused: bool | None = None
    citations: list[dict[str, Any]] | None = None
    backend: str | None = None
    model: str | None = None
