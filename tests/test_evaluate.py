"""The eval runner's metric functions and CI gate, on tiny hand-made inputs (no models)."""

from __future__ import annotations

import math

import pytest

from eval.data import Gold, llm_subset, model_subset
from eval.gate import check, thresholds
from eval.metrics import (
    citation_scores,
    citation_validity,
    faithfulness,
    key_fact_recall,
    normalize,
    ranking_metrics,
    score_answer,
    sentence_coverage,
)
from rag.core.settings import Settings
from rag.core.types import Answer, Citation
from tests.conftest import corpus_of, make_paragraph

CORPUS = corpus_of([make_paragraph(f"d.p00{i}", "") for i in (1, 2, 3)])  # the paragraph ids citations may use


def _citation(marker: int, pid: str, quote: str = "") -> Citation:
    return Citation(
        marker=marker,
        paragraph_id=pid,
        doc_id="d",
        canonical_doc_id="d",
        task="1",
        section="",
        quote=quote,
        start=0,
        end=0,
        url="",
    )


def _answer(text: str, *cited: tuple[int, str], refused: bool = False) -> Answer:
    return Answer(
        question="q", text=text, refused=refused, backend="fake", citations=[_citation(m, p) for m, p in cited]
    )


# --- ranking ------------------------------------------------------------------------
def test_ranking_metrics_two_gold_items_at_ranks_1_and_3():
    m = ranking_metrics(["a", "x", "b", "y"], [{"a"}, {"b"}])
    assert m["recall@1"] == 0.5 and m["recall@5"] == 1.0 and m["recall@10"] == 1.0
    assert m["mrr"] == 1.0
    assert m["ndcg@10"] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_ranking_metrics_first_hit_at_rank_3_gives_mrr_one_third():
    m = ranking_metrics(["x", "y", "a"], [{"a"}])
    assert (m["recall@1"], m["recall@5"], m["mrr"]) == (0.0, 1.0, pytest.approx(1 / 3))
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(4))


def test_ranking_metrics_nothing_found_is_all_zero():
    assert set(ranking_metrics(["x", "y"], [{"a"}]).values()) == {0.0}


def test_any_of_group_counts_once_when_any_member_is_ranked():
    m = ranking_metrics(["x", "b2", "b1"], [{"b1", "b2"}])
    assert m["recall@5"] == 1.0 and m["mrr"] == 0.5
    assert m["ndcg@10"] == pytest.approx(1 / math.log2(3))


def test_one_item_in_two_groups_keeps_ndcg_within_one():
    m = ranking_metrics(["a"], [{"a"}, {"a", "b"}])
    assert m["recall@1"] == 1.0
    assert 0 < m["ndcg@10"] <= 1.0


def test_gold_beyond_rank_10_counts_for_nothing():
    m = ranking_metrics([f"x{i}" for i in range(10)] + ["a"], [{"a"}])
    assert m["recall@10"] == 0.0 and m["mrr"] == 0.0 and m["ndcg@10"] == 0.0


# --- key facts ----------------------------------------------------------------------
def test_normalize_unifies_percent_dashes_quotes_brackets_commas_and_spacing():
    assert normalize("Not  exceeding\n50%") == "not exceeding 50 percent"
    assert normalize("50 per cent") == "50 percent"
    assert normalize("20,000,000 yuan") == "20000000 yuan"
    assert normalize("Work Plan — “Two Zones”") == normalize('work plan - "two zones"')
    assert normalize("GH〔2019〕 No. 16") == normalize("GH[2019] No. 16")


def test_key_fact_recall_counts_facts_with_any_alias_present():
    text = "Foreign shareholding may not exceed 50 % in Beijing."
    assert key_fact_recall(text, [["fifty percent", "50%"], ["Shanghai"]]) == 0.5
    assert key_fact_recall("It rose to 20,000,000 yuan.", [["20000000", "20 million"]]) == 1.0


# --- citations ----------------------------------------------------------------------
def test_citation_validity_needs_every_marker_to_map_to_an_existing_paragraph():
    corpus = CORPUS
    assert citation_validity(_answer("A [1]. B [1, 2].", (1, "d.p001"), (2, "d.p002")), corpus) == 1.0
    assert citation_validity(_answer("A [1]. B [3].", (1, "d.p001")), corpus) == 0.0  # no citation 3
    assert citation_validity(_answer("A [1].", (1, "d.p999")), corpus) == 0.0  # unknown paragraph
    assert citation_validity(_answer("The documents do not say.", refused=True), corpus) == 1.0


def test_sentence_coverage_counts_sentences_with_a_valid_marker():
    corpus = CORPUS
    a = _answer("Foreign banks may apply [1]. The cap is 50 percent. Ask the bureau [7].", (1, "d.p001"))
    assert sentence_coverage(a, corpus) == pytest.approx(1 / 3)
    # a marker after the full stop belongs to the sentence it follows
    assert sentence_coverage(_answer("Banks may apply. [1] The cap is 50 percent. [1]", (1, "d.p001")), corpus) == 1.0


