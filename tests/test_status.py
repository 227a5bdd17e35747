"""Measure status tagging, on sentences written for the tests (not copied from the labelled sample)."""

import json

import pytest

from eval.metrics import status_accuracy
from rag.analysis.status import LABELS, Status, is_measure, status_of, tag
from tests.conftest import corpus_of
from tests.conftest import make_document as _doc
from tests.conftest import make_paragraph as _para


@pytest.mark.parametrize(
    "text, label",
    [
        ("Foreign law firms are allowed to open representative offices in the zone.", "in_force"),
        ("Allow qualified overseas hospitals to set up clinics in Beijing.", "in_force"),
        ("Caps on foreign ownership of travel agencies will be lifted.", "in_force"),
        ("The approval of exhibition venues will be delegated to the districts.", "in_force"),
        ("Open domestic data centre services to foreign investors (foreign share below 50%).", "in_force"),
        ("Accompanying spouses shall be granted residence permits of the same length.", "in_force"),
        ("Qualified foreign insurers may provide reinsurance services without a local partner.", "in_force"),
        ("Support foreign-owned banks to apply for custody licences.", "supported"),
        ("Encourage overseas universities to run joint programmes in Haidian.", "supported"),
        ("Priority is given to supporting cultural enterprises that export games.", "supported"),
        ("Support will be provided to arbitration centres that hear foreign cases.", "supported"),
        ("Explore a mechanism for mutual recognition of engineering licences.", "explore"),
        ("Study the introduction of tax incentives for foreign researchers.", "explore"),
        ("Research on green bonds will be conducted.", "explore"),
        ("Carry out pilot projects for cross-border wealth management.", "explore"),
        ("We shall seek ways to simplify customs clearance for art works.", "explore"),
        ("Efforts will be made to explore a single window for visas.", "explore"),
        ("Build an international talent community in Chaoyang.", "other"),
        ("Optimize the approval process for film co-productions.", "other"),
    ],
)
def test_governing_verb_decides_the_status(text, label):
    assert tag(text).label == label


def test_a_study_subject_makes_a_granting_verb_exploratory():
    assert tag("The study will allow foreign banks to trade bond futures.") == Status("explore", "The study will")


def test_a_participle_after_the_main_verb_does_not_decide():
    s = tag("Explore a credential scheme for architects, allowing licensed foreigners to sign drawings.")
    assert s == Status("explore", "Explore")


def test_support_governs_the_infinitive_it_introduces():
    assert tag("Support wholly foreign-owned firms to apply for fund manager licences.").label == "supported"


def test_the_first_main_clause_decides_not_a_later_aside():
    assert tag("Improve the layout of international schools, and allow schools to admit foreign pupils.") == Status(
        "other", ""
    )
    s = tag("Encourage airlines to add routes, and allow foreign carriers to use both airports.")
    assert s.label == "supported"
    assert tag("Build a museum district. Foreign galleries are allowed to open branches.").label == "other"


def test_an_infinitive_inside_a_neutral_clause_does_not_decide():
    assert tag("Promote trading venues to explore new settlement methods.").label == "other"


def test_a_relative_clause_does_not_hide_the_main_verb():
    s = tag("All payments by foreign investors that are lawful may be remitted abroad freely.")
    assert s.label == "in_force" and s.cue.startswith("may")


def test_a_cue_word_used_as_a_noun_modifier_is_not_a_verb():
    assert tag("Research institutions will receive new buildings.").label == "other"
    assert tag("Pilot projects for data trading will be launched.").label == "explore"  # a pilot is exploratory
    assert tag("Build pilot zones for data trading, and research centres for AI.").label == "other"


def test_a_gerund_topic_line_is_skipped():
    text = "Encouraging foreign trade in culture. We shall improve exhibition platforms."
    assert tag(text).label == "other"


def test_a_task_heading_without_subject_is_skipped_but_a_we_shall_task_is_read():
    assert tag("3. Support culture. Build a new museum district.", kind="task").label == "other"
    assert tag("4. We shall explore art leasing. Build a museum.", kind="task").label == "explore"


def test_the_cue_is_verbatim_text():
    text = "Eligible foreign nationals will be permitted to work as securities consultants."
    s = tag(text)
    assert s.label == "in_force" and s.cue in text


def test_status_of_is_computed_once_per_paragraph():
    p = _para("d.p001", "Allow foreign schools to enrol local pupils.")
    assert status_of(p) is status_of(p)
    assert (status_of(p).label, status_of(p).cue) == ("in_force", "Allow")


def test_inline_task_paragraphs_are_measures_only_without_separate_measures():
    task = _para("d.p001", "1. We shall explore X.", kind="task")
    assert is_measure(task, _doc([task]))
    assert not is_measure(task, _doc([task, _para("d.p002", "Explore Y.")]))


def test_status_accuracy_counts_the_confusion(tmp_path):
    paras = [_para("d.p001", "Allow X."), _para("d.p002", "Explore Y."), _para("d.p003", "Build Z.")]

    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        "\n".join(
            json.dumps(x)
            for x in [
                {"paragraph_id": "d.p001", "status": "in_force"},
                {"paragraph_id": "d.p002", "status": "explore"},
                {"paragraph_id": "d.p003", "status": "supported"},
            ]
        )
    )
    result = status_accuracy(labels, corpus_of(paras))
    assert result["n"] == 3 and result["accuracy"] == round(2 / 3, 4)
    assert result["confusion"]["supported"]["other"] == 1
    assert set(result["gold_counts"]) == set(LABELS)


@pytest.mark.parametrize(
    "text",
    [
        "Foreign equity restrictions are to be lifted on app stores in Beijing.",
        "Caps on foreign ownership of travel agencies will be lifted at an appropriate time.",
        "Foreign law firms are allowed to open offices, with further opening considered in due course.",
    ],
)
def test_a_grant_that_is_intended_or_put_off_is_a_plan_not_in_force(text):
    s = tag(text)
    assert s.label == "explore" and s.cue.split(" …")[0] in text
