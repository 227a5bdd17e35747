"""Which clause of an answering sentence a question is about, and what that clause grants, limits or excludes.

A long measure sentence states several things ("..., expand the exhibition scale, ..., and exempt certain exhibits
from quarantine"); the verdict (rag.answer.verdict) reads the clause the question shares most words with, with the
clauses a comma cut from its verb, a bracket right after it ("(app store only)"), and the subject it grants to
("The eligible ... talents ... can enjoy").
"""

from __future__ import annotations

import re

from rag.analysis.status import tag
from rag.answer.readings import MARKERS, PART_LIMIT_RE, PLACE_LIMIT_RE, Reading, clause
from rag.answer.support import content_words

_CLAUSE_CUT_RE = re.compile(r"[;,]|\balong with\b|\band\s+(?=explor|stud|research)")


def asked_clause(question: str, sentence: str) -> str:
    """The clause of `sentence` sharing most content words with the question (the sentence itself on a tie), with the
    clauses before it back to its governing verb when a comma cut it from it: "explore the trading in futures,
    options and other derivatives" is one clause (rag.analysis.status finds no verb of its own in the second)."""
    asked = words(question)
    cuts = list(_CLAUSE_CUT_RE.finditer(sentence))
    bounds = zip([0] + [m.end() for m in cuts], [m.start() for m in cuts] + [len(sentence)], strict=True)
    spans = [(a, b) for a, b in bounds if sentence[a:b].strip()]
    if not spans:
        return sentence
    shared = [len(asked & words(sentence[a:b])) for a, b in spans]
    best = max(range(len(spans)), key=shared.__getitem__)
    if shared[best] <= shared[0]:
        return sentence
    first = best
    while first > 0 and sentence[spans[first][0] - 1] == "," and tag(sentence[slice(*spans[first])]).label == "other":
        first -= 1
    return sentence[spans[first][0] : spans[best][1]]


def exclusions(reading: Reading) -> list[re.Match[str]]:
    """Every exclusion the sentence states ("Except for national sovereignty and security, ... (excluding legal
    professional qualification examinations)")."""
    return list(MARKERS["exclusion"].finditer(reading.sentence)) if reading.has("exclusion") else []


def excluded_words(reading: Reading) -> set[str]:
    """Content words of the clauses that state an exclusion ("online publishing services not included")."""
    return {w for m in exclusions(reading) for w in words(clause(reading.sentence, m.start(), m.end()))}


def without_exclusions(reading: Reading) -> str:
    """The sentence less the clauses that state its exclusions: what it grants ("foreigners are allowed to apply for
    ... professional qualification examinations", less "(excluding legal professional qualification examinations)")."""
    text = reading.sentence
    for m in reversed(exclusions(reading)):
        part = clause(text, m.start(), m.end())
        at = text.rfind(part, 0, m.end())
        text = text[:at] + text[at + len(part) :] if at >= 0 else text
    return text


def named_exclusion(question: str, reading: Reading) -> re.Match[str] | None:
    """The exclusion whose clause shares most words with the question (the first on a tie)."""
    asked = words(question)
    found = exclusions(reading)
    shared = [len(asked & words(clause(reading.sentence, m.start(), m.end()))) for m in found]
    return found[shared.index(max(shared))] if found else None


def words(text: str) -> set[str]:
    """The content words (rag.answer.support) that can tie a question to a clause: the words of nearly every
    measure ("foreign", "Beijing", "services") and of the exclusion itself tie nothing."""
    return content_words(text) - _UNTIED


_UNTIED = content_words(
    "foreign Beijing service services enterprise enterprises including included excluding except other only"
    " going get getting take make"  # light verbs ("Is Beijing going to ...") name no subject
)


def _asked_span(question: str, sentence: str) -> tuple[int, int]:
    """Where the clause asked about lies in `sentence`, with a bracket right after it: "Cancel the restrictions on
    foreign shareholding in information service business (app store only)"."""
    asked = asked_clause(question, sentence)
    start = max(sentence.find(asked), 0)
    end = start + len(asked)
    bracket = re.match(r"\s*\([^)]*\)", sentence[end:])
    return start, end + (bracket.end() if bracket else 0)


# The subject a sentence grants to, before its verb: "The eligible ... foreign talents hired by ... can enjoy".
_SUBJECT_RE = re.compile(
    r"^\s*(?:the|these|those|eligible|qualified|certain|some)\b[^;]{1,200}?(?=\b(?:can|may|will|shall|are|is)\b)", re.I
)


def limit(question: str, sentence: str) -> re.Match[str] | None:
    """Where the grant is limited to a part of what it names, in the clause asked about or in the subject granted to
    ("(app store only)", "The eligible ... talents ... can enjoy"), or to a place anywhere in the sentence; None when
    it is not."""
    start, end = _asked_span(question, sentence)
    subject = _SUBJECT_RE.match(sentence)
    return (
        PART_LIMIT_RE.search(sentence, start, end)
        or (PART_LIMIT_RE.search(sentence, 0, subject.end()) if subject else None)
        or PLACE_LIMIT_RE.search(sentence)
    )
