"""Chunk parsed documents by task number; sections outside the task list by section.

A task chunk holds the task heading and its measure paragraphs (and, in the
district plan, its responsible departments). A task longer than the token
budget is split into parts that keep the task number and title. In the 2023
summary the measures of a group follow all of its headings, so each measure is
assigned to one heading of its group (see `assign_measures`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import groupby

import numpy as np

from rag.core.settings import Settings
from rag.core.text import task_key
from rag.core.tokens import count_tokens
from rag.core.types import Chunk, Document, Paragraph
from rag.ingest.documents import Corpus

Embed = Callable[[list[str]], np.ndarray]
UNINDEXED_KINDS = {"excerpt", "group"}  # the IP-news excerpt repeats tasks; group lines are context only
ASSIGNMENT_METHOD = "monotone alignment of measures to group headings by embedding cosine"


def assign_measures(headings: Sequence[str], measures: Sequence[str], embed: Embed) -> list[tuple[int, float]]:
    """Assign each measure to a heading: the best-scoring order-preserving alignment.

    The publisher lists a group's measures in the order of its headings, so the
    alignment is monotone (measure i+1 never goes to an earlier heading than
    measure i); within that constraint total cosine similarity is maximised.
    Returns (heading index, cosine) per measure.
    """
    vectors = embed([*headings, *measures])
    h, m = vectors[: len(headings)], vectors[len(headings) :]
    sim = m @ h.T  # (measures, headings)
    n, k = sim.shape
    best = np.full((n, k), -np.inf)
    back = np.zeros((n, k), dtype=int)
    best[0] = sim[0]
    for i in range(1, n):
        running = np.maximum.accumulate(best[i - 1])
        arg = np.array([int(np.argmax(best[i - 1][: j + 1])) for j in range(k)])
        best[i] = running + sim[i]
        back[i] = arg
    path = [int(np.argmax(best[-1]))]
    for i in range(n - 1, 0, -1):
        path.append(int(back[i][path[-1]]))
    path.reverse()
    return [(j, float(sim[i, j])) for i, j in enumerate(path)]


def _chunk(
    doc: Document,
    paras: list[Paragraph],
    *,
    task: str | None,
    title: str | None,
    part: int,
    assignment: dict | None = None,
) -> Chunk:
    first = paras[0]
    lead = [f"Task {task}: {title}"] if task and (part > 1 or first.kind != "task") else []
    context = [first.group] if first.group else [first.section]
    cid = task_key(doc.id, task) if task else f"{doc.id}.s{first.index:03d}"
    return Chunk(
        id=f"{cid}.{part}" if part else cid,
        doc_id=doc.id,
        canonical_doc_id=doc.info.canonical_id,
        task=task,
        task_title=title,
        group=first.group,
        section=first.section,
        paragraph_ids=tuple(p.id for p in paras),
        start=min(p.start for p in paras),
        end=max(p.end for p in paras),
        text="\n".join([*context, *lead, *(p.text for p in paras)]),
        part=part,
        assignment=assignment,
    )


def _split(paras: list[Paragraph], budget: int) -> list[list[Paragraph]]:
    """Greedy split into runs of paragraphs under `budget` tokens (a paragraph is never cut)."""
    runs: list[list[Paragraph]] = [[]]
    used = 0
    for p in paras:
        cost = count_tokens(p.text)
        if runs[-1] and used + cost > budget:
            runs.append([])
            used = 0
        runs[-1].append(p)
        used += cost
    return runs


def _emit(
    doc: Document,
    paras: list[Paragraph],
    budget: int,
    task: str | None,
    title: str | None,
    assignment: dict | None = None,
) -> list[Chunk]:
    runs = _split(paras, budget)
    if len(runs) == 1:
        return [_chunk(doc, paras, task=task, title=title, part=0, assignment=assignment)]
    return [_chunk(doc, run, task=task, title=title, part=i, assignment=assignment) for i, run in enumerate(runs, 1)]


def _assigned_tasks(doc: Document, embed: Embed) -> list[tuple[list[Paragraph], list[float]]]:
    """For headings-then-measures layouts: per task, [heading, assigned measures...] and their cosines."""
    tasks: list[tuple[list[Paragraph], list[float]]] = []
    for _, group in groupby((p for p in doc.paragraphs if p.group), key=lambda p: p.group):
        paras = list(group)
        heads = [p for p in paras if p.kind == "task"]
        measures = [p for p in paras if p.kind == "measure"]
        first = len(tasks)
        tasks += [([h], []) for h in heads]
        if measures:
            alignment = assign_measures([h.task_title or "" for h in heads], [m.text for m in measures], embed)
            for m, (j, score) in zip(measures, alignment):
                tasks[first + j][0].append(m)
                tasks[first + j][1].append(score)
    return tasks


def chunk_document(doc: Document, settings: Settings, embed: Embed) -> list[Chunk]:
    budget = settings.chunk_max_tokens
    paras = [p for p in doc.paragraphs if p.kind not in UNINDEXED_KINDS]
    chunks: list[Chunk] = []
    if any(p.kind == "measure" and p.task is None and p.group for p in paras):
        for members, scores in _assigned_tasks(doc, embed):
            assignment = {"method": ASSIGNMENT_METHOD, "scores": [round(x, 3) for x in scores]}
            head = members[0]
            chunks += _emit(doc, members, budget, head.task, head.task_title, assignment)
        paras = [p for p in paras if not p.group]
    for (task, _section), group in groupby(paras, key=lambda p: (p.task, p.section if p.task is None else "")):
        run = list(group)
        chunks += _emit(doc, run, budget, task, run[0].task_title if task else None)
    return sorted(chunks, key=lambda c: c.start)


def chunk_corpus(corpus: Corpus, settings: Settings, embed: Embed) -> list[Chunk]:
    return [c for doc in corpus.documents.values() for c in chunk_document(doc, settings, embed)]
