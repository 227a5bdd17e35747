"""Input from the command line: --questions files, -k, --doc; each checked where it enters.

Questions from argv and batch files go through rag.core.questions.validate_question; a bad line
of a batch is reported as its own {"id", "error"} line and the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator

from rag.answer.conversation import parse_history
from rag.core.errors import BadQuestion, UnknownDocument
from rag.core.questions import validate_question
from rag.core.settings import TOP_K_MAX, Settings


def batch_items(path: str | None, question: str | None, history: list[dict] | None = None) -> Iterator[dict]:
    """The items of the --questions file at `path`, or the one argv question (with its history)."""
    return read_questions(path) if path else iter([{"id": None, "question": question, "history": history or []}])


def read_questions(path: str) -> Iterator[dict]:
    """Items {"id", "question", "history"} of a JSONL file ("-": stdin), or {"id", "error"} for a line that is unusable.

    Lines are decoded one by one, so undecodable bytes, bad JSON or a question that is not text
    spoil only their own line; each error names the line number.
    """
    try:
        handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115 — closed by the with below
    except OSError as err:
        raise BadQuestion(f"Cannot read the questions file {path}: {err.strerror}.") from None
    shape = 'expected a JSON object like {"id": "q1", "question": "..."}'
    with handle:
        for n, raw in enumerate(handle, 1):
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")  # a BOM is allowed at the start
            except UnicodeDecodeError as err:
                yield {
                    "id": str(n),
                    "error": f"line {n}: not UTF-8 text (byte {err.start + 1}); save the file as UTF-8.",
                }
                continue
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                yield {"id": str(n), "error": f"line {n}: not valid JSON ({err.msg}); {shape}."}
                continue
            if not isinstance(item, dict) or "question" not in item:
                yield {"id": str(n), "error": f"line {n}: {shape}."}
                continue
            try:
                history = parse_history(item.get("history"), f"line {n}")  # optional: the earlier turns
            except BadQuestion as err:
                yield {"id": item.get("id", str(n)), "error": str(err)}
                continue
            yield {"id": item.get("id", str(n)), "question": item["question"], "history": history}


def read_history(path: str) -> list[dict]:
    """`rag ask --history FILE.json`: the earlier turns of the conversation."""
    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except OSError as err:
        raise BadQuestion(f"Cannot read the history file {path}: {err.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadQuestion(f"{path}: not a JSON file ({err}).") from None
    return parse_history(value, path)


def run_batch(items: Iterator[dict], respond: Callable[[str, dict], dict], settings: Settings) -> int:
    """One JSON line per item: `respond(question, item)` merged with id and question, or the item's error.

    Returns the exit code: 0, or BadQuestion's when any item was unusable (after all were tried).
    """
    done = failed = 0
    for item in items:
        done += 1
        line = {"id": item["id"]}
        try:
            if "error" in item:
                raise BadQuestion(item["error"])
            question = validate_question(item["question"], settings)
            line = {**line, "question": question, **respond(question, item)}
        except BadQuestion as err:  # one bad line does not stop a batch
            line["error"] = str(err)
            failed += 1
        print(json.dumps(line, ensure_ascii=False), flush=True)
    if failed:
        print(f"{failed} of {done} questions could not be used; see their error lines.", file=sys.stderr, flush=True)
    return BadQuestion.exit_code if failed else 0


def top_k(value: str) -> int:
    """argparse type for -k: a whole number from 1 to TOP_K_MAX."""
    try:
        k = int(value)
    except ValueError:
        k = 0
    if not 1 <= k <= TOP_K_MAX:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {TOP_K_MAX}, got {value!r}")
    return k


def check_doc_ids(doc_ids: list[str] | None, known: list[str]) -> set[str] | None:
    """The --doc filter as a set; UnknownDocument (listing the known ids) for an id that is not in the corpus."""
    unknown = [d for d in doc_ids or [] if d not in known]
    if unknown:
        raise UnknownDocument(", ".join(unknown), sorted(known))
    return set(doc_ids) if doc_ids else None
