"""Per-question metrics: key facts, ranking, citations, refusals, the governing provision."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from eval.data import Gold
from rag.analysis.governs import governs
from rag.analysis.status import LABELS, status_of
from rag.answer.opening import META_RE
from rag.core.errors import BadQuestion, CorpusError
from rag.core.settings import Settings
from rag.core.text import MARKER_RE, markers, split_sentences
from rag.core.types import Answer, Hit
from rag.ingest.documents import Corpus

RETRIEVAL_K = 10

# --- text normalisation (key facts) ----------------------------------------------
_BRACKETS = str.maketrans("〔【［〕】］", "[[[]]]")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_SINGLE_QUOTES = re.compile(r"[\u2018\u2019\u201a\u201b\u2032`]")
_DOUBLE_QUOTES = re.compile(r"[\u201c\u201d\u201e\u201f\u2033]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")


def normalize(text: str) -> str:
    """Lowercase; one kind of dash, quote and square bracket ("GH〔2019〕" reads "gh[2019]"); '%' and 'per cent' read
    'percent'; 20,000 reads 20000."""
    text = _DASHES.sub("-", text.lower()).translate(_BRACKETS)
    text = _DOUBLE_QUOTES.sub('"', _SINGLE_QUOTES.sub("'", text))
    text = _THOUSANDS.sub("", text)
    text = re.sub(r"\s*%", " percent", text).replace("per cent", "percent")
    return " ".join(text.split())


def key_fact_recall(answer: str, key_facts: list[list[str]]) -> float:
    """Share of key facts of which some alias occurs in the answer (normalised substring match)."""
    text = normalize(answer)
    return sum(any(normalize(a) in text for a in aliases) for aliases in key_facts) / len(key_facts)


# --- the assistant's own words: contradictions and leads that say nothing ------------------
def own_words(a: Answer) -> str:
    """The answer less its verbatim quotes and markers: what the assistant says in its own words."""
    text = a.text
    for c in a.citations:
        quote = c.quote.strip().rstrip(".")
        if quote:
            text = text.replace(quote, " ")
    return " ".join(MARKER_RE.sub(" ", text).split())


def faithfulness(a: Answer, q: dict) -> dict[str, float]:
    """`contradictions`: 1.0 when the assistant's own words match a `must_not` pattern of the question (a verdict
    that says the opposite of its source); `meta_leads`: 1.0 when the lead describes the passage instead of
    answering (answers with a lead); `verdict_accuracy`: the answer's verdict against the gold `verdict` of a yes-or-no
    question; `wrong_verdicts`: 1.0 when a verdict is shown and it is not the gold one (a withheld verdict is not
    wrong, only not accurate: the first sentence an investor acts on is then the source's own words)."""
    out: dict[str, float] = {}
    own = own_words(a)
    if q.get("must_not"):
        out["contradictions"] = float(any(re.search(rx, own, re.IGNORECASE) for rx in q["must_not"]))
    if a.lead and not a.refused:
        out["meta_leads"] = float(bool(META_RE.search(a.lead)))
    if q.get("verdict"):
        got = "not_said" if a.refused else a.verdict
        out["verdict_accuracy"] = float(got == q["verdict"])
        out["wrong_verdicts"] = float(a.verdict is not None and a.verdict != q["verdict"])
    if q.get("status") and not a.refused:
        out["headline_status_accuracy"] = float(a.status == q["status"])
    return out


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


def ranked_units(hits: list[Hit]) -> list[str]:
    return list(dict.fromkeys(h.chunk.unit_id for h in hits))


def ranked_paragraphs(hits: list[Hit], retriever, question: str) -> list[str]:
    """Paragraphs in hit order; within a hit (and its folded aliases) by dense similarity to the question."""
    per_hit = [
        [pid for cid in (h.chunk.id, *h.alias_chunk_ids) for pid in retriever.chunk(cid).paragraph_ids] for h in hits
    ]
    scores = retriever.paragraph_scores(question, [pid for pids in per_hit for pid in pids])
    ordered = [sorted(pids, key=lambda p: -scores.get(p, -1.0)) for pids in per_hit]
    return list(dict.fromkeys(pid for pids in ordered for pid in pids))


# --- citations -----------------------------------------------------------------------
def valid_markers(answer: Answer, corpus: Corpus) -> set[int]:
    return {c.marker for c in answer.citations if corpus.has_paragraph(c.paragraph_id)}


def citation_validity(answer: Answer, corpus: Corpus) -> float:
    """1.0 when every marker in the text maps to a returned citation of an existing paragraph."""
    valid = valid_markers(answer, corpus)
    return float(all(n in valid for _, n in markers(answer.text)))


def sentence_coverage(answer: Answer, corpus: Corpus) -> float | None:
    """Share of answer sentences carrying a valid marker (a marker after the full stop belongs to its sentence)."""
    found = markers(answer.text)
    blanked = MARKER_RE.sub(lambda m: " " * len(m.group(0)), answer.text)
    spans = [s for s in split_sentences(blanked) if blanked[s[0] : s[1]].strip()]
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
    """Precision: share of cited paragraphs in some gold group; recall: share of groups some citation hits;
    hit: some citation is gold evidence."""
    hits = [any(paragraph_matches(p, g, task_of) for p in cited) for g in gold]
    out = {"citation_recall": sum(hits) / len(gold), "citation_hit": float(any(hits))}
    if cited:
        out["citation_precision"] = sum(any(paragraph_matches(p, g, task_of) for g in gold) for p in cited) / len(cited)
    return out


def score_answer(a: Answer, q: dict, gold: Gold, corpus: Corpus, task_of) -> dict[str, float]:
    """Per-question answer values; a key is absent where the metric does not apply."""
    out: dict[str, float] = {"citation_validity": citation_validity(a, corpus)} | faithfulness(a, q)
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
    return {
        "n": len(rows),
        "correct": correct,
        "accuracy": round(correct / len(rows), 4) if rows else 0.0,
        "questions": rows,
    }


# --- measure status ----------------------------------------------------------------
def read_labels(path: str | Path) -> list[dict]:
    """Lines of {"paragraph_id", "status"} (also accepts "id" and "label")."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        pid = item.get("paragraph_id") or item.get("id")
        label = item.get("status") or item.get("label")
        if not pid or label not in LABELS:
            raise CorpusError(f"{path}:{n}: expected paragraph_id and a status in {LABELS}, got {line[:80]!r}.")
        out.append({"paragraph_id": pid, "status": label})
    return out


def status_accuracy(labels_path: str | Path, corpus: Corpus) -> dict:
    """Accuracy of `status_of` against hand labels, with the confusion (gold -> predicted) and label counts."""
    labels = read_labels(labels_path)
    confusion: dict[str, Counter] = {g: Counter() for g in LABELS}
    errors = []
    for item in labels:
        predicted = status_of(corpus.paragraph(item["paragraph_id"]))
        confusion[item["status"]][predicted.label] += 1
        if predicted.label != item["status"]:
            errors.append(
                {
                    "paragraph_id": item["paragraph_id"],
                    "gold": item["status"],
                    "predicted": predicted.label,
                    "cue": predicted.cue,
                }
            )
    correct = sum(confusion[g][g] for g in LABELS)
    return {
        "n": len(labels),
        "accuracy": round(correct / len(labels), 4) if labels else 0.0,
        "confusion": {g: {p: confusion[g][p] for p in LABELS} for g in LABELS},
        "gold_counts": {g: sum(confusion[g].values()) for g in LABELS},
        "predicted_counts": {p: sum(confusion[g][p] for g in LABELS) for p in LABELS},
        "errors": errors,
    }
