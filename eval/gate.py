"""The CI gate: thresholds from settings, drops against the committed baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eval.runner import Run, aggregate
from rag.core.settings import Settings

LOWER_IS_BETTER = ("false_refusal", "contradictions", "meta_leads", "wrong_verdicts")
ROUNDING = 5e-4  # the baseline stores values to 4 decimals

# --- the CI gate -----------------------------------------------------------------------
# settings field -> (metric name, applies to: "mode" = default retrieval mode, "all" backends, "llm" = default backend,
# "key" = the metric key as written)
THRESHOLDS: dict[str, tuple[str, str] | list[tuple[str, str]]] = {
    "eval_min_task_recall_at_5": ("task.recall@5", "mode"),
    "eval_min_citation_validity": ("citation_validity", "all"),
    "eval_min_citation_precision": ("citation_precision", "llm"),
    "eval_min_key_fact_recall": ("key_fact_recall", "llm"),
    "eval_min_refusal_accuracy": ("refusal_accuracy", "llm"),  # extractive cannot judge answerability
    "eval_max_false_refusal": ("false_refusal", "llm"),
    "eval_max_contradictions": [
        ("contradictions", "all"),
        ("conversation.{backend}.contradictions", "all"),
        ("multilingual.{backend}.contradictions", "all"),
    ],
    "eval_max_wrong_verdicts": ("answer.extractive.wrong_verdicts", "key"),
    # follow-ups and Chinese questions (eval/conversation.py): full keys, "{backend}" = the default backend
    "eval_min_followup_task_recall_at_5": ("conversation.retrieval.task.recall@5", "key"),
    "eval_min_chinese_task_recall_at_5": ("multilingual.retrieval.task.recall@5", "key"),
    "eval_min_followup_citation_hit": ("conversation.{backend}.citation_hit", "llm"),
    "eval_min_followup_key_fact_recall": ("conversation.{backend}.key_fact_recall", "llm"),
    "eval_min_chinese_citation_hit": ("multilingual.{backend}.citation_hit", "llm"),
    "eval_min_chinese_answer_language": ("multilingual.{backend}.answer_language", "llm"),
    "eval_min_chinese_refusal_accuracy": ("multilingual.{backend}.refusal_accuracy", "llm"),
}


def thresholds(settings: Settings, modes: list[str], backends: list[str]) -> dict[str, float]:
    """Metric key -> limit (a minimum, or a maximum for lower-is-better metrics) for what this run measured."""
    out = {}
    for field_name, applies in THRESHOLDS.items():
        limit = getattr(settings, field_name)
        for metric, scope in applies if isinstance(applies, list) else [applies]:
            out.update(_limits(metric, scope, limit, settings, modes, backends))
    return out


def _limits(
    metric: str, scope: str, limit: float, settings: Settings, modes: list[str], backends: list[str]
) -> dict[str, float]:
    """The metric keys one threshold field sets, by scope (see THRESHOLDS)."""
    if scope == "key":
        return {metric: limit}
    if scope == "mode":
        return {f"retrieval.{settings.retrieval_mode}.{metric}": limit} if settings.retrieval_mode in modes else {}
    chosen = backends if scope == "all" else [b for b in backends if b == settings.backend]
    return {metric.format(backend=b) if "{" in metric else f"answer.{b}.{metric}": limit for b in chosen}


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


def check(
    values: dict[str, dict[str, float]],
    baseline: dict | None,
    limits: dict[str, float],
    max_drop: float,
    groups: dict[str, list[str]] | None = None,
) -> list[Failure]:
    """Threshold breaches and drops of more than `max_drop` vs the baseline, over the questions both measured.

    With `groups` (split name -> item ids) each group is checked apart: its own means against the thresholds, its
    own drop against the baseline, so a fall on `test` fails however well `dev` does. Failures name the group."""
    if groups is None:
        return _check_group(values, baseline, limits, max_drop)
    failures = []
    for name, ids in groups.items():
        for f in _check_group({q: values[q] for q in ids if q in values}, baseline, limits, max_drop):
            failures.append(Failure(f"[{name}] {f.metric}", f.why, f.worse, f.better))
    return failures


def _check_group(
    values: dict[str, dict[str, float]], baseline: dict | None, limits: dict[str, float], max_drop: float
) -> list[Failure]:
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
            drops.append(
                Failure(
                    metric,
                    f"{now:.3f} vs baseline {before:.3f} over {len(common)} questions (allowed drop {max_drop:.3f})",
                    *changed[metric],
                )
            )
    breaches = []
    for metric, limit in limits.items():
        value = current.get(metric)
        if value is not None and ((value > limit) if lower_is_better(metric) else (value < limit)):
            word = "above the maximum" if lower_is_better(metric) else "under the threshold"
            breaches.append(Failure(metric, f"{value:.3f} is {word} {limit:.3f}", *changed[metric]))
    return breaches + drops


def baseline_json(run: Run, metrics: dict[str, float]) -> str:
    """Compact baseline: aggregate metrics, then one line of rounded values per question."""
    head = {
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "retrieval_mode": run.settings.retrieval_mode,
        "backends": run.backends,
        "eval_llm_subset": run.llm_subset,
        "metrics": {k: round(v, 4) for k, v in metrics.items()},
    }
    lines = [
        f"  {json.dumps(qid)}: {json.dumps({k: round(v, 4) for k, v in sorted(vals.items())})}"
        for qid, vals in sorted(run.values.items())
    ]
    return json.dumps(head, indent=1)[:-2] + ',\n "questions": {\n' + ",\n".join(lines) + "\n }\n}\n"
