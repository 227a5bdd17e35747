"""`rag eval`: retrieval, answer and governance metrics over eval/questions.jsonl, and the CI gate.

Every gated metric is the mean of a per-question value. The baseline keeps
those per-question values, so `--check` re-averages the baseline over exactly
the questions that ran now (a `--limit` or `--type` run compares like with
like) and names the questions whose outcome changed.

Metric keys read `<group>.<mode or backend>.<level>.<name>`, e.g.
`retrieval.hybrid.task.recall@5` or `answer.local.key_fact_recall`.

CI runs `rag eval --check`: the default retrieval mode, `extractive` on every
question, the default LLM backend on settings.eval_llm_subset questions
(stratified by type; measured 7-26 s per question on 2 busy cores), and the
governance group. Thresholds live in settings (eval_min_*, eval_max_*); a
metric group that crashes or a backend that cannot load fails the run rather
than being left out silently.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rag.cli import command, log
from rag.documents import Corpus, split_sentences
from rag.errors import EvalDataError, RagError
from rag.settings import ROOT, Settings, get_settings
from rag.types import Answer, Chunk, Hit, task_id

QUESTIONS_FILE = ROOT / "eval" / "questions.jsonl"
STATUS_LABELS_FILE = ROOT / "eval" / "status_labels.jsonl"
BASELINE_FILE = ROOT / "eval" / "baseline.json"
COMMITTED_REPORT = ROOT / "eval" / "report.md"
MODES = ("dense", "bm25", "hybrid")  # rag.retrieve.MODES, named here so the CLI starts without numpy
TYPES = ("eligibility", "governs", "responsible", "lookup", "cross-doc", "out-of-scope")
RETRIEVAL_K = 10
NO_MODEL_BACKENDS = {"extractive"}  # answer every question; the others answer settings.eval_llm_subset
LOWER_IS_BETTER = ("false_refusal",)
ROUNDING = 5e-4  # the baseline stores values to 4 decimals


# --- text normalisation (key facts) ----------------------------------------------
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SINGLE_QUOTES = re.compile(r"[\u2018\u2019\u201a\u201b\u2032`]")
_DOUBLE_QUOTES = re.compile(r"[\u201c\u201d\u201e\u201f\u2033]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalize(text: str) -> str:
    """Lowercase; one kind of dash and quote; '%' and 'per cent' read 'percent'; 20,000 reads 20000."""
    text = _DASHES.sub("-", text.lower())
    text = _DOUBLE_QUOTES.sub('"', _SINGLE_QUOTES.sub("'", text))
    text = _THOUSANDS.sub("", text)
    text = re.sub(r"\s*%", " percent", text).replace("per cent", "percent")
    return " ".join(text.split())


def key_fact_recall(answer: str, key_facts: list[list[str]]) -> float:
    """Share of key facts of which some alias occurs in the answer (normalised substring match)."""
    text = normalize(answer)
    return sum(any(normalize(a) in text for a in aliases) for aliases in key_facts) / len(key_facts)


# --- ranking metrics ---------------------------------------------------------------
def ranking_metrics(ranked: list[str], gold: list[set[str]], k: int = RETRIEVAL_K) -> dict[str, float]:
    """Recall@1/5/10, MRR@k and nDCG@k of a ranked id list against any-of gold groups.

    A group is found at the first rank holding any of its ids; one ranked item
    credits at most one group in nDCG, so nDCG stays within [0, 1].
    """
    first: list[int | None] = []
    for group in gold:
        first.append(next((r for r, item in enumerate(ranked, 1) if item in group), None))
    out = {f"recall@{n}": sum(1 for f in first if f and f <= n) / len(gold) for n in (1, 5, 10)}
    found = [f for f in first if f and f <= k]
    out["mrr"] = 1.0 / min(found) if found else 0.0
    credited: set[int] = set()
    dcg = 0.0
    for r, item in enumerate(ranked[:k], 1):
        g = next((i for i, group in enumerate(gold) if i not in credited and item in group), None)
        if g is not None:
            credited.add(g)
            dcg += 1.0 / math.log2(r + 1)
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), k) + 1))
    out["ndcg@10"] = dcg / ideal
    return out


def unit_id(chunk: Chunk) -> str:
    """The task a chunk belongs to, in the official document (section chunks are their own unit)."""
    return task_id(chunk.canonical_doc_id, chunk.task) if chunk.task else chunk.id


def ranked_units(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(unit_id(h.chunk) for h in hits))


def ranked_paragraphs(hits: list[Hit], retriever, question: str) -> list[str]:
    """Paragraphs in hit order; within a hit (and its folded aliases) by dense similarity to the question."""
    per_hit = [[pid for cid in (h.chunk.id, *h.alias_chunk_ids) for pid in retriever.chunk(cid).paragraph_ids]
               for h in hits]
    scores = retriever.paragraph_scores(question, [pid for pids in per_hit for pid in pids])
    ordered = [sorted(pids, key=lambda p: -scores.get(p, -1.0)) for pids in per_hit]
    return list(dict.fromkeys(pid for pids in ordered for pid in pids))


# --- citations -----------------------------------------------------------------------
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def markers(text: str) -> list[tuple[int, int]]:
    """(position, number) of every citation marker; '[1, 3]' gives two."""
    return [(m.start(), int(n)) for m in _MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))]


def valid_markers(answer: Answer, corpus: Corpus) -> set[int]:
    return {c.marker for c in answer.citations if corpus.has_paragraph(c.paragraph_id)}


def citation_validity(answer: Answer, corpus: Corpus) -> float:
    """1.0 when every marker in the text maps to a returned citation of an existing paragraph."""
    valid = valid_markers(answer, corpus)
    return float(all(n in valid for _, n in markers(answer.text)))


def sentence_coverage(answer: Answer, corpus: Corpus) -> float | None:
    """Share of answer sentences carrying a valid marker (a marker after the full stop belongs to its sentence)."""
    found = markers(answer.text)
    blanked = _MARKER.sub(lambda m: " " * len(m.group(0)), answer.text)
    spans = [s for s in split_sentences(blanked) if blanked[s[0]:s[1]].strip()]
    if not spans:
        return None
    valid = valid_markers(answer, corpus)
    cited = set()
    for pos, n in found:
        if n in valid:
            i = max((i for i, (start, _) in enumerate(spans) if start <= pos), default=0)
            cited.add(i)
    return len(cited) / len(spans)


def paragraph_matches(pid: str, group: Iterable[str], task_of: Callable[[str], str | None]) -> bool:
    """`pid` is in the group, or is another translation's paragraph of a task the group names."""
    if pid in group:
        return True
    unit = task_of(pid)
    return unit is not None and any(task_of(g) == unit for g in group)


