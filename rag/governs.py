"""Which document governs: precedence, versions, translations and measure status.

Only relations stated by the texts decide precedence (corpus/registry.json:
prevails_over, keeps_in_force, implements, same_document_as, each with the
paragraph that states it). Two documents with no stated relation (the 2023 plan
and the others) are reported as such; a later date is mentioned as a date, never
as a rule. Two translations of one document are one source: the official one is
cited and the other's wording is kept as `other_translation`.

Two kinds of question are handled:
  relation  the question names documents and asks about validity, conflicts,
            implementation or versions: the governing provision is the
            sentence that states the relation (from the prevailing document).
  measure   anything else: the closest provision, the same measure found in
            the other documents, and the governing one among them.
"""
from __future__ import annotations

import argparse
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from rag.cli import command, load_retriever
from rag.documents import Corpus, paragraph_url, split_sentences
from rag.errors import BadQuestion
from rag.settings import Settings, get_settings
from rag.status import is_measure, tag
from rag.types import Evidence, Paragraph, Relation

PROVISION_KINDS = {"measure", "task", "body", "letter"}
MIN_PROVISION_WORDS = 6  # body and letter lines; shorter ones are dates, signatures, headings
RELATION_WORDS = {
    "prevails_over": re.compile(
        r"conflict|inconsisten|differ|contradict|prevail|overrid|supersed|precedence|priority|\bfollow\b", re.I),
    "keeps_in_force": re.compile(
        r"\bvalid\b|in force|still (?:apply|applies|effective|hold|stand)|remain|repeal|revoked|no longer|"
        r"continue[sd]? to (?:apply|be)|\beffective\b|expired?", re.I),
    "implements": re.compile(r"implement|carr(?:y|ying|ies) out|give[sn]? effect", re.I),
    "same_document_as": re.compile(r"version|translat|official (?:text|english)|english text", re.I),
}
EARLIER_RE = re.compile(
    r"\b(?:earlier|previous|prior|older|existing|other|which) (?:replies|reply|plans?|documents?)\b", re.I)
FIGURE_RE = re.compile(
    r"(?:US\s*\$\s*)?\d[\d,.]*\s*(?:%|per ?cent|million|billion|yuan|years?)(?:\s*(?:yuan|dollars))?", re.I)
LABELS = {
    "translation": "other translation",
    "kept": "older, kept in force",
    "prevailed": "older, prevailed over",
    "implements": "implemented by",
    "restated": "restated by",
    "also": "also states it",
    "prevails": "later, prevails where inconsistent",
    "implemented": "the plan it implements",
}


# --- result types ------------------------------------------------------------------------------
@dataclass
class Provision:
    paragraph_id: str
    doc_id: str
    task: str | None
    text: str  # the paragraph
    sentence: str  # the sentence that states the measure (the whole paragraph when it is one sentence)
    status: str | None  # rag.status label of `sentence`; None for non-measure text
    status_cue: str | None
    url: str
    score: float = 0.0  # cosine to the question (governing) or to the closest provision's sentence (related)
    departments: str | None = None  # district plans: the task's "District-level responsible departments" text


@dataclass
class Reason:
    text: str
    paragraph_id: str | None  # the paragraph that states the precedence (None when the texts state none)
    url: str | None
    relation: str | None = None  # registry relation type
    quote: str = ""


@dataclass
class Related:
    relation: str  # one of LABELS' values
    provision: Provision
    reason: Reason | None = None
    note: str = ""


@dataclass
class Conflict:
    kind: str  # status | figures
    paragraph_ids: list[str]
    detail: str


