"""Answer a question from the documents, streamed, with every citation checked in code.

`stream_answer` yields events in this order:

  EvidenceEvent   once, as soon as retrieval is done (the numbered evidence, or
                  the nearest passages when the corpus does not cover the question)
  TokenEvent      zero or more pieces of the model's raw text, as generated
  NoticeEvent     only if the backend failed, or its draft could not be verified
                  against the evidence: discard the tokens shown so far, the
                  fallback backend's (extractive) tokens follow
  AnswerEvent     once, last: the checked Answer. Its text can differ from the
                  streamed tokens (unsupported sentences and stray markers are
                  removed, overstated ones restated), so a UI should replace the
                  streamed text with it.

Refusals (Answer.refused, citations=[], the nearest passages in `evidence` and
named in the text) happen when the best evidence scores under
settings.min_evidence_score (the model is not called), when the model's answer
opens with the refusal phrase, or when none of its sentences survives the check.

Questions that try to change the assistant's rules ("ignore previous
instructions", "you are now ...", "system prompt") are not obeyed: the
sentences carrying such instructions are removed and the rest is answered with
a notice; a question made only of such instructions is refused with BadQuestion.
"""
from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from rag import prompts
from rag.documents import paragraph_url, split_sentences
from rag.errors import BadQuestion, LLMUnavailable
from rag.governs import governance_for_answer
from rag.glossary import GLOSSARY, expand
from rag.llms import Backend, get_backend
from rag.settings import Settings, get_settings
from rag.status import status_of, tag
from rag.support import Claim, WordWeights, content_words, hedged, negated, new_numbers, split_answer
from rag.tokens import count_tokens
from rag.types import Answer, Chunk, Citation, Evidence, Hit, Paragraph


class Retriever(Protocol):
    corpus: Any  # .paragraph(pid) -> Paragraph, .documents[doc_id].text (the raw file)

    def search(self, question: str, k: int, doc_ids: Collection[str] | None = None) -> list[Hit]: ...

    def paragraph_scores(self, question: str, paragraph_ids: list[str]) -> dict[str, float]: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class EvidenceEvent:
    evidence: list[Evidence]


@dataclass(frozen=True)
class TokenEvent:
    text: str


@dataclass(frozen=True)
class NoticeEvent:
    text: str


@dataclass(frozen=True)
class AnswerEvent:
    answer: Answer


Event = EvidenceEvent | TokenEvent | NoticeEvent | AnswerEvent

EXAMPLE_QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"
PLANNED = frozenset({"explore", "supported"})  # rag.status labels of intentions
SKIPPED_KINDS = frozenset({"title", "heading", "group"})  # carry no claims; the task title goes in each label
_WHO_RE = re.compile(
    r"\b(who|whom|responsib\w*|department\w*|ministr\w*|bureau\w*|agenc\w*|office|oversee\w*|handles?|contact"
    r"|in charge|lead unit|implement\w* by)\b",
    re.I,
)
_OVERRIDE_RE = re.compile(
    r"""\b(ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|these|those|previous|prior|earlier|above|system|given|provided)\s+)*(instructions?|rules?|documents?|evidence|context|prompts?|guidelines|above|previous)\b
    | \byou\s+are\s+now\b | \bfrom\s+now\s+on\b | \bpretend\b | \brole-?play\b
    | \bact\s+as\s+(?:if|an?\s+(?:ai|assistant|chatbot|model|different))\b
    | \bsystem\s+(?:prompt|message)\b | \bdeveloper\s+mode\b | \bjailbreak | \bnew\s+instructions?\b
    | \b(?:reveal|show|print|repeat)\b[^.?!]{0,30}?\b(?:prompt|instructions)\b""",
    re.I | re.X,
)
_QUESTION_SPLIT_RE = re.compile(r"(?<=[.!?;:])\s+|\n+")
_SHORTHAND_RE = re.compile(r"(?<![\w&])(" + "|".join(re.escape(k) for k in sorted(GLOSSARY, key=len, reverse=True)) + r")(?![\w&])")
# At least half of what a claim says (content words weighted by rarity) must be in its source sentence:
# sentence embeddings alone rate "treasury bond futures" close to "gold and silver futures".
MIN_WORD_RECALL = 0.5
_REFUSAL_RE = re.compile(r"\bnot\s+covered\b|\b(?:documents?|evidence|texts?)\s+(?:do|does)\s+not\s+(?:say|mention|specify|cover|address|state)", re.I)


