"""Yes-or-no questions that a list or a stated relation answers, not the markers of a measure's sentence.

Two kinds, each decided in code from what the answer quotes, with the deciding words quoted verbatim:

  a named body among a measure's responsible departments ("Is Dongcheng Customs one of them?"): Yes when a
      department of the quoted line holds every distinctive word of the name, No when no department holds any
      of them and the name is a body's ("court", "office", "bureau" ...); anything between decides nothing;
  an earlier document still in force under a later one ("Are the 2019 reply's measures still valid?"): the
      registry's keeps_in_force relation (rag.analysis.relations), Yes to "still valid", No to "is it dead /
      repealed", with the sentence that states it and, when quoted too, the one that says which prevails; Yes with
      conditions when the question also asks which one wins if they conflict.

A verdict needs its deciding words among the quotes: a line or relation the answer does not quote decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.analysis.relations import Registry, relation_candidates
from rag.answer.decisive import decisive_clause
from rag.answer.quotes import Quote, departments_line
from rag.answer.readings import read
from rag.answer.support import content_words
from rag.core.questions import is_yes_no

# A yes-or-no ask about a named body, opening a part of the question: "... ? is the court one of them",
# "Is the planning / natural resources side involved?", "duty-free shops: is Dongcheng Customs one of the units?"
_PART = r"(?:^|[?.!;:,]\s*|\band\s+)"
_AMONG = (
    r"one\s+of\s+(?:them|those|these|the\s+\w+(?:\s+\w+)?)|among\s+(?:them|those|these|the\s+\w+(?:\s+\w+)?)"
    r"|(?:also\s+)?(?:involved|included|listed|in\s+charge|responsible)|on\s+(?:the|that|this)\s+list"
    r"|part\s+of\s+(?:it|them|that|the\s+\w+)"
)
ASKS_MEMBER_RE = re.compile(
    rf"{_PART}(?:is|are)\s+(?P<body>[^?.;:!]{{2,80}}?)\s+(?:{_AMONG})\b"
    rf"|\bdoes\s+(?:the|that|this)\s+(?:list|line)\s+include\s+(?P<listed>[^?.;:!]{{2,80}})",
    re.I,
)
# Words that name no particular body: a department's kind, the district's own name, a pronoun.
_GENERIC = content_words(
    "the a an it that this they them there district dongcheng beijing municipal municipality local city office offices"
    " department departments bureau bureaus side unit units body bodies commission branch administration government"
    " committee people cpc also one agency agencies authority authorities"
)
# A body's kind: a name with none ("mainly", "the same") is no body, so no department's silence answers No.
_BODY_RE = re.compile(
    r"\b(?:office|bureau|court|customs|commission|department|administration|committee|cent(?:er|re)|branch|side"
    r"|agency|authority|police|bank|service|team|government|sasac|people's\s+court)s?\b",
    re.I,
)
_OPENER_WORDS = 6  # a relation's words shorter than this are led by their sentence's first words
_ITEM_SPLIT_RE = re.compile(r"\s*[,;，；、]\s*(?:and\s+)?")

# What a question asks of an earlier document under a later one: still in force (Yes), or gone (No).
ASKS_IN_FORCE_RE = re.compile(
    r"\b(?:still|remains?|continues?\s+to)\s+(?:be\s+)?(?:valid|in\s+force|effective|appl(?:y|ies|icable)|binding"
    r"|stand|hold|good)|\bin\s+force\b|\bvalid\b|\bkeeps?\b[^?]*\b(?:in\s+force|alive|valid)",
    re.I,
)
ASKS_GONE_RE = re.compile(
    r"\b(?:dead|repeal\w*|revok\w*|void|obsolete|expired?|lapsed?|defunct|scrapp?\w*|abolish\w*|annul\w*"
    r"|replac\w*|supersed\w*|no\s+longer\s+(?:valid|in\s+force|appl\w+|effective))\b",
    re.I,
)

ASKS_CONFLICT_RE = re.compile(
    r"\b(?:conflict\w*|clash\w*|inconsisten\w*|contradict\w*|prevails?|overrides?|takes?\s+precedence"
    r"|which\s+(?:one|document|plan|reply)\s+(?:wins|applies|governs|do\s+(?:we|i)\s+follow))\b",
    re.I,
)


@dataclass(frozen=True)
class Listed:
    """A verdict read from a list or a relation: the verdict, the deciding words with their marker, and the headline
    status it implies ("in_force": a reply kept in force; None: the quoted measure's own)."""

    verdict: str
    decisive: str
    status: str | None = None


def _distinctive(name: str) -> set[str]:
    return content_words(name) - _GENERIC


def _membership(question: str, quotes: Sequence[Quote]) -> Listed | None:
    m = ASKS_MEMBER_RE.search(question)
    line = departments_line(quotes)
    if not m or line is None:
        return None
    name = m["body"] or m["listed"]
    wanted = _distinctive(name)
    if not wanted:
        return None
    listing = line.body.split(":", 1)[-1]
    items = [i.strip() for i in _ITEM_SPLIT_RE.split(listing) if i.strip()]
    found = next((i for i in items if wanted <= content_words(i)), None)
    if found:
        return Listed("yes", f"“{found}” [{line.marker}]")
    if _BODY_RE.search(name) and not any(wanted & content_words(i) for i in items):
        return Listed("no", decisive_clause(read(line.body, line.marker, "departments"), ""))
    return None


def _stated(quotes: Sequence[Quote], paragraph_id: str | None, words: str) -> str | None:
    """`words` (a relation's quote) as the quotes hold them, with their marker; None when not quoted."""
    pattern = r"\s+".join(re.escape(w) for w in words.rstrip(".").split())
    for q in quotes:
        if q.ev.paragraph.id == paragraph_id and (m := re.search(pattern, q.body)):
            opener = q.body[: m.start()].split()[:_OPENER_WORDS]  # a bare "shall continue to be effective" says of what
            said = (
                f"{' '.join(opener)} … {m.group()}" if len(m.group().split()) < _OPENER_WORDS and opener else m.group()
            )
            return f"“{said}” [{q.marker}]"
    return None


def _in_force(question: str, quotes: Sequence[Quote], registry: Registry) -> Listed | None:
    kept, gone = bool(ASKS_IN_FORCE_RE.search(question)), bool(ASKS_GONE_RE.search(question))
    if kept == gone:  # neither asked, or both ("still valid, or replaced?"): no one word answers
        return None
    candidates = relation_candidates(question, registry)
    for source, r in candidates:
        if r.type != "keeps_in_force" or not (stated := _stated(quotes, r.paragraph_id, r.quote)):
            continue
        prevails = next(
            (
                said
                for s, p in registry.relations
                if (s, p.type, p.target) == (source, "prevails_over", r.target)
                and (said := _stated(quotes, p.paragraph_id, p.quote))
            ),
            None,
        )
        # asked also which one wins if they conflict: in force, on the condition that the later document prevails
        verdict = "no" if gone else "yes_conditions" if prevails and ASKS_CONFLICT_RE.search(question) else "yes"
        return Listed(verdict, "; ".join(filter(None, (stated, prevails))), "in_force")
    return None


def listed_verdict(question: str, quotes: Sequence[Quote], registry: Registry) -> Listed | None:
    """The verdict when a quoted department line or a stated relation answers the yes-or-no `question` (English);
    None when neither does, or the question asks no yes or no."""
    if not is_yes_no(question):
        return None
    return _membership(question, quotes) or _in_force(question, quotes, registry)
