"""Calibrate and measure the answerability decision (rag.answer.answerability) on a held-out split.

    PYTHONPATH=$PWD .venv/bin/python -m eval.answerability [--questions eval/questions.jsonl]

For each question: retrieve, select the evidence and compute the decision's features (no model runs).
The thresholds (settings.min_evidence_score, settings.answerable_figure_recall) are fitted on the
odd-numbered questions, by
the best balanced accuracy (mean of refusal recall and answer recall), and reported on the even-numbered ones, and the other way round; then the settings' current values are
reported on all questions. Refusal precision = refused out-of-scope / refused; recall = refused
out-of-scope / out-of-scope.

With `--model local` the model's judgement is measured too: for each question the code finds answerable,
the backend's probability that the quoted evidence answers it (rag.answer.backends `judge`); the threshold
settings.answerable_min_model_yes is fitted the same way (odd -> even, even -> odd) on the whole decision.
Then settings.answerable_sure_score, from which the model's verdict is not needed (Decision.sure): fitted on each
half as the lowest score above the evidence of every out-of-scope question the code lets through, and reported on
the other half (out-of-scope questions it would answer without the verdict, and the share of answerable questions
whose quotes go on screen at once).
"""

from __future__ import annotations

import argparse
import math

from eval.data import QUESTIONS_FILE, load_questions
from rag.answer.answerability import Decision, decide
from rag.answer.backends import get_backend
from rag.answer.evidence import gather_evidence
from rag.answer.guard import clean_question
from rag.answer.pipeline import model_input
from rag.answer.quotes import select_quotes
from rag.core.settings import Settings, get_settings

SCORE_GRID = [round(0.20 + 0.02 * i, 2) for i in range(11)]  # 0.20 .. 0.40
RECALL_GRID = [0.0, 0.2, 0.3, 0.4, 0.5]  # settings.answerable_figure_recall
YES_GRID = [round(0.20 + 0.01 * i, 2) for i in range(61)]  # settings.answerable_min_model_yes: 0.20 .. 0.80


def features(questions: list[dict], retriever, settings: Settings) -> list[tuple[dict, list]]:
    out = []
    for q in questions:
        query, _ = clean_question(q["question"], settings)
        out.append((q, gather_evidence(query, retriever, settings, None)))
    return out


def confusion(rows: list[tuple[dict, Decision]]) -> dict[str, float]:
    refused_oos = sum(1 for q, d in rows if q["refuse"] and not d.answerable)
    refused = sum(1 for _, d in rows if not d.answerable)
    oos = sum(1 for q, _ in rows if q["refuse"])
    answerable = len(rows) - oos
    false = sum(1 for q, d in rows if not q["refuse"] and not d.answerable)
    return {
        "refusal_precision": refused_oos / refused if refused else 1.0,
        "refusal_recall": refused_oos / oos if oos else 1.0,
        "false_refusal": false / answerable if answerable else 0.0,
        "n": len(rows),
    }


def balanced(c: dict[str, float]) -> float:
    return (c["refusal_recall"] + 1 - c["false_refusal"]) / 2


def evaluate(data, corpus, settings: Settings) -> list[tuple[dict, Decision]]:
    return [(q, decide(q["question"], ev, corpus, settings)) for q, ev in data]


def fit(data, corpus, settings: Settings) -> dict[str, float]:
    best: tuple[tuple, dict[str, float]] | None = None
    for s in SCORE_GRID:
        for r in RECALL_GRID:
            update = {"min_evidence_score": s, "answerable_figure_recall": r}
            c = confusion(evaluate(data, corpus, settings.model_copy(update=update)))
            key = (round(balanced(c), 4), -c["false_refusal"], -s, -r)  # ties: fewer false refusals, then laxer
            if best is None or key > best[0]:
                best = (key, update)
    assert best is not None
    return best[1]


def judgements(data, corpus, settings: Settings, backend: str) -> dict[str, float]:
    """Question id -> the backend's P(Yes) that the quotes answer it, for the questions the code finds answerable."""
    model = get_backend(backend, settings)
    out = {}
    for q, ev in data:
        query, _ = clean_question(q["question"], settings)
        quotes = select_quotes(query, ev, corpus, settings) if decide(query, ev, corpus, settings).answerable else []
        judged = model.judge(*model_input(query, quotes, settings)) if quotes else None
        if judged is not None:
            out[q["id"]] = judged
    return out


