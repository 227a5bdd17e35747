"""Evidence selection: the numbered paragraphs, from the retrieved tasks, that the model may cite."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import replace
from typing import Any, Protocol

import numpy as np

from rag.analysis.outline import goal_lines, outline_lines
from rag.analysis.relations import Registry, for_measure, number_line, relation_candidates
from rag.answer import prompts
from rag.answer.gaps import BODY
from rag.core.settings import Settings
from rag.core.tokens import count_tokens
from rag.core.types import Chunk, Evidence, Hit, Paragraph
from rag.ingest.metadata import date_paragraph
from rag.ingest.parser import SECTION_RE


class Retriever(Protocol):
    corpus: Any  # .paragraph(pid) -> Paragraph, .documents[doc_id].text (the raw file)

    def search(
        self, question: str, k: int | None = None, *, mode: str | None = None, doc_ids: Collection[str] | None = None
    ) -> list[Hit]: ...

    def paragraph_scores(self, question: str, paragraph_ids: list[str]) -> dict[str, float]: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def chunk(self, chunk_id: str) -> Chunk: ...

    def chunk_of(self, paragraph_id: str) -> Chunk | None: ...

    def spelled(self, text: str) -> str: ...


SKIPPED_KINDS = frozenset({"title", "heading", "group"})  # carry no claims; the task title goes in each label
_WHO_RE = re.compile(
    rf"\b(who|whom|responsib\w*|{BODY}|departmental|units|oversee\w*|handles?|contact"
    r"|in charge|lead unit|implement\w* by)\b",
    re.I,
)


# Asking when a document was issued, or its number: its own date or number line answers, whatever words it shares.
_DATE_ASKED_RE = re.compile(
    r"\bwhen\b[^?]*\b(?:issued|dated|signed|published|approved|adopted|released|promulgated)\b|\bwhat date\b"
    r"|\b(?:issue|issuing|publication|release)\s+date\b|\bdate of\b",
    re.I,
)
# Asking about a document itself (which one, whether it still applies), not about a measure: the paragraph that
# states the relation the question names (Registry relations: implements, keeps in force, prevails) answers it.
_DOCUMENT_ASKED_RE = re.compile(
    r"\b(?:which|what)\s+(?:[\w-]+\s+){0,3}?(?:documents?|repl(?:y|ies)|plans?|versions?|translations?|texts?|one)\b"
    r"(?!['’]s|\s+(?:numbers?|dates?|measures?|tasks?|provisions?|goals?)\b)"  # "its document number": not which one
    r"|\b(?:still|remain\w*|continue\w*)\s+(?:to\s+be\s+)?(?:valid|in\s+force|effective|appl(?:y|ies))\b"
    # "is it an implementation of the 2020 plan?"
    r"|\bimplementation\s+of\s+(?:the\s+|an?\s+)?(?:[\w-]+\s+){0,4}?(?:plan|reply|document|one)\b",
    re.I,
)
_NUMBER_ASKED_RE = re.compile(
    r"\b(?:document|reference|file|serial|its|official)\s+number\b|\bwhat number\b|\bnumbered\b", re.I
)


def _group(chunk: Chunk) -> tuple[str, str]:
    """Chunks with the same group are translations of the same task (or section: its heading without its number,
    "Four, organization and implementation" and "4、 Organization and Implementation" are one)."""
    if chunk.task:
        return chunk.canonical_doc_id, f"t{chunk.task}"
    heading = chunk.section.rsplit(">", 1)[-1].strip()
    numbered = SECTION_RE.match(heading)
    return chunk.canonical_doc_id, f"s:{(numbered.group(3) if numbered else heading).lower()}"


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


def select_evidence(
    question: str, hits: list[Hit], retriever: Retriever, settings: Settings, subject: str | None = None
) -> list[Evidence]:
    """The paragraphs most similar to the question, numbered from 1: at most settings.evidence_paragraphs,
    within settings.context_token_budget, none scoring more than settings.evidence_score_margin under the best.
    With a `subject` (the question without the words naming documents), a paragraph scores the closer of the two."""
    wants_departments = bool(_WHO_RE.search(question))
    candidates: dict[str, tuple[Paragraph, Chunk, int]] = {}
    departments: dict[str, str] = {}  # chunk id -> its responsible-departments paragraph
    for rank, hit in enumerate(prefer_official(hits)):
        # A long task is split into parts; the hit leads with one, and the others of the same text come along.
        parts = [hit.chunk] + [
            c for c in (retriever.chunk(cid) for cid in hit.alias_chunk_ids) if c.doc_id == hit.chunk.doc_id
        ]
        paragraphs = [(retriever.corpus.paragraph(pid), c) for c in parts for pid in c.paragraph_ids]
        has_measures = any(p.kind == "measure" for p, _ in paragraphs)
        for p, chunk in paragraphs:
            # a task heading over measures only names the task, unless it states one itself (where and how)
            heading = (
                p.kind == "task" and has_measures and len(p.text.split()) < settings.evidence_task_heading_min_words
            )
            if p.kind in SKIPPED_KINDS or heading:
                continue
            if p.kind == "departments":  # a list of office names: comes along with its task, never on its own
                departments.setdefault(chunk.id, p.id)
            candidates.setdefault(p.id, (p, chunk, rank))
    claims = [pid for pid in candidates if candidates[pid][0].kind != "departments"]
    if not claims:
        return []
    scores = retriever.paragraph_scores(question, claims)
    if subject and subject != question:
        on_subject = retriever.paragraph_scores(subject, claims)
        scores = {pid: max(v, on_subject.get(pid, 0.0)) for pid, v in scores.items()}
    ordered = sorted(claims, key=lambda pid: (-scores.get(pid, 0.0), candidates[pid][2], candidates[pid][0].index))
    floor = scores.get(ordered[0], 0.0) - settings.evidence_score_margin
    chosen = [pid for pid in ordered if scores.get(pid, 0.0) >= floor] or ordered[:1]
    # The retriever's first task (words, vectors and paragraphs fused) keeps its closest paragraph, however far
    # under the best paragraph's cosine: a question in other words than the document's ("arbitration centres ...
    # cooperating with the courts" for "arbitration institutions ... collaboration with courts") scores low on
    # one cosine alone.
    top = next((pid for pid in ordered if candidates[pid][2] == 0), None)
    chosen += [top] if top and top not in chosen else []
    if wants_departments:  # each chosen task's list of responsible offices comes along, right after it
        chosen = list(dict.fromkeys(x for pid in chosen for x in (pid, departments.get(candidates[pid][1].id)) if x))
    chosen_evidence = [
        Evidence(marker=0, paragraph=candidates[pid][0], chunk=candidates[pid][1], score=float(scores.get(pid, 0.0)))
        for pid in chosen
    ]
    return _within_budget(chosen_evidence, settings)


def _within_budget(candidates: Iterable[Evidence], settings: Settings) -> list[Evidence]:
    """The candidates in order, numbered from 1, at most settings.evidence_paragraphs within
    settings.context_token_budget; the first always goes in, even when it alone exceeds the budget."""
    evidence: list[Evidence] = []
    used = 0
    for ev in candidates:
        numbered = replace(ev, marker=len(evidence) + 1)
        cost = count_tokens(prompts.evidence_line(numbered))
        if evidence and used + cost > settings.context_token_budget:
            continue
        evidence.append(numbered)
        used += cost
        if len(evidence) >= settings.evidence_paragraphs:
            break
    return evidence


def gather_evidence(
    question: str, retriever: Retriever, settings: Settings, doc_ids: Collection[str] | None, **search: str
) -> list[Evidence]:
    """Retrieve and select the evidence. A question that names one document ("the 2023 work plan", "No. 16",
    "Dongcheng's proposal") and is not already limited to some is answered from that document, its paragraphs
    scored also on what the question asks about (Registry.subject), when it holds a paragraph close enough
    (settings.min_evidence_score). A question that names several ("does the 2019 plan back Dongcheng's ...?") gets
    each named document's closest paragraphs in turn, so no document's front matter, which names the others, crowds
    another out. Otherwise, and when that finds nothing close enough, the whole corpus answers. A date or number line
    the question asks for joins it (`with_asked_lines`)."""
    registry = Registry(retriever.corpus)
    named = {d for d in registry.mentioned(question) if d in retriever.corpus.documents}
    evidence: list[Evidence] = []
    if doc_ids is None and len(named) == 1:
        hits = retriever.search(question, k=settings.evidence_chunks, doc_ids=named, **search)
        evidence = select_evidence(question, hits, retriever, settings, registry.subject(question))
    elif doc_ids is None and named:  # each front matter names the others: paragraphs are scored on the subject alone
        subject = registry.subject(question)
        per_doc = [
            select_evidence(
                subject,
                retriever.search(question, k=settings.evidence_chunks, doc_ids={d}, **search),
                retriever,
                settings,
            )
            for d in sorted(named)
        ]
        evidence = _in_turn(per_doc, settings)
    if not evidence or evidence[0].score < settings.min_evidence_score:
        hits = retriever.search(question, k=settings.evidence_chunks, doc_ids=doc_ids, **search)
        evidence = select_evidence(question, hits, retriever, settings)
    return with_asked_lines(question, evidence, retriever, registry, search.get("original"))


def _in_turn(per_doc: list[list[Evidence]], settings: Settings) -> list[Evidence]:
    """Each list's best paragraphs taken in turn (best first within a round), renumbered from 1, within the limits
    of `select_evidence` (settings.evidence_paragraphs, settings.context_token_budget)."""
    rounds = [
        sorted((e[i] for e in per_doc if i < len(e)), key=lambda ev: -ev.score)
        for i in range(settings.evidence_paragraphs)
    ]
    return _within_budget({ev.paragraph.id: ev for r in rounds for ev in r}.values(), settings)


def asked_lines(
    question: str,
    retriever: Retriever,
    registry: Registry | None = None,
    original: str | None = None,
    about_measure: bool = False,
) -> list[Paragraph]:
    """The date line and/or number line of each document the question names, when it asks when the document was
    issued or what its number is (rag.ingest.metadata reads the same lines for the registry), and the lines that
    show how many tasks it has, when that is asked in the question or in its `original` words (a translated
    question: "多少项任务" may come back as "what are the tasks"; rag.analysis.outline), the paragraphs of its goals
    section, when its goals are asked ("the 2030 target?"), and the paragraph stating a
    relation between documents the question names, when it asks about a document itself (`_DOCUMENT_ASKED_RE`;
    not the other translation when the evidence `about_measure` leads with a measure)."""
    registry = registry or Registry(retriever.corpus)
    named = {d for d in registry.mentioned(question) if d in retriever.corpus.documents}
    asked = f"{question} {original or ''}"
    lines: list[Paragraph | None] = [*outline_lines(asked, retriever.corpus, named)]
    lines += goal_lines(asked, retriever.corpus, named)
    if _DOCUMENT_ASKED_RE.search(question):
        relations = for_measure(relation_candidates(question, registry), about_measure)
        lines += [retriever.corpus.paragraph(r.paragraph_id) for _, r in relations if r.paragraph_id]
    wants_date, wants_number = bool(_DATE_ASKED_RE.search(question)), bool(_NUMBER_ASKED_RE.search(question))
    for doc_id in sorted(named) if wants_date or wants_number else ():
        doc = retriever.corpus.documents[doc_id]
        lines += [date_paragraph(doc.paragraphs) if wants_date else None]
        lines += [number_line(registry, doc_id) if wants_number else None]
    return [p for p in lines if p is not None]


def _unit_of(paragraph: Paragraph, retriever: Retriever) -> Chunk:
    """The chunk holding `paragraph`, or for a paragraph no chunk holds (a group heading, the IP-news excerpt:
    rag.ingest.chunking leaves them unindexed) a unit of that paragraph alone, labelled by its section."""
    chunk = retriever.chunk_of(paragraph.id)
    if chunk is not None:
        return chunk
    info = retriever.corpus.documents[paragraph.doc_id].info
    return Chunk(
        id=paragraph.id,
        doc_id=paragraph.doc_id,
        canonical_doc_id=info.canonical_id,
        task=None,
        task_title=None,
        group=paragraph.group,
        section=paragraph.section,
        paragraph_ids=(paragraph.id,),
        start=paragraph.start,
        end=paragraph.end,
        text=paragraph.text,
    )


def with_asked_lines(
    question: str,
    evidence: list[Evidence],
    retriever: Retriever,
    registry: Registry | None = None,
    original: str | None = None,
) -> list[Evidence]:
    """The evidence, with the lines `asked_lines` finds marked as asked (and added after it when absent)."""
    measure = bool(evidence) and evidence[0].paragraph.kind in ("measure", "task")
    lines = {p.id: p for p in asked_lines(question, retriever, registry, original, measure)}
    if not evidence or not lines:  # no line makes a question answerable on its own
        return evidence
    out = [replace(e, asked=e.paragraph.id in lines) for e in evidence]
    new = [pid for pid in lines if pid not in {e.paragraph.id for e in evidence}]
    scores = retriever.paragraph_scores(question, new) if new else {}
    for pid in new:
        out.append(
            Evidence(len(out) + 1, lines[pid], _unit_of(lines[pid], retriever), scores.get(pid, 0.0), asked=True)
        )
    return out