def test_citation_precision_and_recall_against_any_of_groups():
    task_of = {"d.p001": "d.t01", "d.p002": "d.t01", "d.p003": "d.t02", "n.p010": "d.t01"}.get
    scores = citation_scores(["d.p001", "d.p003"], [{"d.p001"}, {"d.p005"}], task_of)
    assert scores == {"citation_recall": 0.5, "citation_precision": 0.5, "citation_hit": 1.0}


def test_other_translation_paragraph_counts_for_the_same_task():
    task_of = {"d.p001": "d.t01", "n.p010": "d.t01"}.get  # n is the unofficial translation of d
    assert citation_scores(["n.p010"], [{"d.p001"}], task_of) == {
        "citation_recall": 1.0,
        "citation_precision": 1.0,
        "citation_hit": 1.0,
    }


def test_no_citations_gives_recall_and_hit_zero_and_no_precision():
    assert citation_scores([], [{"d.p001"}], lambda _: None) == {"citation_recall": 0.0, "citation_hit": 0.0}


def test_refusing_an_answerable_question_scores_zero_facts_and_a_false_refusal():
    q = {"refuse": False, "key_facts": [["50 percent"]]}
    gold = Gold(tasks=[{"d.t01"}], paragraphs=[{"d.p001"}], docs=["d"])
    values = score_answer(_answer("The documents do not say.", refused=True), q, gold, CORPUS, lambda _: None)
    assert values == {
        "citation_validity": 1.0,
        "false_refusal": 1.0,
        "key_fact_recall": 0.0,
        "citation_recall": 0.0,
        "citation_hit": 0.0,
    }


def test_out_of_scope_question_is_scored_on_refusal_only():
    q = {"refuse": True, "key_facts": []}
    values = score_answer(_answer("Yes [1].", (1, "d.p001")), q, Gold([], [], ["none"]), CORPUS, lambda _: None)
    assert values == {"citation_validity": 1.0, "refusal_accuracy": 0.0}


# --- subsets -----------------------------------------------------------------
def test_llm_subset_round_robins_over_types_in_file_order():
    qs = [{"id": f"e{i}", "type": "eligibility"} for i in range(4)] + [{"id": "o0", "type": "out-of-scope"}]
    assert [q["id"] for q in llm_subset(qs, 3)] == ["e0", "e1", "o0"]
    assert llm_subset(qs, 0) == qs


def test_model_subset_takes_the_stratified_subset_in_each_split_apart_first_and_later_items_alternating():
    qs = [{"id": f"q{i}", "type": "lookup", "split": "dev"} for i in range(3)]
    qs += [{"id": "n9", "type": "governs", "split": "dev"}]  # a held-out item of another type between them
    qs += [{"id": f"n{i}", "type": "lookup", "split": "dev"} for i in range(3)]
    qs += [{"id": f"nt{i}", "type": "lookup", "split": "test"} for i in range(3)]
    assert [q["id"] for q in model_subset(qs, 4)] == ["q0", "q1", "n9", "n0", "nt0", "nt1", "nt2"]


# --- the gate ---------------------------------------------------------------------------
KEY = "retrieval.hybrid.task.recall@5"


def _baseline(values: dict) -> dict:
    return {"questions": values}


def test_check_passes_when_nothing_changed():
    values = {"q1": {KEY: 1.0}, "q2": {KEY: 1.0}}
    assert check(values, _baseline(values), {KEY: 0.9}, 0.02) == []


def test_check_flags_a_drop_over_max_drop_and_names_the_questions():
    base = {f"q{i}": {KEY: 1.0} for i in range(10)}
    now = base | {"q3": {KEY: 0.0}}  # mean 0.9: a 0.1 drop, threshold still met
    [failure] = check(now, _baseline(base), {KEY: 0.9}, 0.02)
    assert failure.metric == KEY and "baseline" in failure.why and failure.worse == ["q3"]


def test_check_tolerates_a_drop_within_max_drop():
    base = {f"q{i}": {KEY: 1.0} for i in range(100)}
    now = base | {"q0": {KEY: 0.0}}  # 0.01 drop
    assert check(now, _baseline(base), {}, 0.02) == []


def test_check_flags_a_threshold_breach_without_a_baseline():
    [failure] = check({"q1": {KEY: 1.0}, "q2": {KEY: 0.0}}, None, {KEY: 0.9}, 0.02)
    assert "under the threshold" in failure.why


def test_check_treats_false_refusal_as_lower_is_better():
    key = "answer.local.false_refusal"
    base = {f"q{i}": {key: 0.0} for i in range(10)}
    failures = check(base | {"q1": {key: 1.0}}, _baseline(base), {key: 0.05}, 0.02)
    assert any("above the maximum" in f.why for f in failures)
    assert any("vs baseline" in f.why for f in failures)
    assert all(f.worse == ["q1"] for f in failures)


def test_check_compares_only_questions_both_runs_measured():
    base = {"q1": {KEY: 1.0}, "q2": {KEY: 0.0}}
    assert check({"q1": {KEY: 1.0}}, _baseline(base), {}, 0.02) == []  # q2 did not run now


