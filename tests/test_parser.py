"""The generic structure detector: the seeds parse exactly as before, and other numbering styles are read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from rag.core.settings import Settings
from rag.ingest.documents import load_corpus
from rag.ingest.parser import Layout, number_value, parse_text, section_heading

SNAPSHOT = Path(__file__).parent / "data" / "seed_parse.json"
SEED_TASKS = {"gh-2020-123": 26, "gh-2020-123-ipnews": 26, "gh-2019-16": 9, "dongcheng-2019": 64, "plan-2023": 23}


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(Settings())


def _row(p) -> list:
    digest = hashlib.sha256(p.text.encode()).hexdigest()[:16]
    return [p.id, p.kind, p.task, p.task_title, p.group, p.section, p.start, p.end, digest]


@pytest.mark.parametrize("doc_id", sorted(SEED_TASKS))
def test_seed_parses_exactly_as_the_snapshot_taken_before_the_generic_parser(corpus, doc_id):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))[doc_id]
    got = [_row(p) for p in corpus.document(doc_id).paragraphs]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g == e, f"{g[0]} differs"
    assert len({p.task for p in corpus.document(doc_id).paragraphs if p.task}) == SEED_TASKS[doc_id]


def test_numbers_in_every_style_have_their_value():
    assert [number_value(t) for t in ("7", "IV", "IX", "XII", "Four", "四", "十", "十二", "二十")] == [
        7,
        4,
        9,
        12,
        4,
        4,
        10,
        12,
        20,
    ]


def test_section_headings_need_a_short_heading_after_the_number():
    assert section_heading("III . Organization and Implementation") == ("roman", 3)
    assert section_heading("二、主要任务") == ("word", 2)
    assert section_heading("Main Tasks") == ("unnumbered", None)
    assert section_heading("4. Promote the opening up of Internet information services.") is None


CHINESE_PLAN = """北京市某区工作方案
一、总体要求
坚持改革创新，扩大服务业开放。
二、主要任务
（一）推进重点领域开放
1．深化科技服务领域改革。支持外资研发中心发展。
2、推动数字贸易发展。探索数据跨境流动。
（二）优化营商环境
3．完善知识产权保护。
责任单位：区商务局
三、保障措施
加强组织领导。
"""


def test_a_chinese_plan_reads_sections_groups_tasks_and_departments():
    paragraphs, how = parse_text("zh", CHINESE_PLAN)
    assert how == "numbered tasks"
    tasks = [(p.task, p.task_title) for p in paragraphs if p.kind == "task"]
    assert tasks == [
        ("1", "深化科技服务领域改革。支持外资研发中心发展。"),
        ("2", "推动数字贸易发展。探索数据跨境流动。"),
        ("3", "完善知识产权保护。"),
    ]
    assert [p.kind for p in paragraphs if p.task == "3"] == ["task", "departments"]
    assert paragraphs[-1].section == "三、保障措施" and paragraphs[-1].task is None


TASK_PLAN = """Measures for Opening Up

Task 1: Open telecommunications services.
Foreign equity limits are lifted.
Task 2: Support data trading.
A data exchange is set up.
"""


def test_task_n_numbering_without_a_main_tasks_heading_still_gives_tasks():
    paragraphs, how = parse_text("x", TASK_PLAN)
    assert how.startswith("numbered tasks (no main-tasks heading")
    assert [(p.kind, p.task) for p in paragraphs] == [
        ("heading", None),
        ("task", "1"),
        ("measure", "1"),
        ("task", "2"),
        ("measure", "2"),
    ]


def test_a_letter_without_numbered_tasks_says_how_it_was_chunked():
    raw = "Reply\nThe Ministry of Commerce:\nWe agree to the pilot for three years.\nState Council\nMay 5, 2015\n"
    paragraphs, how = parse_text("r", raw)
    assert how.startswith("no recognisable task numbering")
    assert [p.kind for p in paragraphs] == ["title", "letter", "letter", "letter", "letter"]


def test_chrome_from_the_registry_is_dropped():
    paragraphs, _ = parse_text("c", "Home > News\nMain Tasks\n1. Do this.\n", Layout(chrome=(r"^Home >",)))
    assert [p.text for p in paragraphs] == ["Main Tasks", "1. Do this."]
