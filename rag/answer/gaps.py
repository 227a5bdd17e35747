"""What a question asks for that the answer's quotes do not name: a responsible authority, or a deadline.

A follow-up such as "Who handles it?" or "By when?" often lands on passages that state the measure but
not the department or the date. The answer then carries the gap (Answer.gap: "authority" or "deadline"), and
every interface says so in one line above the quotes, in the reader's language (the catalogue's `gap_authority`,
`gap_deadline`), instead of letting the quotes look like an answer to that part. Plain rules, no model.
"""

from __future__ import annotations

import re

from rag.core.text import DURATION

# the names of a responsible body, "dept" included (rag.answer.evidence brings a task's departments line for them)
BODY = r"(?:departments?|depts?|authorit(?:y|ies)|agenc(?:y|ies)|bureaus?|bod(?:y|ies)|offices?|ministr(?:y|ies))"
# "handles" asks for an authority only of a body or of "it" ("which offices handle it?"), not as the measure's own verb
# ("can a foreign bank handle customs duty payments?")
_ACTS = r"(?:handles?|approves?|oversees?)"
ASKS_AUTHORITY_RE = re.compile(
    rf"\b(?:who|whom|(?:which|what)(?:\s+\w+)?\s+{BODY}|responsible|in charge|authority"
    rf"|{BODY}\s+(?:that\s+|which\s+)?{_ACTS}|{_ACTS}\s+(?:it|this|that|them)|approves?)\b"
    r"|哪个部门|哪些部门|什么部门|谁|负责|主管|审批|哪个机构",
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
    rf"\b(?:19|20)\d\d\b|\bby the end of\b|\bwithin\b|\bdeadline\b|\bbefore\b|{DURATION}",
    re.I,
)


def asks_authority(question: str) -> bool:
    """Whether `question` asks who is responsible ("Which Dongcheng office handles it?", "哪个部门负责？")."""
    return bool(ASKS_AUTHORITY_RE.search(question))


def missing(question: str, standalone: str | None, quotes: list[str]) -> str | None:
    """ "authority" or "deadline" when the question (as typed, and as searched for a follow-up or a translated
    question) asks for one and no quote names one; None otherwise."""
    asked = f"{question} {standalone or ''}"
    quoted = " ".join(quotes)
    if asks_authority(asked) and not NAMES_AUTHORITY_RE.search(quoted):
        return "authority"
    if ASKS_DEADLINE_RE.search(asked) and not _ISSUED_RE.search(asked) and not NAMES_DEADLINE_RE.search(quoted):
        return "deadline"
    return None
