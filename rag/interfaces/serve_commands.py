"""`rag serve` (the HTTP service) and `rag feedback export|stats`, registered with the CLI through the
`rag.commands` entry point (pyproject.toml)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from rag.core.settings import get_settings
from rag.core.text import json_terminal_safe, printable
from rag.interfaces.cli import command, log


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--root-path", default="", help="path prefix when served behind a proxy, e.g. /rag")


@command("serve", _serve_args)
def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the assistant over HTTP (OpenAPI docs at /docs)."""
    import uvicorn

    from rag.interfaces.http.app import create_app

    settings = get_settings()
    if settings.database_url:  # down or unmigrated: one line saying what to do, before the server starts
        from rag.store.db import database
        from rag.store.schema import require_current

        require_current(database(settings))
    key = "on" if settings.api_key else "off (set RAG_API_KEY to require one)"
    log(f"rag serve: http://{args.host}:{args.port}{args.root_path}/docs — backend {settings.backend}, API key {key}")
    uvicorn.Server(server_config(create_app(settings), args.host, args.port, args.root_path)).run()
    return 0


def server_config(app: Any, host: str, port: int, root_path: str = "") -> Any:
    """uvicorn's configuration for `rag serve`: one access line per request (its query string redacted by the
    log redaction that `rag` installs), info level."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, root_path=root_path, log_level="info", access_log=True)


def _feedback_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["export", "stats"], help="export: JSONL in the eval set's schema; stats: counts")
    p.add_argument("--out", type=Path, help="export: write to this file (default: stdout)")
    p.add_argument("--rating", choices=["up", "down"], help="export: only this rating")
    p.add_argument("--worst", type=int, default=5, help="stats: how many worst-rated questions to show")
    p.add_argument("--json", action="store_true", help="stats: machine-readable output")


@command("feedback", _feedback_args)
def cmd_feedback(args: argparse.Namespace) -> int:
    """Export the thumbs up/down feedback as eval questions, or print its counts and worst-rated answers."""
    from rag.interfaces.feedback import as_eval_question, read_feedback, stats

    rows = read_feedback(get_settings())
    for why in rows.skipped:  # one bad row is reported, never fatal
        log(f"feedback: skipped {printable(why)}")
    entries = rows.entries
    if args.action == "stats":
        s = stats(entries, args.worst)
        if args.json:
            print(json_terminal_safe(json.dumps(s | {"skipped": rows.skipped}, ensure_ascii=False, indent=1)))
            return 0
        skipped = f" ({len(rows.skipped)} unreadable rows skipped)" if rows.skipped else ""
        print(f"{s['total']} ratings: {s['up']} up, {s['down']} down{skipped}")
        for name, counts in s["by_source"].items():
            print(f"  from the {printable(name)}: {counts['up']} up, {counts['down']} down")
        width = max([len("backend")] + [len(printable(row["backend"])) for row in s["by_channel"]]) + 2
        if s["by_channel"]:  # one row per backend and channel: the app's ratings beside the API's
            print(f"  {'backend':<{width}}{'source':<8}{'up':>5}{'down':>6}")
        for row in s["by_channel"]:
            print(f"  {printable(row['backend']):<{width}}{printable(row['source']):<8}{row['up']:>5}{row['down']:>6}")
        print("Worst-rated questions:" if s["worst"] else "No down votes.")
        for q in s["worst"]:
            comment = f' — "{printable(q["comment"])}"' if q.get("comment") else ""
            print(f"  -{q['down']} +{q['up']}  {printable(q['question'][:100])}{comment}")
        return 0
    chosen = [(n, f) for n, f in enumerate(entries, 1) if not args.rating or f.rating == args.rating]
    lines = []
    for n, f in chosen:
        try:
            lines.append(json_terminal_safe(json.dumps(as_eval_question(n, f), ensure_ascii=False)) + "\n")
        except (KeyError, TypeError, ValueError) as err:
            log(f"feedback: skipped rating {n} ({printable(repr(err))})")
    if args.out is None:
        sys.stdout.write("".join(lines))
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=args.out.parent, delete=False) as tmp:
        tmp.write("".join(lines))
    os.replace(tmp.name, args.out)  # atomic: a reader never sees half a file
    log(f"feedback: {len(lines)} questions written to {args.out} (review gold and key_facts before adding them)")
    return 0