# --- a. the question ----------------------------------------------------------


def clean_question(question: str, settings: Settings) -> tuple[str, str | None]:
    """The question to answer and a notice if instructions were removed from it; BadQuestion if unusable."""
    text = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in question)
    text = " ".join(text.split())
    if not text:
        raise BadQuestion(f"Type a question about the policy documents, e.g. {EXAMPLE_QUESTION!r}")
    n = count_tokens(text)
    if n > settings.question_max_tokens:
        raise BadQuestion(
            f"The question is {n} tokens long; the limit is {settings.question_max_tokens}. "
            "Ask one shorter question (or raise RAG_QUESTION_MAX_TOKENS)."
        )
    parts = [p for p in _QUESTION_SPLIT_RE.split(text) if p.strip()]
    kept = [p for p in parts if not _OVERRIDE_RE.search(p)]
    if len(kept) == len(parts):
        return text, None
    if not content_words(" ".join(kept)):
        raise BadQuestion(
            "The question asks the assistant to change its rules; it only answers from the documents. "
            f"Ask about the policies themselves, e.g. {EXAMPLE_QUESTION!r}"
        )
    return " ".join(kept), "Instructions in the question were ignored; only the question about the documents was answered."


# --- b. evidence --------------------------------------------------------------


def _group(chunk: Chunk) -> tuple[str, str]:
    """Chunks with the same group are translations of the same task (or section)."""
    return chunk.canonical_doc_id, f"t{chunk.task}" if chunk.task else f"s:{chunk.section}"


def prefer_official(hits: list[Hit]) -> list[Hit]:
    """Keep one translation per task or section: the official one (doc_id == canonical_doc_id) when retrieved.

    The retriever already folds task translations into one hit; sections (e.g. the reply letter in both
    translations) it keeps apart, and this is where the unofficial one is dropped from the evidence.
    """
    chosen: dict[tuple[str, str], str] = {}
    for h in hits:
        key, c = _group(h.chunk), h.chunk
        if key not in chosen or (c.doc_id == c.canonical_doc_id and chosen[key] != c.canonical_doc_id):
            chosen[key] = c.doc_id
    return [h for h in hits if h.chunk.doc_id == chosen[_group(h.chunk)]]


def select_evidence(question: str, hits: list[Hit], retriever: Retriever, settings: Settings) -> list[Evidence]:
    """The paragraphs most similar to the question, numbered from 1: at most settings.evidence_paragraphs,
    within settings.context_token_budget, none scoring more than settings.evidence_score_margin under the best."""
    wants_departments = bool(_WHO_RE.search(question))
    candidates: dict[str, tuple[Paragraph, Chunk, int]] = {}
    for rank, hit in enumerate(prefer_official(hits)):
        paragraphs = [retriever.corpus.paragraph(pid) for pid in hit.chunk.paragraph_ids]
        has_measures = any(p.kind == "measure" for p in paragraphs)
        for p in paragraphs:
            if (
                p.kind in SKIPPED_KINDS
                or (p.kind == "task" and has_measures)  # then it is only the task's heading
                or (p.kind == "departments" and not wants_departments)
            ):
                continue
            candidates.setdefault(p.id, (p, hit.chunk, rank))
    if not candidates:
        return []
    scores = retriever.paragraph_scores(question, list(candidates))
    ordered = sorted(candidates, key=lambda pid: (-scores.get(pid, 0.0), candidates[pid][2], candidates[pid][0].index))
    floor = scores.get(ordered[0], 0.0) - settings.evidence_score_margin
    chosen = [pid for pid in ordered if scores.get(pid, 0.0) >= floor] or ordered[:1]
    if wants_departments:  # a list of names scores low against any question: bring each chosen task's list along
        departments = {c.id: pid for pid, (p, c, _) in candidates.items() if p.kind == "departments"}
        chosen = list(dict.fromkeys(x for pid in chosen for x in (pid, departments.get(candidates[pid][1].id)) if x))
    evidence: list[Evidence] = []
    used = 0
    for pid in chosen:
        p, chunk, _ = candidates[pid]
        ev = Evidence(marker=len(evidence) + 1, paragraph=p, chunk=chunk, score=float(scores.get(pid, 0.0)))
        cost = count_tokens(prompts.evidence_line(ev))
        if evidence and used + cost > settings.context_token_budget:
            continue  # the best paragraph always goes in, even when it alone exceeds the budget
        evidence.append(ev)
        used += cost
        if len(evidence) >= settings.evidence_paragraphs:
            break
    return evidence


