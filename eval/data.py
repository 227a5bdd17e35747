"""The eval data: questions with their gold, the files, and the stratified model subset."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

from rag.core.errors import EvalDataError
from rag.core.settings import ROOT
from rag.core.text import doc_of
from rag.ingest.documents import Corpus

EVAL_DIR = ROOT / "eval"
QUESTIONS_FILE = EVAL_DIR / "questions.jsonl"
STATUS_LABELS_FILE = EVAL_DIR / "status_labels.jsonl"
BASELINE_FILE = EVAL_DIR / "baseline.json"
TYPES = ("eligibility", "governs", "responsible", "lookup", "cross-doc", "out-of-scope")
REQUIRED = ("id", "type", "question", "gold_tasks", "key_facts", "refuse")
SPLITS = ("dev", "test")
# The first set (q/d/z ids) was read while the code was tuned: it is all `dev`. Every later item (ids starting
# with "n") falls into `dev` or `test` by a hash of its id, recorded in its `split` field; nothing is tuned on `test`.
HASHED_ID = re.compile(r"^n")


def hashed_split(qid: str) -> str:
    """The split a hashed id falls into: the parity of its SHA-256 (about half each)."""
    return SPLITS[int(hashlib.sha256(qid.encode("utf-8")).hexdigest(), 16) % 2]


def split_of(q: dict) -> str:
    """A question's split as recorded in its file (`dev` where a file, such as a feedback export, records none)."""
    return q.get("split", "dev")


def load_questions(path: Path, split: str | None = None) -> list[dict]:
    """The questions of a JSONL file, checked; only those of `split` when it is given."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise EvalDataError(f"Cannot read {path}: {err.strerror}. Run `rag eval` from the project checkout.") from None
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalDataError(f"{path}:{n}: not JSON ({err.msg}).") from None
        missing = [f for f in REQUIRED if f not in q]
        if missing or q["type"] not in TYPES:
            raise EvalDataError(
                f"{path}:{n}: needs fields {', '.join(REQUIRED)} and a type in {', '.join(TYPES)} "
                f"(missing: {', '.join(missing) or 'none'}, type: {q.get('type')!r})."
            )
        if split_of(q) not in SPLITS:
            raise EvalDataError(f"{path}:{n}: split must be one of {', '.join(SPLITS)}, not {q['split']!r}.")
        out.append(q)
    return out if split is None else [q for q in out if split_of(q) == split]


@dataclass
class Gold:
    tasks: list[set[str]]  # one-member groups: task-level gold
    paragraphs: list[set[str]]  # any-of groups of paragraph ids
    docs: list[str]  # canonical documents the question is about ("none" when out of scope)


def gold_of(q: dict, corpus: Corpus) -> Gold:
    """Gold groups of a question, from the paragraph ids `python -m eval.gold` writes next to the quotes."""
    if q.get("gold_quotes") and "gold_paragraphs" not in q:
        raise EvalDataError(f"Question {q['id']} has gold quotes but no gold_paragraphs. Run: python -m eval.gold")
    groups = [set(g) for g in q.get("gold_paragraphs", []) if g]
    canonical = {d: doc.info.canonical_id for d, doc in corpus.documents.items()}
    named = {t.rsplit(".", 1)[0] for t in q["gold_tasks"]} | {doc_of(p) for g in groups for p in g}
    docs = sorted({canonical.get(d, d) for d in named}) or ["none"]
    return Gold([{t} for t in q["gold_tasks"]], groups, docs)


def llm_subset(questions: list[dict], n: int) -> list[dict]:
    """n questions stratified by type: round-robin over the types, each type in file order; 0 means all."""
    if n <= 0 or n >= len(questions):
        return questions
    by_type: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_type[q["type"]].append(q)
    queues = [by_type[t] for t in TYPES if by_type[t]]
    picked: list[dict] = []
    depth = 0
    while len(picked) < n:
        picked += [queue[depth] for queue in queues if depth < len(queue)][: n - len(picked)]
        depth += 1
    chosen = {q["id"] for q in picked}
    return [q for q in questions if q["id"] in chosen]


def model_subset(questions: list[dict], n: int) -> list[dict]:
    """`llm_subset` taken in each split apart, so `dev` and `test` are both measured with a model (0 means all);
    within a split and a type, first-set and held-out items alternate, so `dev`'s subset holds both."""
    chosen: set[str] = set()
    for s in SPLITS:
        ordered = []
        for t in TYPES:
            of_type = [q for q in questions if split_of(q) == s and q["type"] == t]
            first = [q for q in of_type if not HASHED_ID.match(q["id"])]
            later = [q for q in of_type if HASHED_ID.match(q["id"])]
            ordered += [q for pair in zip_longest(first, later) for q in pair if q is not None]
        chosen |= {q["id"] for q in llm_subset(ordered, n)}
    return [q for q in questions if q["id"] in chosen]
