"""Follow-ups made standalone, the asker's language, and questions with history from the CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from rag.answer import pipeline
from rag.answer.conversation import bounded, condense_by_rule, is_follow_up, parse_history, prepare
from rag.answer.multilingual import QUESTION_EXAMPLE, faithful, localize, translate_answer, translate_question
from rag.answer.pipeline import AnswerEvent, EvidenceEvent, answer, stream_answer
from rag.core.errors import BadQuestion
from rag.core.language import TEXTS, detect, say
from rag.core.settings import Settings
from rag.core.types import Answer

FUND_Q = "Can a wholly foreign-owned company become a private fund manager?"
FUND_CLAIM = "The plan supports wholly foreign-owned enterprises applying to become private fund managers"
ZH_FUND_Q = "外商独资企业可以申请成为私募基金管理人吗？"


def scripted_complete(*replies: str):
    """A `complete` that answers with `replies` in turn and records what it was asked."""
    calls: list[tuple[str, str, int, tuple]] = []

    def complete(system: str, user: str, max_tokens: int, shots: tuple = ()) -> str | None:
        calls.append((system, user, max_tokens, shots))
        return replies[min(len(calls), len(replies)) - 1] if replies else None

    complete.calls = calls  # type: ignore[attr-defined]
    return complete


# --- language ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "language"),
    [(ZH_FUND_Q, "zh"), ("北京的VPN业务外资持股上限是多少？", "zh"), (FUND_Q, "en"), ("What is 国函 No. 123?", "en")],
)
def test_language_is_detected_from_the_share_of_chinese_letters(text, language):
    assert detect(text) == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("外資100%の会社は北京で私募ファンドの管理者になれますか？", "ja"),
        ("プライベートファンド", "ja"),
        ("외국인 투자 기업이 베이징에서 사모펀드 운용사가 될 수 있나요?", "ko"),
        ("Может ли иностранная компания стать управляющим фондом в Пекине?", "ru"),
        ("هل يمكن لشركة أجنبية أن تصبح مديرا لصندوق في بكين؟", "ar"),
        ("Can a WFOE (外商独资企业) run a fund in Пекин?", "en"),
    ],
)
def test_kana_is_japanese_and_other_scripts_are_their_language(text, language):
    assert detect(text) == language


def test_every_language_has_every_fixed_text():
    assert all(set(texts) == set(TEXTS["en"]) for texts in TEXTS.values())
    assert say("refusal", "fr") == say("refusal", "en")  # an unknown language gets the default's words


# --- follow-ups -------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    ["For how long?", "Who handles it in the district?", "What about treasury bond futures?", "那外资银行呢？"],
)
def test_short_or_pronoun_questions_are_follow_ups(question, settings):
    assert is_follow_up(question, settings)


@pytest.mark.parametrize(
    "question",
    [
        "Who leads the think-tank building work in Dongcheng District?",
        "Is there a customs supervision mode code for bonded online-purchase imports?",  # existential 'there'
        "全国自愿减排温室气体交易中心由哪家机构来建设？",
    ],
)
def test_questions_naming_their_own_subject_are_not_follow_ups(question, settings):
    assert not is_follow_up(question, settings)


@pytest.mark.parametrize(
    "question",
    [
        "Would they be treated the same as Chinese nationals when starting a technology firm in Beijing?",
        "这些企业在东城区设立研发中心能享受哪些资金支持和人才政策？",
    ],
)
def test_a_long_question_whose_subject_is_a_pronoun_is_a_follow_up(question, settings):
    assert is_follow_up(question, settings)


def test_a_follow_up_gets_the_previous_questions_subject(settings):
    standalone = condense_by_rule(
        "Who handles it in Dongcheng?", ["Can a WFOE run an outbound travel agency?"], settings
    )
    assert standalone.startswith("Who handles it in Dongcheng?")
    assert all(w in standalone for w in ("WFOE", "outbound", "travel", "agency"))


def test_a_change_of_subject_is_searched_as_typed(settings):
    switch = "Which customs supervision mode code applies to bonded online-purchase imports?"
    assert condense_by_rule(switch, ["How long can R&D test vehicles stay in Beijing?"], settings) == switch


def test_the_subject_carries_through_a_chain_of_follow_ups(settings):
    earlier = ["Can foreign banks trade gold and silver futures in Beijing?", "What about treasury bond futures?"]
    standalone = condense_by_rule("Since when?", earlier, settings)
    assert "banks" in standalone and "treasury" in standalone


def test_history_is_bounded_by_the_token_budget_newest_first():
    history = [{"role": "user", "content": f"question number {i} " + "word " * 20} for i in range(10)]
    kept = bounded(history, budget=60)
    assert kept == history[-len(kept) :] and 1 <= len(kept) < 10


@pytest.mark.parametrize("bad", [{"role": "user"}, [{"role": "system", "content": "x"}], [{"content": "x"}], "hi"])
def test_a_malformed_history_is_a_clear_error(bad):
    with pytest.raises(BadQuestion, match="history"):
        parse_history(bad, "file.jsonl:3")


def test_the_model_rewrite_is_used_in_model_mode_and_ignored_when_unusable(settings):
    history = [{"role": "user", "content": "Can foreign banks trade gold futures?"}]
    model = settings.model_copy(update={"condense_mode": "model"})
    good = scripted_complete("Can foreign banks trade silver futures?")
    assert prepare("And silver?", history, model, good).search == "Can foreign banks trade silver futures?"
    assert "Earlier question: Can foreign banks trade gold futures?" in good.calls[0][1]
    assert prepare("And silver?", history, model, scripted_complete("")).search == "And silver?"


# --- the pipeline with history ----------------------------------------------------
def test_a_follow_up_is_searched_standalone_and_reported(retriever, settings, scripted_backend):
    history = [{"role": "user", "content": FUND_Q}, {"role": "assistant", "content": f"{FUND_CLAIM} [1]."}]
    backend = scripted_backend(f"{FUND_CLAIM} [1].")
    events = list(stream_answer("Is that supported?", retriever, history=history, backend=backend, settings=settings))
    searched = events[0].standalone_question
    assert isinstance(events[0], EvidenceEvent) and "private fund manager" in searched
    final = events[-1].answer
    assert isinstance(events[-1], AnswerEvent) and final.citations[0].paragraph_id == "plan.p002"
    out = final.to_json("f1")
    assert (
        out["standalone_question"] == searched and out["language"] == "en" and out["question"] == "Is that supported?"
    )
    assert {"id", "answer", "refused", "backend", "citations", "timings"} <= set(out)


def test_without_history_the_standalone_question_is_the_question(retriever, settings, scripted_backend):
    a = answer(FUND_Q, retriever, backend=scripted_backend(f"{FUND_CLAIM} [1]."), settings=settings)
    assert a.standalone_question == FUND_Q and a.language == "en" and a.translated_from is None


# --- other languages --------------------------------------------------------------
def test_a_chinese_question_is_searched_in_english_and_answered_in_chinese(
    retriever, settings, scripted_backend, monkeypatch
):
    zh = "计划支持外商独资企业申请成为私募基金管理人 [1]。"
    complete = scripted_complete(FUND_Q, zh)
    monkeypatch.setattr(pipeline, "helper_model", lambda s: complete)
    a = answer(ZH_FUND_Q, retriever, backend=scripted_backend(f"{FUND_CLAIM} [1]."), settings=settings)
    assert a.standalone_question == FUND_Q and a.language == "zh"
    # the model's lead is translated; the quote after it stays the document's own English words
    assert a.text.startswith(zh) and "Support wholly foreign-owned enterprises" in a.text
    assert a.translated_from.startswith(f"{FUND_CLAIM} [1].")
    assert a.notice.startswith(say("translated", "zh"))
    assert a.citations[0].quote.startswith("Support wholly foreign-owned")  # the source's English words


VPN_Q = "What is the most foreign investors may hold in domestic virtual private network services?"
ZH_VPN_Q = "境内VPN业务外资最多能持股多少？"
VPN_LEAD = "Foreign investors may hold up to 50% of domestic virtual private network services [1]."
ZH_VPN = "向外国投资者开放境内互联网虚拟专用网业务（外资股比不超过50%） [1]。"


def test_asked_in_chinese_the_answering_sentence_is_translated_and_the_model_writes_no_lead_it_does_not_need(
    retriever, settings, scripted_backend, monkeypatch
):
    complete = scripted_complete(VPN_Q, ZH_VPN)
    monkeypatch.setattr(pipeline, "helper_model", lambda s: complete)
    a = answer(ZH_VPN_Q, retriever, backend=scripted_backend(VPN_LEAD, judged=0.9), settings=settings)
    # a figure question's answer opens with the source's sentence in Chinese, not a translation of a paraphrase
    assert a.lead == ZH_VPN and a.translated_from.startswith("Open domestic Internet virtual private network")
    # the sentence, after the terms line that gives the documents' Chinese for its terms
    assert complete.calls[1][1].split("\n")[1].startswith("Open domestic Internet virtual private network")
    assert VPN_LEAD not in a.translated_from and "lead_ms" not in a.timings  # no model lead was written
    # with settings.translate_model_lead the model's English lead is written and translated, as for an English asker
    complete = scripted_complete(VPN_Q, "外国投资者最多可持股50% [1]。")
    monkeypatch.setattr(pipeline, "helper_model", lambda s: complete)
    both = settings.model_copy(update={"translate_model_lead": True})
    a = answer(ZH_VPN_Q, retriever, backend=scripted_backend(VPN_LEAD, judged=0.9), settings=both)
    assert a.translated_from.startswith(VPN_LEAD) and complete.calls[1][1].split("\n")[1].startswith(
        "Foreign investors may hold"
    )


def test_asked_in_chinese_who_is_responsible_the_departments_line_is_what_opens_the_answer(
    retriever, settings, monkeypatch
):
    english = "Which department is responsible for opening domestic virtual private network services?"
    complete = scripted_complete(english, "区级责任部门：X1X、X2X [2]。")
    monkeypatch.setattr(pipeline, "helper_model", lambda s: complete)
    a = answer("哪个部门负责开放境内VPN业务？", retriever, backend="extractive", settings=settings)
    assert complete.calls[1][1].startswith("District-level responsible departments:")  # not the measure's sentence
    assert a.lead.startswith("区级责任部门：") and "Municipal Bureau of Commerce" in a.lead


def test_a_translation_that_changes_a_figure_or_marker_is_not_shown(settings):
    english = "Foreign shareholding may not exceed 50% [1]."
    assert faithful("外资持股不得超过50% [1]。", english)
    assert not faithful("外资持股不得超过60% [1]。", english)
    assert not faithful("外资持股不得超过50%。", english)
    a = Answer(question="q", text=english, refused=False, backend="fake", lead=english)
    shown = localize(a, "zh", scripted_complete("外资持股不得超过60% [1]。"), settings)
    assert shown.text == english and shown.notice == say("untranslated", "zh")
    quotes_only = replace(a, lead="", text=f"{english} Joint ventures only [1].")
    unchecked = localize(quotes_only, "zh", scripted_complete("外资持股不得超过60% [1]。"), settings)
    assert unchecked.text == quotes_only.text and unchecked.notice == say("quoted_english", "zh")


def test_a_translation_gets_the_english_markers_back_and_may_state_figures_in_chinese_units(settings):
    english = "The exemption rises from 5 million to 20 million yuan [2]."
    shown = translate_answer(english, "zh", scripted_complete("免税额由500万元提高到2000万元。"), settings)
    assert shown == "免税额由500万元提高到2000万元 [2]。"  # the model dropped the marker; it is put back
    assert translate_answer(english, "zh", scripted_complete("免税额提高到3000万元。"), settings) is None


def test_a_translation_that_gives_back_the_terms_line_instead_of_the_text_is_not_shown(settings):
    english = "Facilitate their foreign exchange settlement of legal income [2]."
    assert translate_answer(english, "zh", scripted_complete("外汇 = 外汇。"), settings) is None
    assert translate_answer(english, "zh", scripted_complete("便利其合法收入的外汇结算。"), settings) is not None


def test_names_reach_the_translation_in_the_documents_words_never_the_models():
    english = "The Administration Committee of Zhongguancun Science Park leads the Longfusi project [1]."
    seen = []

    def complete(system, text, limit):  # the model sees placeholders, and renders everything else
        seen.append(text)
        return "X1X负责X2X项目。"

    shown = translate_answer(english, "zh", complete, Settings())
    assert seen == ["The X1X leads the X2X project ."]  # markers go, names become placeholders
    assert shown == "Administration Committee of Zhongguancun Science Park负责隆福寺项目 [1]。"
    assert translate_answer(english, "zh", scripted_complete("中关村管委会负责长福寺项目。"), Settings()) is None


def test_a_district_bodys_name_with_and_in_it_comes_back_whole_in_its_fixed_chinese_form():
    english = (
        "District-level responsible departments: Human Resources and Social Security Bureau of Dongcheng District, "
        "and the Commerce Bureau of Dongcheng District [2]."
    )
    seen = []

    def complete(system, text, limit):
        seen.append(text)
        return "区级负责部门：X1X和X2X。"

    assert (
        translate_answer(english, "zh", complete, Settings())
        == "区级负责部门：东城区人力资源和社会保障局和东城区商务局 [2]。"
    )
    assert seen == ["District-level responsible departments: X1X, and the X2X ."]


def test_a_measures_opening_verb_is_no_name_and_a_name_after_it_still_is():
    from rag.core.glossary import proper_names

    opening = "Encourage Chinese and foreign airlines to fly from Beijing Daxing International Airport."
    assert proper_names(opening) == ["Daxing International Airport"]
    assert proper_names("Allow Zhongguancun Science Park to pilot it.") == ["Zhongguancun Science Park"]


def test_a_policy_term_the_model_leaves_in_english_gets_the_documents_chinese_term():
    english = "A multinational company can set up a wholly foreign-owned financial company in Beijing [1]."
    seen = []

    def complete(system, text, limit):
        seen.append(text)
        return "跨国公司可以在北京设立 wholly foreign-owned金融公司。"  # a term left half translated

    assert translate_answer(english, "zh", complete, Settings()) == "跨国公司可以在北京设立外商独资金融公司 [1]。"
    assert seen[0].startswith("Terms: multinational company = 跨国公司; wholly foreign-owned = 外商独资\n")


def test_a_document_id_reaches_the_translation_verbatim_so_the_page_can_still_name_and_link_it():
    english = "plan-2023 lists 23 numbered tasks [4]."
    seen = []

    def complete(system, text, limit):
        seen.append(text)
        return "X1X列出了23项任务。"

    assert (
        translate_answer(english, "zh", complete, Settings(), ("plan-2023", "plan")) == "plan-2023列出了23项任务 [4]。"
    )
    assert seen == ["X1X lists 23 numbered tasks ."]
    assert (
        translate_answer(english, "zh", scripted_complete("计划2023列出了23项任务。"), Settings(), ("plan-2023",))
        is None
    )


def test_a_verdicts_words_come_from_the_catalog_its_quote_stays_verbatim_and_the_models_paraphrase_is_not_translated(
    settings,
):
    decisive = "“eliminate the requirement” [1]"
    line = f"No: {decisive}."
    a = Answer("q", f"{line} We shall eliminate the requirement [1].", False, "fake", lead=line, verdict="no")
    a = replace(a, decisive=decisive)
    model = scripted_complete("“取消该要求” [1]。")
    shown = localize(a, "zh", model, settings)
    assert shown.lead == f"否： {decisive}." and not model.calls  # nothing to translate: no misquote, no wait
    assert shown.text.endswith("We shall eliminate the requirement [1].") and shown.notice == say("quoted_source", "zh")
    led = replace(
        a, lead=f"{line} The experience rule goes [1].", text=f"{line} The experience rule goes [1]. Quote [1]."
    )
    model = scripted_complete("经验要求取消 [1]。")
    shown = localize(led, "zh", model, settings)  # the model's paraphrase after the verdict is not translated
    assert shown.lead == f"否： {decisive}." and shown.text == f"否： {decisive}. Quote [1]." and not model.calls
    both = settings.model_copy(update={"translate_model_lead": True})
    shown = localize(led, "zh", scripted_complete("经验要求取消 [1]。"), both)
    assert shown.lead == f"否： {decisive}. 经验要求取消 [1]。" and shown.text.endswith("Quote [1].")


def test_without_a_lead_the_first_quote_is_translated_above_the_english_quotes(settings):
    english = "Foreign shareholding may not exceed 50% [1]. Joint ventures only [1]."
    a = Answer(question="q", text=english, refused=False, backend="fake", lead="")
    shown = localize(a, "zh", scripted_complete("外资持股不得超过50% [1]。"), settings)
    assert shown.text == f"外资持股不得超过50% [1]。 {english}"  # the quotes stay the documents' English words
    assert shown.lead == "外资持股不得超过50% [1]。" and shown.translated_from == english
    assert shown.notice.startswith(say("translated", "zh"))  # marked as a translation


def test_a_chinese_question_is_refused_in_chinese(retriever, settings, monkeypatch):
    monkeypatch.setattr(pipeline, "helper_model", lambda s: scripted_complete("What is Shanghai's minimum wage?"))
    a = answer("上海的最低工资是多少？", retriever, backend="extractive", settings=settings)
    assert a.refused and a.text.startswith(say("refusal", "zh")) and detect(a.text) == "zh"
    assert a.notice == say("why_refused", "zh", reason=say("no_close_passage", "zh"))  # why, in Chinese too


def test_an_untranslatable_question_is_searched_in_its_own_words_with_a_notice(settings):
    turn = prepare(ZH_FUND_Q, None, settings, scripted_complete("外商独资企业"))  # no English came back
    assert turn.search == ZH_FUND_Q and turn.original is None and turn.notices == (say("not_translated", "zh"),)
    assert translate_question(ZH_FUND_Q, scripted_complete("Can a WFOE be a fund manager?"), settings)


def test_a_chinese_phrase_left_in_the_english_question_is_translated_on_its_own(settings):
    complete = scripted_complete("Can foreign firms run 驾驶培训 schools?", "driver training")
    english = translate_question("外资可以办驾驶培训学校吗？", complete, settings)
    assert english == "Can foreign firms run driver training schools?"
    assert complete.calls[1][1] == "驾驶培训"  # the phrase alone
    left = scripted_complete("Can foreign firms run 驾驶培训 schools?", "驾驶培训")  # still Chinese
    assert translate_question("外资可以办驾驶培训学校吗？", left, settings) is None


def test_a_documents_term_left_in_the_english_question_is_put_in_the_documents_words_without_asking(settings):
    complete = scripted_complete("Are we a QFLP 试点 enterprise?")
    english = translate_question("我们是QFLP试点企业吗？", complete, settings)
    assert english == "Are we a QFLP pilot enterprise?" and len(complete.calls) == 1  # TERMS: 试点 = pilot


def test_a_phrase_that_comes_back_half_translated_gets_a_second_round(settings):
    complete = scripted_complete("Which code applies to 保税网购 imports?", "online shopping in 保税", "bonded")
    english = translate_question("保税网购进口用哪个代码？", complete, settings)
    assert english == "Which code applies to online shopping in bonded imports?"


def test_a_model_that_repeats_the_example_is_asked_again_without_it(settings):
    complete = scripted_complete(QUESTION_EXAMPLE[1], "Can a WFOE be a fund manager?")
    assert translate_question(ZH_FUND_Q, complete, settings) == "Can a WFOE be a fund manager?"
    assert complete.calls[0][3] == (QUESTION_EXAMPLE,) and complete.calls[1][3] == ()  # an earlier turn, then none
    assert all(QUESTION_EXAMPLE[0] not in call[1] for call in complete.calls)  # never in the question's own message


def test_a_question_translation_that_gives_back_its_terms_line_is_asked_again_and_never_searched():
    echo = "Terms: 外商独资 = wholly foreign-owned"
    complete = scripted_complete(echo, "Can a wholly foreign-owned firm be a fund manager?")
    assert translate_question(ZH_FUND_Q, complete, Settings()) == "Can a wholly foreign-owned firm be a fund manager?"
    assert complete.calls[0][1].startswith(echo)  # the terms line the model gave back
    assert translate_question(ZH_FUND_Q, scripted_complete(echo), Settings()) is None


# --- the command line ---------------------------------------------------------------
def test_batch_lines_carry_their_history(tmp_path):
    from rag.interfaces.inputs import read_questions

    path = tmp_path / "q.jsonl"
    history = [{"role": "user", "content": FUND_Q}]
    path.write_text(
        json.dumps({"id": "a", "question": "For how long?", "history": history})
        + "\n"
        + json.dumps({"id": "b", "question": FUND_Q})
        + "\n",
        encoding="utf-8",
    )
    rows = list(read_questions(str(path)))
    assert rows[0]["history"] == history and rows[1]["history"] == []
    path.write_text(json.dumps({"id": "c", "question": "x", "history": [{"role": "bot"}]}) + "\n", encoding="utf-8")
    [row] = read_questions(str(path))  # a bad history spoils only its own line
    assert row["id"] == "c" and "line 1" in row["error"] and "history" in row["error"]


# --- the multilingual second index ------------------------------------------------------
def test_the_multilingual_index_is_stored_beside_the_first_and_keyed(fake_settings):
    from rag.ingest.index import ensure_index

    _, data, _ = ensure_index(fake_settings)
    assert data.multilingual_vectors.shape[0] == len(data.paragraph_ids)
    fake_settings.multilingual_embedder = ""
    _, without, built = ensure_index(fake_settings)
    assert built and without.path != data.path and without.multilingual_vectors is None


@pytest.mark.slow
def test_a_chinese_question_finds_the_english_task_in_the_multilingual_index():
    from rag.core.settings import Settings
    from rag.retrieve import Retriever

    real = Retriever.load(Settings())
    hits = real.search("外商独资企业可以在北京申请成为私募股权基金管理人吗？", k=5)
    assert "gh-2020-123.t03" in [h.chunk.unit_id for h in hits]
    assert all(set(h.scores) == {"multilingual"} for h in hits)  # English rankings see no words to match
    fused = real.search("Can a WFOE become a private fund manager in Beijing?", k=5, original="外商独资私募基金管理人")
    assert any("multilingual" in h.scores for h in fused) and fused[0].chunk.unit_id == "gh-2020-123.t03"


def test_a_history_file_is_read_or_named_in_a_one_line_error(tmp_path):
    from rag.interfaces.inputs import read_history

    path = tmp_path / "history.json"
    path.write_text(json.dumps([{"role": "user", "content": FUND_Q}]), encoding="utf-8")
    assert read_history(str(path)) == [{"role": "user", "content": FUND_Q}]
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(BadQuestion, match="history.json: not a JSON file"):
        read_history(str(path))
    with pytest.raises(BadQuestion, match="Cannot read the history file"):
        read_history(str(tmp_path / "missing.json"))


def test_a_phrase_the_model_gives_back_unchanged_is_not_asked_again(settings):
    complete = scripted_complete("Which code applies to 网购 imports?", "网购")
    assert translate_question("网购进口用哪个代码？", complete, settings.model_copy(update={"term_rounds": 3})) is None
    assert len(complete.calls) == 2  # the question, then the phrase once


def test_the_product_routes_recall_searches_the_answers_translation_with_the_askers_own_words(retriever):
    from types import SimpleNamespace

    from eval.conversation import _route_recall
    from rag.core.types import Answer

    searched = []

    class Recording:
        def search(self, question, k, **options):
            searched.append((question, options))
            return retriever.search(question, k)

    run = SimpleNamespace(retriever=Recording())
    chinese = {"question": "外商独资企业可以申请成为私募基金管理人吗？"}
    translated = Answer(chinese["question"], "x", False, "fake", standalone_question=FUND_Q)
    task = retriever.search(FUND_Q, 1)[0].chunk.unit_id
    assert _route_recall(run, chinese, translated, {task}) == 1.0
    assert _route_recall(run, chinese, translated, {"plan.t99"}) == 0.0
    assert searched[0] == (FUND_Q, {"original": chinese["question"]})
    english = {"question": FUND_Q}
    _route_recall(run, english, Answer(FUND_Q, "x", False, "fake", standalone_question=FUND_Q), {task})
    assert searched[-1] == (FUND_Q, {})  # an English question is searched once, in its own words


def test_a_follow_up_that_names_another_document_keeps_the_previous_subject_but_not_its_document(settings):
    """'Did the 2020 plan have anything similar?' after a question on the 2023 plan: the document it names is where
    to look, the subject is the earlier one's, and the earlier year would only pull the search back to 2023."""
    earlier = ["How will IP enforcement change under the 2023 plan?"]
    standalone = condense_by_rule("Did the 2020 plan have anything similar on the judicial side?", earlier, settings)
    assert "enforcement" in standalone and "2023" not in standalone
    # without a document of its own, the follow-up keeps the earlier one's
    standalone = condense_by_rule(
        "Which other services got the same treatment?", ["Did the 2019 plan lift caps on internet access?"], settings
    )
    assert "2019" in standalone and "caps" in standalone
