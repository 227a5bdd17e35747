"""Retrieval over the real corpus and the real embedding model (the index is built once per run)."""

import json

import numpy as np
import pytest

from rag.core.errors import BadQuestion
from rag.core.glossary import expand
from rag.interfaces.cli import main


def test_translations_of_one_task_fold_into_one_hit_citing_the_official_text(real):
    hits = real.search("open domestic internet virtual private network services to foreign investors", k=10)
    tasks = [(h.chunk.canonical_doc_id, h.chunk.task) for h in hits if h.chunk.task]
    assert len(tasks) == len(set(tasks))
    vpn = next(h for h in hits if (h.chunk.canonical_doc_id, h.chunk.task) == ("gh-2020-123", "4"))
    assert vpn.chunk.doc_id == "gh-2020-123"
    assert "gh-2020-123-ipnews.t04" in vpn.alias_chunk_ids


def test_document_filter_keeps_only_chosen_documents(real):
    hits = real.search(
        "responsible departments for foreign-invested enterprise complaints", k=5, doc_ids={"dongcheng-2019"}
    )
    assert hits and {h.chunk.doc_id for h in hits} == {"dongcheng-2019"}


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_ranks_hits_with_scores(real, mode):
    hits = real.search("technology transfer income tax exemption in Zhongguancun", k=5, mode=mode)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))


def test_empty_question_is_refused(real):
    with pytest.raises(BadQuestion):
        real.search("   \n ")


def test_investor_shorthand_is_spelled_out_but_kept():
    assert expand("Can a WFOE run a VPN?") == (
        "Can a WFOE run a VPN? (wholly foreign-owned enterprise; virtual private network)"
    )
    assert expand("PEople") == "PEople"
    assert expand("ZGC pilot: is CIT on tech transfers capped?").endswith("(Zhongguancun; corporate income tax)")


def test_batch_search_prints_one_json_line_per_question(real, tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "duty-free shops"}\n{"id": "b", "question": "visa for experts"}\n')
    assert main(["search", "--json", "-k", "3", "--questions", str(questions)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    hit = lines[0]["hits"][0]
    assert set(hit) == {"chunk_id", "doc_id", "canonical_doc_id", "task", "section", "paragraph_ids", "score"}
    assert hit["task"] is None or isinstance(hit["task"], str)
    assert len(lines[0]["hits"]) == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["inspect", "no-such-doc"], "Unknown document id"),
        (["search", "  "], "Type a question"),
    ],
)
def test_cli_errors_are_one_clear_line_and_non_zero(argv, message, capsys):
    assert main(argv) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_bad_questions_file_names_the_line(tmp_path, capsys):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "a", "question": "ok"}\nnot json\n')
    assert main(["search", "--questions", str(bad)]) != 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["id"] == "a" and "hits" in lines[0] and "line 2" in lines[1]["error"]


def test_inspect_json_lists_tasks_with_paragraph_ids(capsys):
    assert main(["inspect", "gh-2019-16", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [t["task"] for t in data["tasks"]] == [str(n) for n in range(1, 10)]
    assert all(t["paragraph_ids"] and t["group"] is None for t in data["tasks"])


def test_ask_json_prints_answer_with_checked_citations_and_links(capsys):
    assert (
        main(
            [
                "ask",
                "--json",
                "--backend",
                "extractive",
                "Is a foreign investor allowed to hold more than half of a VPN business?",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert {"question", "answer", "refused", "backend", "citations", "timings"} <= set(out)
    assert out["backend"] == "extractive" and not out["refused"]
    for c in out["citations"]:
        assert f"[{c['marker']}]" in out["answer"]
        assert c["url"].endswith(f"p={c['paragraph_id']}")
        assert c["task"] is None or isinstance(c["task"], str)


def test_ask_batch_reports_a_bad_question_and_goes_on(tmp_path, capsys):
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "empty", "question": "   "}\n{"id": "ok", "question": "duty-free shops"}\n')
    assert main(["ask", "--backend", "extractive", "--questions", str(questions)]) == 3  # a line was unusable
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "error" in lines[0] and lines[1]["id"] == "ok" and "answer" in lines[1]


def test_a_text_gets_the_same_vector_alone_or_among_others_and_is_embedded_once(real, monkeypatch):
    sentence = "Support wholly foreign-owned enterprises to apply to become private equity fund managers."
    others = ["Foreign banks may trade treasury bond futures.", "A longer sentence about visas " * 5]
    alone = real.embed([sentence])[0]
    calls = []
    embed = real._embed
    monkeypatch.setattr(real, "_embed", lambda texts: calls.append(texts) or embed(texts))
    together = real.embed(others + [sentence, sentence])
    assert np.array_equal(together[2], alone) and np.array_equal(together[3], alone)
    assert calls == [[others[0]], [others[1]]]  # only what was not embedded before, each text on its own


def test_a_misspelt_question_word_is_searched_as_the_corpus_word_one_edit_away_but_a_word_form_is_not():
    from rag.retrieve import spell

    counts = {"securitization": 3, "registration": 9, "raise": 4, "rising": 1, "already": 2}
    stems = {"securit", "registr", "rais", "rise", "alreadi"}
    assert spell("Is regsitration allready open?", counts, 6, stems) == "Is registration already open?"
    assert spell("Are they raising funds?", counts, 6, stems) == "Are they raising funds?"  # "raise" in another form
    assert spell("Is regsitration open?", counts, 0, stems) == "Is regsitration open?"  # 0: as typed


def test_a_real_english_word_the_corpus_lacks_is_no_typo_but_a_british_spelling_is_spelled_the_corpus_way():
    from rag.retrieve import spell

    counts = {"patent": 5, "retain": 2, "million": 8, "center": 6, "program": 3, "regulation": 4}
    english = {"parent", "retail", "billion", "centre", "programme"}
    typed = "Can the parent run a retail shop with RMB 1 billion in the centre under the programme?"
    assert (
        spell(typed, counts, 6, (), english)
        == "Can the parent run a retail shop with RMB 1 billion in the center under the program?"
    )
    assert (
        spell(typed, counts, 6)
        == "Can the patent run a retain shop with RMB 1 million in the center under the programme?"
    )
    assert spell("Which regulaton applies?", counts, 6, (), english) == "Which regulation applies?"  # no word: a typo


def test_english_words_are_the_whole_words_of_the_english_embedders_vocabulary():
    from rag.ingest.embedders import english_words

    words = english_words()
    assert {"parent", "retail", "billion", "centre"} <= words
    assert not {"exibits", "goverment", "##ing"} & words
