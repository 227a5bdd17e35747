"""Which document governs, on the real registry and corpus (the real index and MiniLM embedder)."""

import json
import re

import pytest

from eval.metrics import governing_accuracy
from rag.analysis.governs import _relate, governance_for_answer, governs
from rag.analysis.provisions import LABELS, conflicts
from rag.analysis.relations import Registry
from rag.core.errors import BadQuestion
from rag.core.language import detect
from rag.core.types import Evidence, Provision
from rag.interfaces.cli import main


@pytest.fixture(scope="module")
def registry(corpus):
    return Registry(corpus)


def test_stated_relations_chain_from_the_2020_plan_down_to_the_district(registry):
    ((source, first),) = registry.governs("gh-2020-123", "gh-2019-16")
    assert (first.type, first.paragraph_id) == ("prevails_over", "gh-2020-123.p184")
    path = registry.governs("gh-2020-123", "dongcheng-2019")
    assert path[-1][1].type == "implements" and path[-1][1].paragraph_id == "dongcheng-2019.p006"


def test_no_precedence_is_invented_for_the_2023_plan(registry):
    assert registry.governs("plan-2023", "gh-2020-123") == [] and registry.governs("gh-2020-123", "plan-2023") == []
    label, relation, note = _relate(registry, "plan-2023", "gh-2019-16")
    assert label == LABELS["restated"] and relation is None
    assert "no precedence" in note.say() and "a date, not a stated rule" in note.say()
    assert "未规定" in note.say("zh") and "plan-2023" in note.say("zh")  # the same reason, read on a Chinese page


def test_documents_are_recognised_by_number_year_or_district(registry):
    assert registry.mentioned("Is Guo Han [2017] No. 86 still valid?") == {"gh-2017-86"}
    assert registry.mentioned("What does Dongcheng's 2019 proposal implement?") == {"dongcheng-2019"}
    both = "What role does the 2019 plan give Dongcheng, and how does Dongcheng's proposal pick it up?"
    assert registry.mentioned(both) == {"gh-2019-16", "dongcheng-2019"}  # the year is not written with the place
    assert registry.mentioned("Under the 2020 plan ...") == {"gh-2020-123"}  # one document, two translations


def test_the_subject_of_a_question_leaves_out_the_words_naming_its_documents(registry):
    assert registry.subject("What does the 2023 work plan say about telecoms?") == "What does it say about telecoms?"
    assert registry.subject("Does Dongcheng District's 2019 implementation proposal cover museums?") == (
        "Does it cover museums?"
    )
    assert registry.subject("Under Guo Han [2019] No. 16, may banks do it?") == "Under it, may banks do it?"
    assert registry.subject("Can banks trade gold?") == "Can banks trade gold?"  # nothing named
    assert registry.subject("The 2020 plan?") == "The 2020 plan?"  # nothing but the name: the question itself


def test_a_question_naming_one_document_gets_its_evidence_from_that_document(real):
    from rag.answer.evidence import gather_evidence

    question = "What does the 2023 work plan say about telecommunications?"  # the 2020 reply shares "work plan"
    evidence = gather_evidence(question, real, real.settings, None)
    assert evidence and {ev.paragraph.doc_id for ev in evidence} == {"plan-2023"}
    assert "plan-2023.p009" in [ev.paragraph.id for ev in evidence]  # the telecommunications measure
    anywhere = gather_evidence(question, real, real.settings, {"gh-2020-123"})  # a limit the asker set is kept
    assert {real.corpus.documents[ev.paragraph.doc_id].info.canonical_id for ev in anywhere} == {"gh-2020-123"}


