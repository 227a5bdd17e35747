"""Retrieval under typos: task Recall@5 of each eval question as written and with two letters swapped in two of
its long words (a fixed seed), per split.

    .venv/bin/python bench/bench_typos.py [--split dev|test] [--seed 0]

Compare with RAG_SPELL_MIN_LETTERS=0 (words searched as typed) to see what the spelling step
(rag.retrieve.spell) recovers. Retrieval only, no model.
"""

from __future__ import annotations

import argparse
import os
import random
import re

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval.data import QUESTIONS_FILE, gold_of, load_questions
from eval.metrics import ranked_units, ranking_metrics
from rag.core.settings import get_settings
from rag.retrieve import Retriever


def with_typos(question: str, rng: random.Random, words: int = 2) -> str:
    """Two neighbouring letters swapped inside `words` of the question's words of six letters or more."""
    long = re.findall(r"[A-Za-z]{6,}", question)
    for word in rng.sample(long, min(words, len(long))):
        i = rng.randrange(1, len(word) - 2)
        question = question.replace(word, word[:i] + word[i + 1] + word[i] + word[i + 2 :], 1)
    return question


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--split", choices=("dev", "test"), default="dev")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    retriever = Retriever.load(get_settings())
    rng = random.Random(args.seed)
    recall: dict[str, list[float]] = {"as written": [], "with typos": []}
    for q in load_questions(QUESTIONS_FILE, args.split):
        tasks = gold_of(q, retriever.corpus).tasks
        if not tasks:
            continue
        for name, text in (("as written", q["question"]), ("with typos", with_typos(q["question"], rng))):
            hits = retriever.search(text, 10)
            recall[name].append(ranking_metrics(ranked_units(hits), tasks)["recall@5"])
    for name, values in recall.items():
        print(f"{args.split} {name}: task recall@5 {sum(values) / len(values):.3f} over {len(values)} questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
