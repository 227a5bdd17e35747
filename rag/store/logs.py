"""What every replica writes to the one database: feedback rows and the answer log."""

from __future__ import annotations

import json
from typing import Any

from rag.core.types import Answer
from rag.store.db import Database


def insert_feedback(db: Database, row: dict[str, Any]) -> int:
    """One feedback row (the SQLite store's columns), in its own transaction; returns its id."""
    with db.transaction() as conn:
        cursor = conn.execute(
            f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))}) RETURNING id",
            list(row.values()),
        )
        return int(cursor.fetchone()[0])


def feedback_rows(db: Database) -> list[dict[str, Any]]:
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM feedback ORDER BY id")
        names = [c.name for c in cur.description or ()]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def log_answer(db: Database, answer_id: str, answer: Answer, corpus_version: int | None, replica: str) -> None:
    """The answer log: question, what was searched, evidence ids and scores, refusal, verdict, timings."""
    evidence = [
        {"paragraph_id": e.paragraph.id, "score": round(e.score, 4), "marker": e.marker} for e in answer.evidence
    ]
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO answers (id, question, standalone_question, language, evidence, refused, verdict, status,"
            " backend, timings, corpus_version, replica) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                answer_id,
                answer.question,
                answer.standalone_question or answer.question,
                answer.language,
                json.dumps(evidence),
                answer.refused,
                answer.verdict,
                answer.status,
                answer.backend,
                json.dumps({k: round(v, 1) for k, v in answer.timings.items()}),
                corpus_version,
                replica,
            ),
        )
