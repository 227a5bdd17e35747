"""The citation check: keep only the sentences of a draft that the cited evidence supports."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.analysis.provisions import is_lead_phrase, sentence_status
from rag.analysis.status import tag
from rag.answer.evidence import Retriever
from rag.answer.support import (
    Claim,
    content_words,
    corpus_weights,
    hedged,
    negated,
    new_numbers,
    new_places,
    split_answer,
)
from rag.core.glossary import spell_out
from rag.core.settings import Settings
from rag.core.text import split_sentences
from rag.core.types import Citation, Evidence, Paragraph
from rag.ingest.documents import paragraph_url

PLANNED = frozenset({"explore", "supported"})  # rag.analysis.status labels of intentions
REFUSAL_RE = re.compile(
    r"\bnot\s+covered\b|\b(?:documents?|evidence|texts?)\s+(?:do|does)\s+not\s+(?:say|mention|specify|cover|address|state)",
    re.I,
)


@dataclass(frozen=True)
class _Unit:
    """One sentence of an evidence paragraph."""

    ev: Evidence
    index: int
    text: str
    planned: bool  # its status is explore or supported: an intention, not a granted right


@dataclass
class _Support:
    units: list[_Unit]
    score: float


def _units(evidence: list[Evidence]) -> list[_Unit]:
    out = []
    for ev in evidence:
        text = ev.paragraph.quotable  # a sentence addressed to an assistant supports nothing
        for i, (s, e) in enumerate(split_sentences(text)):
            sentence = text[s:e].strip()
            if sentence:
                out.append(_Unit(ev, i, sentence, tag(sentence, ev.paragraph.kind).label in PLANNED))
    return out


def locate(raw: str, paragraph: Paragraph, sentence: str) -> tuple[int, int]:
    """Raw-file offsets of `sentence` inside the paragraph's span (any whitespace between words), else the span."""
    pattern = r"\s+".join(re.escape(w) for w in sentence.split())
    m = re.compile(pattern).search(raw, paragraph.start, paragraph.end) if pattern else None
    return (m.start(), m.end()) if m else (paragraph.start, paragraph.end)


@dataclass
class Checked:
    text: str  # supported sentences with valid markers; "" when nothing survives
    citations: list[Citation]
    restated: int  # sentences replaced by the document's words because they overstated a plan


