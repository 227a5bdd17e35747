"""Yes-or-no questions answered by a quoted department line or a stated relation (rag.answer.listed)."""

from __future__ import annotations

from rag.analysis.relations import Registry
from rag.answer.listed import Listed, listed_verdict
from rag.answer.opening import opening
from rag.answer.quotes import Quote
from rag.answer.readings import read
from rag.core.text import split_sentences
from rag.core.types import Evidence

TASK = "dongcheng-2019.p095"  # the duty-free shop measure
DEPARTMENTS = "dongcheng-2019.p096"  # its line: Finance Bureau, Tax Service, Dongcheng Customs, Commerce, Culture ...


def _quotes(real, *pids: str) -> list[Quote]:
    """Every sentence of each paragraph as a quote, the paragraphs numbered [1], [2], ... in order."""
    quotes = []
    for n, pid in enumerate(pids, 1):
        paragraph = real.corpus.paragraph(pid)
        ev = Evidence(n, paragraph, real.chunk_of(pid), 0.9)
        text = paragraph.quotable
        quotes += [Quote(ev, i, text[a:b]) for i, (a, b) in enumerate(split_sentences(text))]
    return quotes


def test_a_body_the_quoted_department_line_names_is_a_yes_quoting_that_department(real):
    quotes = _quotes(real, TASK, DEPARTMENTS)
    registry = Registry(real.corpus)
    asked = "Duty-free shop tax policy in Dongcheng: who handles it? Is Dongcheng Customs one of the responsible units?"
    assert listed_verdict(asked, quotes, registry) == Listed("yes", "“Dongcheng Customs” [2]")
    asked = "Who handles the duty-free shop tax policy? Is the tax office involved?"
    assert listed_verdict(asked, quotes, registry) == Listed("yes", "“the Tax Service of Dongcheng District” [2]")


def test_a_body_the_line_does_not_name_is_a_no_but_words_that_name_no_body_decide_nothing(real):
    quotes = _quotes(real, TASK, DEPARTMENTS)
    registry = Registry(real.corpus)
    verdict = listed_verdict("Who handles the duty-free shop tax policy? Is the court one of them?", quotes, registry)
    assert verdict is not None and verdict.verdict == "no" and "Finance Bureau" in verdict.decisive
    # not a body ("the same"), a pronoun, or no department line quoted: the list decides nothing
    assert listed_verdict("Who handles it? Is it the same one of them?", quotes, registry) is None
    assert listed_verdict("Is it involved?", quotes, registry) is None
    assert listed_verdict("Is Dongcheng Customs one of them?", _quotes(real, TASK), registry) is None


def test_a_department_named_in_part_decides_nothing(real):
    quotes = _quotes(real, TASK, DEPARTMENTS)
    # "Finance" is listed, "Securities" is not: the name is neither found nor absent
    assert listed_verdict("Is the Finance and Securities Bureau one of them?", quotes, Registry(real.corpus)) is None


def test_an_earlier_reply_kept_in_force_is_a_yes_to_still_valid_and_a_no_to_dead_with_the_stating_words(real):
    quotes = _quotes(real, "gh-2019-16.p063")
    registry = Registry(real.corpus)
    verdict = listed_verdict("Is the 2015 reply (No. 81) still valid now that the 2019 plan is out?", quotes, registry)
    assert verdict is not None and (verdict.verdict, verdict.status) == ("yes", "in_force")
    assert (
        "shall continue to be effective” [1]" in verdict.decisive
        and "the latter shall prevail” [1]" in verdict.decisive
    )
    verdict = listed_verdict("Is the 2015 framework reply (No. 81) dead after the 2019 plan?", quotes, registry)
    assert verdict is not None and verdict.verdict == "no"
    # asking both ways at once has no one-word answer
    assert listed_verdict("Is No. 81 still valid after the 2019 plan, or was it replaced?", quotes, registry) is None
    # asked also which one wins: in force on the condition that the later plan prevails
    asked = "Is the 2015 reply (No. 81) still in force under the 2019 plan, and which one do we follow if they clash?"
    verdict = listed_verdict(asked, quotes, registry)
    assert verdict is not None and (verdict.verdict, verdict.status) == ("yes_conditions", "in_force")
    assert "the latter shall prevail” [1]" in verdict.decisive


def test_a_relation_the_answer_does_not_quote_decides_nothing(real):
    quotes = _quotes(real, TASK)
    asked = "Is the 2015 reply (No. 81) still valid now that the 2019 plan is out?"
    assert listed_verdict(asked, quotes, Registry(real.corpus)) is None


def test_a_listed_verdict_opens_the_answer_in_place_of_the_measures_markers():
    question = "Who handles the duty-free tax policy? Is Dongcheng Customs one of them?"
    readings = [read("We shall implement the tax policy for duty-free shops in the city", 1)]
    first = opening(question, readings, "", Listed("yes", "“Dongcheng Customs” [2]"))
    assert (first.text, first.verdict) == ("Yes: “Dongcheng Customs” [2].", "yes")
    assert opening(question, readings, "").verdict is None  # the measure alone decides nothing here


def test_the_headline_status_agrees_with_the_verdict_not_with_the_cited_paragraph_alone():
    from rag.answer.opening import Opening, headline_status

    plan = Opening("Not yet, planned or to be explored: “...” [1].", "not_yet", "“...” [1]", "")
    assert headline_status(plan, None, "other") == "explore"  # the verdict read a plan the paragraph's tag missed
    kept = Listed("yes", "“All policy measures will continue to be implemented” [2]", "in_force")
    assert headline_status(Opening("Yes: ...", "yes", kept.decisive, ""), kept, None) == "in_force"
    assert headline_status(Opening("", None, "", ""), None, "supported") == "supported"