def citation_scores(cited: list[str], gold: list[set[str]], task_of) -> dict[str, float]:
    """Precision: share of cited paragraphs in some gold group; recall: share of groups some citation hits."""
    out = {"citation_recall": sum(any(paragraph_matches(p, g, task_of) for p in cited) for g in gold) / len(gold)}
    if cited:
        out["citation_precision"] = sum(any(paragraph_matches(p, g, task_of) for g in gold) for p in cited) / len(cited)
    return out


# --- questions and gold --------------------------------------------------------------
REQUIRED = ("id", "type", "question", "gold_tasks", "key_facts", "refuse")


def load_questions(path: Path) -> list[dict]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise EvalDataError(f"Cannot read {path}: {err.strerror}. Run `rag eval` from the project checkout.") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalDataError(f"{path}:{n}: not JSON ({err.msg}).") from None
        missing = [f for f in REQUIRED if f not in q]
        if missing or q["type"] not in TYPES:
            raise EvalDataError(f"{path}:{n}: needs fields {', '.join(REQUIRED)} and a type in {', '.join(TYPES)} "
                                f"(missing: {', '.join(missing) or 'none'}, type: {q.get('type')!r}).")
        out.append(q)
    return out


@dataclass
class Gold:
    tasks: list[set[str]]  # one-member groups: task-level gold
    paragraphs: list[set[str]]  # any-of groups of paragraph ids
    docs: list[str]  # canonical documents the question is about ("none" when out of scope)