def with_model(rows: list[tuple[dict, Decision]], judged: dict[str, float], threshold: float):
    """The decision after the model's judgement: an answerable one the model rates under `threshold` is refused."""
    return [
        (q, Decision(False, "model", d.best_score) if d.answerable and judged.get(q["id"], 1.0) < threshold else d)
        for q, d in rows
    ]


def fit_model(rows, judged: dict[str, float]) -> float:
    return max(YES_GRID, key=lambda t: (round(balanced(confusion(with_model(rows, judged, t))), 4), -t))


def fit_sure(rows: list[tuple[dict, Decision]]) -> float:
    """The lowest score (in hundredths) above the evidence of every out-of-scope question in `rows` that the code's
    tests let through (the others are refused before the model would be asked)."""
    passed = [d.best_score for q, d in rows if q["refuse"] and d.answerable]
    return math.floor(max(passed, default=0.0) * 100 + 1) / 100


def sure_line(name: str, rows: list[tuple[dict, Decision]], threshold: float) -> str:
    sure = [q for q, d in rows if d.answerable and d.best_score >= threshold]
    answerable = sum(1 for q, _ in rows if not q["refuse"])
    return (
        f"{name}: out-of-scope questions answered without the verdict {sum(q['refuse'] for q in sure)}, answerable "
        f"questions shown at once {sum(not q['refuse'] for q in sure) / answerable if answerable else 0.0:.2f}"
    )


def _line(name: str, c: dict[str, float]) -> str:
    return (
        f"{name}: n={c['n']:.0f} refusal precision {c['refusal_precision']:.3f} recall {c['refusal_recall']:.3f} "
        f"false refusals {c['false_refusal']:.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    from rag.interfaces.cli import load_retriever

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default=str(QUESTIONS_FILE))
    parser.add_argument("--show", action="store_true", help="print each question's decision")
    parser.add_argument("--model", help="also measure and fit this backend's judgement (e.g. local)")
    args = parser.parse_args(argv)
    settings = get_settings()
    retriever = load_retriever()
    data = features(load_questions(args.questions), retriever, settings)
    odd = [(q, ev) for q, ev in data if int("".join(ch for ch in q["id"] if ch.isdigit()) or 0) % 2]
    even = [(q, ev) for q, ev in data if (q, ev) not in odd]
    for name, train, test in (("odd->even", odd, even), ("even->odd", even, odd)):
        fitted = fit(train, retriever.corpus, settings)
        trial = settings.model_copy(update=fitted)
        print(f"{name}: fitted {fitted}")
        print("  " + _line("train", confusion(evaluate(train, retriever.corpus, trial))))
        print("  " + _line("held out", confusion(evaluate(test, retriever.corpus, trial))))
    rows = evaluate(data, retriever.corpus, settings)
    if args.model:
        judged = judgements(data, retriever.corpus, settings, args.model)
        half = {q["id"]: int("".join(ch for ch in q["id"] if ch.isdigit()) or 0) % 2 for q, _ in data}
        for name, part in (("odd->even", 1), ("even->odd", 0)):
            threshold = fit_model([r for r in rows if half[r[0]["id"]] == part], judged)
            held_out = [r for r in rows if half[r[0]["id"]] != part]
            print(f"model {name}: fitted answerable_min_model_yes={threshold}")
            print("  " + _line("held out", confusion(with_model(held_out, judged, threshold))))
        for name, part in (("odd->even", 1), ("even->odd", 0)):
            threshold = fit_sure([r for r in rows if half[r[0]["id"]] == part])
            print(f"sure {name}: fitted answerable_sure_score={threshold}")
            print("  " + sure_line("held out", [r for r in rows if half[r[0]["id"]] != part], threshold))
        print("  " + sure_line(f"all, at {settings.answerable_sure_score}", rows, settings.answerable_sure_score))
        sure = {q["id"] for q, d in rows if d.sure}
        rows = with_model(rows, {k: v for k, v in judged.items() if k not in sure}, settings.answerable_min_model_yes)
        print(f"with the model at answerable_min_model_yes={settings.answerable_min_model_yes}:")
    print(
        f"settings (min_evidence_score={settings.min_evidence_score}, "
        f"answerable_figure_recall={settings.answerable_figure_recall}):"
    )
    print("  " + _line("all", confusion(rows)))
    for q, d in rows:
        wrong = q["refuse"] == d.answerable
        if args.show or wrong:
            flag = "WRONG " if wrong else ""
            print(
                f"  {flag}{q['id']} refuse={q['refuse']} answerable={d.answerable} best={d.best_score:.3f} "
                f"{d.why()} | {q['question'][:70]}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
