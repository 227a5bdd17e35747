"""Follow-ups and Chinese questions: retrieval routes and the cost of making a follow-up standalone.

    .venv/bin/python bench/bench_conversation.py [--routes] [--latency] [--languages] [--limit N]

--routes   Chinese questions (eval/questions_zh.jsonl, answerable ones) against the English corpus, task
           Recall@1/@5 per route: 'multilingual' (the asker's words in the multilingual index), 'translated'
           (the local model's English translation through the default retrieval), 'fused' (both, as the
           pipeline searches), and the translation's time per question.
--latency  Time from the call until the evidence is ready (stream_answer's first event, what a UI shows
           first) for each follow-up of eval/dialogues.jsonl, against its source question asked standalone,
           with condense_mode 'rule' and 'model'. The target: a follow-up costs at most 1.5 s more.
--languages The same question asked in English and in Chinese (each answerable Chinese item of
           eval/questions_zh.jsonl with the English question it was written from): time to the complete
           answer with the local model, p50 per language and their ratio. The target: Chinese p50 at most
           1.5x English.

Uses the default settings (and the local model for translation and 'model' mode); figures are wall
time on this machine, so say how busy it was when you quote them.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.data import QUESTIONS_FILE, gold_of, load_questions
from eval.metrics import ranked_units, ranking_metrics
from rag.answer.backends import get_backend
from rag.answer.multilingual import local_complete, translate_question
from rag.answer.pipeline import answer, stream_answer
from rag.core.settings import get_settings
from rag.core.text import percentile
from rag.retrieve import Retriever

EVAL = QUESTIONS_FILE.parent


def routes(retriever: Retriever, limit: int | None) -> None:
    settings = retriever.settings
    complete = local_complete(settings)
    items = [q for q in load_questions(EVAL / "questions_zh.jsonl") if not q["refuse"]][:limit]
    recall: dict[str, list[tuple[float, float]]] = {"multilingual": [], "translated": [], "fused": []}
    took = []
    for q in items:
        tasks = gold_of(q, retriever.corpus).tasks
        t0 = time.perf_counter()
        english = translate_question(q["question"], complete, settings)
        took.append(time.perf_counter() - t0)
        searches = {
            "multilingual": (q["question"], {}),
            "translated": (english, {}),
            "fused": (english, {"original": q["question"]}),
        }
        for route, (text, options) in searches.items():
            if tasks:
                m = ranking_metrics(ranked_units(retriever.search(text, 10, **options) if text else []), tasks)
                recall[route].append((m["recall@1"], m["recall@5"]))
        print(f"  {q['id']} {english!r}", flush=True)
    for route, rows in recall.items():
        n = len(rows)
        print(
            f"{route:>12}: task recall@1 {sum(r[0] for r in rows) / n:.3f}  recall@5 {sum(r[1] for r in rows) / n:.3f}"
        )
    print(f"translation: p50 {percentile(took, 50):.2f} s, p95 {percentile(took, 95):.2f} s over {len(took)} questions")


def time_to_evidence(question: str, retriever: Retriever, history: list[dict] | None, settings) -> float:
    t0 = time.perf_counter()
    events = stream_answer(question, retriever, history=history, backend="extractive", settings=settings)
    next(events)  # the EvidenceEvent
    elapsed = time.perf_counter() - t0
    events.close()
    return elapsed


def latency(retriever: Retriever, limit: int | None) -> None:
    source = {q["id"]: q["question"] for q in load_questions(QUESTIONS_FILE)}
    items = [q for q in load_questions(EVAL / "dialogues.jsonl") if q["dialogue"] == "follow-up"][:limit]
    time_to_evidence(items[0]["question"], retriever, None, retriever.settings)  # warm-up
    for mode in ("rule", "model"):
        settings = retriever.settings.model_copy(update={"condense_mode": mode})
        extra = []
        for q in items:
            alone = time_to_evidence(source[q["source"]], retriever, None, settings)
            follow = time_to_evidence(q["question"], retriever, q["history"], settings)
            extra.append(follow - alone)
        print(
            f"{mode:>6}: follow-up minus standalone, time to evidence: p50 {percentile(extra, 50):+.2f} s, "
            f"p95 {percentile(extra, 95):+.2f} s, max {max(extra):+.2f} s over {len(extra)} follow-ups"
        )


def languages(retriever: Retriever, limit: int | None) -> None:
    english = {q["id"]: q["question"] for q in load_questions(QUESTIONS_FILE)}
    chinese = [q for q in load_questions(EVAL / "questions_zh.jsonl") if q.get("source") and not q["refuse"]]
    pairs = [(english[q["source"]], q["question"]) for q in chinese][:limit]
    backend = get_backend("local", retriever.settings)
    backend.warm()
    took: dict[str, list[float]] = {"en": [], "zh": []}
    for pair in pairs:
        for language, question in zip(("en", "zh"), pair):
            t0 = time.perf_counter()
            a = answer(question, retriever, backend=backend, settings=retriever.settings)
            took[language].append(time.perf_counter() - t0)
            stages = " ".join(f"{k[:-3]} {v / 1000:.1f}" for k, v in a.timings.items() if v >= 100)
            print(f"  {language} {took[language][-1]:5.1f} s  {a.backend:<8} [{stages}] {question[:50]!r}", flush=True)
    en, zh = percentile(took["en"], 50), percentile(took["zh"], 50)
    print(
        f"complete answer p50: English {en:.1f} s, Chinese {zh:.1f} s, ratio {zh / en:.2f} "
        f"over {len(pairs)} pairs (load average {os.getloadavg()[0]:.2f})"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--routes", action="store_true", help="Chinese retrieval routes")
    p.add_argument("--latency", action="store_true", help="follow-up cost before the evidence is shown")
    p.add_argument("--languages", action="store_true", help="complete-answer time, English against Chinese")
    p.add_argument("--limit", type=int, help="first N items of each file")
    args = p.parse_args(argv)
    retriever = Retriever.load(get_settings())
    chosen = args.routes or args.latency or args.languages
    if args.routes or not chosen:
        routes(retriever, args.limit)
    if args.latency or not chosen:
        latency(retriever, args.limit)
    if args.languages:
        languages(retriever, args.limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