def check_citations(raw_answer: str, evidence: list[Evidence], retriever: Retriever, settings: Settings) -> Checked:
    """Keep the supported sentences of `raw_answer`, each with markers that point at supporting evidence.

    A paragraph supports a sentence by its best sentence's score: IDF-weighted
    content-word recall and embedding cosine, weighted by settings.support_word_weight. The score is 0 when that
    recall is under settings.min_word_recall, or the claim states a number the paragraph
    does not or negates what the source sentence does not. Markers to unknown
    numbers or to paragraphs scoring under settings.support_threshold are
    dropped; a sentence left without markers is pointed at the best-supporting
    evidence, or removed if none reaches the threshold. A sentence that states
    as a fact what its source only supports, explores or studies is replaced by
    the source sentence, verbatim.
    """
    claims, seen = [], set()
    for c in split_answer(raw_answer):
        if c.text.lower() not in seen and content_words(c.text) and not REFUSAL_RE.search(c.text):
            seen.add(c.text.lower())
            claims.append(c)
    units = _units(evidence)
    if not claims or not units:
        return Checked("", [], 0)
    weights = corpus_weights(retriever.corpus)

    def word_support(claim: str, u: _Unit) -> float:
        if (
            # figures must come from the paragraph; its task number and its document's id ("the 2019 plan") may be named
            new_numbers(claim, f"{u.ev.paragraph.quotable} {u.ev.chunk.task or ''} {u.ev.paragraph.doc_id}")
            or (negated(claim) and not negated(u.text))  # "cannot" where the source says "can"
            # a place the paragraph, its task and its document do not name ("Dongcheng" is in dongcheng-2019's id)
            or new_places(claim, f"{u.ev.paragraph.quotable} {u.ev.chunk.task_title or ''} {u.ev.paragraph.doc_id}")
        ):
            return 0.0
        spelled = spell_out(claim)  # "VPN" -> the documents' words
        recall = weights.recall(spelled, f"{u.text} {u.ev.chunk.task_title or ''}")  # the model sees the title too
        return recall if recall >= settings.min_word_recall else 0.0

    words = np.array([[word_support(c.text, u) for u in units] for c in claims])
    # Embed only the sentences that pass the word test: usually a handful, not the whole evidence.
    rows, cols = np.nonzero(words)
    scores = np.zeros_like(words)
    if len(rows):
        need_c, need_u = sorted(set(rows.tolist())), sorted(set(cols.tolist()))
        vectors = retriever.embed([claims[i].text for i in need_c] + [units[j].text for j in need_u])
        cos = vectors[: len(need_c)] @ vectors[len(need_c) :].T
        row_of, col_of = {c: i for i, c in enumerate(need_c)}, {u: j for j, u in enumerate(need_u)}
        for row, col in zip(rows.tolist(), cols.tolist()):
            w = settings.support_word_weight
            scores[row, col] = w * words[row, col] + (1 - w) * float(cos[row_of[row], col_of[col]])

    by_marker = {ev.marker: ev for ev in evidence}
    kept: list[tuple[Claim, list[int]]] = []
    support: dict[int, _Support] = {}
    restated = 0
    for ci, claim in enumerate(claims):
        best: dict[int, tuple[float, int]] = {}  # marker -> (score, unit index)
        for ui, u in enumerate(units):
            s = float(scores[ci, ui])
            if s > best.get(u.ev.marker, (-1.0, -1))[0]:
                best[u.ev.marker] = (s, ui)
        markers = [
            m for m in claim.markers if m in by_marker and best.get(m, (0.0, -1))[0] >= settings.support_threshold
        ]
        if not markers:
            m, (s, _) = max(best.items(), key=lambda kv: (kv[1][0], -kv[0]))
            if s < settings.support_threshold:
                continue
            markers = [m]
        source = units[best[markers[0]][1]]
        if source.planned and not hedged(claim.text):  # investors must not read an intention as a right
            claim = Claim(f'The document says: "{source.text.rstrip(".")}"', claim.markers)
            restated += 1
        kept.append((claim, markers))
        for m in markers:
            s, ui = best[m]
            sup = support.setdefault(m, _Support([], s))
            sup.units.append(units[ui])
            sup.score = min(sup.score, s)
    text = " ".join(dict.fromkeys(c.marked(ms) for c, ms in kept))
    return Checked(text, [_citation(m, support[m], retriever, settings) for m in sorted(support)], restated)


def quote_citations(
    quoted: list[tuple[Evidence, int, str]], retriever: Retriever, settings: Settings
) -> list[Citation]:
    """Citations of verbatim evidence sentences (evidence, sentence number, text): one per marker, support 1."""
    support: dict[int, _Support] = {}
    for ev, index, text in quoted:
        unit = _Unit(ev, index, text, tag(text, ev.paragraph.kind).label in PLANNED)
        support.setdefault(ev.marker, _Support([], 1.0)).units.append(unit)
    return [_citation(m, support[m], retriever, settings) for m in sorted(support)]


def _citation(marker: int, sup: _Support, retriever: Retriever, settings: Settings) -> Citation:
    ev = sup.units[0].ev
    p, raw = ev.paragraph, retriever.corpus.documents[ev.paragraph.doc_id].text
    first = min(sup.units, key=lambda u: u.index)
    last = max(sup.units, key=lambda u: u.index)
    start, _ = locate(raw, p, first.text)
    _, end = locate(raw, p, last.text)
    if end <= start:
        start, end = p.start, p.end
    return Citation(
        marker=marker,
        paragraph_id=p.id,
        doc_id=p.doc_id,
        canonical_doc_id=ev.chunk.canonical_doc_id,
        task=p.task or ev.chunk.task,
        section=p.section,
        quote=raw[start:end],
        start=start,
        end=end,
        url=paragraph_url(p.id, settings),
        support=round(sup.score, 4),
        status=status.label if (status := sentence_status(p, _stating(sup.units).text)) else None,  # as `rag governs`
    )


def _stating(units: list[_Unit]) -> _Unit:
    """The first quoted sentence that states the measure: a lead phrase (its heading) states none."""
    return min(units, key=lambda u: (is_lead_phrase(u.ev.paragraph, u.text), u.index))
