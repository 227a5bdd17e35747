"""The database schema, versioned: MIGRATIONS[n] takes version n to n + 1 (`rag db migrate`, `rag db status`).

Each step runs in its own transaction together with the row in schema_migrations that records it, so a
failed step leaves the previous version whole. Two processes migrating at once serialise on an advisory lock.
"""

from __future__ import annotations

from typing import Any

from rag.core.errors import DatabaseSchema
from rag.store.db import Database

_LOCK = 31_031  # pg_advisory_xact_lock key of migrations

MIGRATIONS: tuple[tuple[str, str], ...] = (
    (
        "corpus, vectors, feedback, answer log",
        """
        CREATE EXTENSION IF NOT EXISTS vector;
        CREATE TABLE corpus_state (
            id int PRIMARY KEY CHECK (id = 1),
            version bigint NOT NULL,
            fingerprint text NOT NULL,
            index_key text NOT NULL,
            registry text NOT NULL,
            published_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE documents (
            id text PRIMARY KEY,
            position int NOT NULL,
            vectors_key text NOT NULL,
            canonical_id text NOT NULL,
            title text NOT NULL,
            issuer text,
            level text NOT NULL,
            number text,
            date text,
            official boolean NOT NULL,
            entry jsonb NOT NULL,
            file text NOT NULL,
            content bytea NOT NULL,
            source_file text,
            source_content bytea
        );
        CREATE TABLE relations (
            doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            type text NOT NULL,
            target text NOT NULL,
            paragraph_id text,
            quote text NOT NULL DEFAULT ''
        );
        CREATE TABLE paragraphs (
            id text PRIMARY KEY,
            doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            position int NOT NULL,
            kind text NOT NULL,
            task text,
            text text NOT NULL,
            embedding vector,
            multilingual vector
        );
        CREATE INDEX paragraphs_doc ON paragraphs (doc_id, position);
        CREATE TABLE chunks (
            id text PRIMARY KEY,
            doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            position int NOT NULL,
            data jsonb NOT NULL,
            text text NOT NULL,
            embedding vector NOT NULL
        );
        CREATE INDEX chunks_doc ON chunks (doc_id, position);
        CREATE TABLE feedback (
            id bigserial PRIMARY KEY,
            created_at text NOT NULL,
            answer_id text,
            rating int NOT NULL CHECK (rating IN (-1, 1)),
            comment text NOT NULL DEFAULT '',
            question text NOT NULL,
            history text NOT NULL DEFAULT '[]',
            answer text NOT NULL DEFAULT '',
            refused boolean NOT NULL DEFAULT false,
            citations text NOT NULL DEFAULT '[]',
            backend text NOT NULL DEFAULT '',
            model text NOT NULL DEFAULT '',
            index_fingerprint text NOT NULL DEFAULT '',
            source text NOT NULL DEFAULT 'api'
        );
        CREATE TABLE answers (
            id text PRIMARY KEY,
            created_at timestamptz NOT NULL DEFAULT now(),
            question text NOT NULL,
            standalone_question text NOT NULL,
            language text NOT NULL,
            evidence jsonb NOT NULL,
            refused boolean NOT NULL,
            verdict text,
            status text,
            backend text NOT NULL,
            timings jsonb NOT NULL,
            corpus_version bigint,
            replica text NOT NULL DEFAULT ''
        );
        """,
    ),
)


def _applied(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def migrate(db: Database) -> list[str]:
    """Apply the pending migrations; returns their descriptions (empty when the schema is current)."""
    done: list[str] = []
    with db.transaction() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version int PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
        )
    while True:
        with db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            version = _applied(conn)
            if version > len(MIGRATIONS):
                raise DatabaseSchema(
                    f"The database has schema version {version}; this code knows {len(MIGRATIONS)}. Upgrade the code."
                )
            if version == len(MIGRATIONS):
                break
            description, sql = MIGRATIONS[version]
            conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations (version, description) VALUES (%s, %s)", (version + 1, description)
            )
            done.append(f"{version + 1}: {description}")
    if done:
        db.close()  # pooled connections opened before the vector type existed have no adapter for it
    return done


def status(db: Database) -> dict[str, Any]:
    """Schema version, pending migrations and row counts (counts only when the schema is current)."""
    with db.transaction() as conn:
        version = _applied(conn)
        out: dict[str, Any] = {
            "schema_version": version,
            "code_version": len(MIGRATIONS),
            "pending": [f"{n + 1}: {d}" for n, (d, _) in enumerate(MIGRATIONS) if n >= version],
        }
        if version == len(MIGRATIONS):
            state = conn.execute("SELECT version, fingerprint, published_at FROM corpus_state").fetchone()
            out["corpus_version"] = state[0] if state else 0
            out["corpus_fingerprint"] = state[1] if state else None
            out["published_at"] = state[2].isoformat() if state else None
            for table in ("documents", "paragraphs", "chunks", "feedback", "answers"):
                out[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return out


def require_current(db: Database) -> None:
    """DatabaseSchema unless the schema is exactly this code's version."""
    with db.transaction() as conn:
        version = _applied(conn)
    if version != len(MIGRATIONS):
        raise DatabaseSchema(
            f"The database's schema is version {version}, this code needs {len(MIGRATIONS)}: run `rag db migrate`."
        )
