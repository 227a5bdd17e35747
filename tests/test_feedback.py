"""The feedback store: versioned schema, transactional writes, the eval-set export and the stats."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from eval.data import load_questions
from rag.core.settings import Settings
from rag.core.types import Answer, Citation
from rag.interfaces.feedback import (
    MIGRATIONS,
    Feedback,
    FeedbackError,
    as_eval_question,
    load_feedback,
    record_feedback,
    stats,
)


@pytest.fixture
def db(tmp_path) -> Settings:
    return Settings(feedback_db=tmp_path / "sub" / "feedback.sqlite3")


def _answer() -> Answer:
    cite = Citation(1, "gh-2020-123.p044", "gh-2020-123", "gh-2020-123", "3", "Main tasks", "Support ...", 0, 9, "u")
    return Answer(
        question="Can a WFOE be a fund manager?", text="Yes [1].", refused=False, backend="local", citations=[cite]
    )


def test_a_new_database_gets_the_current_schema_version_in_wal_mode(db):
    record_feedback(Feedback(question="q", rating="up"), db)
    with sqlite3.connect(db.feedback_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_database_from_newer_code_is_refused_not_overwritten(db):
    db.feedback_db.parent.mkdir(parents=True)
    with sqlite3.connect(db.feedback_db) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(FeedbackError, match="schema version"):
        load_feedback(db)


def test_a_rating_round_trips_with_its_answer_history_and_citations(db):
    entry = Feedback.of_answer(
        _answer(), "down", comment="wrong task", history=[{"role": "user", "content": "hi"}], model="qwen"
    )
    record_feedback(entry, db)
    (back,) = load_feedback(db)
    assert back.rating == "down" and back.comment == "wrong task" and back.model == "qwen"
    assert back.history == [{"role": "user", "content": "hi"}]
    assert back.citations[0]["paragraph_id"] == "gh-2020-123.p044" and back.created_at


@pytest.mark.parametrize("rating, question", [("meh", "q"), ("up", "  ")])
def test_an_unusable_rating_is_refused_and_nothing_is_written(db, rating, question):
    with pytest.raises(FeedbackError):
        record_feedback(Feedback(question=question, rating=rating), db)
    assert load_feedback(db) == []


def test_exported_feedback_is_read_by_the_eval_loader(db, tmp_path):
    record_feedback(Feedback.of_answer(_answer(), "up"), db)
    record_feedback(Feedback(question="Who runs VPN licensing?", rating="down", comment="no answer"), db)
    out = tmp_path / "fb.jsonl"
    out.write_text("".join(json.dumps(as_eval_question(n, f)) + "\n" for n, f in enumerate(load_feedback(db), 1)))
    up, down = load_questions(out)
    assert up["gold_tasks"] == ["gh-2020-123.t03"] and up["gold_paragraphs"] == [["gh-2020-123.p044"]]
    assert down["gold_tasks"] == [] and "no answer" in down["notes"]


def test_stats_rank_the_question_with_most_net_down_votes_first():
    entries = [Feedback(question="A?", rating="down"), Feedback(question="a? ", rating="down")]
    entries += [Feedback(question="B?", rating="down"), Feedback(question="B?", rating="up")]
    entries += [Feedback(question="C?", rating="up")]
    s = stats(entries)
    assert (s["total"], s["up"], s["down"]) == (5, 2, 3)
    assert [q["question"] for q in s["worst"]] == ["A?", "B?"]


def test_stats_show_the_apps_ratings_beside_the_apis_per_backend(db, monkeypatch, capsys):
    from rag.core.settings import get_settings
    from rag.interfaces import cli

    record_feedback(Feedback.of_answer(_answer(), "up", source="app"), db)
    record_feedback(Feedback.of_answer(_answer(), "down"), db)  # the API's default channel
    record_feedback(Feedback.of_answer(_answer(), "down", source="app", comment="wrong status"), db)
    s = stats(load_feedback(db))
    assert s["by_source"] == {"app": {"up": 1, "down": 1}, "api": {"up": 0, "down": 1}}
    assert s["by_channel"] == [
        {"backend": "local", "source": "api", "up": 0, "down": 1},
        {"backend": "local", "source": "app", "up": 1, "down": 1},
    ]
    monkeypatch.setenv("RAG_FEEDBACK_DB", str(db.feedback_db))
    get_settings.cache_clear()
    try:
        assert cli.main(["feedback", "stats"]) == 0
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert re.search(r"backend\s+source\s+up\s+down", out)
    assert re.search(r"local\s+api\s+0\s+1\n", out) and re.search(r"local\s+app\s+1\s+1\n", out)