def test_a_task_heading_that_states_where_and_how_is_evidence_but_one_that_only_names_its_task_is_not(real):
    from rag.answer.evidence import gather_evidence

    question = "In the 2020 plan, which areas are the main positions for the fintech innovation demonstration zone?"
    ids = [ev.paragraph.id for ev in gather_evidence(question, real, real.settings, None)]
    assert "gh-2020-123.p109" in ids  # "14. With Financial Street, ... as the main positions, create ..."
    taxes = gather_evidence(
        "What fiscal and tax support policies does the 2020 plan improve?", real, real.settings, None
    )
    assert all(ev.paragraph.kind != "task" for ev in taxes if ev.paragraph.doc_id == "gh-2020-123")  # a title only


def test_a_validity_question_cites_the_prevailing_documents_statement(real):
    g = governs("Is the State Council's 2017 reply (No. 86) still valid?", real)
    assert g.mode == "relation" and g.governing.paragraph_id == "gh-2020-123.p184"
    assert g.reason.paragraph_id == "gh-2020-123.p184" and g.reason.url.endswith("p=gh-2020-123.p184")
    assert [(r.relation, r.provision.paragraph_id) for r in g.chain] == [(LABELS["kept"], "gh-2019-16.p063")]
    assert g.other_translation.provision.doc_id == "gh-2020-123-ipnews"


def test_a_reason_reads_in_chinese_from_the_catalog_naming_the_same_documents_and_stays_english_in_json(real):
    g = governs("Is the State Council's 2017 reply (No. 86) still valid?", real)
    zh = g.reason.say("zh")
    assert detect(zh) == "zh" and g.reason.say("en") == g.reason.text and detect(g.reason.text) == "en"
    assert re.findall(r"gh-\d{4}-\d+", zh) == re.findall(r"gh-\d{4}-\d+", g.reason.text)
    assert "phrase" not in g.to_json()["reason"] and json.dumps(g.to_json())


def test_a_conflict_between_the_2019_plan_and_the_2015_reply_is_settled_by_the_2019_plan(real):
    g = governs("If the 2015 reply conflicts with the 2019 plan, which prevails?", real)
    assert g.governing.paragraph_id == "gh-2019-16.p063" and g.reason.relation == "prevails_over"


def test_a_version_question_points_to_the_official_translation(real):
    g = governs("There are two English versions of the 2020 State Council reply; which is the official text?", real)
    assert g.governing.doc_id == "gh-2020-123" and "123" in g.governing.text
    assert g.other_translation.provision.paragraph_id == "gh-2020-123-ipnews.p008"


def test_a_measure_cites_the_official_translation_once_with_the_other_wording_kept(real):
    g = governs("Can foreign banks take part in gold and silver futures trading?", real)
    assert g.governing.paragraph_id == "gh-2020-123.p049"
    assert (g.governing.status, g.governing.status_cue) == ("in_force", "are allowed")
    assert all(r.provision.doc_id != "gh-2020-123-ipnews" for r in g.chain)
    assert g.other_translation.relation == LABELS["translation"] and "gold" in g.other_translation.provision.sentence
    assert json.loads(json.dumps(g.to_json()))["governing"]["paragraph_id"] == "gh-2020-123.p049"


def test_a_district_implementation_is_shown_with_its_responsible_departments(real):
    g = governs("Can foreign-owned travel agencies in Beijing run outbound tourism for Chinese citizens?", real)
    assert g.governing.paragraph_id == "gh-2019-16.p041" and g.governing.status == "in_force"
    district = next(r for r in g.chain if r.provision.doc_id == "dongcheng-2019")
    assert district.relation == LABELS["implements"] and district.reason.paragraph_id == "dongcheng-2019.p006"
    assert district.provision.departments.startswith("District-level responsible departments")


def _provision(pid, status, sentence, score=0.9):
    return Provision(pid, pid.split(".p")[0], None, sentence, sentence, status, status, "u", score)


