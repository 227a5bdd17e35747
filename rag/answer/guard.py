"""The question guard: a usable question, with instructions aimed at the assistant removed.

Questions that try to change the assistant's rules ("ignore previous instructions", "you are now ...",
"system prompt") are not obeyed: the sentences carrying such instructions are removed and the rest is
answered with a notice; a question made only of such instructions is refused with BadQuestion.
"""

from __future__ import annotations

import re

from rag.answer.support import content_words
from rag.core.errors import BadQuestion
from rag.core.language import DEFAULT, say
from rag.core.questions import EXAMPLE_QUESTION, validate_question
from rag.core.settings import Settings

_OVERRIDE_RE = re.compile(
    r"""\b(ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|these|those|previous|prior|earlier|above|system|given|provided)\s+)*(instructions?|rules?|documents?|evidence|context|prompts?|guidelines|above|previous)\b
    | \byou\s+are\s+now\b | \bfrom\s+now\s+on\b | \bpretend\b | \brole-?play\b
    | \bact\s+as\s+(?:if|an?\s+(?:ai|assistant|chatbot|model|different))\b
    | \bsystem\s+(?:prompt|message)\b | \bdeveloper\s+mode\b | \bjailbreak | \bnew\s+instructions?\b
    | \b(?:reveal|show|print|repeat)\b[^.?!]{0,30}?\b(?:prompt|instructions)\b""",
    re.I | re.X,
)
_QUESTION_SPLIT_RE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def clean_question(question: object, settings: Settings, language: str = DEFAULT) -> tuple[str, str | None]:
    """The question to answer and a notice (in `language`) if instructions were removed from it; BadQuestion if
    unusable."""
    text = validate_question(question, settings)
    parts = [p for p in _QUESTION_SPLIT_RE.split(text) if p.strip()]
    kept = [p for p in parts if not _OVERRIDE_RE.search(p)]
    if len(kept) == len(parts):
        return text, None
    if not content_words(" ".join(kept)):
        raise BadQuestion(
            "The question asks the assistant to change its rules; it only answers from the documents. "
            f"Ask about the policies themselves, e.g. {EXAMPLE_QUESTION!r}"
        )
    return " ".join(kept), say("instructions_ignored", language)
