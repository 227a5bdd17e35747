"""Thumbs up/down on answers, kept in SQLite: the store, its export as eval questions, and its stats.

With RAG_DATABASE_URL the same rows go to PostgreSQL's feedback table instead (rag.store.logs), one table
for every `rag serve` replica.

The schema is versioned with `PRAGMA user_version` (MIGRATIONS[n] takes version n to n + 1); every
write is one transaction, and the database runs in WAL mode so readers never block the writer.
Both the HTTP service (`POST /v1/feedback`) and the Streamlit app (`record_feedback`) write here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.core.errors import RagError
from rag.core.settings import Settings, get_settings
from rag.core.text import doc_of, task_key
from rag.core.types import Answer

RATINGS = {"up": 1, "down": -1}
MIGRATIONS = (
    """CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        answer_id TEXT,
        rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
        comment TEXT NOT NULL DEFAULT '',
        question TEXT NOT NULL,
        history TEXT NOT NULL DEFAULT '[]',
        answer TEXT NOT NULL DEFAULT '',
        refused INTEGER NOT NULL DEFAULT 0,
        citations TEXT NOT NULL DEFAULT '[]',
        backend TEXT NOT NULL DEFAULT '',
        model TEXT NOT NULL DEFAULT '',
        index_fingerprint TEXT NOT NULL DEFAULT '',
        source TEXT NOT NULL DEFAULT 'api'
    )""",
)


class FeedbackError(RagError):
    """A feedback entry is unusable (the sender's to fix)."""


class FeedbackUnavailable(RagError):
    """The feedback database cannot be opened or written (the operator's to fix). `public` says so without the
    server's paths, for HTTP clients."""

    public = "Feedback cannot be stored right now (the server's feedback database is unavailable); try again later."


@dataclass
class FeedbackRows:
    """The stored ratings that could be read, and one line for each row that could not (skipped, not fatal)."""

    entries: list[Feedback]
    skipped: list[str]


@dataclass
class Feedback:
    """One rating of one answer, with what is needed to turn it into a regression question."""

    question: str
    rating: str  # "up" | "down"
    comment: str = ""
    history: list[dict[str, str]] = field(default_factory=list)  # earlier turns: {"role", "content"}
    answer: str = ""
    refused: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)  # Answer.to_json()["citations"]
    backend: str = ""
    model: str = ""
    index_fingerprint: str = ""
    answer_id: str | None = None
    source: str = "api"  # api | app
    created_at: str = ""  # ISO time (UTC), set when recorded

    @classmethod
    def of_answer(cls, answer: Answer, rating: str, **extra: Any) -> Feedback:
        data = answer.to_json()
        return cls(
            question=extra.pop("question", answer.question),
            rating=rating,
            answer=answer.text,
            refused=answer.refused,
            citations=data["citations"],
            backend=answer.backend,
            **extra,
        )


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path, timeout=10)) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.row_factory = sqlite3.Row
            _migrate(conn)
            yield conn
    except sqlite3.Error as err:
        raise FeedbackUnavailable(
            f"The feedback database {path} is unusable ({err}). Set RAG_FEEDBACK_DB to a writable file."
        ) from None
    except OSError as err:
        raise FeedbackUnavailable(f"Cannot create the feedback database {path}: {err.strerror}.") from None


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise FeedbackUnavailable(
            f"The feedback database has schema version {version}; this code knows {len(MIGRATIONS)}."
        )
    for n in range(version, len(MIGRATIONS)):
        with conn:  # one transaction per step: the table and its version number move together
            conn.execute(MIGRATIONS[n])
            conn.execute(f"PRAGMA user_version = {n + 1}")


