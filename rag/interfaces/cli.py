"""The `rag` command: index, inspect, search (more commands register themselves in COMMANDS).

main() is the one place where errors become output: a RagError (or a file the user named that
cannot be read) is one redacted line on stderr with its exit code; anything unexpected is one line
saying what to do, with the traceback only when RAG_DEBUG=1. Questions from argv and from
--questions files go through rag.core.questions.validate_question; a bad line of a batch is
reported as its own {"id", "error"} line and the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable

from rag.core.errors import RagError, SettingsError
from rag.core.language import DEFAULT, detect, say
from rag.core.questions import validate_question
from rag.core.redact import install_log_redaction, redact
from rag.core.settings import TOP_K_MAX, get_settings
from rag.interfaces.inputs import batch_items, check_doc_ids, read_history, run_batch, top_k
from rag.interfaces.render import render, sources_text

COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]):
    """Register `fn(args) -> exit code` as `rag <name>`, with `configure` adding its arguments."""

    def wrap(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (configure, fn)
        return fn

    return wrap


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_retriever():
    from rag.retrieve import Retriever

    return Retriever.load(get_settings(), log=log)


# --- index ---------------------------------------------------------------------
def _index_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="rebuild even if an index for this corpus exists")


@command("index", _index_args)
def cmd_index(args: argparse.Namespace) -> int:
    """Build the index if the corpus or settings changed (a no-op otherwise)."""
    from rag.ingest.index import ensure_index

    corpus, data, built = ensure_index(get_settings(), force=args.force, log=log)
    state = "built" if built else "up to date (nothing to do)"
    print(
        f"Index {state}: {data.path} — {len(corpus.documents)} documents, {len(data.chunks)} chunks, "
        f"{len(data.paragraph_ids)} paragraphs."
    )
    return 0


# --- inspect -------------------------------------------------------------------
def _inspect_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("doc_id")
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("inspect", _inspect_args)
def cmd_inspect(args: argparse.Namespace) -> int:
    """Show a document's parsed structure: tasks with number, title, group and paragraph ids."""
    from rag.ingest.documents import load_corpus
    from rag.ingest.index import ensure_index

    settings = get_settings()
    doc = load_corpus(settings).document(args.doc_id)
    _, data, _ = ensure_index(settings, log=log)  # chunking decides where plan-2023's measures belong
    tasks: dict[str, dict] = {}
    for c in data.chunks:
        if c.doc_id == doc.id and c.task:
            t = tasks.setdefault(
                c.task, {"task": c.task, "title": c.task_title, "group": c.group, "paragraph_ids": [], "chunk_ids": []}
            )
            t["paragraph_ids"] += c.paragraph_ids
            t["chunk_ids"].append(c.id)
            if c.assignment:
                t["assignment"] = c.assignment
    info = doc.info
    if args.json:
        print(
            json.dumps(
                {
                    "id": info.id,
                    "title": info.title,
                    "number": info.number,
                    "date": info.date,
                    "canonical_id": info.canonical_id,
                    "paragraphs": len(doc.paragraphs),
                    "structure": doc.structure,
                    "tasks": list(tasks.values()),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return 0
    print(
        f"{info.id}: {info.title}\n  {info.number or 'number unknown'}, {info.date or 'date unknown'}; "
        f"{len(doc.paragraphs)} paragraphs, {len(tasks)} tasks"
    )
    if not tasks:
        print(f"  warning: {doc.structure}")
    group = None
    for t in tasks.values():
        if t["group"] != group:
            group = t["group"]
            print(f"\n{group}")
        print(
            f"  {t['task']:>2}. {t['title'][:100]}  [{len(t['paragraph_ids'])} paragraphs: "
            f"{t['paragraph_ids'][0]}..{t['paragraph_ids'][-1]}]"
        )
    return 0


# --- search --------------------------------------------------------------------
def _search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="?", help="the question (or use --questions)")
    p.add_argument("-k", type=top_k, default=None, help=f"number of hits, 1 to {TOP_K_MAX} (default: settings.top_k)")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("--questions", help='JSONL file of {"id", "question"} lines ("-" for stdin)')
    p.add_argument("--mode", choices=["dense", "bm25", "hybrid"], help="retrieval mode (default: settings)")


@command("search", _search_args)
def cmd_search(args: argparse.Namespace) -> int:
    """Retrieve the top tasks for a question (or a JSONL file of questions)."""
    settings = get_settings()
    if not args.questions:
        args.question = validate_question(args.question, settings)
    retriever = load_retriever()
    if args.json or args.questions:
        hits = lambda q, _item: {"hits": [h.to_json() for h in retriever.search(q, args.k, mode=args.mode)]}
        return run_batch(batch_items(args.questions, args.question), hits, settings)
    for h in retriever.search(args.question, args.k, mode=args.mode):
        c = h.chunk
        title = retriever.corpus.document(c.doc_id).info.title
        where = f"task {c.task}: {c.task_title}" if c.task else c.section
        print(f"{h.rank}. [{c.id}] {h.score:.4f}  {title[:70]}\n   {where[:110]}")
    return 0


# --- ask -----------------------------------------------------------------------
def _ask_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", nargs="?", help="the question (or use --questions)")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("--questions", help='JSONL file of {"id", "question"} lines ("-" for stdin)')
    p.add_argument("--backend", help="answer backend for this call (default: settings.backend)")
    p.add_argument("--doc", action="append", dest="doc_ids", help="only this document (repeatable)")
    p.add_argument(
        "--history",
        help='JSON file of the earlier turns, [{"role": "user"|"assistant", "content": "..."}, ...]: the question is '
        'a follow-up to them (in --questions files, a line\'s own "history" field)',
    )


@command("ask", _ask_args)
def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a question from the documents, with checked citations."""
    from rag.answer.backends import BACKENDS, get_backend
    from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent, answer, stream_answer

    settings = get_settings()
    if not args.questions:
        args.question = validate_question(args.question, settings)
    get_backend(args.backend or settings.backend, settings)  # an unknown name fails now, listing the known ones
    if settings.fallback_backend not in BACKENDS:
        raise SettingsError(
            f"RAG_FALLBACK_BACKEND={settings.fallback_backend!r} is not a backend; choose one of: "
            f"{', '.join(sorted(BACKENDS))}."
        )
    history = read_history(args.history) if args.history else []
    retriever = load_retriever()
    doc_ids = check_doc_ids(args.doc_ids, list(retriever.corpus.documents))
    if args.json or args.questions:
        respond = lambda q, item: answer(
            q, retriever, history=item.get("history"), backend=args.backend, doc_ids=doc_ids
        ).to_json()
        return run_batch(batch_items(args.questions, args.question, history), respond, settings)
    print("Answer (each sentence shown once its citation is checked):")
    for event in stream_answer(args.question, retriever, history=history, backend=args.backend, doc_ids=doc_ids):
        if isinstance(event, EvidenceEvent) and event.standalone_question not in (None, args.question):
            log(say("searched_for", detect(args.question), question=event.standalone_question))
        elif isinstance(event, TokenEvent):  # the quotes as soon as they are checked; the model's lead after them
            print(f"\nIn short: {event.text}" if event.lead else event.text, end="", flush=True)
        elif isinstance(event, NoticeEvent):
            log(f"[{redact(event.text)}]")
        elif isinstance(event, AnswerEvent):
            final = event.answer
            print(final.text if final.refused else "")
            if final.language != DEFAULT and final.lead and not final.refused:  # the opening in the asker's language
                print(final.lead)
            if final.gap:  # the quotes do not name the authority or deadline asked for
                print(say(f"gap_{final.gap}", final.language))
            if final.notice:
                print(f"Note: {final.notice}")
            print()
            print(sources_text(final, retriever.corpus))
            if final.governing is not None:
                print("\nWhich document governs:\n" + render(final.governing))
            t = final.timings
            log(
                f"({final.backend}; retrieval {t.get('retrieve_ms', 0):.0f} ms, first sentence "
                f"{t.get('first_token_ms', 0):.0f} ms, total {t.get('total_ms', 0):.0f} ms)"
            )
    return 0


# --- governs -------------------------------------------------------------------
def _governs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question", help='a rule or question, e.g. "foreign banks in gold futures"')
    p.add_argument("--json", action="store_true", help="machine-readable output")


@command("governs", _governs_args)
def cmd_governs(args: argparse.Namespace) -> int:
    """Which document governs a rule: the governing provision, why, and the related provisions."""
    from rag.analysis.governs import governs

    question = validate_question(args.question, get_settings())
    g = governs(question, load_retriever())
    print(json.dumps(g.to_json(), ensure_ascii=False, indent=1) if args.json else render(g))
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error (its usage stays behind -h)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see: {self.prog} -h)\n")


def build_parser() -> argparse.ArgumentParser:
    _load_plugins()
    parser = Parser(prog="rag", description="Beijing Opening-Up Policy Assistant")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, fn) in COMMANDS.items():
        p = sub.add_parser(name, help=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else None)
        configure(p)
        p.set_defaults(func=fn)
    return parser


def _load_plugins() -> None:
    """Commands of packages above this layer (e.g. `rag eval` from eval/), declared as `rag.commands` entry
    points in pyproject.toml: loading one registers its commands here, so no import points upward."""
    from importlib.metadata import entry_points

    for entry in entry_points(group="rag.commands"):
        try:
            entry.load()
        except ImportError as err:  # a plugin that is gone or broken fails alone, when it is asked for
            _unavailable(entry.name, f"The {entry.name!r} command is unavailable ({err}); reinstall the project.")


def _unavailable(name: str, why: str) -> None:
    def fail(args: argparse.Namespace) -> int:
        raise RagError(why)

    def configure(p: argparse.ArgumentParser) -> None:
        p.add_argument("rest", nargs=argparse.REMAINDER)

    COMMANDS.setdefault(name, (configure, fail))


def main(argv: list[str] | None = None) -> int:
    install_log_redaction()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RagError as err:
        log(f"error: {redact(err)}")
        return err.exit_code
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except BrokenPipeError:
        return 0
    except (OSError, UnicodeError) as err:  # a file or folder the user named, or the environment
        filename = getattr(err, "filename", None)
        where = f": {filename}" if filename else ""
        log(redact(f"error: {getattr(err, 'strerror', None) or err}{where}. Check the path and its permissions."))
        return 2
    except Exception as err:
        if os.environ.get("RAG_DEBUG") == "1":
            log(redact(traceback.format_exc().rstrip()))
        log(
            redact(f"error: unexpected {type(err).__name__}: {err}")
            + " — this is a bug; run again with RAG_DEBUG=1 for the details and report them."
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
