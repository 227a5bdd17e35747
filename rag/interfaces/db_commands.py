"""`rag db migrate|status|sync`: the PostgreSQL schema and the published corpus (RAG_DATABASE_URL).

Registered with the CLI through the `rag.commands` entry point (pyproject.toml)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rag.core.errors import BadQuestion, SettingsError
from rag.core.paths import ROOT
from rag.core.settings import Settings, get_settings
from rag.interfaces.cli import command, log


def parity(
    settings: Settings, questions: list[str], k: int = 5, modes: tuple[str, ...] = ("hybrid",)
) -> dict[str, Any]:
    """Top-k of the local FAISS index against the database's pgvector for each question and mode: how many agree,
    and each that does not (ids in rank order from both)."""
    from rag.retrieve import Retriever

    local = Retriever.load(settings.model_copy(update={"database_url": None}), log=log)
    shared = Retriever.load(settings, log=log)
    out: dict[str, Any] = {"questions": 0, "same": 0, "different": []}
    for mode in modes:
        for q in questions:
            try:
                a, b = ([h.chunk.id for h in r.search(q, k, mode=mode)] for r in (local, shared))
            except BadQuestion:
                continue
            out["questions"] += 1
            out["same"] += a == b
            if a != b:
                out["different"].append({"question": q, "mode": mode, "faiss": a, "pgvector": b})
    return out


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=["migrate", "status", "sync", "parity"],
        help="migrate: apply pending schema migrations; status: schema version and row counts; "
        "sync: publish the corpus folder's corpus and index to the database (replicas load it within seconds); "
        "parity: the top 5 of every question from the local FAISS index and from pgvector, compared",
    )
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl", help="parity: JSONL file")
    p.add_argument("--modes", default="hybrid", help="parity: comma-separated retrieval modes (dense,bm25,hybrid)")
    p.add_argument("--json", action="store_true", help="status: machine-readable output")


@command("db", _db_args)
def cmd_db(args: argparse.Namespace) -> int:
    """Manage the PostgreSQL database named by RAG_DATABASE_URL (schema migrations, status, publishing)."""
    from rag.store.db import database
    from rag.store.schema import migrate, status

    settings = get_settings()
    if not settings.database_url:
        raise SettingsError(
            "RAG_DATABASE_URL is not set: `rag db` manages the PostgreSQL database, e.g. "
            "RAG_DATABASE_URL=postgresql://rag:PASSWORD@localhost:5432/rag rag db migrate"
        )
    db = database(settings)
    if args.action == "migrate":
        done = migrate(db)
        print("\n".join(f"applied migration {d}" for d in done) or "The schema is up to date (nothing to do).")
        return 0
    if args.action == "sync":
        from rag.store.corpus import publish_local

        print(f"Corpus version {publish_local(settings, log)} is published.")
        return 0
    if args.action == "parity":
        lines = args.questions.read_text(encoding="utf-8").splitlines()
        questions = [json.loads(line)["question"] for line in lines if line.strip()]
        result = parity(settings, questions, modes=tuple(args.modes.split(",")))
        for d in result["different"]:
            print(f"differs ({d['mode']}): {d['question'][:80]}\n  faiss    {d['faiss']}\n  pgvector {d['pgvector']}")
        print(f"{result['same']} of {result['questions']} searches have the same top 5 in FAISS and pgvector.")
        return 0 if result["same"] == result["questions"] else 1
    s = status(db)
    if args.json:
        print(json.dumps(s, indent=1))
        return 0
    print(f"schema version {s['schema_version']} (this code: {s['code_version']})")
    for p in s["pending"]:
        print(f"  pending migration {p}: run `rag db migrate`")
    if "corpus_version" in s:
        print(f"corpus version {s['corpus_version']} (published {s['published_at'] or 'never: run `rag db sync`'})")
        print(", ".join(f"{s[t]} {t}" for t in ("documents", "paragraphs", "chunks", "feedback", "answers")))
    return 0
