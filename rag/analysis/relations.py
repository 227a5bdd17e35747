"""Stated relations between documents (corpus/registry.json), and the documents a question names.

Only relations stated by the texts decide precedence: prevails_over, keeps_in_force, implements,
replaces, same_document_as, each with the paragraph that states it.
"""

from __future__ import annotations

import re

from rag.core.types import Paragraph, Relation
from rag.ingest.documents import Corpus

RELATION_WORDS = {
    "prevails_over": re.compile(
        r"conflict|inconsisten|differ|contradict|prevail|overrid|supersed|precedence|priority|\bfollow\b", re.I
    ),
    "keeps_in_force": re.compile(
        r"\bvalid\b|in force|still (?:apply|applies|effective|hold|stand)|remain|repeal|revoked|no longer|"
        r"continue[sd]? to (?:apply|be)|\beffective\b|expired?|\bdead\b|obsolete|\bvoid\b|lapsed?|defunct|scrapp?ed",
        re.I,
    ),
    "implements": re.compile(r"implement|carr(?:y|ying|ies) out|give[sn]? effect", re.I),
    "replaces": re.compile(r"replac|supersed|repeal|abolish|annul|no longer", re.I),
    "same_document_as": re.compile(r"version|translat|official (?:text|english)|english text", re.I),
}
PRECEDENCE = ("prevails_over", "replaces")  # a replaced document gives way entirely (added texts may state it)
EARLIER_RE = re.compile(
    r"\b(?:earlier|previous|prior|older|existing|other|which) (?:replies|reply|plans?|documents?)\b", re.I
)


# What may follow a year, number or place to name a document: "2019 State Council plan", "Dongcheng District's".
_NAMING_TAIL = (
    r"(?:(?:'s)?\s+(?:district|state\s+council|beijing|official|implementation|work|overall|comprehensive|pilot"
    r"|(?:19|20)\d\d))*(?:'s)?"
    r"(?:\s+(?:plan|reply|proposal|document|letter|notice|summary|opinions))?\b"
)


