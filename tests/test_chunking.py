import numpy as np

from rag.core.settings import Settings
from rag.ingest.chunking import ASSIGNMENT_METHOD, assign_measures, chunk_corpus
from rag.ingest.documents import load_corpus
from tests.conftest import fake_embed


def chunks_for(settings):
    return chunk_corpus(load_corpus(settings), settings, fake_embed)


def test_every_task_becomes_chunks_that_keep_its_number_and_title():
    chunks = chunks_for(Settings(chunk_max_tokens=120))
    by_task = {}
    for c in chunks:
        if c.task:
            by_task.setdefault(c.task_id, []).append(c)
    assert len([k for k in by_task if k.startswith("gh-2020-123.t")]) == 26
    assert len([k for k in by_task if k.startswith("dongcheng-2019.t")]) == 64
    split = [parts for parts in by_task.values() if len(parts) > 1]
    assert split, "a 120-token budget must split some long task"
    for parts in split:
        assert [p.part for p in parts] == list(range(1, len(parts) + 1))
        assert len({(p.task, p.task_title) for p in parts}) == 1
        assert all(f"Task {p.task}: " in p.text for p in parts[1:])


def test_chunks_cover_each_indexed_paragraph_once_and_skip_the_excerpt():
    settings = Settings()
    corpus = load_corpus(settings)
    seen = [pid for c in chunks_for(settings) for pid in c.paragraph_ids]
    assert len(seen) == len(set(seen))
    excerpt = {p.id for p in corpus.document("gh-2020-123-ipnews").paragraphs if p.kind == "excerpt"}
    assert excerpt and not excerpt & set(seen)


def test_translation_chunks_name_their_canonical_document():
    chunks = [c for c in chunks_for(Settings()) if c.doc_id == "gh-2020-123-ipnews"]
    assert chunks and {c.canonical_doc_id for c in chunks} == {"gh-2020-123"}


def test_district_chunks_carry_responsible_departments():
    chunk = next(c for c in chunks_for(Settings()) if c.id == "dongcheng-2019.t39")
    assert "District-level responsible departments" in chunk.text


def test_plan_2023_measures_are_assigned_within_their_group_with_method_and_scores():
    settings = Settings()
    corpus = load_corpus(settings)
    group_of = {p.id: p.group for p in corpus.document("plan-2023").paragraphs}
    tasks = [c for c in chunks_for(settings) if c.doc_id == "plan-2023" and c.task]
    assert len({c.task for c in tasks}) == 23
    scores = {}
    for c in tasks:
        assert c.assignment["method"] == ASSIGNMENT_METHOD
        assert len({group_of[p] for p in c.paragraph_ids}) == 1  # never across groups
        scores[c.task] = c.assignment["scores"]  # parts of one task share its assignment
    measures = sum(len(s) for s in scores.values())
    assert measures == sum(p.kind == "measure" for p in corpus.document("plan-2023").paragraphs)


def test_assignment_is_monotone_and_prefers_similar_headings():
    def embed(texts, batch_size=32):
        vocab = {"tax": 0, "bank": 1, "visa": 2}
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for i, t in enumerate(texts):
            for w, j in vocab.items():
                out[i, j] = t.count(w)
        return out / np.linalg.norm(out, axis=1, keepdims=True)

    result = assign_measures(["tax", "bank", "visa"], ["tax tax", "bank", "bank visa bank", "visa"], embed)
    assert [j for j, _ in result] == [0, 1, 1, 2]
    assert result[0][1] > 0.99