# --- e. citation check --------------------------------------------------------


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
        text = ev.paragraph.text
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


def _marked(claim: Claim, markers: list[int]) -> str:
    body = claim.text.rstrip()
    end = body[-1] if body and body[-1] in ".!?" else "."
    body = body.rstrip(".!?").rstrip()
    return f"{body} {''.join(f'[{m}]' for m in markers)}{end}"


_WEIGHTS: dict[tuple, WordWeights] = {}


def _word_weights(corpus: Any) -> WordWeights:
    key = tuple((d.id, len(d.text)) for d in corpus.documents.values())
    if key not in _WEIGHTS:
        _WEIGHTS[key] = WordWeights([p.text for d in corpus.documents.values() for p in d.paragraphs])
    return _WEIGHTS[key]


@dataclass
class Checked:
    text: str  # supported sentences with valid markers; "" when nothing survives
    citations: list[Citation]
    restated: int  # sentences replaced by the document's words because they overstated a plan


def check_citations(raw_answer: str, evidence: list[Evidence], retriever: Retriever, settings: Settings) -> Checked:
    """Keep the supported sentences of `raw_answer`, each with markers that point at supporting evidence.

    A paragraph supports a sentence by its best sentence's score: IDF-weighted
    content-word recall averaged with embedding cosine. The score is 0 when that
    recall is under MIN_WORD_RECALL, or the claim states a number the paragraph
    does not or negates what the source sentence does not. Markers to unknown
    numbers or to paragraphs scoring under settings.support_threshold are
    dropped; a sentence left without markers is pointed at the best-supporting
    evidence, or removed if none reaches the threshold. A sentence that states
    as a fact what its source only supports, explores or studies is replaced by
    the source sentence, verbatim.
    """
    claims, seen = [], set()
    for c in split_answer(raw_answer):
        if c.text.lower() not in seen and content_words(c.text) and not _REFUSAL_RE.search(c.text):
            seen.add(c.text.lower())
            claims.append(c)
    units = _units(evidence)
    if not claims or not units:
        return Checked("", [], 0)
    weights = _word_weights(retriever.corpus)

    def word_support(claim: str, u: _Unit) -> float:
        if (
            # figures must come from the paragraph; its task number and its document's id ("the 2019 plan") may be named
            new_numbers(claim, f"{u.ev.paragraph.text} {u.ev.chunk.task or ''} {u.ev.paragraph.doc_id}")
            or (negated(claim) and not negated(u.text))  # "cannot" where the source says "can"
        ):
            return 0.0
        spelled = _SHORTHAND_RE.sub(lambda m: GLOSSARY[m.group(1)], claim)  # "VPN" -> the documents' words
        recall = weights.recall(spelled, f"{u.text} {u.ev.chunk.task_title or ''}")  # the model sees the title too
        return recall if recall >= MIN_WORD_RECALL else 0.0

    words = np.array([[word_support(c.text, u) for u in units] for c in claims])
    # Embed only the sentences that pass the word test: usually a handful, not the whole evidence.
    rows, cols = np.nonzero(words)
    scores = np.zeros_like(words)
    if len(rows):
        need_c, need_u = sorted(set(rows.tolist())), sorted(set(cols.tolist()))
        vectors = retriever.embed([claims[i].text for i in need_c] + [units[j].text for j in need_u])
        cos = vectors[: len(need_c)] @ vectors[len(need_c) :].T
        ci, uj = {c: i for i, c in enumerate(need_c)}, {u: j for j, u in enumerate(need_u)}
        for r, c in zip(rows, cols):
            scores[r, c] = 0.5 * words[r, c] + 0.5 * float(cos[ci[r], uj[c]])

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
        markers = [m for m in claim.markers if m in by_marker and best.get(m, (0.0, -1))[0] >= settings.support_threshold]
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
    text = " ".join(dict.fromkeys(_marked(c, ms) for c, ms in kept))
    return Checked(text, [_citation(m, support[m], retriever, settings) for m in sorted(support)], restated)


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
        status=p.status or status_of(p).label,
    )


# --- the pipeline ---------------------------------------------------------------


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None


def _refusal(question: str, evidence: list[Evidence], backend: str, timings: dict[str, float], notice: str | None) -> Answer:
    nearest = list(dict.fromkeys(prompts.evidence_label(ev).rstrip(".") for ev in evidence))[:3]
    text = prompts.REFUSAL
    text += f" Nearest passages: {'; '.join(nearest)}." if nearest else " No passage came close."
    return Answer(question=question, text=text, refused=True, backend=backend, evidence=evidence, timings=timings, notice=notice)


