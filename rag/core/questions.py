"""One validation path for questions, whatever their source (argv, batch file, app, HTTP).

A question must be a string with words in it once control characters are removed, and at most
settings.question_max_tokens cl100k tokens (RAG_QUESTION_MAX_TOKENS). The messages speak to the
reader; the setting names belong in logs and the README.
"""

from __future__ import annotations

import logging

from rag.core.errors import BadQuestion
from rag.core.settings import Settings
from rag.core.text import printable
from rag.core.tokens import count_tokens

EXAMPLE_QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"
log = logging.getLogger(__name__)
WORDS_PER_TOKEN = 0.75  # English prose: about 3 words per 4 cl100k tokens


def validate_question(value: object, settings: Settings) -> str:
    """The question with control characters removed and whitespace collapsed; BadQuestion if unusable."""
    if not isinstance(value, str):
        raise BadQuestion(f"The question must be text, not {_kind(value)}. Type a question, e.g. {EXAMPLE_QUESTION!r}")
    text = " ".join(printable(value).split())
    if not text:
        raise BadQuestion(f"Type a question about the policy documents, e.g. {EXAMPLE_QUESTION!r}")
    if (n := count_tokens(text)) > settings.question_max_tokens:
        log.info("question refused: %d tokens > RAG_QUESTION_MAX_TOKENS=%d", n, settings.question_max_tokens)
        words = max(10, round(settings.question_max_tokens * WORDS_PER_TOKEN / 10) * 10)
        raise BadQuestion(f"Please shorten your question to about {words} words; ask one thing at a time.")
    return text


def _kind(value: object) -> str:
    if value is None:
        return "empty (null)"
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")
