"""The hand-written evaluation data must match the parsed corpus exactly.

Every gold task exists, every quote occurs exactly once in its file and lies in
the paragraph the data names, and the type mix / document spread promised in
eval/README.md holds.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from eval.data import HASHED_ID, hashed_split
from eval.gold import (
    EVAL_DIR,
    QUESTIONS_FILE,
    STATUS_HELDOUT,
    STATUS_LABELS_FILE,
    GoldError,
    check,
    load_jsonl,
    quote_in_paragraph,
    resolve_quote,
    split_quote,
    task_exists,
)

PLAN_2023_MEASURES = EVAL_DIR / "plan2023_measures.jsonl"


@pytest.fixture(scope="module")
def questions():
    return load_jsonl(QUESTIONS_FILE)


@pytest.fixture(scope="module")
def labels():
    return load_jsonl(STATUS_LABELS_FILE)


@pytest.fixture(scope="module")
def heldout():
    return load_jsonl(STATUS_HELDOUT)


@pytest.fixture(scope="module")
def all_labels(labels, heldout):
    return labels + heldout


def test_gold_data_matches_parsed_corpus(corpus, questions, all_labels):
    problems = check(corpus, questions, all_labels)
    assert not problems, "\n".join(problems)


def test_every_quote_lies_in_the_paragraph_it_names(corpus, questions, all_labels):
    for q in questions:
        assert "gold_paragraphs" in q, f"{q['id']}: run `python -m eval.gold` to add paragraph ids"
        for group, pids in zip(q["gold_quotes"], q["gold_paragraphs"], strict=True):
            for quote, pid in zip(group, pids, strict=True):
                assert corpus.has_paragraph(pid), (q["id"], pid)
                assert quote_in_paragraph(corpus, quote, pid), (q["id"], quote, pid)
        if q["type"] == "governs":
            assert quote_in_paragraph(corpus, q["governing_quote"], q["governing_paragraph"]), q["id"]
    for label in all_labels:
        assert quote_in_paragraph(corpus, label["quote"], label["paragraph_id"]), label["quote"]


def test_quotes_are_verbatim_substrings(corpus, questions, all_labels):
    quotes = [a for q in questions for g in q["gold_quotes"] for a in g]
    quotes += [q["governing_quote"] for q in questions if q.get("governing_quote")]
    quotes += [lab["quote"] for lab in all_labels]
    for quote in quotes:
        doc_id, text = split_quote(quote)
        raw = corpus.document(doc_id).text
        assert raw.count(text) == 1, f"not an exact, unique substring of {doc_id}: {text[:70]!r}"


def test_gold_tasks_exist_and_are_official(corpus, questions):
    for q in questions:
        for t in q["gold_tasks"]:
            assert task_exists(corpus, t), (q["id"], t)
            assert not t.startswith("gh-2020-123-ipnews."), f"{q['id']}: use the official gh-2020-123 task id"


def test_quotes_sit_in_their_gold_tasks(corpus, questions):
    """Each gold task is backed by a quote, and each quote group inside numbered tasks has a member
    in one of the question's gold tasks (via the canonical document; the 2023 summary's measures are
    assigned to headings by subject, so they are checked against plan2023_measures.jsonl instead).
    A group may also hold an alternative from a task that is not gold (a restatement elsewhere)."""
    assigned = {r["paragraph_id"]: r["task"] for r in load_jsonl(PLAN_2023_MEASURES)}

    def task_of(pid: str) -> str | None:
        p = corpus.paragraph(pid)
        if p.doc_id == "plan-2023":
            return assigned.get(pid) or (f"plan-2023.t{int(p.task):02d}" if p.task else None)
        canon = corpus.document(p.doc_id).info.canonical_id
        return f"{canon}.t{int(p.task):02d}" if p.task else None

    for q in questions:
        covered = set()
        for pids in q["gold_paragraphs"]:
            tasks = {task_of(pid) for pid in pids} - {None}
            covered |= tasks
            if tasks and q["gold_tasks"]:
                assert tasks & set(q["gold_tasks"]), (q["id"], pids)
        for t in q["gold_tasks"]:
            assert t in covered, f"{q['id']}: gold task {t} has no quote"


def test_mix_and_spread(questions, labels):
    types = Counter(q["type"] for q in questions)
    assert len(questions) >= 110
    assert types["out-of-scope"] >= 18
    for t in ("eligibility", "governs", "responsible", "lookup", "cross-doc"):
        assert types[t] >= 10, types
    per_doc = Counter(d for q in questions for d in {a.split(": ", 1)[0] for g in q["gold_quotes"] for a in g})
    for doc_id in ("gh-2020-123", "gh-2020-123-ipnews", "gh-2019-16", "dongcheng-2019", "plan-2023"):
        assert per_doc[doc_id] >= 10, per_doc
    assert per_doc["plan-2023"] >= 12
    assert len(labels) >= 70
    label_docs = Counter(lab["quote"].split(": ", 1)[0] for lab in labels)
    assert len(label_docs) == 5 and min(label_docs.values()) >= 10, label_docs


def test_heldout_labels_are_a_separate_spread_sample(labels, heldout):
    """The held-out status sample shares no paragraph with the first sample and covers all five documents."""
    assert not {lab["paragraph_id"] for lab in labels} & {lab["paragraph_id"] for lab in heldout}
    assert len({lab["paragraph_id"] for lab in heldout}) == len(heldout) >= 70
    assert all(lab["sample"] == "heldout" for lab in heldout)
    label_docs = Counter(split_quote(lab["quote"])[0] for lab in heldout)
    assert len(label_docs) == 5 and min(label_docs.values()) >= 7, label_docs


def test_key_facts_are_short_alias_lists(questions):
    for q in questions:
        assert len(q["key_facts"]) <= 3, q["id"]
        for aliases in q["key_facts"]:
            assert aliases and all(isinstance(a, str) and 0 < len(a.split()) <= 5 for a in aliases), q["id"]


def test_plan_2023_measure_assignment_resolves(corpus):
    rows = load_jsonl(PLAN_2023_MEASURES)
    measures = [p.id for p in corpus.document("plan-2023").paragraphs if p.kind == "measure"]
    assert sorted(r["paragraph_id"] for r in rows) == sorted(measures)
    for r in rows:
        assert resolve_quote(corpus, r["quote"]) == r["paragraph_id"]
        assert task_exists(corpus, r["task"]), r


def test_resolve_quote_is_whitespace_insensitive_and_strict(corpus):
    # gh-2019-16 writes "We  shall" with a non-breaking space; a single space in the quote still matches.
    pid = resolve_quote(corpus, "gh-2019-16: lift the limits on foreign stake in such value-added telecom services")
    assert corpus.paragraph(pid).task == "4"
    with pytest.raises(GoldError):
        resolve_quote(corpus, "gh-2020-123: Support")  # many matches
    with pytest.raises(GoldError):
        resolve_quote(corpus, "gh-2020-123: a sentence that is not in the corpus at all")
    with pytest.raises(GoldError):
        resolve_quote(corpus, "no-such-doc: anything at all here")


# --- follow-ups and Chinese questions (eval/conversation.py) ----------------------------
DIALOGUES = EVAL_DIR / "dialogues.jsonl"
CHINESE = EVAL_DIR / "questions_zh.jsonl"


@pytest.mark.parametrize("path", [DIALOGUES, CHINESE], ids=["dialogues", "questions_zh"])
def test_conversation_gold_matches_the_parsed_corpus(corpus, path):
    """Same rules as the single questions: every quote, paragraph id and task exists where the data says."""
    items = load_jsonl(path)
    assert not check(corpus, items, []), "\n".join(check(corpus, items, []))
    source = {q["id"]: q for q in load_jsonl(QUESTIONS_FILE)}
    for q in items:  # a first-set item carries its source question's gold, so both files stay in step with it
        if "source" in q:
            assert q["gold_paragraphs"] == source[q["source"]]["gold_paragraphs"], q["id"]
        assert len(q["key_facts"]) <= 3 and all(q["key_facts"]), q["id"]


def test_dialogues_mix_follow_ups_subject_changes_and_out_of_scope():
    items = load_jsonl(DIALOGUES)
    kinds = Counter(q["dialogue"] for q in items)
    assert len(items) >= 30 and kinds["follow-up"] >= 15 and kinds["switch"] >= 5 and kinds["out-of-scope"] >= 5
    for q in items:
        assert q["history"] and q["history"][0]["role"] == "user", q["id"]
        assert q["refuse"] == (q["dialogue"] == "out-of-scope"), q["id"]


def test_chinese_questions_are_chinese_and_include_out_of_scope():
    from rag.core.language import detect

    items = load_jsonl(CHINESE)
    assert len(items) >= 30 and sum(q["refuse"] for q in items) >= 6
    assert all(detect(q["question"]) == "zh" == q["language"] for q in items)
    answerable = [q for q in items if not q["refuse"]]
    with_chinese_alias = [q for q in answerable if any(detect(a) == "zh" for f in q["key_facts"] for a in f)]
    assert len(with_chinese_alias) >= len(answerable) - 2  # figures like "1210" need no Chinese alias


# --- the held-out batch: dev and test by a hash of the id --------------------------------
ALL_FILES = (QUESTIONS_FILE, DIALOGUES, CHINESE)
VERDICTS = {"yes", "yes_conditions", "no", "not_yet", "not_said"}


@pytest.fixture(scope="module")
def batch():
    """Every item written after the code was tuned (ids starting with 'n'), from all three files."""
    return [q for path in ALL_FILES for q in load_jsonl(path) if HASHED_ID.match(q["id"])]


def test_every_item_records_its_split_and_the_first_set_is_all_dev():
    for path in ALL_FILES:
        for q in load_jsonl(path):
            expected = hashed_split(q["id"]) if HASHED_ID.match(q["id"]) else "dev"
            assert q["split"] == expected, (path.name, q["id"])


def test_the_held_out_batch_is_big_varied_and_split_about_in_half(batch):
    splits = Counter(q["split"] for q in batch)
    assert len(batch) >= 300 and min(splits.values()) >= 0.4 * len(batch), splits
    chinese = [q for q in batch if q.get("language") == "zh"]
    follow_ups = [q for q in batch if q.get("history")]
    traps = [q for q in batch if q.get("trap")]
    assert len(chinese) >= 60 and len(follow_ups) >= 60 and len(traps) >= 60
    assert sum(q["split"] == "test" for q in traps) >= 30
    assert sum(q["refuse"] for q in batch) >= 30


def test_every_task_is_the_subject_of_at_least_two_held_out_items(corpus, batch):
    covered = Counter(t for q in batch for t in q["gold_tasks"])
    for doc in corpus.documents.values():
        if not doc.info.official:
            continue
        for num in {p.task for p in doc.paragraphs if p.task}:
            assert covered[f"{doc.id}.t{int(num):02d}"] >= 2, f"{doc.id} task {num}"


def test_traps_and_yes_no_items_carry_a_verdict_and_patterns_that_compile(batch):
    for q in batch:
        if "verdict" in q:
            assert q["verdict"] in VERDICTS and (q["verdict"] == "not_said") == q["refuse"], q["id"]
        if q.get("trap"):
            assert q.get("verdict") and q["must_not"], q["id"]
        for rx in q.get("must_not", []):
            re.compile(rx)