@dataclass
class Governance:
    question: str
    mode: str  # relation | measure
    governing: Provision
    reason: Reason
    chain: list[Related] = field(default_factory=list)
    other_translation: Related | None = None
    conflicts: list[Conflict] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def paragraph_ids(self) -> list[str]:
        ids = [self.governing.paragraph_id] + [r.provision.paragraph_id for r in self.chain]
        return ids + ([self.other_translation.provision.paragraph_id] if self.other_translation else [])


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
        direct = self.stated(a, "prevails_over", b)
        if direct:
            return [(a, direct)]
        implemented = self.stated(b, "implements", a)
        if implemented:
            return [(b, implemented)]
        for source, r in self.relations:
            if source == a and r.type == "prevails_over":
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
            found = re.findall(r"\b((?:19|20)\d\d)\b", " ".join(filter(None, (doc.info.date, doc.info.number,
                                                                                 doc.info.title))))
            return found[0] if found else None
        ref = self.corpus.references.get(doc_id)
        m = re.search(r"\b((?:19|20)\d\d)\b", ref.number) if ref else None
        return m.group(1) if m else None

    def mentioned(self, question: str) -> set[str]:
        """Canonical ids of the documents a question names: by number, by local issuer's place, or by year.

        A bare year names the national documents of that year, unless a local document of that year is
        named by its place ("Dongcheng's 2019 proposal" is not the 2019 State Council plan).
        """
        found: set[str] = set()
        by_year: dict[str, set[str]] = {}
        entries = [(d.id, d.info.number, d.info.level, d.info.issuer) for d in self.corpus.documents.values()]
        entries += [(r.id, r.number, "national", None) for r in self.corpus.references.values()]
        for doc_id, number, level, issuer in entries:
            serial = re.search(r"No\.\s*(\d+)", number or "")
            place = _place_word(issuer) if level != "national" else None
            year = self.year(doc_id)
            if (serial and re.search(rf"\bNo\.?\s*{serial.group(1)}\b", question, re.I)) or (
                    place and re.search(rf"\b{place}\b", question, re.I)):
                found.add(self.canonical(doc_id))
            elif level == "national" and year and re.search(rf"\b{year}\b", question):
                by_year.setdefault(year, set()).add(self.canonical(doc_id))
        local_years = {self.year(d) for d in found if self.corpus.documents.get(d)
                       and self.corpus.documents[d].info.level != "national"}
        for year, docs in by_year.items():
            if year not in local_years:
                found |= docs
        return found


def _place_word(issuer: str | None) -> str | None:
    """The distinctive first word of a local issuer ("Dongcheng District People's Government ..." -> Dongcheng)."""
    words = [w for w in re.findall(r"[A-Z][a-z]+", issuer or "") if w not in {"Beijing", "People", "State"}]
    return words[0] if words else None


# --- helpers --------------------------------------------------------------------------------------
def _settings(settings: Settings | None, retriever) -> Settings:
    return settings or getattr(retriever, "settings", None) or get_settings()


def _sentences(text: str) -> list[str]:
    """Measure units, verbatim: sentences, and the main clauses a ", and" joins ("We shall X, and allow Y")."""
    out = []
    for a, b in split_sentences(text):
        out += [u.strip() for u in re.split(r",\s+and\s+(?=[a-z])", text[a:b]) if u.strip()]
    return out or [text]


def _stating(paragraph: Paragraph, quote: str) -> str:
    """The sentence of a paragraph that holds a relation's quote (the paragraph when none does)."""
    return next((paragraph.text[a:b] for a, b in split_sentences(paragraph.text)
                 if quote and quote[:40] in paragraph.text[a:b]), paragraph.text)


def _best_sentence(paragraph: Paragraph, vector: np.ndarray, retriever) -> tuple[str, float]:
    """The paragraph's measure unit closest to `vector`, with its cosine."""
    sentences = [s for s in _sentences(paragraph.text) if len(s) > 20] or [paragraph.text]
    sims = retriever.embed(sentences) @ vector
    i = int(np.argmax(sims))
    return sentences[i], float(sims[i])


def _provision(paragraph: Paragraph, sentence: str, score: float, settings: Settings, corpus: Corpus) -> Provision:
    status = tag(sentence) if paragraph.kind in ("measure", "task") else None
    return Provision(
        paragraph_id=paragraph.id, doc_id=paragraph.doc_id, task=paragraph.task, text=paragraph.text,
        sentence=sentence, status=status.label if status else None, status_cue=status.cue if status else None,
        url=paragraph_url(paragraph.id, settings), score=round(score, 4),
        departments=_departments(corpus, paragraph) if paragraph.task else None,
    )


def _reason(text: str, relation: Relation | None, settings: Settings) -> Reason:
    pid = relation.paragraph_id if relation else None
    return Reason(text=text, paragraph_id=pid, url=paragraph_url(pid, settings) if pid else None,
                  relation=relation.type if relation else None, quote=relation.quote if relation else "")


