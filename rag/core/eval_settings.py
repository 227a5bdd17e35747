"""The eval group of the settings (eval/ and its CI gate); part of rag.core.settings.Settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from rag.core.paths import ROOT


class EvalSettings(BaseSettings):
    """Eval and its CI gate (eval/; `rag eval --check` fails under the thresholds)."""

    eval_results_dir: Path = Field(ROOT / "results", description="Where `rag eval` writes its report (not committed).")
    eval_max_drop: float = Field(
        0.02, description="`rag eval --check` fails when a metric falls more than this under baseline."
    )
    eval_llm_subset: int = Field(
        36,
        description="Questions each model backend answers in each split (dev, test) in `rag eval --check`, the CI gate "
        "(`rag eval` alone answers all; `extractive` always answers all). Stratified: round-robin over the question "
        "types, each type in file order; 36 = the first 6 of each of the 6 types per split. Sized for CI (90 min, 2 "
        "cores, `make test` under 40 min): 48 for one split was the gate until the held-out test split came; two "
        "splits at 36 are 72 model answers against 48, near 10 s each on an idle 2-core machine.",
    )
    eval_min_task_recall_at_5: float = Field(
        0.90, description="Minimum task-level Recall@5 of the default retrieval mode."
    )
    eval_min_citation_validity: float = Field(
        1.0,
        description="Minimum share of answers whose every [n] marker maps to a citation of a real paragraph (every backend).",
    )
    eval_min_citation_precision: float = Field(
        0.70,
        description="Minimum share of cited paragraphs that are gold evidence (default backend, settings.backend). "
        "A regression floor: the target is 0.90. Measured on all 146 questions (extractive; the lead cites only "
        "quoted paragraphs, so `local` cites the same): 0.63 when up to 3 sentences came from any paragraphs, 0.79 "
        "since sentences outside the best sentence's paragraph need settings.extractive_other_relative of its score.",
    )
    eval_min_key_fact_recall: float = Field(
        0.70,
        description="Minimum key-fact recall of the default backend (settings.backend) on answerable questions. "
        "A regression floor: the product target is 0.85 (measured on the CI subset of 48: local 0.65 before the "
        "quote selection of settings.extractive_other_relative / extractive_score_weight, 0.775 after).",
    )
    eval_min_refusal_accuracy: float = Field(
        0.75,
        description="Minimum share of out-of-scope questions the default backend refuses. A regression floor: "
        "the product target is 0.90, not yet met (measured 0.75 on the CI subset, 0.875 on 8 questions).",
    )
    eval_max_false_refusal: float = Field(
        0.05, description="Maximum share of answerable questions refused (default backend)."
    )
    eval_conversation_subset: int = Field(
        8,
        description="Items of eval/dialogues.jsonl and of eval/questions_zh.jsonl each model backend answers in "
        "`rag eval` (0 = all; stratified by type like eval_llm_subset; `extractive` answers all without a model).",
    )
    eval_min_followup_task_recall_at_5: float = Field(
        0.90,
        description="Minimum task Recall@5 of follow-ups made standalone by rule (eval/dialogues.jsonl; no model). "
        "Measured 0.942 (0.500 when searched as typed).",
    )
    eval_min_chinese_task_recall_at_5: float = Field(
        0.70,
        description="Minimum task Recall@5 of Chinese questions in the multilingual index alone (no model). "
        "Measured 0.717; with the local model's translation 0.900 (translated) / 0.867 (fused).",
    )
    eval_min_followup_citation_hit: float = Field(
        0.0,
        description="Minimum share of answerable follow-ups citing a gold paragraph (default backend). Target 0.90; "
        "a floor of 0 until the lead measures it (the full local run did not finish on the shared machine).",
    )
    eval_min_followup_key_fact_recall: float = Field(
        0.0,
        description="Minimum key-fact recall on answerable follow-ups (default backend). Target 0.80; floor 0 until "
        "measured.",
    )
    eval_min_chinese_citation_hit: float = Field(
        0.0,
        description="Minimum share of answerable Chinese questions citing a gold paragraph (default backend). "
        "Target 0.85; floor 0 until measured on an idle machine (16-item subset at load 15-18: 0.54, with LLM "
        "timeouts falling back to extractive).",
    )
    eval_min_chinese_answer_language: float = Field(
        0.0,
        description="Minimum share of Chinese questions answered (or refused) in Chinese (default backend). "
        "Target 0.95; floor 0 until measured (16-item subset under heavy load: 0.25, every answer translation "
        "rejected by the marker/figure check or timed out, so the checked English was shown).",
    )
    eval_min_chinese_refusal_accuracy: float = Field(
        0.0,
        description="Minimum share of out-of-scope Chinese questions refused (default backend). Target 0.90; "
        "floor 0 until measured.",
    )