def gold_of(q: dict, corpus: Corpus) -> Gold:
    """Gold groups of a question, from the paragraph ids `python -m eval.gold` writes next to the quotes."""
    if q.get("gold_quotes") and "gold_paragraphs" not in q:
        raise EvalDataError(f"Question {q['id']} has gold quotes but no gold_paragraphs. Run: python -m eval.gold")
    groups = [set(g) for g in q.get("gold_paragraphs", []) if g]
    canonical = {d: doc.info.canonical_id for d, doc in corpus.documents.items()}
    docs = {t.rsplit(".", 1)[0] for t in q["gold_tasks"]} | {p.rsplit(".p", 1)[0] for g in groups for p in g}
    docs = sorted({canonical.get(d, d) for d in docs}) or ["none"]
    return Gold([{t} for t in q["gold_tasks"]], groups, docs)


def llm_subset(questions: list[dict], n: int) -> list[dict]:
    """n questions stratified by type: round-robin over the types, each type in file order; 0 means all."""
    if n <= 0 or n >= len(questions):
        return questions
    by_type: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_type[q["type"]].append(q)
    queues = [by_type[t] for t in TYPES if by_type[t]]
    picked: list[dict] = []
    depth = 0
    while len(picked) < n:
        picked += [queue[depth] for queue in queues if depth < len(queue)][: n - len(picked)]
        depth += 1
    chosen = {q["id"] for q in picked}
    return [q for q in questions if q["id"] in chosen]


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
    values: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))  # qid -> key -> value
    details: dict[str, dict] = field(default_factory=lambda: defaultdict(dict))
    figures: dict[str, float] = field(default_factory=dict)  # reported, not gated (latency, counts)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # reported, and make the command fail

    def bar(self, items: list, desc: str):
        from tqdm import tqdm

        return tqdm(items, desc=desc, file=sys.stderr, disable=not self.progress, leave=False)

    def task_of(self, pid: str) -> str | None:
        chunk = self.retriever.chunk_of(pid)
        return unit_id(chunk) if chunk and chunk.task else None


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
    from rag.answer import answer
    from rag.llms import get_backend

    corpus = run.retriever.corpus
    for backend in run.backends:
        subset = run.questions if backend in NO_MODEL_BACKENDS else llm_subset(run.questions, run.settings.eval_llm_subset)
        if len(subset) < len(run.questions):
            run.notes.append(f"`{backend}` answered {len(subset)} of {len(run.questions)} questions "
                             f"(settings.eval_llm_subset={run.settings.eval_llm_subset}, stratified by type).")
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
                {f"answer.{backend}.{k}": v for k, v in score_answer(a, q, run.gold[q["id"]], corpus, run.task_of).items()})
            run.details[q["id"]][f"answer.{backend}"] = a.to_json() | {"wall_s": round(latencies[-1], 2)}
        if latencies:
            run.figures[f"answer.{backend}.latency_p50_s"] = percentile(latencies, 50)
            run.figures[f"answer.{backend}.latency_p95_s"] = percentile(latencies, 95)
            run.figures[f"answer.{backend}.mean_s"] = sum(latencies) / len(latencies)
            run.figures[f"answer.{backend}.questions"] = len(latencies)
        if fallbacks:
            run.notes.append(f"`{backend}`: {fallbacks} answers came from the fallback backend (the model failed or its "
                             "draft could not be verified; each answer's notice in eval.json says which).")


