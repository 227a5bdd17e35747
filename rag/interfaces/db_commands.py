"""`rag db migrate|status|sync`: the PostgreSQL schema and the published corpus (RAG_DATABASE_URL).

Registered with the CLI through the `rag.commands` entry point (pyproject.toml)."""

from __future__ import annotations

import argparse
import json

from rag.core.errors import SettingsError
from rag.core.settings import get_settings
from rag.interfaces.cli import command, log


def _db_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "action",
        choices=["migrate", "status", "sync"],
        help="migrate: apply pending schema migrations; status: schema version and row counts; "
        "sync: publish the corpus folder's corpus and index to the database (replicas load it within seconds)",
    )
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
