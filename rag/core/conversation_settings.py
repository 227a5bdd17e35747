"""The conversation group of the settings (follow-ups, the asker's language); part of rag.core.settings.Settings."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class ConversationSettings(BaseSettings):
    """Follow-ups and the asker's language (rag.answer.conversation, rag.answer.multilingual)."""

    history_token_budget: int = Field(
        400, description="Most cl100k tokens of earlier turns kept for making a follow-up standalone (newest first)."
    )
    condense_mode: Literal["rule", "model", "off"] = Field(
        "rule",
        description="How a follow-up becomes a standalone question: 'rule' (a follow-up gets the previous question's "
        "subject words), 'model' (the language model rewrites it), 'off' (searched as typed).",
    )
    follow_up_max_words: int = Field(
        3,
        description="A question with at most this many content words of its own reads as a follow-up even without "
        "a pronoun ('For how long?'); one with more and no pronoun or opener is a new subject.",
    )
    follow_up_pronoun_max_words: int = Field(
        6,
        description="A question with a pronoun ('it', 'they', '它', '该') reads as a follow-up only up to this many "
        "content words; longer ones name their own subject.",
    )
    language_model: str = Field(
        "local",
        description="Model that translates non-English questions and answers and rewrites follow-ups in 'model' "
        "mode: 'local' (the GGUF) or 'none' (multilingual index only, answers left in English).",
    )
    rewrite_max_tokens: int = Field(80, description="Most tokens of a rewritten or translated question.")
    translation_max_tokens: int = Field(400, description="Most tokens of a translated answer.")
    translate_model_lead: bool = Field(
        False,
        description="An answer to a question not in English: write the model's English lead and translate it (True), "
        "or open with the translation of the answering sentence itself, writing the model's lead only when the "
        "verdict needs the model's Yes (False: one translation step from the source instead of two, and one model "
        "step fewer).",
    )
    term_rounds: int = Field(
        2,
        description="A Chinese phrase the model leaves in its English translation of a question is translated on "
        "its own, for at most this many rounds; a question still holding Chinese then is searched in its own words.",
    )