def _draft(backend: Backend, question: str, evidence: list[Evidence], timings: dict[str, float], ms
           ) -> Iterator[TokenEvent]:
    """Stream one backend's draft as TokenEvents; returns the whole draft."""
    timings.pop("first_token_ms", None)
    pieces = []
    for piece in backend.stream(question, evidence):
        timings.setdefault("first_token_ms", ms())
        pieces.append(piece)
        yield TokenEvent(piece)
    return "".join(pieces)


def stream_answer(
    question: str,
    retriever: Retriever,
    *,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    doc_ids: Collection[str] | None = None,
) -> Iterator[Event]:
    """Retrieve, generate and check an answer, yielding events (see the module docstring).

    `backend` is a registry name or a Backend (default settings.backend). When it
    fails, settings.fallback_backend answers and Answer.notice says so. Timings
    (ms from the call): retrieve_ms, first_token_ms, total_ms.
    """
    settings = settings or get_settings()
    t0 = time.perf_counter()
    ms = lambda: (time.perf_counter() - t0) * 1000  # noqa: E731
    query, notice = clean_question(question, settings)
    primary = backend if backend is not None and not isinstance(backend, str) else get_backend(backend or settings.backend, settings)

    hits = retriever.search(query, k=settings.evidence_chunks, doc_ids=doc_ids)
    evidence = select_evidence(query, hits, retriever, settings)
    timings = {"retrieve_ms": ms()}
    yield EvidenceEvent(evidence)
    if not evidence or evidence[0].score < settings.min_evidence_score:
        timings["total_ms"] = ms()
        yield AnswerEvent(_refusal(question, evidence, "none", timings, notice))
        return

    asked = expand(query)  # "VPN (virtual private network)": a small model needs the documents' words
    used = primary
    try:
        raw = yield from _draft(primary, asked, evidence, timings, ms)
    except LLMUnavailable as err:
        if settings.fallback_backend == primary.name:
            raise
        used = get_backend(settings.fallback_backend, settings)
        failed = f"The language model failed ({err}); showing the {used.name} answer."
        notice = _join(failed, notice)
        yield NoticeEvent(failed)
        raw = yield from _draft(used, asked, evidence, timings, ms)

    first = split_answer(raw)[:1]
    declined = bool(first and _REFUSAL_RE.search(first[0].text))  # led with the refusal phrase; later ones are dropped
    checked = Checked("", [], 0) if declined else check_citations(raw, evidence, retriever, settings)
    unverifiable = bool(not checked.text and raw.strip() and not declined)
    if unverifiable and used.name != settings.fallback_backend:
        # The model answered, but nothing it said could be verified: quote the sources rather than refuse.
        used = get_backend(settings.fallback_backend, settings)
        unverified = ("The model's draft could not be matched to the sources, so the best-supporting "
                      "passages are quoted instead.")
        notice = _join(notice, unverified)
        yield NoticeEvent(unverified)
        raw = yield from _draft(used, asked, evidence, timings, ms)
        checked = check_citations(raw, evidence, retriever, settings)
        unverifiable = False  # already said in the notice
    timings["total_ms"] = ms()
    if checked.restated:
        notice = _join(notice, "Where the answer stated a supported or explored measure as granted, "
                               "the document's own words are shown.")
    if not checked.text:
        if unverifiable:
            notice = _join(notice, "The model's answer could not be matched to the evidence, so it is not shown.")
        yield AnswerEvent(_refusal(question, evidence, used.name, timings, notice))
        return
    final = Answer(
        question=question,
        text=checked.text,
        refused=False,
        backend=used.name,
        citations=checked.citations,
        evidence=evidence,
        timings=timings,
        notice=notice,
    )
    final.governing = governance_for_answer(final, retriever, settings)  # None unless evidence spans documents
    timings["total_ms"] = ms()
    yield AnswerEvent(final)


def answer(
    question: str,
    retriever: Retriever,
    *,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    doc_ids: Collection[str] | None = None,
) -> Answer:
    """`stream_answer`, consumed: the final checked Answer."""
    final = None
    for event in stream_answer(question, retriever, backend=backend, settings=settings, doc_ids=doc_ids):
        if isinstance(event, AnswerEvent):
            final = event.answer
    assert final is not None  # stream_answer always ends with an AnswerEvent
    return final