def _title(corpus: Corpus, doc_id: str) -> str:
    if doc_id in corpus.documents:
        info = corpus.documents[doc_id].info
        return f"{doc_id} ({info.number})" if info.number else doc_id
    ref = corpus.references.get(doc_id)
    return f"{doc_id} ({ref.number})" if ref else doc_id


def _is_provision(paragraph: Paragraph, corpus: Corpus) -> bool:
    """Text that can state a rule: measures, inline tasks, and body or letter sentences (not dates, signatures)."""
    doc = corpus.documents[paragraph.doc_id]
    if paragraph.kind in ("body", "letter"):
        return len(paragraph.text.split()) >= MIN_PROVISION_WORDS and bool(re.search(r"[.;!?\"”)]$", paragraph.text))
    return paragraph.kind == "measure" or (paragraph.kind == "task" and is_measure(paragraph, doc))


def _provisions(corpus: Corpus, doc_id: str) -> list[Paragraph]:
    return [p for p in corpus.documents[doc_id].paragraphs if _is_provision(p, corpus)]


def _departments(corpus: Corpus, paragraph: Paragraph) -> str | None:
    after = corpus.documents[paragraph.doc_id].paragraphs[paragraph.index + 1:]
    return next((p.text for p in after[:3] if p.kind == "departments" and p.task == paragraph.task), None)


def _translation(registry: Registry, paragraph: Paragraph, vector: np.ndarray, retriever,
                 settings: Settings) -> Related | None:
    """The same provision in another translation of its document: same task, closest sentence."""
    corpus = registry.corpus
    for doc_id, r in registry.relations:
        if r.type != "same_document_as" or r.target != paragraph.doc_id or doc_id not in corpus.documents:
            continue
        pool = [p for p in corpus.documents[doc_id].paragraphs if p.kind in PROVISION_KINDS]
        same_task = [p for p in pool if paragraph.task and p.task == paragraph.task]
        if not same_task:
            scores = retriever.paragraph_scores(paragraph.text, [p.id for p in pool])
            same_task = sorted(pool, key=lambda p: -scores.get(p.id, -1.0))[:2]
        best = max(((p, *_best_sentence(p, vector, retriever)) for p in same_task), key=lambda t: t[2])
        return Related(LABELS["translation"], _provision(best[0], best[1], best[2], settings, corpus),
                       _reason(f"{_title(corpus, doc_id)} is another translation of {paragraph.doc_id}; "
                               f"cite {paragraph.doc_id}.", r, settings),
                       note="unofficial translation" if not registry.official(doc_id) else "")
    return None


def _figures(text: str) -> set[str]:
    return {re.sub(r"\s+", " ", m.group(0).strip(" ,.")).lower() for m in FIGURE_RE.finditer(text)}


def _conflicts(governing: Provision, related: list[Related], settings: Settings) -> list[Conflict]:
    """Different statuses or different figures for the same measure, reported side by side, never merged."""
    out = []
    for r in related:
        p = r.provision
        if p.score < settings.governs_conflict_same:
            continue  # too loose a match to call a contradiction
        if governing.status not in (None, "other") and p.status not in (None, "other") and p.status != governing.status:
            out.append(Conflict("status", [governing.paragraph_id, p.paragraph_id],
                                f"{governing.doc_id} says {governing.status} ('{governing.status_cue}'), "
                                f"{p.doc_id} says {p.status} ('{p.status_cue}')."))
        mine, theirs = _figures(governing.sentence), _figures(p.sentence)
        if mine and theirs and mine != theirs:
            out.append(Conflict("figures", [governing.paragraph_id, p.paragraph_id],
                                f"{governing.doc_id} gives {', '.join(sorted(mine))}; "
                                f"{p.doc_id} gives {', '.join(sorted(theirs))}."))
    return out


