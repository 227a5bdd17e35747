"""What a question asks for that the answer's quotes do not name: a responsible authority, or a deadline.

A follow-up such as "Who handles it?" or "By when?" often lands on passages that state the measure but
not the department or the date. The page then says so in one line above the quotes, in the reader's
language, instead of letting the quotes look like an answer to that part. Plain rules, no model.
"""

from __future__ import annotations

import re

from rag.core.language import DEFAULT, say
from rag.core.types import Answer

ASKS_AUTHORITY_RE = re.compile(
    r"\b(?:who|whom|which (?:department|authority|agency|bureau|body|office|ministry)|responsible|in charge"
    r"|handles?|approves?|oversees?|authority)\b|哪个部门|哪些部门|什么部门|谁|负责|主管|审批|哪个机构",
    re.I,
)
ASKS_DEADLINE_RE = re.compile(
    r"\b(?:deadline|by when|until when|when (?:must|should|will|does|do|is|are)|how long|time limit|due date|"
    r"which year|what year)\b|期限|截止|何时|什么时候|多久|哪一年",
    re.I,
)
# A date question about a document itself ("when was it issued?") is answered by its date line, not a deadline.
_ISSUED_RE = re.compile(r"\b(?:issued|dated|signed|published|approved|adopted|released)\b|发布|印发", re.I)
NAMES_AUTHORITY_RE = re.compile(
    r"\b(?:Bureau|Commission|Ministry|Department|Administration|Office|Government|Committee|Council|Authority"
    r"|Regulatory|Commerce|responsible|People's Bank|CSRC|MOFCOM|SAFE)\b",
)
NAMES_DEADLINE_RE = re.compile(
    r"\b(?:19|20)\d\d\b|\bby the end of\b|\bwithin\b|\bdeadline\b|\bbefore\b|\b\d+ (?:days?|months?|years?)\b",
    re.I,
)


def _asked(answer: Answer, question: str) -> str:
    """The question's own words and, for a follow-up or a translated question, what was searched."""
    return f"{question} {answer.standalone_question or ''}"


def gap_line(answer: Answer, question: str | None = None, lang: str = DEFAULT) -> str | None:
    """One line saying the quotes do not name the authority or deadline the question asks for; None otherwise."""
    if answer.refused or not answer.citations:
        return None
    asked = _asked(answer, question or answer.question)
    quoted = " ".join(c.quote for c in answer.citations)
    if ASKS_AUTHORITY_RE.search(asked) and not NAMES_AUTHORITY_RE.search(quoted):
        return say("gap_authority", lang)
    if ASKS_DEADLINE_RE.search(asked) and not _ISSUED_RE.search(asked) and not NAMES_DEADLINE_RE.search(quoted):
        return say("gap_deadline", lang)
    return None
