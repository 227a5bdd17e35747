"""The `rag` command: index, inspect, search (more commands register themselves in COMMANDS).

Domain errors are printed as one line on stderr with a non-zero exit; nothing
here prints a traceback for a mistake a person can fix.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator

from rag.core.errors import BadQuestion, RagError
from rag.core.language import detect, say
from rag.core.settings import get_settings
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


def read_questions(path: str) -> Iterator[dict]:
    """Lines of {"id": ..., "question": ..., "history": [...]} (history optional); a bad line is a clear error
    naming its number."""
    try:
        handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115 — closed by the with below
    except OSError as err:
        raise BadQuestion(f"Cannot read questions file {path}: {err.strerror}.") from None
    from rag.answer.conversation import parse_history

    with handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                row = {"id": item.get("id", str(n)), "question": item["question"]}
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                raise BadQuestion(
                    f'{path}:{n}: expected a JSON object like {{"id": "q1", "question": "..."}}.'
                ) from None
            yield row | {"history": parse_history(item.get("history"), f"{path}:{n}")}  # optional: earlier turns


def read_history(path: str) -> list[dict]:
    """`rag ask --history FILE.json`: the earlier turns of the conversation."""
    from rag.answer.conversation import parse_history

    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except OSError as err:
        raise BadQuestion(f"Cannot read history file {path}: {err.strerror}.") from None
    except json.JSONDecodeError as err:
        raise BadQuestion(f"{path}: not JSON ({err.msg}).") from None
    return parse_history(value, path)


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
    p.add_argument("-k", type=int, default=None, help="number of hits (default: settings.top_k)")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument("--questions", help='JSONL file of {"id", "question"} lines ("-" for stdin)')
    p.add_argument("--mode", choices=["dense", "bm25", "hybrid"], help="retrieval mode (default: settings)")


@command("search", _search_args)
def cmd_search(args: argparse.Namespace) -> int:
    """Retrieve the top tasks for a question (or a JSONL file of questions)."""
    if not args.questions and not (args.question or "").strip():
        raise BadQuestion('The question is empty. Usage: rag search "your question" [-k 5] [--json]')
    items = read_questions(args.questions) if args.questions else iter([{"id": None, "question": args.question}])
    retriever = load_retriever()
    for item in items:
        hits = retriever.search(item["question"], args.k, mode=args.mode)
        if args.json or args.questions:
            print(
                json.dumps(
                    {"id": item["id"], "question": item["question"], "hits": [h.to_json() for h in hits]},
                    ensure_ascii=False,
                ),
                flush=True,
            )
            continue
        for h in hits:
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
    from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent, answer, stream_answer

    if not args.questions and not (args.question or "").strip():
        raise BadQuestion('The question is empty. Usage: rag ask "your question" [--backend extractive] [--json]')
    history = read_history(args.history) if args.history else []
    retriever = load_retriever()
    doc_ids = set(args.doc_ids) if args.doc_ids else None
    if args.json or args.questions:
        single = {"id": None, "question": args.question, "history": history}
        items = read_questions(args.questions) if args.questions else iter([single])
        for item in items:
            try:
                result = answer(
                    item["question"], retriever, history=item["history"], backend=args.backend, doc_ids=doc_ids
                ).to_json(item["id"])
            except BadQuestion as err:  # one bad line does not stop a batch
                result = {"id": item["id"], "question": item["question"], "error": str(err)}
            print(json.dumps(result, ensure_ascii=False), flush=True)
        return 0
    log("Draft (streaming; citations are checked after it ends):")
    for event in stream_answer(args.question, retriever, history=history, backend=args.backend, doc_ids=doc_ids):
        if isinstance(event, EvidenceEvent) and event.standalone_question not in (None, args.question):
            log(say("searched_for", detect(args.question), question=event.standalone_question))
        elif isinstance(event, TokenEvent):
            print(event.text, end="", flush=True, file=sys.stderr)
        elif isinstance(event, NoticeEvent):
            log(f"\n[{event.text}]")
        elif isinstance(event, AnswerEvent):
            final = event.answer
            log("\n")
            print("Answer (citations checked):")
            if final.notice:
                print(f"Note: {final.notice}")
            print(final.text)
            print()
            print(sources_text(final, retriever.corpus))
            if final.governing is not None:
                print("\nWhich document governs:\n" + render(final.governing))
            t = final.timings
            log(
                f"({final.backend}; retrieval {t.get('retrieve_ms', 0):.0f} ms, first token "
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

    g = governs(args.question, load_retriever())
    print(json.dumps(g.to_json(), ensure_ascii=False, indent=1) if args.json else render(g))
    return 0


def build_parser() -> argparse.ArgumentParser:
    _load_plugins()
    parser = argparse.ArgumentParser(prog="rag", description="Beijing Opening-Up Policy Assistant")
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
        entry.load()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except RagError as err:
        log(f"error: {err}")
        return err.exit_code
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