# --- relation questions ---------------------------------------------------------------------------
def _relation_candidates(question: str, registry: Registry) -> list[tuple[str, Relation]]:
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
            ok = ends <= named or (len(ends & named) >= 2)
        elif r.type in ("prevails_over", "keeps_in_force"):
            # "Is X still valid?" names the older document; naming only the newer one needs "earlier replies".
            ok = r.target in named or (registry.canonical(source) in named and bool(EARLIER_RE.search(question)))
        else:
            ok = bool(ends & named)
        if ok:
            out.append((source, r))
    return out


def _number_line(registry: Registry, doc_id: str) -> Paragraph | None:
    """The official document's own line giving its number (e.g. 'National Letter (2020) No. 123')."""
    doc = registry.corpus.documents[doc_id]
    serial = re.search(r"No\.\s*(\d+)", doc.info.number or "")
    year = registry.year(doc_id)
    if not serial:
        return None
    return next((p for p in doc.paragraphs if p.kind in ("title", "letter") and year and year in p.text
                 and re.search(rf"No\.?\s*{serial.group(1)}\b", p.text)), None)


def _relation_governance(question: str, candidates: list[tuple[str, Relation]], registry: Registry, retriever,
                         settings: Settings, qvec: np.ndarray) -> Governance:
    corpus = registry.corpus
    sources = {registry.canonical(s) for s, _ in candidates}
    top = [s for s in sources if not any(registry.governs(o, s) for o in sources if o != s)]
    chosen = [(s, r) for s, r in candidates if registry.canonical(s) in top]
    if chosen[0][1].type == "same_document_as":
        source, r = chosen[0]
        official = registry.canonical(r.target)
        line = _number_line(registry, official) or corpus.documents[official].paragraphs[0]
        score = retriever.paragraph_scores(question, [line.id]).get(line.id, 0.0)
        governing = _provision(line, line.text, float(score), settings, corpus)
        text = (f"{official} is the official translation; {source} carries the same number "
                f"({corpus.documents[official].info.number}) and is {'un' if not registry.official(source) else ''}"
                f"official: cite {official}.")
        other = _provision(corpus.paragraph(r.paragraph_id), corpus.paragraph(r.paragraph_id).text, 0.0, settings,
                           corpus)
        return Governance(question, "relation", governing, _reason(text, r, settings),
                          other_translation=Related(LABELS["translation"], other))
    # Several relations may be stated by one paragraph: cite each paragraph once, best match first.
    pids = list(dict.fromkeys(r.paragraph_id for _, r in chosen if r.paragraph_id))
    scores = retriever.paragraph_scores(question, pids)
    pid = max(pids, key=lambda p: scores.get(p, 0.0))
    stated = [r for _, r in chosen if r.paragraph_id == pid]
    paragraph = corpus.paragraph(pid)
    governing = _provision(paragraph, _stating(paragraph, stated[0].quote), scores.get(pid, 0.0), settings, corpus)
    source = paragraph.doc_id
    text = "; ".join(f"{source} {r.type.replace('_', ' ')} {_title(corpus, r.target)}" for r in stated)
    reason = _reason(f"Stated by {source} itself: {text}.", stated[0], settings)
    chain = []
    for s, r in candidates:
        if r.paragraph_id in (None, pid) or any(c.provision.paragraph_id == r.paragraph_id for c in chain):
            continue
        other = corpus.paragraph(r.paragraph_id)
        label, via, note = _relate(registry, source, registry.canonical(s))
        if via is None:
            label = LABELS["also"]
        provision = _provision(other, _stating(other, r.quote), float(scores.get(other.id, 0.0)), settings, corpus)
        chain.append(Related(label, provision, _reason(note, via, settings), note=note))
    translation = _translation(registry, paragraph, qvec, retriever, settings)
    return Governance(question, "relation", governing, reason, chain, translation)


# --- measure questions ----------------------------------------------------------------------------
def _candidates(question: str, retriever, settings: Settings, doc_ids: set[str] | None) -> dict[str, float]:
    """Provision paragraphs of the retrieved chunks, official translation only, scored against the question."""
    corpus = retriever.corpus
    hits = retriever.search(question, settings.governs_hits, doc_ids=doc_ids or None)
    pids: list[str] = []
    for h in hits:
        chunk = h.chunk
        official = corpus.documents[chunk.canonical_doc_id]
        if chunk.doc_id != chunk.canonical_doc_id:
            if not chunk.task:
                continue  # a section of the other translation: its official section is retrieved on its own
            pids += [p.id for p in official.paragraphs if p.task == chunk.task]
        else:
            pids += list(chunk.paragraph_ids)
    keep = [pid for pid in dict.fromkeys(pids) if _is_provision(corpus.paragraph(pid), corpus)
            and (not doc_ids or corpus.documents[corpus.paragraph(pid).doc_id].info.canonical_id in doc_ids)]
    return retriever.paragraph_scores(question, keep) if keep else {}