def test_answer_quality_thresholds_apply_to_the_default_backend_only():
    limits = thresholds(Settings(backend="local", retrieval_mode="hybrid"), ["hybrid"], ["extractive", "local"])
    for metric in ("key_fact_recall", "citation_precision", "refusal_accuracy", "false_refusal"):
        assert f"answer.local.{metric}" in limits and f"answer.extractive.{metric}" not in limits
    assert limits["answer.extractive.citation_validity"] == 1.0
    assert limits["retrieval.hybrid.task.recall@5"] == Settings().eval_min_task_recall_at_5


def test_no_contradiction_is_allowed_for_any_backend_single_follow_up_or_chinese():
    limits = thresholds(Settings(backend="local"), ["hybrid"], ["extractive", "local"])
    for backend in ("extractive", "local"):
        for key in ("answer.{}.contradictions", "conversation.{}.contradictions", "multilingual.{}.contradictions"):
            assert limits[key.format(backend)] == 0.0
    [failure] = check({"z1": {"multilingual.local.contradictions": 1.0}}, None, limits, 0.02)
    assert failure.metric == "multilingual.local.contradictions"


def test_a_drop_on_test_fails_however_well_dev_does():
    base = {f"d{i}": {KEY: 1.0} for i in range(80)} | {f"t{i}": {KEY: 1.0} for i in range(10)}
    now = base | {"t1": {KEY: 0.0}}  # 1 of 90 pooled (0.011, within 0.05); 1 of 10 on test (0.1)
    groups = {"dev": [q for q in now if q.startswith("d")], "test": [q for q in now if q.startswith("t")]}
    assert check(now, _baseline(base), {}, 0.05) == []
    [failure] = check(now, _baseline(base), {}, 0.05, groups)
    assert failure.metric == f"[test] {KEY}" and failure.worse == ["t1"]


def test_thresholds_hold_in_each_split():
    now = {"d1": {KEY: 1.0}, "d2": {KEY: 1.0}, "d3": {KEY: 1.0}, "t1": {KEY: 0.5}}
    [failure] = check(now, None, {KEY: 0.8}, 0.02, {"dev": ["d1", "d2", "d3"], "test": ["t1"]})
    assert failure.metric == f"[test] {KEY}" and "under the threshold" in failure.why


def test_the_verdict_rules_have_a_ceiling_on_wrong_verdicts_in_each_split():
    key = "answer.extractive.wrong_verdicts"
    assert thresholds(Settings(), ["hybrid"], ["extractive", "local"])[key] == Settings().eval_max_wrong_verdicts
    now = {"d1": {key: 0.0}, "t1": {key: 1.0}, "t2": {key: 0.0}}
    [failure] = check(now, None, {key: 0.15}, 0.02, {"dev": ["d1"], "test": ["t1", "t2"]})
    assert failure.metric == f"[test] {key}" and "above the maximum" in failure.why


def test_faithfulness_counts_a_forbidden_verdict_in_the_assistants_words_not_in_the_quote():
    q = {"refuse": False, "key_facts": [], "must_not": [r"\bstill (needs?|required)\b"], "verdict": "no"}
    quote = "The requirement that it is still required to have 3 years of experience shall be eliminated."
    cite = _citation(1, "d.p001", quote)  # the verbatim sentence under the verdict says "still required"
    quoted = Answer(
        "q", f"No: the requirement is eliminated [1]. {quote[:-1]} [1].", False, "fake", [cite], verdict="no"
    )
    assert faithfulness(quoted, q) == {"contradictions": 0.0, "verdict_accuracy": 1.0, "wrong_verdicts": 0.0}
    wrong = Answer(
        "q", "Yes, it still needs 3 years [1].", False, "fake", [cite], lead="Yes, it still needs 3 years [1]."
    )
    assert faithfulness(wrong, q)["contradictions"] == 1.0 and faithfulness(wrong, q)["verdict_accuracy"] == 0.0


def test_a_withheld_verdict_is_not_accurate_and_not_wrong_a_shown_other_one_is_both():
    q = {"refuse": False, "key_facts": [], "verdict": "no"}
    withheld = Answer("q", "The requirement is eliminated [1].", False, "fake")
    other = Answer("q", "Not yet, planned or to be explored: “…” [1].", False, "fake", verdict="not_yet")
    assert faithfulness(withheld, q) == {"verdict_accuracy": 0.0, "wrong_verdicts": 0.0}
    assert faithfulness(other, q) == {"verdict_accuracy": 0.0, "wrong_verdicts": 1.0}


def test_a_lead_that_describes_the_passage_is_a_meta_lead():
    q = {"refuse": False, "key_facts": []}
    meta = Answer("q", "x", False, "fake", lead="The passage discusses private fund managers [1].")
    assert faithfulness(meta, q)["meta_leads"] == 1.0
    assert faithfulness(Answer("q", "x", False, "fake", lead="Yes, with support [1]."), q)["meta_leads"] == 0.0
