"""Faults at the HTTP service, in process (FastAPI's TestClient over the tiny corpus, extractive backend):
hostile or broken input, the feedback store's faults, logs, the API key behind a proxy."""

from __future__ import annotations

import re
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


# --- hostile text in a question ------------------------------------------------------------------
SURROGATE = "\\ud800"  # as a JSON escape: a lone surrogate once decoded
ROUTES = [
    ("/v1/answers", '{"question": "%s"}'),
    ("/v1/answers", '{"question": "%s", "stream": true}'),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "%s"}]}'),
    ("/v1/chat/completions", '{"messages": [{"role": "user", "content": "%s"}], "stream": true}'),
    ("/v1/answers", '{"question": "What about VPN?", "history": [{"role": "user", "content": "%s"}]}'),
    ("/v1/feedback", '{"question": "%s", "rating": "up"}'),
    ("/v1/feedback", '{"question": "q", "comment": "%s", "rating": "up"}'),
]


@pytest.mark.parametrize("path, body", ROUTES)
@pytest.mark.parametrize("text", [SURROGATE, QUESTION + SURROGATE])
def test_a_lone_surrogate_is_a_clear_400_on_every_endpoint(served, path, body, text):
    r = served().post(path, content=(body % text).encode(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert "surrogate" in r.json()["error"]["message"]


@pytest.mark.parametrize("path, body", ROUTES[:4])
def test_a_question_of_control_characters_only_is_a_clear_400(served, path, body):
    r = served().post(
        path, content=(body % "\\u0000\\u001b\\u0007").encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 400 and "Type a question" in r.json()["error"]["message"]


def test_control_characters_are_never_echoed_in_the_question(served):
    client, hostile = served(), QUESTION + "\x1b[31m\x00\u202e"
    answered = client.post("/v1/answers", json={"question": hostile}).json()
    searched = client.get("/v1/search", params={"q": hostile}).json()
    for echoed in (answered["question"], searched["question"]):
        assert echoed == QUESTION and not re.search(r"[\x00-\x1f\u202e]", echoed)
    assert answered["citations"]


def test_a_stream_always_ends_in_an_answer_or_an_error(served, monkeypatch):
    from rag.interfaces.http.service import Service

    def broken(self, event, turns):
        raise UnicodeEncodeError("utf-8", "x", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(Service, "remember", broken)
    with served().stream("POST", "/v1/answers", json={"question": QUESTION, "stream": True}) as r:
        events = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
    assert r.status_code == 200 and events[-1] == "error"


def test_unknown_doc_ids_are_404_naming_the_known_ids(served):
    r = served().post("/v1/answers", json={"question": QUESTION, "doc_ids": ["plan", "nope"]})
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Unknown document id 'nope'. Known ids: plan, plan-news."


# --- logs and the API key, through a real uvicorn (in a thread, over the tiny corpus) -------------------
KEY = "s3cret-key-4242"


@pytest.fixture
def live(tmp_path):
    """start(root_path="") -> the base URL of `rag serve`'s app in uvicorn with `rag serve`'s configuration,
    RAG_API_KEY set, log redaction installed as `rag` installs it."""
    import threading
    import time

    import uvicorn

    from rag.core.redact import install_log_redaction
    from rag.core.settings import Settings
    from rag.interfaces.http.app import create_app
    from rag.interfaces.http.process import free_port
    from rag.interfaces.http.service import Service
    from rag.interfaces.serve_commands import server_config
    from tests.conftest import ServedRetriever

    install_log_redaction()
    servers = []

    def start(root_path: str = "") -> str:
        s = Settings(backend="extractive", api_key=KEY, feedback_db=tmp_path / "fb.sqlite3", min_evidence_score=0.2)
        port = free_port()
        server = uvicorn.Server(
            server_config(create_app(s, Service(s, ServedRetriever())), "127.0.0.1", port, root_path)
        )
        threading.Thread(target=server.run, daemon=True).start()
        servers.append(server)
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        return f"http://127.0.0.1:{port}"

    yield start
    for server in servers:
        server.should_exit = True


def test_each_request_logs_one_access_line_with_the_key_redacted_and_no_logging_error(live, capfd):
    import httpx

    url = live()
    capfd.readouterr()
    paths = [f"/v1/documents?key={KEY}", f"/v1/search?q=VPN&k=2&key={KEY}", "/healthz", f"/v1/documents?api_key={KEY}"]
    for path in paths:
        httpx.get(url + path, headers={"X-API-Key": KEY}, timeout=30)
    httpx.get(f"{url}/v1/documents", headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    out, err = capfd.readouterr()
    log = out + err
    assert "Logging error" not in log and "Traceback" not in log
    assert KEY not in log
    access = [line for line in log.splitlines() if '"GET /' in line]
    assert len(access) == len(paths) + 1, access
    assert "/v1/search?q=VPN&k=2&key=***" in log


def test_the_401_message_names_the_header_unmangled(served):
    r = served(api_key=KEY).get("/v1/documents")
    assert r.status_code == 401
    assert "'Authorization: Bearer <key>'" in r.json()["error"]["message"]


@pytest.mark.parametrize("root_path", ["", "/rag"])
def test_behind_a_proxy_prefix_health_docs_and_citation_links_stay_open(live, root_path):
    import httpx

    url = live(root_path)  # requests go where the proxy sends them: the prefix stripped
    for path in ("/healthz", "/docs", "/openapi.json", "/viewer?doc=plan&p=plan.p002"):
        r = httpx.get(url + path, timeout=30)
        assert r.status_code == 200, (path, r.text[:200])
    assert httpx.get(f"{url}/v1/documents", timeout=30).status_code == 401
    answer = httpx.post(
        f"{url}/v1/answers", json={"question": QUESTION}, headers={"Authorization": f"Bearer {KEY}"}, timeout=60
    ).json()
    link = answer["citations"][0]["url"]  # as the reader's browser sees it: through the proxy, with the prefix
    assert link.startswith(f"{url}{root_path}/viewer?doc=plan")
    assert httpx.get(url + link.removeprefix(url + root_path), timeout=30).status_code == 200  # no key needed


# --- a corpus change reaches the running service -------------------------------------------------------
def test_a_running_service_serves_the_new_corpus_after_a_change_and_health_says_which(tmp_path):
    """registry.json replaced (as `rag add/update/remove` do): the next request reloads, /healthz reports the new
    fingerprint, and a document the new registry lacks is never quoted again."""
    import os

    from fastapi.testclient import TestClient

    from rag.core.settings import Settings
    from rag.ingest.documents import registry_stamp
    from rag.interfaces.http.app import create_app
    from rag.interfaces.http.service import Service
    from tests.conftest import ServedRetriever

    (tmp_path / "registry.json").write_text('{"documents": []}')
    s = Settings(backend="extractive", corpus_dir=tmp_path, feedback_db=tmp_path / "fb.sqlite3", min_evidence_score=0.2)
    new = ServedRetriever()
    del new.corpus.documents["plan"]  # the plan was removed: only the news translation is left
    new.corpus.chunks = {k: c for k, c in new.corpus.chunks.items() if c.doc_id != "plan"}
    new.corpus.fingerprint = "after-removal"  # type: ignore[attr-defined]
    loads = []
    service = Service(s, ServedRetriever(), stamp=registry_stamp(s), loader=lambda _: loads.append(1) or new)
    with TestClient(create_app(s, service)) as client:
        before = client.post("/v1/answers", json={"question": QUESTION}).json()
        assert before["citations"][0]["doc_id"] == "plan"
        assert client.get("/healthz").json()["index"]["corpus_fingerprint"] == "fake-corpus" and not loads
        replacement = tmp_path / "registry.json.new"
        replacement.write_text('{"documents": [], "changed": true}')
        os.replace(replacement, tmp_path / "registry.json")
        assert client.get("/healthz").json()["index"]["corpus_fingerprint"] == "after-removal"
        after = client.post("/v1/answers", json={"question": QUESTION}).json()
        assert all(c["doc_id"] != "plan" for c in after["citations"]) and "plan" not in str(after["citations"])
        assert client.get("/v1/paragraphs/plan.p002").status_code == 404
        assert {d["id"] for d in client.get("/v1/documents").json()["documents"]} == {"plan-news"}
    assert loads == [1]  # reloaded once, not per request


def test_the_app_cache_loads_the_new_corpus_after_a_change(tmp_path, monkeypatch):
    import os

    from rag.core.settings import get_settings
    from rag.interfaces.web import resources

    (tmp_path / "registry.json").write_text("{}")
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path))
    get_settings.cache_clear()
    loaded = iter(["first corpus", "second corpus"])
    monkeypatch.setattr(resources.Retriever, "load", lambda *a, **k: next(loaded))
    resources._retriever_loading.clear()
    try:
        assert resources.retriever() == resources.retriever() == "first corpus"
        (tmp_path / "new.json").write_text('{"changed": true}')
        os.replace(tmp_path / "new.json", tmp_path / "registry.json")
        assert resources.retriever() == "second corpus"
    finally:
        resources._retriever_loading.clear()
        get_settings.cache_clear()