def _same_measure(registry: Registry, anchor: Paragraph, sentence: str, retriever, settings: Settings,
                  qvec: np.ndarray) -> list[tuple[Paragraph, str, float]]:
    """The closest statement of the anchor's measure in each other (official) document.

    Paragraphs are shortlisted by paragraph cosine, then compared unit by unit in one batch (a paragraph of
    the 2019 plan states many measures). A unit counts when it is close to the anchor's sentence and about
    as close to the question as the anchor is (so a neighbouring measure does not take the lead).
    """
    corpus = registry.corpus
    others = [d for d in corpus.documents if registry.canonical(d) == d and d != registry.canonical(anchor.doc_id)]
    scores = retriever.paragraph_scores(sentence, [p.id for d in others for p in _provisions(corpus, d)])
    units = []
    for d in others:
        for pid in sorted((pid for pid in scores if pid.rsplit(".p", 1)[0] == d), key=lambda pid: -scores[pid])[:3]:
            paragraph = corpus.paragraph(pid)
            units += [(paragraph, s) for s in _sentences(paragraph.text) if len(s) > 20]
    if not units:
        return []
    vectors = retriever.embed([sentence] + [s for _, s in units])
    sims, relevance = vectors[1:] @ vectors[0], vectors[1:] @ qvec
    floor = float(vectors[0] @ qvec) - settings.governs_question_margin
    best: dict[str, tuple[Paragraph, str, float]] = {}
    for (paragraph, s), sim, rel in zip(units, sims, relevance):
        close = sim >= settings.governs_same_measure and rel >= floor
        if close and sim > best.get(paragraph.doc_id, (None, "", -1.0))[2]:
            best[paragraph.doc_id] = (paragraph, s, float(sim))
    return list(best.values())


def _relate(registry: Registry, lead: str, other: str) -> tuple[str, Relation | None, str]:
    """How `other` stands to the lead document: label, the stated relation to cite, a note."""
    corpus = registry.corpus
    path = registry.governs(lead, other)
    if path:
        if path[-1][1].type == "implements":
            r = path[-1][1]
            return LABELS["implements"], r, f"{other} implements {_title(corpus, r.target)}"
        kept = registry.stated(lead, "keeps_in_force", other)
        if kept:
            return LABELS["kept"], kept, f"{lead} keeps {other} in force and prevails where they are inconsistent"
        return LABELS["prevailed"], path[0][1], f"{lead} prevails over {other}"
    back = registry.governs(other, lead)
    if back:
        if back[-1][1].type == "implements" and len(back) == 1:
            return LABELS["implemented"], back[0][1], f"{lead} implements {_title(corpus, other)}"
        return LABELS["prevails"], back[0][1], f"{other} prevails over {lead} where they are inconsistent"
    gy, oy = registry.year(lead), registry.year(other)
    later = f"; {other} is dated later ({oy}), which is a date, not a stated rule" if gy and oy and oy > gy else (
        f"; {lead} is dated later ({gy}), which is a date, not a stated rule" if gy and oy and gy > oy else "")
    return LABELS["restated"], None, f"The texts state no precedence between {lead} and {other}{later}."


def _lone_reason(registry: Registry, doc_id: str, settings: Settings) -> Reason:
    """Why a provision matched in one document only stands: who keeps that document in force, if anyone."""
    corpus = registry.corpus
    alone = "No provision of another document matched this one closely enough to count as the same measure; "
    for source, r in registry.relations:
        if r.target == doc_id and r.type == "keeps_in_force":
            return _reason(f"{alone}{source} keeps {_title(corpus, doc_id)} in force and prevails only where they "
                           "are inconsistent.", r, settings)
    implemented = next((r for s, r in registry.relations if s == doc_id and r.type == "implements"), None)
    if implemented:
        return _reason(f"{alone}{doc_id} implements {_title(corpus, implemented.target)}.", implemented, settings)
    own = next((r for s, r in registry.relations if s == doc_id and r.type == "prevails_over"), None)
    if own:
        return _reason(f"{alone}{_title(corpus, doc_id)} prevails over the earlier replies where they are "
                       "inconsistent.", own, settings)
    return _reason(f"{alone}the texts state no relation between {doc_id} and the other documents.", None, settings)