def test_different_statuses_and_figures_are_reported_as_conflicts_not_merged(settings):
    from rag.core.types import Related

    lead = _provision("a.p001", "in_force", "The cap is raised to 20 million yuan.")
    others = [
        Related("restated by", _provision("b.p001", "explore", "Study raising the cap to 5 million yuan.")),
        Related("restated by", _provision("c.p001", "explore", "Study X.", score=0.5)),
    ]  # too loose
    found = conflicts(lead, others, settings)
    assert [c.kind for c in found] == ["status", "figures"]
    assert all(c.paragraph_ids == ["a.p001", "b.p001"] for c in found)
    assert "20 million yuan" in found[1].detail and "5 million yuan" in found[1].detail


def _evidence(real, pids):
    return [Evidence(i + 1, real.corpus.paragraph(p), real.chunk_of(p), 0.9 - i / 10) for i, p in enumerate(pids)]


def test_governance_for_answer_only_when_evidence_spans_documents(real):
    assert governance_for_answer("", _evidence(real, ["gh-2020-123.p049", "gh-2020-123.p051"]), real) is None
    g = governance_for_answer("", _evidence(real, ["gh-2019-16.p041", "dongcheng-2019.p093"]), real)
    assert g.governing.doc_id == "gh-2019-16"
    assert any(r.provision.paragraph_id == "dongcheng-2019.p093" for r in g.chain)


def test_governing_accuracy_accepts_the_gold_any_of_group(real):
    questions = [
        {
            "id": "a",
            "question": "Is the 2015 reply No. 81 still in force?",
            "governing_paragraph": "gh-2019-16.p063",
            "gold_paragraphs": [["gh-2019-16.p063", "gh-2020-123.p184"]],
        },
        {"id": "b", "question": "no governing gold here"},
    ]
    result = governing_accuracy(questions, real)
    assert result["n"] == 1 and result["accuracy"] == 1.0 and result["questions"][0]["got"] == "gh-2020-123.p184"


def test_empty_rule_is_refused(real):
    with pytest.raises(BadQuestion):
        governs("   ", real)


