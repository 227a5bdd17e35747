"""Retrieval parity: the real index (MiniLM + multilingual USE vectors, BM25) published to PostgreSQL gives
the same top 5 through pgvector as through FAISS, on a sample of eval/questions.jsonl in every mode
(`rag db parity` runs all of them)."""

from __future__ import annotations

import json

import pytest

from rag.core.settings import ROOT, Settings
from rag.interfaces.db_commands import parity
from rag.store.db import database
from rag.store.schema import migrate

pytestmark = pytest.mark.slow  # the real embedding models

SAMPLE = 40  # every ninth question of the file: English, Chinese and follow-ups alike


def test_pgvector_gives_faiss_top_5_for_a_sample_of_the_eval_questions_in_every_mode(postgres):
    settings = Settings(database_url=postgres.url())
    migrate(database(settings))
    lines = (ROOT / "eval" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][::9][:SAMPLE]
    assert any(not q.isascii() for q in questions)  # the multilingual ranking is compared too
    result = parity(settings, questions, modes=("hybrid", "dense", "bm25"))
    assert result["questions"] == 3 * len(questions)
    assert result["different"] == []
