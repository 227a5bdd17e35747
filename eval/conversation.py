"""Follow-ups and Chinese questions: the `conversation` and `multilingual` metric groups of `rag eval`.

eval/dialogues.jsonl holds a history and a follow-up per line (`dialogue`: follow-up, switch = a new
subject the history must not change, out-of-scope); eval/questions_zh.jsonl holds Chinese questions.
Both carry the gold of eval/questions.jsonl (see eval/README.md). Keys:

  <group>.retrieval.task.recall@1|@5   no model: the follow-up made standalone by rule / the Chinese
                                       question in the multilingual index (every item)
  <group>.<backend>.task.recall@5      the search the answer ran: the model's standalone form or translation
                                       (and the Chinese words in the multilingual index); model backends only
  <group>.<backend>.citation_hit       some citation is a gold paragraph (answerable items)
  <group>.<backend>.key_fact_recall    key facts, with aliases in English and Chinese
  <group>.<backend>.answer_language    the answer's lead (or the refusal) is in the question's language
  <group>.<backend>.refusal_accuracy   out-of-scope items refused
  <group>.<backend>.false_refusal      answerable items refused

`extractive` answers every item without any model (settings.language_model='none': the multilingual
index only, answers left in English); the other backends answer settings.eval_conversation_subset
items of each file, stratified by type, with the language model translating.
"""

from __future__ import annotations

from pathlib import Path

from eval.data import EVAL_DIR, gold_of, load_questions, model_subset, split_of
from eval.metrics import faithfulness, key_fact_recall, paragraph_matches, ranked_units, ranking_metrics
from eval.runner import NO_MODEL_BACKENDS, Run, metric_group
from rag.answer.conversation import parse_history, prepare
from rag.answer.pipeline import answer
from rag.core.errors import RagError
from rag.core.language import DEFAULT, detect
from rag.core.types import Answer

DIALOGUES_FILE = EVAL_DIR / "dialogues.jsonl"
CHINESE_FILE = EVAL_DIR / "questions_zh.jsonl"


def answer_language(a: Answer, language: str) -> float:
    """1.0 when the answer's own words are in `language`: a refusal's text, or the lead of an answer. The quoted
    source sentences stay the documents' English by design, so they are not judged, nor is the verdict's decisive
    clause (a quote too); an answer made of quotes alone has no words of its own and is in English."""
    own = a.text if a.refused else a.lead.replace(a.decisive, " ") if a.decisive else a.lead
    return float(detect(own) == language if own.strip() else language == DEFAULT)


def score_turn(a: Answer, q: dict, gold_paragraphs: list[set[str]], task_of) -> dict[str, float]:
    """Per-item values; a key is absent where the metric does not apply."""
    out = {"answer_language": answer_language(a, q.get("language", DEFAULT))} if a.text else {}
    out |= faithfulness(a, q)
    if q["refuse"]:
        out["refusal_accuracy"] = float(a.refused)
        return out
    out["false_refusal"] = float(a.refused)
    cited = [c.paragraph_id for c in a.citations]
    out["citation_hit"] = float(any(paragraph_matches(p, g, task_of) for p in cited for g in gold_paragraphs))
    out["key_fact_recall"] = 0.0 if a.refused else key_fact_recall(a.text, q["key_facts"])
    return out


def _retrieval(run: Run, group: str, items: list[dict], gold: dict) -> None:
    """Task recall with no model: what retrieval gets from the rule-made standalone question or the asker's words."""
    plain = run.settings.model_copy(update={"language_model": "none"})
    for q in items:
        if not gold[q["id"]].tasks:
            continue
        turn = prepare(q["question"], q.get("history"), plain)
        hits = run.retriever.search(turn.search, 10, **turn.search_options)
        metrics = ranking_metrics(ranked_units(hits), gold[q["id"]].tasks)
        for k in ("recall@1", "recall@5"):
            run.values[q["id"]][f"{group}.retrieval.task.{k}"] = metrics[k]
        run.details[q["id"]][f"{group}.standalone"] = turn.search


def _route_recall(run: Run, q: dict, a: Answer, tasks) -> float:
    """Task recall@5 of the search the answer ran (the product's route): the model's standalone form or translation,
    and a translated question's own words in the multilingual index. `<group>.retrieval.task` is the no-model route."""
    translated = a.standalone_question != q["question"] and detect(q["question"]) != DEFAULT
    options = {"original": q["question"]} if translated else {}
    hits = run.retriever.search(a.standalone_question or q["question"], 10, **options)
    return ranking_metrics(ranked_units(hits), tasks)["recall@5"]


def run_file(run: Run, group: str, path: Path) -> None:
    items = [q for q in load_questions(path, run.split) if q.get("trap") or not run.traps]
    run.splits.update({q["id"]: split_of(q) for q in items})
    for q in items:
        q["history"] = parse_history(q.get("history"), f"{path.name} {q['id']}")
    gold = {q["id"]: gold_of(q, run.retriever.corpus) for q in items}
    _retrieval(run, group, items, gold)
    for backend in run.backends:
        model_free = backend in NO_MODEL_BACKENDS
        settings = run.settings.model_copy(update={"language_model": "none"}) if model_free else run.settings
        subset = items if model_free else model_subset(items, run.settings.eval_conversation_subset)
        if len(subset) < len(items):
            run.notes.append(
                f"{group}: `{backend}` answered {len(subset)} of {len(items)} items "
                f"(settings.eval_conversation_subset={run.settings.eval_conversation_subset} per split, stratified by type)."
            )
        for q in run.bar(subset, f"{group} {backend}"):
            try:
                a = answer(q["question"], run.retriever, history=q["history"], backend=backend, settings=settings)
            except RagError as err:  # shown as an error in the app: counts as a refusal
                a = Answer(question=q["question"], text="", refused=True, backend=backend, notice=f"error: {err}")
            values = score_turn(a, q, gold[q["id"]].paragraphs, run.task_of)
            if not model_free and gold[q["id"]].tasks and a.standalone_question:
                values["task.recall@5"] = _route_recall(run, q, a, gold[q["id"]].tasks)
            run.values[q["id"]].update({f"{group}.{backend}.{k}": v for k, v in values.items()})
            run.details[q["id"]][f"{group}.{backend}"] = a.to_json()


@metric_group("conversation")
def conversation_metrics(run: Run) -> None:
    """Follow-ups (eval/dialogues.jsonl): standalone retrieval, citations, key facts, refusals."""
    run_file(run, "conversation", DIALOGUES_FILE)


@metric_group("multilingual")
def multilingual_metrics(run: Run) -> None:
    """Chinese questions (eval/questions_zh.jsonl): retrieval, citations, key facts, answer language, refusals."""
    run_file(run, "multilingual", CHINESE_FILE)
