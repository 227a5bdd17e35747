"""Faults at the HTTP service, in process (FastAPI's TestClient over the tiny corpus, extractive backend):
hostile or broken input, the feedback store's faults, logs, the API key behind a proxy."""

from __future__ import annotations

import sqlite3

import pytest

from rag.interfaces.feedback import read_feedback

QUESTION = "Can wholly foreign-owned enterprises become private fund managers?"


def test_a_served_answer_works_in_process(served):
    r = served().post("/v1/answers", json={"question": QUESTION})
    assert r.status_code == 200 and r.json()["citations"][0]["paragraph_id"].startswith("plan")


@pytest.mark.parametrize(
    "citations, why",
    [
        ([{"paragraph_id": "plan.p999"}], "not a paragraph"),
        ([{"paragraph_id": "<script>"}], "not a paragraph"),
        ([{}], "not a paragraph"),
        ([{"paragraph_id": "plan.p002"}] * 51, "at most 50"),
        ([{"paragraph_id": "plan.p002", "quote": "x" * 9000}], "over 8000"),
    ],
)
def test_posted_citations_must_be_real_paragraphs_and_bounded(served, citations, why):
    client = served()
    r = client.post("/v1/feedback", json={"question": QUESTION, "rating": "down", "citations": citations})
    assert r.status_code == 400 and why in r.json()["error"]["message"]


def test_posted_citations_get_their_document_and_task_from_the_corpus(served, tmp_path):
    client = served()
    body = {"question": QUESTION, "rating": "up", "citations": [{"paragraph_id": "plan.p002", "doc_id": "evil"}]}
    assert client.post("/v1/feedback", json=body).status_code == 200
    (entry,) = read_feedback(_db(tmp_path)).entries
    assert entry.citations[0]["doc_id"] == "plan" and entry.citations[0]["task"] == "3"


def test_an_oversized_question_in_feedback_is_400(served):
    r = served().post("/v1/feedback", json={"question": "q" * 8001, "rating": "down"})
    assert r.status_code == 400 and "8000" in r.json()["error"]["message"]


def _db(tmp_path):
    from rag.core.settings import Settings

    return Settings(feedback_db=tmp_path / "feedback.sqlite3")


@pytest.mark.parametrize("damage", ["read-only", "corrupt", "a folder"])
def test_an_unusable_feedback_database_is_503_without_server_paths(served, tmp_path, damage, monkeypatch):
    client, db = served(), tmp_path / "feedback.sqlite3"
    if damage == "corrupt":
        db.write_bytes(b"this is not a database" * 100)
    elif damage == "a folder":
        db.mkdir()
    else:  # opened read-only, as on a read-only mount (chmod alone does not stop root)
        client.post("/v1/feedback", json={"question": QUESTION, "rating": "up"})
        connect = sqlite3.connect
        monkeypatch.setattr(sqlite3, "connect", lambda path, **kw: connect(f"file:{path}?mode=ro", uri=True, **kw))
    r = client.post("/v1/feedback", json={"question": QUESTION, "rating": "up"})
    assert r.status_code == 503, r.text
    assert str(tmp_path) not in r.text and "feedback" in r.json()["error"]["message"]