# --- registry relations --------------------------------------------------------------------------
class Registry:
    """Stated relations between documents, and the documents a question names."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.relations: list[tuple[str, Relation]] = [
            (d.id, r) for d in corpus.documents.values() for r in d.info.relations
        ]

    def canonical(self, doc_id: str) -> str:
        doc = self.corpus.documents.get(doc_id)
        return doc.info.canonical_id if doc else doc_id

    def official(self, doc_id: str) -> bool:
        doc = self.corpus.documents.get(doc_id)
        return doc.info.official if doc else True

    def stated(self, source: str, type_: str, target: str) -> Relation | None:
        return next((r for s, r in self.relations if s == source and r.type == type_ and r.target == target), None)

    def governs(self, a: str, b: str, seen: frozenset = frozenset()) -> list[tuple[str, Relation]]:
        """The chain of stated relations by which document `a` governs `b` (empty when none is stated)."""
        if a == b or a in seen:
            return []
        seen = seen | {a}
        direct = self.stated(a, "prevails_over", b) or self.stated(a, "replaces", b)
        if direct:
            return [(a, direct)]
        implemented = self.stated(b, "implements", a)
        if implemented:
            return [(b, implemented)]
        for source, r in self.relations:
            if source == a and r.type in PRECEDENCE:
                rest = self.governs(r.target, b, seen)
                if rest:
                    return [(a, r), *rest]
        for source, r in self.relations:
            if source == b and r.type == "implements":
                rest = self.governs(a, r.target, seen)
                if rest:
                    return [*rest, (b, r)]
        return []

    def year(self, doc_id: str) -> str | None:
        doc = self.corpus.documents.get(doc_id)
        if doc:
            found = re.findall(
                r"\b((?:19|20)\d\d)\b", " ".join(filter(None, (doc.info.date, doc.info.number, doc.info.title)))
            )
            return found[0] if found else None
        ref = self.corpus.references.get(doc_id)
        m = re.search(r"\b((?:19|20)\d\d)\b", ref.number) if ref else None
        return m.group(1) if m else None

    def mentioned(self, question: str) -> set[str]:
        """Canonical ids of the documents a question names: by number, by local issuer's place, or by year.

        A bare year names the national documents of that year, unless it is a local document's year written with
        its place ("Dongcheng's 2019 proposal" is not the 2019 State Council plan; "the 2019 plan ... Dongcheng's
        proposal" names both).
        """
        found: set[str] = set()
        by_year: dict[str, set[str]] = {}
        local_years: set[str] = set()
        entries = [(d.id, d.info.number, d.info.level, d.info.issuer) for d in self.corpus.documents.values()]
        entries += [(r.id, r.number, "national", None) for r in self.corpus.references.values()]
        for doc_id, number, level, issuer in entries:
            serial = re.search(r"No\.\s*(\d+)", number or "")
            place = _place_word(issuer) if level != "national" else None
            year = self.year(doc_id)
            if (serial and re.search(rf"\bNo\.?\s*{serial.group(1)}\b", question, re.I)) or (
                place and re.search(rf"\b{place}\b", question, re.I)
            ):
                found.add(self.canonical(doc_id))
                if (
                    place
                    and year
                    and re.search(
                        rf"\b{place}(?:\s+District)?(?:['’]s)?\s+{year}\b|\b{year}\s+{place}\b", question, re.I
                    )
                ):
                    local_years.add(year)
            elif level == "national" and year and re.search(rf"\b{year}\b", question):
                by_year.setdefault(year, set()).add(self.canonical(doc_id))
        for year, docs in by_year.items():
            if year not in local_years:
                found |= docs
        return found

    def subject(self, question: str) -> str:
        """The question without the words that name documents ("the 2023 work plan", "Guo Han [2019] No. 16",
        "Dongcheng District's proposal"): what it asks about, to score paragraphs of the documents it names.
        The question itself when nothing else is left."""
        places = {_place_word(d.info.issuer) for d in self.corpus.documents.values() if d.info.level != "national"}
        names = [r"(?:Guo\s*Han\s*[\[(（]?\d{4}[\])）]?\s*)?No\.?\s*\d+", r"(?:19|20)\d\d"]
        names += [re.escape(p) for p in places if p]
        naming = re.compile(rf"(?:\b(?:the|this|that)\s+)?\b(?:{'|'.join(names)})\b(?:'s)?{_NAMING_TAIL}", re.I)
        left = re.sub(r"\s+(?=[?,.;:!])|(?<=\s)\s+", "", naming.sub(" it ", question)).strip()
        return left if re.search(r"[^\W\d_]{3,}", left) else question


def _place_word(issuer: str | None) -> str | None:
    """The distinctive first word of a local issuer ("Dongcheng District People's Government ..." -> Dongcheng)."""
    words = [w for w in re.findall(r"[A-Z][a-z]+", issuer or "") if w not in {"Beijing", "People", "State"}]
    return words[0] if words else None


# --- relation questions ---------------------------------------------------------------------------
def relation_candidates(question: str, registry: Registry) -> list[tuple[str, Relation]]:
    named = registry.mentioned(question)
    types = [t for t, rx in RELATION_WORDS.items() if rx.search(question)]
    if not named or not types:
        return []
    out = []
    for source, r in registry.relations:
        if r.type not in types:
            continue
        ends = {registry.canonical(source), registry.canonical(r.target)}
        if len(named) >= 2:
            # "Is the Dongcheng plan an implementation of the 2020 plan?": what the named plan implements answers,
            # whichever document the question names as its target
            ok = (
                ends <= named
                or len(ends & named) >= 2
                or (r.type == "implements" and registry.canonical(source) in named)
            )
        elif r.type in ("prevails_over", "keeps_in_force", "replaces"):
            # "Is X still valid?" names the older document; naming only the newer one needs "earlier replies".
            ok = r.target in named or (registry.canonical(source) in named and bool(EARLIER_RE.search(question)))
        else:
            ok = bool(ends & named)
        if ok:
            out.append((source, r))
    return out


def for_measure(candidates: list[tuple[str, Relation]], measure_leads: bool) -> list[tuple[str, Relation]]:
    """The relation candidates that answer a question, when a measure (or task) leads its evidence or not: "which
    version for <a measure>" is answered by the measure in the official text, not by the translations' relation."""
    return [(s, r) for s, r in candidates if not measure_leads or r.type != "same_document_as"]


def number_line(registry: Registry, doc_id: str) -> Paragraph | None:
    """The official document's own line giving its number (e.g. 'National Letter (2020) No. 123')."""
    doc = registry.corpus.documents[doc_id]
    serial = re.search(r"No\.\s*(\d+)", doc.info.number or "")
    year = registry.year(doc_id)
    if not serial:
        return None
    return next(
        (
            p
            for p in doc.paragraphs
            if p.kind in ("title", "letter")
            and year
            and year in p.text
            and re.search(rf"No\.?\s*{serial.group(1)}\b", p.text)
        ),
        None,
    )
