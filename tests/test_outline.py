"""A question on how many tasks a document has is answered from the document's own numbering."""

from __future__ import annotations

import re

from rag.analysis.outline import COUNT_ASKED_RE, count_sentence, goal_lines, outline, outline_lines
from rag.answer.pipeline import answer
from rag.core.settings import Settings
from tests.conftest import FakeCorpus, make_document, make_paragraph


def _plan(numbers: tuple[str, ...] = ("1", "2", "3")) -> FakeCorpus:
    paragraphs = [make_paragraph("plan.p000", "(1) Open up finance", kind="group")]
    for n in numbers:
        if n == "3":
            paragraphs.append(make_paragraph("plan.p010", "(2) Improve the environment", kind="group"))
        paragraphs.append(make_paragraph(f"plan.p0{n}{n}", f"{n}. Task {n}", kind="task", task=n))
    news = [
        make_paragraph("news.p000", "There are 3 major tasks in 2 categories proposed in the plan.", kind="excerpt"),
        make_paragraph("news.p001", "There are 5 major tasks in the other plan.", kind="excerpt"),
    ]
    return FakeCorpus(
        {"plan": make_document(paragraphs, "plan"), "news": make_document(news, "news", canonical_id="plan")}
    )


def test_the_count_rests_on_the_last_task_the_last_group_and_a_translation_stating_the_same_count():
    corpus = _plan()
    found = outline(corpus, "plan")
    assert found is not None and len(found.tasks) == 3 and len(found.groups) == 2
    assert [p.id for p in found.stating] == ["news.p000"]  # "5 major tasks" states another count: not kept
    lines = outline_lines("How many tasks are there in the plan, and in how many groups?", corpus, {"plan"})
    assert [p.id for p in lines] == ["news.p000", "plan.p033", "plan.p010"]
    without_groups = outline_lines("How many tasks does the plan list?", corpus, {"plan"})
    assert [p.id for p in without_groups] == ["news.p000", "plan.p033"]
    assert outline_lines("How many foreign banks are in Beijing?", corpus, {"plan"}) == []
    marker = {"news.p000": 1, "plan.p033": 2, "plan.p010": 3}
    assert count_sentence(corpus, marker) == "plan lists 3 numbered tasks [1][2], in 2 groups [3]."
    assert count_sentence(corpus, {"plan.p033": 4}) == "plan lists 3 numbered tasks [4]."
    assert count_sentence(corpus, {"news.p000": 1}) == ""  # the last task is not quoted: no count was asked
    assert [p.id for p in outline_lines("这个方案一共有多少项任务？分为几大类？", corpus, {"plan"})][-1] == "plan.p010"


def test_a_numbering_with_a_gap_gives_no_count():
    assert outline(_plan(("1", "3")), "plan") is None
    assert count_sentence(_plan(("1", "3")), {"plan.p033": 1}) == ""


def test_a_count_question_on_the_real_corpus_is_answered_from_the_numbering_without_the_model(real):
    # The nearest passages by words are reply letters ("the 64th executive meeting"): a count is read, not matched.
    settings = Settings(backend="local", model_file="/nonexistent.gguf")  # a model call would fail the answer
    a = answer("How many tasks does the 2023 plan list?", real, settings=settings)
    assert not a.refused and re.match(r"plan-2023 lists 23 numbered tasks \[\d\]\. 23\. Strengthening", a.text)
    assert [c.paragraph_id for c in a.citations] == ["plan-2023.p067"] and a.backend == "extractive"
    dongcheng = answer("how many tasks r there in the Dongcheng proposal?", real, settings=settings)
    assert dongcheng.text.startswith("dongcheng-2019 lists 64 numbered tasks") and "64th" not in dongcheng.text


def test_task_headings_and_numbered_measures_ask_for_the_count_of_tasks_but_not_a_count_of_some():
    assert COUNT_ASKED_RE.search("how many task headings does the 2023 plan have?")
    assert COUNT_ASKED_RE.search("How many numbered measures does Dongcheng's proposal break the work down into?")
    assert not COUNT_ASKED_RE.search("How many numbered measures concern tourism?")
    assert not COUNT_ASKED_RE.search("How many measures does the plan take on tourism?")


def test_a_documents_goals_asked_are_its_goals_section_and_a_year_asked_picks_its_own_paragraph():
    section = "2. Development goals"
    paragraphs = [
        make_paragraph("plan.p001", section, kind="heading", section=section),
        make_paragraph("plan.p002", "By 2025, basically complete the policy system.", kind="body", section=section),
        make_paragraph("plan.p003", "By 2030, achieve free and convenient trade.", kind="body", section=section),
        make_paragraph("plan.p004", "1. Open up finance to reach the 2030 target", kind="task", task="1"),
    ]
    corpus = FakeCorpus({"plan": make_document(paragraphs, "plan")})
    ids = lambda question: [p.id for p in goal_lines(question, corpus, {"plan"})]
    assert ids("2020 plan: the 2030 target?") == ["plan.p003"]
    assert ids("What are the goals of the 2020 plan?") == ["plan.p002", "plan.p003"]
    assert ids("What is the plan meant to achieve by 2025?") == ["plan.p002"]
    assert ids("2020年的方案到2025年要实现哪些目标？") == ["plan.p002"]
    assert ids("Can foreign banks trade gold futures by 2025?") == []  # no goal asked
    assert goal_lines("What are the goals?", corpus, set()) == []  # no document named