def score_answer(a: Answer, q: dict, gold: Gold, corpus: Corpus, task_of) -> dict[str, float]:
    """Per-question answer values; a key is absent where the metric does not apply."""
    out: dict[str, float] = {"citation_validity": citation_validity(a, corpus)}
    if q["refuse"]:
        out["refusal_accuracy"] = float(a.refused)
        return out
    out["false_refusal"] = float(a.refused)
    if q["key_facts"]:
        out["key_fact_recall"] = 0.0 if a.refused else key_fact_recall(a.text, q["key_facts"])
    if not a.refused:
        coverage = sentence_coverage(a, corpus)
        if coverage is not None:
            out["sentence_coverage"] = coverage
    if gold.paragraphs:
        cited = list(dict.fromkeys(c.paragraph_id for c in a.citations)) if not a.refused else []
        out.update(citation_scores(cited, gold.paragraphs, task_of))
    return out


@metric_group("governance")
def governance_metrics(run: Run) -> None:
    """Governing-provision accuracy (questions with a governing paragraph) and measure-status accuracy."""
    import importlib

    try:
        governs = importlib.import_module("rag.governs")
        status = importlib.import_module("rag.status")
    except ModuleNotFoundError as err:
        if err.name not in ("rag.governs", "rag.status"):
            raise
        raise SkipGroup(f"{err.name} is not there yet: governing-document and status metrics skipped.") from None
    result = governs.governing_accuracy(run.questions, run.retriever, run.settings)
    for row in result["questions"]:
        run.values[row["id"]]["governance.governing_accuracy"] = float(row["correct"])
        run.details[row["id"]]["governance"] = {"gold": row["gold"], "got": row["got"]}
    labels = status.status_accuracy(STATUS_LABELS_FILE, run.retriever.corpus)
    wrong = {e["paragraph_id"] for e in labels["errors"]}
    for item in status.read_labels(STATUS_LABELS_FILE):  # one pseudo-question per label, so --check names them
        run.values[f"status:{item['paragraph_id']}"]["governance.status_accuracy"] = float(item["paragraph_id"] not in wrong)
    run.figures["governance.status_labels"] = labels["n"]
    run.figures["governance.governing_questions"] = result["n"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


# --- aggregation ---------------------------------------------------------------------
def aggregate(values: dict[str, dict[str, float]], qids: Iterable[str] | None = None) -> dict[str, float]:
    """Mean of each metric over the questions (of `qids`, if given) that have it."""
    sums: dict[str, list[float]] = defaultdict(list)
    for qid in values if qids is None else qids:
        for k, v in values.get(qid, {}).items():
            sums[k].append(v)
    return {k: sum(v) / len(v) for k, v in sorted(sums.items())}


def breakdowns(run: Run) -> dict[str, dict[str, dict[str, float]]]:
    by_type: dict[str, list[str]] = defaultdict(list)
    by_doc: dict[str, list[str]] = defaultdict(list)
    for q in run.questions:
        by_type[q["type"]].append(q["id"])
        for d in run.gold[q["id"]].docs:
            by_doc[d].append(q["id"])
    return {"type": {t: aggregate(run.values, ids) for t, ids in by_type.items()},
            "doc": {d: aggregate(run.values, ids) for d, ids in sorted(by_doc.items())}}


# --- the CI gate -----------------------------------------------------------------------
# settings field -> (metric name, applies to: "mode" = default retrieval mode, "all" backends, "llm" = default backend)
THRESHOLDS = {
    "eval_min_task_recall_at_5": ("task.recall@5", "mode"),
    "eval_min_citation_validity": ("citation_validity", "all"),
    "eval_min_citation_precision": ("citation_precision", "llm"),
    "eval_min_key_fact_recall": ("key_fact_recall", "llm"),
    "eval_min_refusal_accuracy": ("refusal_accuracy", "llm"),  # extractive cannot judge answerability
    "eval_max_false_refusal": ("false_refusal", "llm"),
}


def thresholds(settings: Settings, modes: list[str], backends: list[str]) -> dict[str, float]:
    """Metric key -> limit (a minimum, or a maximum for lower-is-better metrics) for what this run measured."""
    out = {}
    for field_name, (metric, scope) in THRESHOLDS.items():
        limit = getattr(settings, field_name)
        if scope == "mode":
            if settings.retrieval_mode in modes:
                out[f"retrieval.{settings.retrieval_mode}.{metric}"] = limit
        else:
            for b in backends if scope == "all" else [b for b in backends if b == settings.backend]:
                out[f"answer.{b}.{metric}"] = limit
    return out


@dataclass
class Failure:
    metric: str
    why: str
    worse: list[str] = field(default_factory=list)  # question ids whose value fell vs the baseline
    better: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"FAIL {self.metric}: {self.why}"
        if self.worse:
            text += f"\n  worse than baseline: {', '.join(self.worse)}"
        if self.better:
            text += f"\n  better than baseline: {', '.join(self.better)}"
        return text


def lower_is_better(metric: str) -> bool:
    return metric.endswith(LOWER_IS_BETTER)


def check(values: dict[str, dict[str, float]], baseline: dict | None, limits: dict[str, float],
          max_drop: float) -> list[Failure]:
    """Threshold breaches and drops of more than `max_drop` vs the baseline, over the questions both measured."""
    current = aggregate(values)
    base_q = (baseline or {}).get("questions", {})
    drops, changed = [], {}
    for metric in current:
        sign = -1 if lower_is_better(metric) else 1
        common = [q for q in values if metric in values[q] and metric in base_q.get(q, {})]
        delta = {q: sign * (values[q][metric] - base_q[q][metric]) for q in common}
        changed[metric] = ([q for q in common if delta[q] < -ROUNDING], [q for q in common if delta[q] > ROUNDING])
        drop = -sum(delta.values()) / len(common) if common else 0.0
        if drop > max_drop + ROUNDING:
            before = sum(base_q[q][metric] for q in common) / len(common)
            now = sum(values[q][metric] for q in common) / len(common)
            drops.append(Failure(metric, f"{now:.3f} vs baseline {before:.3f} over {len(common)} questions "
                                            f"(allowed drop {max_drop:.3f})", *changed[metric]))
    breaches = []
    for metric, limit in limits.items():
        value = current.get(metric)
        if value is not None and ((value > limit) if lower_is_better(metric) else (value < limit)):
            word = "above the maximum" if lower_is_better(metric) else "under the threshold"
            breaches.append(Failure(metric, f"{value:.3f} is {word} {limit:.3f}", *changed[metric]))
    return breaches + drops


def baseline_json(run: Run, metrics: dict[str, float]) -> str:
    """Compact baseline: aggregate metrics, then one line of rounded values per question."""
    head = {"written": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "retrieval_mode": run.settings.retrieval_mode, "backends": run.backends,
            "eval_llm_subset": run.settings.eval_llm_subset,
            "metrics": {k: round(v, 4) for k, v in metrics.items()}}
    lines = [f"  {json.dumps(qid)}: {json.dumps({k: round(v, 4) for k, v in sorted(vals.items())})}"
             for qid, vals in sorted(run.values.items())]
    return json.dumps(head, indent=1)[:-2] + ',\n "questions": {\n' + ",\n".join(lines) + "\n }\n}\n"


# --- report ---------------------------------------------------------------------------
RETRIEVAL_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWER_COLUMNS = ("key_fact_recall", "citation_validity", "citation_precision", "citation_recall",
                  "sentence_coverage", "refusal_accuracy", "false_refusal")


def _fmt(v: float | None) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def report_markdown(run: Run, metrics: dict, parts: dict, failures: list[Failure] | None) -> str:
    counts = defaultdict(int)
    for q in run.questions:
        counts[q["type"]] += 1
    out = [f"# Evaluation report\n\n{len(run.questions)} questions ("
           + ", ".join(f"{t} {counts[t]}" for t in TYPES if counts[t])
           + f"); written {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `rag eval`. "
           "Task level: hits mapped to their task in the official document, against `gold_tasks` "
           "(questions with gold tasks only). Paragraph level: paragraphs in hit order, within a hit by dense "
           "similarity, against the gold any-of groups."]
    out.append("\n## Retrieval by mode\n")
    rows = []
    for mode in run.modes:
        for level in ("task", "paragraph"):
            rows.append([mode, level] + [_fmt(metrics.get(f"retrieval.{mode}.{level}.{c}")) for c in RETRIEVAL_COLUMNS]
                        + [_fmt(run.figures.get(f"retrieval.{mode}.latency_p50_ms"))])
    out.append(_table(["mode", "level", *RETRIEVAL_COLUMNS, "p50 ms"], rows))
    mode = run.settings.retrieval_mode if run.settings.retrieval_mode in run.modes else run.modes[0]
    for part, title in (("type", "question type"), ("doc", "document")):
        out.append(f"\n## Retrieval ({mode}) by {title}\n")
        rows = [[name, str(sum(1 for q in run.questions if (q["type"] == name if part == "type"
                                                            else name in run.gold[q["id"]].docs)))]
                + [_fmt(m.get(f"retrieval.{mode}.{lv}.{c}")) for lv in ("task", "paragraph") for c in ("recall@1", "recall@5", "mrr")]
                for name, m in parts[part].items()]
        out.append(_table([part, "n", "task R@1", "task R@5", "task MRR", "para R@1", "para R@5", "para MRR"], rows))
    if run.backends:
        out.append("\n## Answers by backend\n")
        rows = [[b, str(run.figures.get(f"answer.{b}.questions", 0))]
                + [_fmt(metrics.get(f"answer.{b}.{c}")) for c in ANSWER_COLUMNS]
                + [_fmt(run.figures.get(f"answer.{b}.latency_p50_s")), _fmt(run.figures.get(f"answer.{b}.latency_p95_s"))]
                for b in run.backends]
        out.append(_table(["backend", "n", *ANSWER_COLUMNS, "p50 s", "p95 s"], rows))
        for b in run.backends:
            out.append(f"\n### `{b}` by question type\n")
            rows = [[t] + [_fmt(m.get(f"answer.{b}.{c}")) for c in ANSWER_COLUMNS] for t, m in parts["type"].items()]
            out.append(_table(["type", *ANSWER_COLUMNS], rows))
    extra = sorted(k for k in metrics if k.startswith("governance."))
    if extra:
        out.append("\n## Governance\n")
        out.append(_table(["metric", "value"], [[k, _fmt(metrics[k])] for k in extra]))
    if failures is not None:
        out.append("\n## Check\n")
        out.append("\n".join(f"- {str(f).splitlines()[0]}" for f in failures) or "All thresholds met; no drop beyond "
                   f"{run.settings.eval_max_drop} vs the baseline.")
    if run.problems or run.notes:
        out.append("\n## Notes\n")
        out.append("\n".join([f"- **PROBLEM** {p}" for p in run.problems] + [f"- {n}" for n in run.notes]))
    return "\n".join(out) + "\n"


def bar_chart(parts: dict, run: Run, path: Path) -> None:
    """Main metrics per question type, one group of bars per type (no bar where a metric does not apply)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mode = run.settings.retrieval_mode if run.settings.retrieval_mode in run.modes else run.modes[0]
    series = {f"task R@5 ({mode})": f"retrieval.{mode}.task.recall@5",
              f"paragraph R@5 ({mode})": f"retrieval.{mode}.paragraph.recall@5"}
    for b in run.backends:
        series[f"key facts ({b})"] = f"answer.{b}.key_fact_recall"
        series[f"citation precision ({b})"] = f"answer.{b}.citation_precision"
        series[f"refusal accuracy ({b})"] = f"answer.{b}.refusal_accuracy"
    types = [t for t in TYPES if t in parts["type"]]
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(types)), 4.5))
    width = 0.8 / len(series)
    for i, (label, key) in enumerate(series.items()):
        ax.bar([x + i * width for x in range(len(types))], [parts["type"][t].get(key, math.nan) for t in types],
               width, label=label)
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(types))], types)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("rag eval: main metrics per question type")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# --- command --------------------------------------------------------------------------
def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--questions", type=Path, default=QUESTIONS_FILE, help="questions JSONL (default: eval/questions.jsonl)")
    p.add_argument("--backend", action="append", help="answer backend, repeatable (default: extractive and "
                   "settings.backend); 'none' for retrieval only")
    p.add_argument("--mode", choices=list(MODES), help="retrieval mode (default: settings.retrieval_mode)")
    p.add_argument("--compare-modes", action="store_true", help="retrieval metrics for dense, bm25 and hybrid")
    p.add_argument("--limit", type=int, help="first N questions (after --type)")
    p.add_argument("--type", choices=TYPES, help="only questions of this type")
    p.add_argument("--check", action="store_true", help="fail on a threshold breach or a drop vs eval/baseline.json")
    p.add_argument("--write-baseline", action="store_true", help="write eval/baseline.json from this run")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


@command("eval", _eval_args)
def cmd_eval(args: argparse.Namespace) -> int:
    """Measure retrieval, answers and governance on the eval questions; --check gates CI."""
    settings = get_settings()
    questions = load_questions(args.questions)
    if args.type:
        questions = [q for q in questions if q["type"] == args.type]
    questions = questions[: args.limit] if args.limit else questions
    if not questions:
        raise EvalDataError("No questions left after --type/--limit.")
    backends = args.backend or ["extractive", settings.backend]
    backends = list(dict.fromkeys(b for b in backends if b != "none"))
    modes = list(MODES) if args.compare_modes else [args.mode or settings.retrieval_mode]
    from rag.cli import load_retriever

    retriever = load_retriever()
    gold = {q["id"]: gold_of(q, retriever.corpus) for q in questions}
    run = Run(settings, retriever, questions, gold, modes, backends, progress=not args.no_progress)
    started = time.perf_counter()
    for name, group in METRIC_GROUPS.items():
        try:
            group(run)
        except SkipGroup as why:
            run.notes.append(f"{name}: {why}")
        except Exception as err:  # noqa: BLE001 — one broken group must not discard a long run; it still fails below
            run.problems.append(f"metric group {name} crashed: {type(err).__name__}: {err}")
            log(traceback.format_exc())
    run.figures["eval_wall_s"] = time.perf_counter() - started

    metrics = aggregate(run.values)
    parts = breakdowns(run)
    failures = None
    if args.check:
        baseline = json.loads(BASELINE_FILE.read_text(encoding="utf-8")) if BASELINE_FILE.exists() else None
        if baseline is None:
            run.notes.append(f"No {BASELINE_FILE.name}: only thresholds checked (write one with --write-baseline).")
        failures = check(run.values, baseline, thresholds(settings, modes, backends), settings.eval_max_drop)
    report = report_markdown(run, metrics, parts, failures)
    out_dir = Path(settings.eval_results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.md").write_text(report, encoding="utf-8")
    full = not (args.type or args.limit) and args.questions == QUESTIONS_FILE
    if full:  # the committed copy always describes a run over every question
        COMMITTED_REPORT.write_text(report, encoding="utf-8")
    (out_dir / "eval.json").write_text(json.dumps(
        {"metrics": metrics, "figures": run.figures, "by_type": parts["type"], "by_doc": parts["doc"],
         "notes": run.notes, "questions": {q["id"]: {"question": q["question"], "type": q["type"],
                                                      "gold": {"tasks": q["gold_tasks"],
                                                               "paragraphs": [sorted(g) for g in gold[q["id"]].paragraphs]},
                                                      "values": run.values.get(q["id"], {}),
                                                      **run.details.get(q["id"], {})} for q in questions}},
        ensure_ascii=False, indent=1), encoding="utf-8")
    bar_chart(parts, run, out_dir / "by_type.png")
    print(report)
    log(f"eval: {len(questions)} questions in {run.figures['eval_wall_s']:.0f} s; report in {out_dir}/report.md, "
        f"eval.json, by_type.png" + ("; copied to eval/report.md" if full else ""))
    if args.write_baseline:
        BASELINE_FILE.write_text(baseline_json(run, metrics), encoding="utf-8")
        log(f"eval: wrote {BASELINE_FILE}")
    for line in [str(f) for f in failures or []] + [f"PROBLEM {p}" for p in run.problems]:
        log(line)
    return 1 if failures or run.problems else 0