def record_feedback(entry: Feedback, settings: Settings | None = None) -> int:
    """Store one rating in a transaction; returns its row id. The app's thumbs buttons call this."""
    if entry.rating not in RATINGS:
        raise FeedbackError(f"Rating must be 'up' or 'down', not {entry.rating!r}.")
    if not entry.question.strip():
        raise FeedbackError("Feedback needs the question it rates.")
    settings = settings or get_settings()
    check_sizes(entry, settings)
    entry.created_at = entry.created_at or datetime.now(UTC).isoformat(timespec="seconds")
    row = asdict(entry)
    row["rating"] = RATINGS[entry.rating]
    for key in ("history", "citations"):
        row[key] = json.dumps(row[key], ensure_ascii=False)
    if settings.database_url:  # one table for every replica
        from rag.store.db import database
        from rag.store.logs import insert_feedback

        return insert_feedback(database(settings), row)
    with _connect(Path(settings.feedback_db)) as conn, conn:
        cursor = conn.execute(
            f"INSERT INTO feedback ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )
        return int(cursor.lastrowid or 0)


def load_feedback(settings: Settings | None = None) -> list[Feedback]:
    """Every stored rating that can be read, oldest first (read_feedback also says which rows were skipped)."""
    return read_feedback(settings).entries


def read_feedback(settings: Settings | None = None) -> FeedbackRows:
    """Every stored rating, oldest first; a row that cannot be read (bad JSON, a citation without a paragraph id,
    an unknown rating) is skipped and named, so one bad row never stops an export or the stats."""
    settings = settings or get_settings()
    if settings.database_url:
        from rag.store.db import database
        from rag.store.logs import feedback_rows

        rows: list[Any] = feedback_rows(database(settings))
    else:
        with _connect(Path(settings.feedback_db)) as conn:
            rows = conn.execute("SELECT * FROM feedback ORDER BY id").fetchall()
    out = FeedbackRows([], [])
    for r in rows:
        try:
            out.entries.append(_entry(dict(r)))
        except (ValueError, TypeError, KeyError) as err:
            out.skipped.append(f"row {r['id']}: {err}")
    return out


def _entry(data: dict[str, Any]) -> Feedback:
    data.pop("id")
    names = {-1: "down", 1: "up"}
    if data["rating"] not in names:
        raise ValueError(f"rating {data['rating']!r} is neither up (1) nor down (-1)")
    history, citations = _json_list(data, "history"), _json_list(data, "citations")
    if not all(isinstance(t, dict) and isinstance(t.get("content"), str) for t in history):
        raise ValueError("history is not a list of turns with text content")
    data.update(rating=names[data["rating"]], refused=bool(data["refused"]), history=history)
    data["citations"] = [_citation(c) for c in citations]
    if not isinstance(data["question"], str) or not data["question"].strip():
        raise ValueError("the question is empty")
    return Feedback(**data)


def _json_list(data: dict[str, Any], key: str) -> list[Any]:
    try:
        value = json.loads(data[key])
    except (TypeError, json.JSONDecodeError) as err:
        raise ValueError(f"{key} is not JSON ({err})") from None
    if not isinstance(value, list):
        raise ValueError(f"{key} is not a list")
    return value


def _citation(c: object) -> dict[str, Any]:
    """A stored citation with a paragraph id, its document and task filled when missing; ValueError otherwise."""
    if not isinstance(c, dict) or not isinstance(c.get("paragraph_id"), str) or ".p" not in c["paragraph_id"]:
        raise ValueError(f"a citation without a paragraph id: {json.dumps(c, ensure_ascii=False)[:80]}")
    task = c.get("task")
    if task is not None and not (isinstance(task, str) and task.isdigit()):
        raise ValueError(f"a citation with task {task!r} (expected a task number)")
    return c | {"doc_id": c.get("doc_id") or doc_of(c["paragraph_id"]), "task": task}


def posted_citations(citations: list[dict[str, Any]], corpus: Any, settings: Settings) -> list[dict[str, Any]]:
    """Citations sent with a rating, each naming a paragraph of `corpus` (its document and task are taken from
    there); FeedbackError for too many, an unknown paragraph id or an oversized value."""
    if len(citations) > settings.feedback_max_citations:
        raise FeedbackError(f"A rating may carry at most {settings.feedback_max_citations} citations.")
    out = []
    for c in citations:
        pid = c.get("paragraph_id")
        if not isinstance(pid, str) or not corpus.has_paragraph(pid):
            shown = pid[:80] if isinstance(pid, str) else pid
            raise FeedbackError(
                f"Citation paragraph_id {shown!r} is not a paragraph of the corpus; "
                "ids look like 'gh-2020-123.p044' (see /v1/paragraphs/{id})."
            )
        if len(json.dumps(c, ensure_ascii=False)) > settings.feedback_max_chars:
            raise FeedbackError(f"Citation {pid} is over {settings.feedback_max_chars} characters.")
        p = corpus.paragraph(pid)
        out.append(c | {"doc_id": p.doc_id, "task": p.task})
    return out


def check_sizes(entry: Feedback, settings: Settings) -> None:
    """FeedbackError when a text of the rating is over settings.feedback_max_chars."""
    for name in ("question", "answer", "comment"):
        if len(getattr(entry, name)) > settings.feedback_max_chars:
            raise FeedbackError(f"The {name} of a rating may be at most {settings.feedback_max_chars} characters.")


def as_eval_question(n: int, f: Feedback) -> dict[str, Any]:
    """A line in eval/questions.jsonl's schema. A thumbs-up answer proposes its cited tasks and paragraphs as gold;
    a thumbs-down one proposes nothing: a person fills gold_tasks, key_facts and refuse before it joins the set."""
    liked = f.rating == "up"
    tasks = [task_key(c["doc_id"], c["task"]) for c in f.citations if c.get("task")] if liked else []
    return {
        "id": f"fb{n:04d}",
        "type": "out-of-scope" if liked and f.refused else "lookup",
        "question": f.question,
        "gold_tasks": list(dict.fromkeys(tasks)),
        "gold_paragraphs": [[c["paragraph_id"]] for c in f.citations] if liked else [],
        "key_facts": [],
        "refuse": f.refused if liked else False,
        "notes": f"From feedback ({f.rating}, {f.created_at}): review type, gold and key_facts before use."
        + (f" Comment: {f.comment}" if f.comment else ""),
        "feedback": {
            "rating": f.rating,
            "comment": f.comment,
            "answer": f.answer,
            "history": f.history,
            "backend": f.backend,
            "model": f.model,
            "index_fingerprint": f.index_fingerprint,
            "answer_id": f.answer_id,
            "created_at": f.created_at,
        },
    }


def stats(entries: list[Feedback], worst: int = 5) -> dict[str, Any]:
    """Counts by rating, by backend, by channel (source: the app or the API) and by both, and the questions with
    the most down votes (net of up votes)."""
    by_question: dict[str, dict[str, Any]] = {}
    for f in entries:
        q = by_question.setdefault(" ".join(f.question.split()).lower(), {"question": f.question, "up": 0, "down": 0})
        q[f.rating] += 1
        q["comment"] = f.comment or q.get("comment", "")
        q["answer"] = f.answer
    backends: dict[str, dict[str, int]] = {}
    sources: dict[str, dict[str, int]] = {}
    channels: dict[tuple[str, str], dict[str, int]] = {}
    for f in entries:
        for table, key in ((backends, f.backend or "unknown"), (sources, f.source or "api")):
            table.setdefault(key, {"up": 0, "down": 0})[f.rating] += 1
        channels.setdefault((f.backend or "unknown", f.source or "api"), {"up": 0, "down": 0})[f.rating] += 1
    ranked = sorted(by_question.values(), key=lambda q: (q["up"] - q["down"], -q["down"]))
    return {
        "total": len(entries),
        "up": sum(f.rating == "up" for f in entries),
        "down": sum(f.rating == "down" for f in entries),
        "by_backend": backends,
        "by_source": sources,
        "by_channel": [{"backend": b, "source": src} | counts for (b, src), counts in sorted(channels.items())],
        "worst": [q for q in ranked if q["down"]][:worst],
    }