def _measure_governance(question: str, scores: dict[str, float], registry: Registry, retriever,
                        settings: Settings, qvec: np.ndarray, named: set[str] = frozenset()) -> Governance:
    corpus = registry.corpus
    anchor = corpus.paragraph(max(scores, key=lambda pid: scores[pid]))
    sentence, _ = _best_sentence(anchor, qvec, retriever)
    same = _same_measure(registry, anchor, sentence, retriever, settings, qvec)
    group = [(anchor, sentence, 1.0)] + same  # the third item: cosine to the anchor's sentence
    docs = [p.doc_id for p, _, _ in group]
    top = [d for d in docs if not any(registry.governs(o, d) for o in docs if o != d)] or docs
    asked_under = registry.canonical(anchor.doc_id) in named and not named & set(top)
    if asked_under:
        top = [anchor.doc_id]  # the question names this document: its provision leads, the prevailing one is shown
    lead = next(g for g in group if g[0].doc_id == top[0])
    governing = _provision(lead[0], lead[1], scores.get(lead[0].id, 0.0), settings, corpus)
    chain, first_stated = [], None
    for p, s, sim in group:
        if p.doc_id == lead[0].doc_id:
            continue
        label, r, note = _relate(registry, lead[0].doc_id, p.doc_id)
        first_stated = first_stated or r
        chain.append(Related(label, _provision(p, s, lead[2] if p is anchor else sim, settings, corpus),
                             _reason(note, r, settings), note=note))
    if first_stated:
        stated = next(c for c in chain if c.reason and c.reason.relation)
        lead_why = "is the document asked about" if asked_under else "governs"
        reason = _reason(f"{lead[0].doc_id} {lead_why}: {stated.note}.", first_stated, settings)
    elif chain:
        reason = _reason(f"{lead[0].doc_id} is the closest match. " + " ".join(c.note for c in chain), None, settings)
    else:
        reason = _lone_reason(registry, lead[0].doc_id, settings)
    keeper = next(((s, r) for s, r in registry.relations if r.target == lead[0].doc_id and r.type == "keeps_in_force"
                   and s not in docs), None)
    if keeper and reason.paragraph_id != keeper[1].paragraph_id:
        reason.text += (f" {keeper[0]} keeps {lead[0].doc_id} in force and prevails where they are inconsistent"
                        f" ({keeper[1].paragraph_id}); no different rule on this measure was found in {keeper[0]}.")
    gvec = qvec if lead[0] is anchor else retriever.embed([lead[1]])[0]
    translation = _translation(registry, lead[0], gvec, retriever, settings)
    conflicts = _conflicts(governing, chain, settings)
    return Governance(question, "measure", governing, reason, chain, translation, conflicts)


# --- entry points ---------------------------------------------------------------------------------
def governs(question_or_rule: str, retriever, settings: Settings | None = None) -> Governance:
    """The provision that governs a rule or question, why (the stated precedence), and its related provisions."""
    question = " ".join((question_or_rule or "").split())
    if not question:
        raise BadQuestion('The rule or question is empty. Usage: rag governs "foreign banks gold futures"')
    settings = _settings(settings, retriever)
    registry = Registry(retriever.corpus)
    qvec = retriever.embed([question])[0]
    candidates = _relation_candidates(question, registry)
    named = {d for d in registry.mentioned(question) if d in retriever.corpus.documents}
    # A question that names documents is answered from them; the others still join as the same measure.
    scores = _candidates(question, retriever, settings, named) or _candidates(question, retriever, settings, None)
    if candidates and candidates[0][1].type == "same_document_as" and scores:
        best = retriever.corpus.paragraph(max(scores, key=lambda pid: scores[pid]))
        if best.kind in ("measure", "task"):
            candidates = []  # "which version for <measure>": the measure, in the official translation
    if candidates:
        return _relation_governance(question, candidates, registry, retriever, settings, qvec)
    if not scores or max(scores.values()) < settings.min_evidence_score:
        raise BadQuestion("Nothing in the documents is close to this rule or question, so no document governs it "
                          "here; try the words the plans use.")
    return _measure_governance(question, scores, registry, retriever, settings, qvec, named)


