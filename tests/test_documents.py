import hashlib
import json

import pytest

from rag.core.errors import CorpusError, UnknownDocument
from rag.core.settings import ROOT, Settings
from rag.core.text import split_sentences
from rag.ingest.documents import load_corpus, paragraph_url

SEEDS = ROOT.parent / "shared" / "seeds"
EXPECTED = {  # doc id: (tasks, first task title, last task title)
    "gh-2020-123": (
        26,
        "Deepen the reform in the field of science and technology services.",
        "Improve land support and technical guarantees.",
    ),
    "gh-2020-123-ipnews": (
        26,
        "Deepen the reform of science and technology services.",
        "Improve land support and technical support.",
    ),
    "gh-2019-16": (
        9,
        "Maintaining the city's position as the political center and further strengthening its service "
        "support capability",
        "Meeting the international rules and creating a first-class business operation environment",
    ),
    "dongcheng-2019": (
        64,
        "We shall serve the overall plan and make all efforts to provide service guarantees for "
        "major national activities.",
        "We shall help build a credit supervision system centering on credit commitment, joint "
        "rewards and punishments, and information announcement via public credit information "
        "platform.",
    ),
    "plan-2023": (23, "Telecommunications", "Strengthening risk prevention in key areas"),
}


def tasks_of(doc):
    return [p for p in doc.paragraphs if p.kind == "task"]


def test_corpus_files_match_registry_sha256_and_seeds():
    registry = json.loads((ROOT / "corpus" / "registry.json").read_text())
    seeds = {hashlib.sha256(p.read_bytes()).hexdigest() for p in SEEDS.glob("*.txt")}
    assert seeds, f"no seed files (*.txt) in {SEEDS}: the provenance check needs the shared seeds beside the checkout"
    for entry in registry["documents"]:
        digest = hashlib.sha256((ROOT / "corpus" / entry["file"]).read_bytes()).hexdigest()
        assert digest == entry["sha256"]
        assert digest in seeds, f"{entry['file']} is not byte-for-byte one of the seeds in {SEEDS}"


@pytest.mark.parametrize("doc_id", sorted(EXPECTED))
def test_each_document_parses_into_its_numbered_tasks(corpus, doc_id):
    count, first, last = EXPECTED[doc_id]
    tasks = tasks_of(corpus.document(doc_id))
    assert [t.task for t in tasks] == [str(n) for n in range(1, count + 1)]
    assert tasks[0].task_title == first
    assert tasks[-1].task_title.startswith(last[:60])


def test_top_level_sections_numbered_like_tasks_are_not_tasks(corpus):
    doc = corpus.document("gh-2020-123")
    headings = [p.text for p in doc.paragraphs if p.kind == "heading"]
    assert "1. General requirements" in headings and "3. Main tasks" in headings
    letter = [p for p in doc.paragraphs if p.text.startswith("1. Agreed in principle")]
    assert letter[0].kind == "letter" and letter[0].task is None
    annex_list = [p for p in corpus.document("gh-2019-16").paragraphs if p.text.startswith("2. Measures for")]
    assert annex_list[0].task is None


def test_groups_are_recorded_on_tasks(corpus):
    tasks = tasks_of(corpus.document("dongcheng-2019"))
    assert tasks[0].group.startswith("(I) Taking advantage")
    assert tasks[-1].group.startswith("(VIII) Aligning")
    assert len({t.group for t in tasks_of(corpus.document("gh-2020-123"))}) == 4


def test_page_number_that_split_task_15_is_repaired(corpus):
    doc = corpus.document("gh-2020-123-ipnews")
    t15 = [p for p in doc.paragraphs if p.task == "15"][0]
    assert t15.text.startswith("15. Support the development of cultural innovation")
    assert doc.text[t15.start : t15.end].startswith("1\n")


def test_ip_news_excerpt_image_and_site_chrome_are_not_content(corpus):
    doc = corpus.document("gh-2020-123-ipnews")
    excerpt = [p for p in doc.paragraphs if p.kind == "excerpt"]
    assert excerpt and all(p.task is None for p in excerpt)
    texts = " ".join(p.text for p in doc.paragraphs)
    assert ".png" not in texts and "warm tips" not in texts and "One on one service" not in texts
    assert not any(p.text == "1" for p in doc.paragraphs)


def test_stray_bullet_and_split_line_are_cleaned(corpus):
    plan = corpus.document("plan-2023")
    assert any(p.text.startswith("Efforts will be made to establish a hierarchical") for p in plan.paragraphs)
    dept = [p for p in corpus.document("dongcheng-2019").paragraphs if p.kind == "departments" and p.task == "44"][0]
    assert "the Commerce Bureau of Dongcheng District" in dept.text


def test_every_district_task_has_its_responsible_departments(corpus):
    doc = corpus.document("dongcheng-2019")
    with_departments = {p.task for p in doc.paragraphs if p.kind == "departments"}
    assert with_departments == {str(n) for n in range(1, 65)}


def test_paragraph_ids_are_positional_and_offsets_point_at_the_raw_text(corpus):
    for doc in corpus.documents.values():
        for i, p in enumerate(doc.paragraphs):
            assert p.id == f"{doc.id}.p{i:03d}"
            raw = " ".join(doc.text[p.start : p.end].split())
            assert raw.endswith(p.text[-20:])


def test_registry_relations_point_at_the_paragraph_that_states_them(corpus):
    for doc in corpus.documents.values():
        for rel in doc.info.relations:
            assert rel.quote in corpus.paragraph(rel.paragraph_id).text, rel
            assert rel.target in corpus.documents or rel.target in corpus.references


def test_unknown_facts_stay_unknown(corpus):
    plan = corpus.document("plan-2023").info
    assert plan.number is None and plan.date is None
    assert corpus.document("dongcheng-2019").info.number is None


def test_a_modified_corpus_file_is_refused(corpus_copy):
    path = corpus_copy / "plan-2023.txt"
    path.write_bytes(path.read_bytes() + b"\nextra")
    with pytest.raises(CorpusError, match="differs from the published text"):
        load_corpus(Settings(corpus_dir=corpus_copy))


def test_unknown_document_error_lists_known_ids(corpus):
    with pytest.raises(UnknownDocument, match="gh-2020-123"):
        corpus.document("nope")


def test_sentence_split_keeps_document_numbers_together():
    text = 'It cites (Guo Han [2019] No. 16) here. Then a second one. "Quoted."'
    spans = [text[a:b] for a, b in split_sentences(text)]
    assert spans == ["It cites (Guo Han [2019] No. 16) here.", "Then a second one.", '"Quoted."']


def test_paragraph_url_is_a_plain_shareable_link():
    url = paragraph_url("gh-2020-123.p044", Settings(app_url="http://host:8501/"))
    assert url == "http://host:8501/viewer?doc=gh-2020-123&p=gh-2020-123.p044"
