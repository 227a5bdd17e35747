"""Resolve the evaluation set's verbatim quotes to parsed paragraph ids.

The gold data (eval/questions.jsonl, eval/status_labels.jsonl) is written by hand
as quotes of the form "<doc_id>: <exact text>". A quote is matched against the
raw file whitespace-insensitively (the publishers' texts carry double spaces and
non-breaking spaces), must occur exactly once, and resolves to the one parsed
paragraph whose raw span contains it.

    python -m eval.gold          # (re)write gold_paragraphs / governing_paragraph / paragraph_id
    python -m eval.gold --check  # only verify; exit 1 on any problem
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from eval.data import EVAL_DIR, QUESTIONS_FILE, STATUS_LABELS_FILE, TYPES
from rag.core.settings import Settings
from rag.core.types import Paragraph
from rag.ingest.documents import Corpus, load_corpus, write_atomic

STATUS_HELDOUT = EVAL_DIR / "status_labels_heldout.jsonl"  # labelled without seeing the tagger
STATUSES = ("in_force", "supported", "explore", "other")
TASK_ID_RE = re.compile(r"^(?P<doc>[a-z0-9-]+)\.t(?P<num>\d{2})$")


class GoldError(ValueError):
    """A quote or id in the gold data does not match the parsed corpus."""


@dataclass(frozen=True)
class Located:
    doc_id: str
    start: int  # raw-file offsets of the quote
    end: int
    paragraph_id: str


def split_quote(quote: str) -> tuple[str, str]:
    """'doc-id: text' -> ('doc-id', 'text')."""
    doc_id, sep, text = quote.partition(": ")
    if not sep or not doc_id or not text.strip():
        raise GoldError(f"Quote {quote[:60]!r} is not of the form '<doc_id>: <text>'.")
    return doc_id, text


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(r"\s+".join(re.escape(tok) for tok in text.split()))


def _norm(text: str) -> str:
    return " ".join(text.split())


def paragraph_at(corpus: Corpus, doc_id: str, start: int, end: int) -> Paragraph | None:
    """The paragraph whose raw span contains [start, end), if any."""
    for p in corpus.document(doc_id).paragraphs:
        if p.start <= start and end <= p.end:
            return p
    return None


def locate_quote(corpus: Corpus, quote: str) -> Located:
    """Find a quote in its document: exactly one whitespace-insensitive match, inside one paragraph."""
    doc_id, text = split_quote(quote)
    if doc_id not in corpus.documents:
        raise GoldError(f"Unknown document {doc_id!r} in quote {quote[:60]!r}.")
    raw = corpus.document(doc_id).text
    matches = list(_pattern(text).finditer(raw))
    if len(matches) != 1:
        raise GoldError(f"{len(matches)} matches (need exactly 1) in {doc_id} for {text[:70]!r}.")
    m = matches[0]
    para = paragraph_at(corpus, doc_id, m.start(), m.end())
    if para is None:
        # Fall back to the cleaned text (the parser may have dropped a stray bullet or joined a cut line).
        hits = [p for p in corpus.document(doc_id).paragraphs if _norm(text) in _norm(p.text)]
        if len(hits) != 1:
            raise GoldError(f"Quote {text[:70]!r} in {doc_id} does not lie inside one parsed paragraph.")
        para = hits[0]
    return Located(doc_id, m.start(), m.end(), para.id)


def resolve_quote(corpus: Corpus, quote: str) -> str:
    """'doc: text' -> the id of the paragraph that contains it (e.g. 'gh-2020-123.p042')."""
    return locate_quote(corpus, quote).paragraph_id


def quote_in_paragraph(corpus: Corpus, quote: str, paragraph_id: str) -> bool:
    """Whether the quote's text lies in the named paragraph (raw span or cleaned text)."""
    doc_id, text = split_quote(quote)
    if not corpus.has_paragraph(paragraph_id):
        return False
    p = corpus.paragraph(paragraph_id)
    if p.doc_id != doc_id:
        return False
    return bool(_pattern(text).search(corpus.raw_span(p))) or _norm(text) in _norm(p.text)


def task_exists(corpus: Corpus, task_id: str) -> bool:
    """Whether '<doc>.tNN' names a numbered task of that document in the parsed corpus."""
    m = TASK_ID_RE.match(task_id)
    if not m or m["doc"] not in corpus.documents:
        return False
    num = str(int(m["num"]))
    return any(p.task == num for p in corpus.document(m["doc"]).paragraphs)


