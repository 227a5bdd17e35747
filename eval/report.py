"""The eval report: Markdown tables and a bar chart per question type."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from eval.data import TYPES
from eval.gate import Failure
from eval.runner import Run

# --- report ---------------------------------------------------------------------------
RETRIEVAL_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWER_COLUMNS = (
    "key_fact_recall",
    "citation_validity",
    "citation_precision",
    "citation_recall",
    "sentence_coverage",
    "refusal_accuracy",
    "false_refusal",
)


def _fmt(v: float | None) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


def report_markdown(run: Run, metrics: dict, parts: dict, failures: list[Failure] | None) -> str:
    counts: dict[str, int] = defaultdict(int)
    for q in run.questions:
        counts[q["type"]] += 1
    out = [
        f"# Evaluation report\n\n{len(run.questions)} questions ("
        + ", ".join(f"{t} {counts[t]}" for t in TYPES if counts[t])
        + f"); written {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `rag eval`. "
        "Task level: hits mapped to their task in the official document, against `gold_tasks` "
        "(questions with gold tasks only). Paragraph level: paragraphs in hit order, within a hit by dense "
        "similarity, against the gold any-of groups."
    ]
    out.append("\n## Retrieval by mode\n")
    rows = []
    for mode in run.modes:
        for level in ("task", "paragraph"):
            rows.append(
                [mode, level]
                + [_fmt(metrics.get(f"retrieval.{mode}.{level}.{c}")) for c in RETRIEVAL_COLUMNS]
                + [_fmt(run.figures.get(f"retrieval.{mode}.latency_p50_ms"))]
            )
    out.append(_table(["mode", "level", *RETRIEVAL_COLUMNS, "p50 ms"], rows))
    mode = run.settings.retrieval_mode if run.settings.retrieval_mode in run.modes else run.modes[0]
    for part, title in (("type", "question type"), ("doc", "document")):
        out.append(f"\n## Retrieval ({mode}) by {title}\n")
        rows = [
            [
                name,
                str(
                    sum(
                        1
                        for q in run.questions
                        if (q["type"] == name if part == "type" else name in run.gold[q["id"]].docs)
                    )
                ),
            ]
            + [
                _fmt(m.get(f"retrieval.{mode}.{lv}.{c}"))
                for lv in ("task", "paragraph")
                for c in ("recall@1", "recall@5", "mrr")
            ]
            for name, m in parts[part].items()
        ]
        out.append(_table([part, "n", "task R@1", "task R@5", "task MRR", "para R@1", "para R@5", "para MRR"], rows))
    if run.backends:
        out.append("\n## Answers by backend\n")
        rows = [
            [b, str(run.figures.get(f"answer.{b}.questions", 0))]
            + [_fmt(metrics.get(f"answer.{b}.{c}")) for c in ANSWER_COLUMNS]
            + [_fmt(run.figures.get(f"answer.{b}.latency_p50_s")), _fmt(run.figures.get(f"answer.{b}.latency_p95_s"))]
            for b in run.backends
        ]
        out.append(_table(["backend", "n", *ANSWER_COLUMNS, "p50 s", "p95 s"], rows))
        for b in run.backends:
            out.append(f"\n### `{b}` by question type\n")
            rows = [[t] + [_fmt(m.get(f"answer.{b}.{c}")) for c in ANSWER_COLUMNS] for t, m in parts["type"].items()]
            out.append(_table(["type", *ANSWER_COLUMNS], rows))
    if len(parts.get("split", {})) > 1:
        out.append(split_table(parts["split"]))
    extra = sorted(k for k in metrics if k.startswith("governance."))
    if extra:
        out.append("\n## Governance\n")
        out.append(_table(["metric", "value"], [[k, _fmt(metrics[k])] for k in extra]))
    if failures is not None:
        out.append("\n## Check\n")
        out.append(
            "\n".join(f"- {str(f).splitlines()[0]}" for f in failures)
            or f"All thresholds met; no drop beyond {run.settings.eval_max_drop} vs the baseline."
        )
    if run.problems or run.notes:
        out.append("\n## Notes\n")
        out.append("\n".join([f"- **PROBLEM** {p}" for p in run.problems] + [f"- {n}" for n in run.notes]))
    return "\n".join(out) + "\n"


SPLIT_METRICS = (
    "task.recall@5",
    "task.mrr",
    "citation_hit",
    "citation_precision",
    "key_fact_recall",
    "false_refusal",
    "refusal_accuracy",
    "answer_language",
    "verdict_accuracy",
    "wrong_verdicts",
    "contradictions",
    "meta_leads",
    "headline_status_accuracy",
)


def split_table(by_split: dict[str, dict[str, float]]) -> str:
    """The headline metrics of `dev` and `test` side by side, with their gap (test minus dev)."""
    dev, test = by_split.get("dev", {}), by_split.get("test", {})
    keys = sorted(k for k in set(dev) | set(test) if k.endswith(SPLIT_METRICS) and ".paragraph." not in k)
    rows = [
        [k, _fmt(dev.get(k)), _fmt(test.get(k)), _fmt(test[k] - dev[k]) if k in dev and k in test else "–"]
        for k in keys
    ]
    return "\n## Dev and test side by side\n\n" + _table(["metric", "dev", "test", "test − dev"], rows)


def bar_chart(parts: dict, run: Run, path: Path) -> None:
    """Main metrics per question type, one group of bars per type (no bar where a metric does not apply)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    mode = run.settings.retrieval_mode if run.settings.retrieval_mode in run.modes else run.modes[0]
    series = {
        f"task R@5 ({mode})": f"retrieval.{mode}.task.recall@5",
        f"paragraph R@5 ({mode})": f"retrieval.{mode}.paragraph.recall@5",
    }
    for b in run.backends:
        series[f"key facts ({b})"] = f"answer.{b}.key_fact_recall"
        series[f"citation precision ({b})"] = f"answer.{b}.citation_precision"
        series[f"refusal accuracy ({b})"] = f"answer.{b}.refusal_accuracy"
    types = [t for t in TYPES if t in parts["type"]]
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(types)), 4.5))
    width = 0.8 / len(series)
    for i, (label, key) in enumerate(series.items()):
        ax.bar(
            [x + i * width for x in range(len(types))],
            [parts["type"][t].get(key, math.nan) for t in types],
            width,
            label=label,
        )
    ax.set_xticks([x + 0.4 - width / 2 for x in range(len(types))], types)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title("rag eval: main metrics per question type")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