def test_cli_prints_the_governing_provision_and_chain(real, monkeypatch, capsys):
    monkeypatch.setattr("rag.interfaces.cli.load_retriever", lambda: real)
    assert main(["governs", "Is Guo Han [2017] No. 86 still valid?"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Governing provision: gh-2020-123.p184") and "older, kept in force" in out
    assert "viewer?doc=gh-2019-16" in out


def test_a_question_asking_when_a_named_document_was_signed_and_its_number_quotes_those_lines(real):
    from rag.answer.pipeline import answer

    a = answer(
        "What is the document number of the 2020 State Council reply, and when was it signed?",
        real,
        backend="extractive",
        settings=real.settings,
    )
    cited = [c.paragraph_id for c in a.citations]
    assert {"gh-2020-123.p017", "gh-2020-123.p003"} <= set(cited)  # "August 28, 2020", "National Letter (2020) No. 123"
    assert a.text.startswith("August 28, 2020 [") and "No. 123" in a.text


def test_a_question_about_when_a_measure_happens_gets_no_date_line(real):
    from rag.answer.evidence import asked_lines

    assert asked_lines("When will the 2020 plan's measures be evaluated?", real) == []
    assert [p.id for p in asked_lines("When was the Dongcheng proposal issued?", real)] == ["dongcheng-2019.p003"]


def test_a_question_about_a_document_itself_quotes_the_paragraph_stating_the_relation_asked_about(real):
    from rag.answer.evidence import asked_lines

    def ids(question: str, about_measure: bool = False) -> list[str]:
        return [p.id for p in asked_lines(question, real, about_measure=about_measure)]

    assert ids("Which State Council document is the Dongcheng proposal implementing?") == ["dongcheng-2019.p006"]
    # asked whether it implements another document, what it does implement answers
    mistaken = "Is the Dongcheng district plan an implementation of the 2020 State Council plan or of an earlier one?"
    assert ids(mistaken) == ["dongcheng-2019.p006"]
    assert ids("Does the 2020 plan implement the 2019 plan's measures?") == []  # Dongcheng's relation: not asked
    assert "gh-2020-123.p184" in ids("Is Guo Han [2019] No. 16 still in force now that the 2020 plan is out?")
    # the number of the proposal itself is asked, not which document it implements (it states no number)
    assert ids("What is the Dongcheng proposal's own document number?") == []
    assert ids("What is the Dongcheng proposal's document number?") == []
    versions = "There are two English versions of the 2020 reply. Which one is the official text?"
    assert ids(versions) == ["gh-2020-123-ipnews.p008"]
    assert ids(versions, about_measure=True) == []  # "which version for <a measure>": the measure answers


def test_a_relation_line_is_quoted_first_sentence_by_sentence_each_with_its_marker(real):
    from rag.answer.pipeline import answer

    a = answer("Is Guo Han [2019] No. 16 still in force now that the 2020 plan is out?", real, backend="extractive")
    first = next(c for c in a.citations if c.marker == int(re.search(r"\[(\d+)\]", a.text).group(1)))
    assert first.paragraph_id == "gh-2020-123.p184" and not a.refused  # the relation line opens the answer
    assert "All policy measures will continue to be implemented" in a.text
    sentences = [s for s in re.split(r"(?<=\]\.)\s+", a.text) if s]
    assert all(re.search(r"\[\d+\]\.$", s) for s in sentences)  # every quoted sentence carries its marker


def test_a_question_naming_two_documents_gets_evidence_from_each(real):
    from rag.answer.evidence import gather_evidence

    question = "What do the 2019 plan and Dongcheng's proposal each say about foreign-funded travel agencies?"
    evidence = gather_evidence(question, real, real.settings, None)
    assert {ev.paragraph.doc_id for ev in evidence[:2]} == {"gh-2019-16", "dongcheng-2019"}  # one of each first
    assert [ev.marker for ev in evidence] == list(range(1, len(evidence) + 1))
    assert all("travel" in ev.paragraph.text.lower() for ev in evidence[:2])


def test_the_headline_status_and_the_governing_box_speak_of_the_answering_sentence(real):
    from rag.answer.pipeline import answer

    a = answer("Can a WFOE register as a private fund manager in Beijing?", real, backend="extractive")
    first = a.citations[0]
    assert a.status == first.status == "supported"  # the cited measure's, not a neighbouring measure's
    assert a.governing is not None  # the evidence spans both translations' documents
    assert (a.governing.governing.paragraph_id, a.governing.governing.status) == (first.paragraph_id, first.status)


def test_a_measures_lead_phrase_is_its_heading_and_the_only_sentence_of_a_paragraph_is_not(corpus):
    from rag.analysis.provisions import is_lead_phrase

    p = corpus.paragraph("gh-2019-16.p038")  # "Strengthening the leading role of airport economic zones. We shall ..."
    assert is_lead_phrase(p, "Strengthening the leading role of airport economic zones.")
    assert not is_lead_phrase(p, p.text.split(". ", 1)[1])  # the measure itself
    headed = [q.id for d in corpus.documents.values() for q in d.paragraphs if is_lead_phrase(q, q.text.split(". ")[0])]
    assert len(headed) == 32 and all(pid.startswith("gh-2019-16.") for pid in headed)


def test_a_quoted_lead_phrase_decides_neither_the_verdict_nor_the_status(real):
    """'Encouraging the cultural industry ...' (the heading, read as 'supported') opens the quotes; the measure under
    it says 'seek to implement ... upon approval': the answer's status and verdict are the measure's."""
    from rag.answer.pipeline import answer

    a = answer(
        "Is the cultural industry in Beijing being opened wider to foreign countries?", real, backend="extractive"
    )
    assert "Encouraging the cultural industry to open wider to other countries" in a.text  # the heading is quoted
    assert (a.verdict, a.status) == ("not_yet", "explore") and a.citations[0].status == "explore"
