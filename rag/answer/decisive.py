"""The source's own words under a verdict (rag.answer.verdict): the decisive clause of the answering sentence, with its
marker, quoted verbatim. A short sentence is quoted whole; in a long one, the clause holding the marker that decided
(the exclusion naming what was asked, the change in the clause asked about, the plan word, the limit, the bound), or
for a grant no marker decided, the measure asked about.
"""

from __future__ import annotations

import re

from rag.answer.clauses import asked_clause, limit, named_exclusion
from rag.answer.readings import (
    ANSWERS_CHANGE,
    MARKERS,
    PLAN_CLAUSE_RE,
    Reading,
    bounds,
    clause,
    without_named_changes,
)

_TRIMMED_RE = re.compile(r"\S.*\S|\S")  # a span without its edge spaces
CLAUSE_MAX_WORDS = 30  # the decisive clause is quoted whole up to this length, else the words around its marker


def decisive_clause(reading: Reading, decided_by: str, question: str = "") -> str:
    """The source's own words that decide the verdict, with the marker: the whole sentence when short, else the
    clause holding the deciding marker (for a plan, its plan word, in the clause the question asks about first:
    "... seek to allow qualified enterprises outside ..." rather than the long sentence's opening words), widened to
    its sentence's opening words if bare; for a grant no marker decided, the measure asked about (`_measure_asked`),
    not a marker that did not decide ("Yes: 'and reduce the financing costs ...'" under a question on guarantees)."""
    return f"“{decisive_text(reading, decided_by, question)}” [{reading.marker}]"


def _measure_asked(question: str, sentence: str) -> re.Match[str] | None:
    """The measure of a long sentence the question asks about: from the clause asked about to the next semicolon, its
    lists and brackets whole ("... manufacturers in Beijing, Tianjin and Hebei"), and back over a fragment a comma cut
    from it ('"top, cutting-edge and rare" talents'); the sentence's first measure when the clause asked about is
    the whole sentence; None when that is the whole sentence too."""
    asked = asked_clause(question, sentence).strip(" ,;")
    at = sentence.find(asked) if asked and asked != sentence else 0
    while (cut := max(sentence.rfind(",", 0, at), sentence.rfind(";", 0, at))) > 0 and sentence[cut] == ",":
        before = max(sentence.rfind(",", 0, cut), sentence.rfind(";", 0, cut)) + 1
        if len(sentence[before:cut].split()) >= 4:
            break
        at = before
    if at and len(sentence[:at].split()) < 4 and ";" not in sentence[:at]:
        at = 0
    end = sentence.find(";", at)
    found = _TRIMMED_RE.search(sentence, at, end if end >= 0 else len(sentence))
    return found if found and (found.start(), found.end()) != (0, len(sentence)) else None


def decisive_text(reading: Reading, decided_by: str, question: str) -> str:
    sentence = reading.sentence.strip().rstrip(".;:,").strip()
    words = sentence.split()
    if len(words) <= CLAUSE_MAX_WORDS:
        text = sentence
    else:
        m = reading.found.get(decided_by) if decided_by else None
        if decided_by == "exclusion" and question:  # the exclusion that names what was asked
            m = named_exclusion(question, reading) or m
        if m and question and decided_by in ANSWERS_CHANGE:  # the change in the clause asked about, if it has one
            at = max(sentence.find(asked_clause(question, sentence)), 0)
            m = MARKERS[decided_by].search(without_named_changes(sentence), at) or m
        if m is None and decided_by in ("", "condition") and question:  # a grant: the measure asked about, whole
            m = _measure_asked(question, sentence)
        if m is None and decided_by == "scope":  # a part in the clause asked about or its subject, or a place
            m = limit(question, sentence)
        if m is None and decided_by == "bound":  # a bound in words ("up to two years", "not less than")
            m = next((where for *_, where in bounds(sentence)), None)
        if m is None and decided_by == "plan_only":
            at = sentence.find(asked_clause(question, sentence)) if question else 0
            m = PLAN_CLAUSE_RE.search(sentence, max(at, 0)) or PLAN_CLAUSE_RE.search(sentence)
        elif m is None and decided_by:  # a plain Yes: no marker decided it, so none is shown as if it had
            m = next(iter(reading.found.values()), None)
        if m is None:
            text = " ".join(words[:CLAUSE_MAX_WORDS]) + " …"
        else:
            part = clause(sentence, m.start(), m.end())
            at = max(sentence.rfind(part, 0, m.end()), 0)
            if len(part.split()) < 4 and at == 0:  # a fragment opening the sentence ('The eligible "top'): read on
                part = sentence
            elif len(part.split()) < 4:  # "(not exceeding 50%)" alone: say what it caps, in the words before it
                part = f"… {' '.join(sentence[:at].split()[-12:])} {part}"
            text = " ".join(part.split()[:CLAUSE_MAX_WORDS]) + (" …" if len(part.split()) > CLAUSE_MAX_WORDS else "")
    return text
