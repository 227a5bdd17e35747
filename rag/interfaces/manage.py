"""`rag add`, `rag update`, `rag remove`: staff change the corpus without touching code.

Registered with the CLI through the `rag.commands` entry point. They respect RAG_CORPUS_DIR
and RAG_INDEX_ROOT; each shows what it found (metadata, structure, relations stated by the
text) and asks before writing, unless --yes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rag.core.errors import RagError
from rag.core.instructions import addressed_sentences
from rag.core.settings import get_settings
from rag.core.text import printable
from rag.ingest.manage import LEVELS, Change, commit, prepare_add, prepare_update, remove
from rag.interfaces.cli import command, log


class NotConfirmed(RagError):
    exit_code = 1


def _confirm(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise NotConfirmed(f"{question} Not confirmed: run again with --yes to confirm without a prompt.")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _show(change: Change) -> None:
    e = change.entry
    tasks = len({p.task for p in change.paragraphs if p.task})
    print(f"{e['id']}: {e['title']}")
    for key in ("number", "date", "issuer", "level", "canonical_id"):
        print(f"  {key:<12} {e.get(key) or 'unknown (not stated in the text; pass a flag to set it)'}")
    source = e.get("source")
    print(
        f"  {'file':<12} {e['file']} (sha256 {e['sha256'][:12]}…)"
        + (f", extracted from {source['file']}" if source else "")
    )
    print(f"  {'structure':<12} {len(change.paragraphs)} paragraphs, {tasks} tasks; {change.structure}")
    for note in change.notes:
        print(f"  {'note':<12} {note}")
    if change.previous is not None:
        print(f"  {'ids':<12} {change.kept_ids} of {len(change.paragraphs)} paragraphs keep their ids (unchanged text)")
    if change.relations:
        print("Relations stated by the text (stored once confirmed, or with --accept-relations):")
        for r in change.relations:
            target = r.target or f"unresolved: no document or reference has number {r.number!r}"
            print(f"  {r.type} -> {target}  [{r.paragraph_id}] “{r.quote[:110]}”")


def _addressed(change: Change) -> bool:
    """List the text's sentences addressed to an assistant (a warning); whether there are any."""
    found = [(p.id, s) for p in change.paragraphs for s in addressed_sentences(p.text)]
    if found:
        print(
            f"warning: {len(found)} sentences speak to an assistant, not to a reader. The document is data: they "
            "will be stored but never quoted or shown to a model. Check the text is the publisher's:"
        )
        for pid, sentence in found:
            print(f"  [{pid}] “{printable(sentence)[:160]}”")
    return bool(found)


def _commit(change: Change, args: argparse.Namespace, verb: str) -> int:
    _show(change)
    if _addressed(change) and not _confirm("Store this text with those sentences (never quoted)?", args.yes):
        print("Nothing changed.")
        return 1
    if not _confirm(f"{verb} {change.doc_id}?", args.yes):
        print("Nothing changed.")
        return 1
    resolved = [r for r in change.relations if r.target]
    accept = bool(resolved) and (args.accept_relations or (not args.yes and _confirm("Store these relations?", False)))
    corpus = commit(get_settings(), change, accept_relations=accept, log=log)
    doc = corpus.document(change.doc_id)
    stored = f"; {len(resolved)} relations stored" if accept else ("; relations not stored" if resolved else "")
    print(
        f"{verb.capitalize().rstrip('e')}ed {doc.id}: {len(doc.paragraphs)} paragraphs{stored}. The index is up to date."
    )
    return 0


def _add_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", type=Path, help="the publisher's file: .txt, saved .html page, or .pdf (text layer)")
    p.add_argument("--id", required=True, dest="doc_id", help="document id, e.g. gh-2015-81")
    p.add_argument("--title")
    p.add_argument("--issuer")
    p.add_argument("--level", choices=LEVELS)
    p.add_argument("--number", help="document number, e.g. 'Guo Han [2015] No. 81'")
    p.add_argument("--date", help="YYYY-MM-DD")
    p.add_argument("--translation-of", help="id of the official text this is a translation of")
    p.add_argument("--accept-relations", action="store_true", help="store the relations the text states")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("add", _add_args)
def cmd_add(args: argparse.Namespace) -> int:
    """Add a document to the corpus (text, HTML or PDF) and index it."""
    change = prepare_add(
        get_settings(),
        args.path,
        args.doc_id,
        title=args.title,
        issuer=args.issuer,
        level=args.level,
        number=args.number,
        date=args.date,
        translation_of=args.translation_of,
    )
    return _commit(change, args, "add")


def _update_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id")
    p.add_argument("path", type=Path, help="the new text: .txt, saved .html page, or .pdf")
    p.add_argument("--accept-relations", action="store_true", help="store new relations the text states")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("update", _update_args)
def cmd_update(args: argparse.Namespace) -> int:
    """Replace a document's text; the old version is kept under superseded/."""
    return _commit(prepare_update(get_settings(), args.doc_id, args.path), args, "update")


def _remove_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("remove", _remove_args)
def cmd_remove(args: argparse.Namespace) -> int:
    """Remove a document from the corpus and the index (its file is kept under superseded/)."""
    if not _confirm(f"Remove {args.doc_id} from the corpus and the index?", args.yes):
        print("Nothing changed.")
        return 1
    corpus = remove(get_settings(), args.doc_id, log=log)
    print(f"Removed {args.doc_id}; {len(corpus.documents)} documents remain. The index is up to date.")
    return 0