def governance_for_answer(answer_or_evidence, retriever, settings: Settings | None = None) -> Governance | None:
    """Governance over an answer's evidence (an Answer or a list of Evidence); None unless it spans documents."""
    evidence: list[Evidence] = list(getattr(answer_or_evidence, "evidence", answer_or_evidence) or [])
    registry = Registry(retriever.corpus)
    if len({registry.canonical(e.paragraph.doc_id) for e in evidence}) < 2:
        return None
    settings = _settings(settings, retriever)
    question = getattr(answer_or_evidence, "question", "") or evidence[0].paragraph.text
    official = {e.paragraph.id: e.score for e in evidence if registry.official(e.paragraph.doc_id)
                and _is_provision(e.paragraph, retriever.corpus)}
    if not official:
        return None
    return _measure_governance(question, official, registry, retriever, settings, retriever.embed([question])[0])


# --- metrics for the eval runner ------------------------------------------------------------------
def governing_accuracy(questions, retriever, settings: Settings | None = None) -> dict:
    """Share of questions with a `governing_paragraph` whose governing provision is it (or in its any-of group)."""
    items = [q for q in questions if q.get("governing_paragraph")]
    rows = []
    for q in items:
        gold = q["governing_paragraph"]
        accepted = {gold}
        for group in q.get("gold_paragraphs") or []:
            if gold in group:
                accepted |= set(group)
        try:
            got = governs(q["question"], retriever, settings).governing.paragraph_id
        except BadQuestion:
            got = None
        rows.append({"id": q.get("id"), "gold": gold, "got": got, "correct": got in accepted})
    correct = sum(r["correct"] for r in rows)
    return {"n": len(rows), "correct": correct, "accuracy": round(correct / len(rows), 4) if rows else 0.0,
            "questions": rows}


# --- CLI ---------------------------------------------------------------------------------------------
def _governs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help="a rule or question, e.g. \"foreign banks in gold futures\"")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _line(p: Provision) -> str:
    status = f" — {p.status} ('{p.status_cue}')" if p.status and p.status != "other" else (
        " — other (no status cue)" if p.status else "")
    where = f", task {p.task}" if p.task else ""
    departments = f"\n      {p.departments}" if p.departments else ""
    return f"{p.paragraph_id} ({p.doc_id}{where}){status}\n      \"{p.sentence[:220]}\"\n      {p.url}{departments}"


def render(g: Governance) -> str:
    out = [f"Governing provision: {_line(g.governing)}",
           f"Reason: {g.reason.text}" + (f"\n      [{g.reason.paragraph_id}] \"{g.reason.quote}\"\n      {g.reason.url}"
                                         if g.reason.paragraph_id else "")]
    related = g.chain + ([g.other_translation] if g.other_translation else [])
    if related:
        out.append("Chain:")
    for r in related:
        out.append(f"  - {r.relation}: {_line(r.provision)}")
        if r.reason and r.reason.paragraph_id and r.relation != LABELS["translation"]:
            out.append(f"      because [{r.reason.paragraph_id}] \"{r.reason.quote[:160]}\"")
        elif r.note and not r.reason.paragraph_id:
            out.append(f"      {r.note}")
    out.append("Conflicts: " + ("none found" if not g.conflicts else ""))
    out += [f"  - {c.kind}: {c.detail} [{', '.join(c.paragraph_ids)}]" for c in g.conflicts]
    return "\n".join(out)


@command("governs", _governs_args)
def cmd_governs(args: argparse.Namespace) -> int:
    """Which document governs a rule: the governing provision, why, and the related provisions."""
    g = governs(args.question, load_retriever())
    print(json.dumps(g.to_json(), ensure_ascii=False, indent=1) if args.json else render(g))
    return 0
