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
    FeedbackUnavailable,
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
    with pytest.raises(FeedbackUnavailable, match="schema version"):
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


def _feedback_cli(capsys, monkeypatch, db, *argv):
    """`rag feedback ...` in this process over `db`: (exit code, stdout, stderr)."""
    from rag.core.settings import get_settings
    from rag.interfaces import cli

    monkeypatch.setenv("RAG_FEEDBACK_DB", str(db.feedback_db))
    get_settings.cache_clear()
    try:
        code = cli.main(["feedback", *argv])
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    return code, out, err


def _damage(db, **columns):
    with sqlite3.connect(db.feedback_db) as conn:
        conn.execute(
            f"UPDATE feedback SET {', '.join(f'{k} = ?' for k in columns)} WHERE id = 2", list(columns.values())
        )


@pytest.mark.parametrize(
    "damage",
    [
        {"citations": "[{}]"},
        {"citations": "not json"},
        {"history": "{"},
        {"citations": '[{"paragraph_id": "a.p1", "task": "x"}]'},
    ],
)
@pytest.mark.parametrize("action", [["export"], ["stats"], ["stats", "--json"]])
def test_export_and_stats_skip_and_report_a_bad_row(db, capsys, monkeypatch, damage, action):
    for question in ("First?", "Broken?", "Third?"):
        record_feedback(Feedback.of_answer(_answer(), "down", question=question), db)
    _damage(db, **damage)
    code, out, err = _feedback_cli(capsys, monkeypatch, db, *action)
    assert code == 0 and "skipped row 2" in err and "Traceback" not in err
    assert "First?" in out and "Third?" in out and "Broken?" not in out


def test_stats_and_export_print_no_terminal_control_sequences(db, capsys, monkeypatch):
    hostile = "Q?\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x9b31m\u202eevil"
    record_feedback(Feedback(question=hostile, rating="down", comment="c\x1b]8;;http://x\x1b\\link"), db)
    for action in (["stats"], ["stats", "--json"], ["export"]):
        code, out, err = _feedback_cli(capsys, monkeypatch, db, *action)
        assert code == 0 and "red" in out
        assert not re.search(r"[\x1b\x07\x9b\u202e]", out + err), (action, out)
    (line,) = _feedback_cli(capsys, monkeypatch, db, "export")[1].splitlines()
    assert json.loads(line)["question"] == hostile  # the export keeps the value, escaped


def test_stats_show_the_apps_ratings_beside_the_apis_per_backend(db, monkeypatch, capsys):
    record_feedback(Feedback.of_answer(_answer(), "up", source="app"), db)
    record_feedback(Feedback.of_answer(_answer(), "down"), db)  # the API's default channel
    record_feedback(Feedback.of_answer(_answer(), "down", source="app", comment="wrong status"), db)
    s = stats(load_feedback(db))
    assert s["by_source"] == {"app": {"up": 1, "down": 1}, "api": {"up": 0, "down": 1}}
    assert s["by_channel"] == [
        {"backend": "local", "source": "api", "up": 0, "down": 1},
        {"backend": "local", "source": "app", "up": 1, "down": 1},
    ]
    code, out, _ = _feedback_cli(capsys, monkeypatch, db, "stats")
    assert code == 0
    assert re.search(r"backend\s+source\s+up\s+down", out)
    assert re.search(r"local\s+api\s+0\s+1\n", out) and re.search(r"local\s+app\s+1\s+1\n", out)
