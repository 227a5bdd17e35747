"""The eval run: retrieval, answer and governance metric groups over eval/questions.jsonl, per question.

Every gated metric is the mean of a per-question value. The baseline keeps
those per-question values, so `--check` re-averages the baseline over exactly
the questions that ran now (a `--limit` or `--type` run compares like with
like) and names the questions whose outcome changed.

Metric keys read `<group>.<mode or backend>.<level>.<name>`, e.g.
`retrieval.hybrid.task.recall@5` or `answer.local.key_fact_recall`.

`rag eval` answers every question with every backend (the reported figure).
CI runs `rag eval --check`: the default retrieval mode, `extractive` on every
question, the default LLM backend on settings.eval_llm_subset questions of each split
(stratified by type, 6 per type in each split), and the governance group. Thresholds live in settings (eval_min_*, eval_max_*); a
metric group that crashes or a backend that cannot load fails the run rather
than being left out silently.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from eval.data import SPLITS, STATUS_LABELS_FILE, Gold, model_subset, split_of
from eval.metrics import (
    RETRIEVAL_K,
    governing_accuracy,
    ranked_paragraphs,
    ranked_units,
    ranking_metrics,
    read_labels,
    score_answer,
    status_accuracy,
)
from rag.answer.backends import get_backend
from rag.answer.pipeline import answer
from rag.core.errors import RagError
from rag.core.settings import Settings
from rag.core.text import percentile
from rag.core.types import Answer

NO_MODEL_BACKENDS = {"extractive"}  # answer every question; the others answer Run.llm_subset


# --- the run and its metric groups ---------------------------------------------------
@dataclass
class Run:
    settings: Settings
    retriever: Any
    questions: list[dict]
    gold: dict[str, Gold]
    modes: list[str]
    backends: list[str]
    progress: bool = True
    llm_subset: int = 0  # questions each model backend answers per split, stratified by type; 0 = all
    split: str | None = None  # only the items of this split (every file); None = both
    traps: bool = False  # only the polarity traps (items with `trap`), in every file
    splits: dict[str, str] = field(default_factory=dict)  # item id -> its split, over every file the run read
    values: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))  # qid -> key -> value
    details: dict[str, dict] = field(default_factory=lambda: defaultdict(dict))
    figures: dict[str, float] = field(default_factory=dict)  # reported, not gated (latency, counts)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reported, and make the command fail

    def __post_init__(self) -> None:
        self.splits.update({q["id"]: split_of(q) for q in self.questions})

    def bar(self, items: list, desc: str):
        from tqdm import tqdm

        return tqdm(items, desc=desc, file=sys.stderr, disable=not self.progress, leave=False)

    def task_of(self, pid: str) -> str | None:
        chunk = self.retriever.chunk_of(pid)
        return chunk.unit_id if chunk and chunk.task else None


class SkipGroup(Exception):
    """A metric group cannot run here (its module or data is missing); the message becomes a report note."""


METRIC_GROUPS: dict[str, Callable[[Run], None]] = {}


def metric_group(name: str):
    def add(fn: Callable[[Run], None]) -> Callable[[Run], None]:
        METRIC_GROUPS[name] = fn
        return fn

    return add


@metric_group("retrieval")
def retrieval_metrics(run: Run) -> None:
    """Task- and paragraph-level ranking metrics per retrieval mode (no LLM)."""
    for mode in run.modes:
        latencies = []
        for q in run.bar(run.questions, f"retrieval {mode}"):
            gold = run.gold[q["id"]]
            t0 = time.perf_counter()
            hits = run.retriever.search(q["question"], RETRIEVAL_K, mode=mode)
            latencies.append(time.perf_counter() - t0)
            units = ranked_units(hits)
            paragraphs = ranked_paragraphs(hits, run.retriever, q["question"])
            row = run.values[q["id"]]
            for level, ranked, groups in (("task", units, gold.tasks), ("paragraph", paragraphs, gold.paragraphs)):
                if groups:
                    for name, v in ranking_metrics(ranked, groups).items():
                        row[f"retrieval.{mode}.{level}.{name}"] = v
            run.details[q["id"]][f"retrieval.{mode}"] = {"units": units, "paragraphs": paragraphs[:RETRIEVAL_K]}
        run.figures[f"retrieval.{mode}.latency_p50_ms"] = 1000 * percentile(latencies, 50)
        run.figures[f"retrieval.{mode}.latency_p95_ms"] = 1000 * percentile(latencies, 95)


@metric_group("answers")
def answer_metrics(run: Run) -> None:
    """Key facts, citations, refusals and latency per answer backend."""
    if not run.backends:
        raise SkipGroup("no answer backend requested")
    corpus = run.retriever.corpus
    for backend in run.backends:
        subset = run.questions if backend in NO_MODEL_BACKENDS else model_subset(run.questions, run.llm_subset)
        if len(subset) < len(run.questions):
            run.notes.append(
                f"`{backend}` answered {len(subset)} of {len(run.questions)} questions "
                f"(a stratified subset of {run.llm_subset} per split: `--subset`, or settings.eval_llm_subset with `--check`)."
            )
        try:
            get_backend(backend, run.settings).warm()  # model loading stays out of the latencies
        except RagError as err:  # measuring the fallback under this backend's name would hide the failure
            run.problems.append(f"backend `{backend}` unavailable, not measured: {err}")
            continue
        latencies, fallbacks = [], 0
        for q in run.bar(subset, f"answers {backend}"):
            t0 = time.perf_counter()
            try:
                a = answer(q["question"], run.retriever, backend=backend, settings=run.settings)
            except RagError as err:  # the app would show this error instead of an answer: count it as a refusal
                a = Answer(question=q["question"], text="", refused=True, backend=backend, notice=f"error: {err}")
            latencies.append(time.perf_counter() - t0)
            fallbacks += a.backend not in (backend, "none")
            run.values[q["id"]].update(
                {
                    f"answer.{backend}.{k}": v
                    for k, v in score_answer(a, q, run.gold[q["id"]], corpus, run.task_of).items()
                }
            )
            run.details[q["id"]][f"answer.{backend}"] = a.to_json() | {"wall_s": round(latencies[-1], 2)}
        if latencies:
            run.figures[f"answer.{backend}.latency_p50_s"] = percentile(latencies, 50)
            run.figures[f"answer.{backend}.latency_p95_s"] = percentile(latencies, 95)
            run.figures[f"answer.{backend}.mean_s"] = sum(latencies) / len(latencies)
            run.figures[f"answer.{backend}.questions"] = len(latencies)
        if fallbacks:
            run.notes.append(
                f"`{backend}`: {fallbacks} answers came from the fallback backend (the model failed or its "
                "draft could not be verified; each answer's notice in eval.json says which)."
            )


@metric_group("governance")
def governance_metrics(run: Run) -> None:
    """Governing-provision accuracy (questions with a governing paragraph) and measure-status accuracy."""
    result = governing_accuracy(run.questions, run.retriever, run.settings)
    for row in result["questions"]:
        run.values[row["id"]]["governance.governing_accuracy"] = float(row["correct"])
        run.details[row["id"]]["governance"] = {"gold": row["gold"], "got": row["got"]}
    labels = status_accuracy(STATUS_LABELS_FILE, run.retriever.corpus)
    wrong = {e["paragraph_id"] for e in labels["errors"]}
    for item in read_labels(STATUS_LABELS_FILE):  # one pseudo-question per label, so --check names them
        run.values[f"status:{item['paragraph_id']}"]["governance.status_accuracy"] = float(
            item["paragraph_id"] not in wrong
        )
    run.figures["governance.status_labels"] = labels["n"]
    run.figures["governance.governing_questions"] = result["n"]


# --- aggregation ---------------------------------------------------------------------
def aggregate(values: dict[str, dict[str, float]], qids: Iterable[str] | None = None) -> dict[str, float]:
    """Mean of each metric over the questions (of `qids`, if given) that have it."""
    sums: dict[str, list[float]] = defaultdict(list)
    for qid in values if qids is None else qids:
        for k, v in values.get(qid, {}).items():
            sums[k].append(v)
    return {k: sum(v) / len(v) for k, v in sorted(sums.items())}


def split_ids(run: Run) -> dict[str, list[str]]:
    """Item ids per split, over every file the run read (status labels belong to no split)."""
    out: dict[str, list[str]] = {s: [] for s in SPLITS}
    for qid, split in run.splits.items():
        out[split].append(qid)
    return {s: ids for s, ids in out.items() if ids}


def check_groups(run: Run) -> dict[str, list[str]]:
    """What the gate checks apart: each split, and the items of no split (the status labels)."""
    groups = split_ids(run)
    rest = [qid for qid in run.values if qid not in run.splits]
    return groups | ({"labels": rest} if rest else {})


def breakdowns(run: Run) -> dict[str, dict[str, dict[str, float]]]:
    by_type: dict[str, list[str]] = defaultdict(list)
    by_doc: dict[str, list[str]] = defaultdict(list)
    for q in run.questions:
        by_type[q["type"]].append(q["id"])
        for d in run.gold[q["id"]].docs:
            by_doc[d].append(q["id"])
    return {
        "type": {t: aggregate(run.values, ids) for t, ids in by_type.items()},
        "doc": {d: aggregate(run.values, ids) for d, ids in sorted(by_doc.items())},
        "split": {s: aggregate(run.values, ids) for s, ids in split_ids(run).items()},
    }