def load_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path: Path, rows: list[dict]) -> None:
    write_atomic(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8"))


def annotate_question(corpus: Corpus, q: dict) -> dict:
    """Return the question with gold_paragraphs (and governing_paragraph) resolved from its quotes."""
    out = dict(q)
    out["gold_paragraphs"] = [[resolve_quote(corpus, a) for a in group] for group in q.get("gold_quotes", [])]
    if q.get("governing_quote"):
        out["governing_paragraph"] = resolve_quote(corpus, q["governing_quote"])
    return out


def annotate_label(corpus: Corpus, label: dict) -> dict:
    out = dict(label)
    out["paragraph_id"] = resolve_quote(corpus, label["quote"])
    return out


def _ordered(row: dict, first: tuple[str, ...]) -> dict:
    return {**{k: row[k] for k in first if k in row}, **{k: v for k, v in row.items() if k not in first}}


Q_ORDER = (
    "id",
    "type",
    "split",
    "question",
    "gold_tasks",
    "gold_quotes",
    "gold_paragraphs",
    "key_facts",
    "refuse",
    "governing_quote",
    "governing_paragraph",
    "notes",
)
L_ORDER = ("quote", "paragraph_id", "status", "cue", "note", "unit", "sample")


def check(corpus: Corpus, questions: list[dict], labels: list[dict]) -> list[str]:
    """Every problem found in the gold data, as readable lines (empty list = all good)."""
    problems: list[str] = []

    def quote_ok(where: str, quote: str, pid: str | None) -> None:
        try:
            found = resolve_quote(corpus, quote)
        except GoldError as e:
            problems.append(f"{where}: {e}")
            return
        if pid is not None and pid != found:
            problems.append(f"{where}: quote resolves to {found}, file says {pid}")
        if pid is not None and not quote_in_paragraph(corpus, quote, pid):
            problems.append(f"{where}: quote not inside {pid}")

    seen = set()
    for q in questions:
        qid = q.get("id", "?")
        if qid in seen:
            problems.append(f"{qid}: duplicate id")
        seen.add(qid)
        if q.get("type") not in TYPES:
            problems.append(f"{qid}: bad type {q.get('type')!r}")
        if q.get("refuse") != (q.get("type") == "out-of-scope"):
            problems.append(f"{qid}: refuse must be true exactly for out-of-scope")
        for t in q.get("gold_tasks", []):
            if not task_exists(corpus, t):
                problems.append(f"{qid}: gold task {t} not in parsed corpus")
            elif not corpus.document(t.rsplit(".t", 1)[0]).info.official:
                problems.append(f"{qid}: gold task {t} is in an unofficial translation")
        groups = q.get("gold_quotes", [])
        pgroups = q.get("gold_paragraphs")
        if pgroups is not None and [len(g) for g in pgroups] != [len(g) for g in groups]:
            problems.append(f"{qid}: gold_paragraphs does not mirror gold_quotes")
            pgroups = None
        for gi, group in enumerate(groups):
            if not group:
                problems.append(f"{qid}: empty quote group {gi}")
            for ai, quote in enumerate(group):
                pid = pgroups[gi][ai] if pgroups is not None else None
                quote_ok(f"{qid} quote {gi}.{ai}", quote, pid)
        if q.get("type") == "out-of-scope":
            if q.get("gold_tasks") or groups or q.get("key_facts"):
                problems.append(f"{qid}: out-of-scope question must have no gold")
        else:
            if not groups:
                problems.append(f"{qid}: no gold quotes")
            if not q.get("key_facts"):
                problems.append(f"{qid}: no key facts")
        if q.get("type") == "governs":
            if not q.get("governing_quote"):
                problems.append(f"{qid}: governs question without governing_quote")
            else:
                quote_ok(f"{qid} governing", q["governing_quote"], q.get("governing_paragraph"))
    for i, label in enumerate(labels, 1):
        if label.get("status") not in STATUSES:
            problems.append(f"label {i}: bad status {label.get('status')!r}")
        quote_ok(f"label {i}", label["quote"], label.get("paragraph_id"))
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify only; do not rewrite the files")
    args = ap.parse_args(argv)
    corpus = load_corpus(Settings())
    questions = load_jsonl(QUESTIONS_FILE)
    label_files = {path: load_jsonl(path) for path in (STATUS_LABELS_FILE, STATUS_HELDOUT)}
    if not args.check:
        try:
            questions = [_ordered(annotate_question(corpus, q), Q_ORDER) for q in questions]
            label_files = {
                path: [_ordered(annotate_label(corpus, lab), L_ORDER) for lab in labels]
                for path, labels in label_files.items()
            }
        except GoldError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    labels = [lab for labels in label_files.values() for lab in labels]
    problems = check(corpus, questions, labels)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    if not args.check:
        write_jsonl(QUESTIONS_FILE, questions)
        for path, file_labels in label_files.items():
            write_jsonl(path, file_labels)
        print(f"wrote {len(questions)} questions and {len(labels)} status labels with paragraph ids")
    else:
        print(f"ok: {len(questions)} questions, {len(labels)} status labels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
