"""`rag serve` as a real process on a free port, driven by real clients: the official `openai` client for
/v1/chat/completions, plain HTTP (httpx) for the rest. Extractive backend (real retrieval, no LLM)."""

from __future__ import annotations

import json
import re
import subprocess

import httpx
import openai
import pytest

from eval.data import load_questions
from rag.core.settings import ROOT
from rag.core.text import task_key
from rag.interfaces.http.process import environ, free_port, rag_command, rag_serve_command, running

pytestmark = pytest.mark.slow  # loads the embedding model in the server process

KEY = "test-key-123"
QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"
GOLD = {"gh-2020-123.p044", "gh-2020-123-ipnews.p031"}
LIMIT = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        "RAG_BACKEND": "extractive",
        "RAG_API_KEY": KEY,
        "RAG_FEEDBACK_DB": str(tmp / "feedback.sqlite3"),
        "RAG_HTTP_MAX_REQUEST_BYTES": str(LIMIT),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "RAG_APP_URL": "",  # unset: links come from the request
    }
    url = f"http://127.0.0.1:{port}"
    with running(rag_serve_command(port), f"{url}/healthz", tmp / "serve.log", env):
        yield {"url": url, "env": env, "tmp": tmp}


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server["url"], headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server['url']}/v1", api_key=KEY, timeout=120, max_retries=0)


def _chat(client, stream=False):
    return client.chat.completions.create(
        model="extractive",
        messages=[
            {"role": "system", "content": "Answer briefly."},
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Ask me about the opening-up documents."},
            {"role": "user", "content": QUESTION},
        ],
        stream=stream,
    )


def test_openai_client_gets_the_answer_with_markers_links_and_structured_citations(server, client):
    reply = _chat(client)
    text = reply.choices[0].message.content
    citations = reply.model_extra["citations"]
    assert re.search(r"\[\d+\]", text) and f"]({server['url']}/viewer?doc=" in text  # a plain client sees links
    assert {c["paragraph_id"] for c in citations} & GOLD
    assert all(c["quote"] and c["url"].startswith(f"{server['url']}/viewer?") for c in citations)
    assert reply.model == "extractive" and reply.model_extra["answer_id"].startswith("ans-")


def test_openai_client_streams_the_same_text_and_gets_citations_in_the_last_chunk(client):
    whole = _chat(client).choices[0].message.content
    chunks = list(_chat(client, stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == whole
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert {c["paragraph_id"] for c in chunks[-1].model_extra["citations"]} & GOLD


def test_answers_is_the_json_of_rag_ask(server, http):
    served = http.post("/v1/answers", json={"question": QUESTION}).json()
    cli = subprocess.run(
        rag_command("ask", QUESTION, "--json", "--backend", "extractive"),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ(server["env"]),
        check=True,
    )
    asked = json.loads(cli.stdout)
    assert set(served) == set(asked) | {"id"}
    assert served["answer"] == asked["answer"]
    strip = lambda cs: [{k: v for k, v in c.items() if k != "url"} for c in cs]
    assert strip(served["citations"]) == strip(asked["citations"])


def test_answers_stream_sends_evidence_then_tokens_then_the_checked_answer(http):
    with http.stream("POST", "/v1/answers", json={"question": QUESTION, "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = [line[7:] for line in r.iter_lines() if line.startswith("event: ")]
    assert events[0] == "evidence" and events[-1] == "answer" and "token" in events


def test_citation_links_follow_the_path_prefix_and_open_the_highlighted_paragraph(server, http):
    data = http.post("/v1/answers", json={"question": QUESTION}, headers={"X-Forwarded-Prefix": "/rag"}).json()
    assert data["citations"][0]["url"].startswith(f"{server['url']}/rag/viewer?doc=")
    url = http.post("/v1/answers", json={"question": QUESTION}).json()["citations"][0]["url"]
    page = httpx.get(url, timeout=30)  # no key: a link opened in a browser must work
    pid = data["citations"][0]["paragraph_id"]
    assert page.status_code == 200 and f'<p id="{pid}"><small>{pid}</small> <mark>' in page.text


def test_search_documents_paragraphs_and_health(server, http):
    hits = http.get("/v1/search", params={"q": QUESTION, "k": 3}).json()["hits"]
    assert len(hits) == 3 and (hits[0]["doc_id"], hits[0]["task"]) == ("gh-2020-123", "3")
    docs = http.get("/v1/documents").json()["documents"]
    assert "gh-2020-123" in {d["id"] for d in docs}
    p = http.get("/v1/paragraphs/gh-2020-123.p044").json()
    assert p["task"] == "3" and "private equity fund managers" in p["text"]
    assert p["url"] == f"{server['url']}/viewer?doc=gh-2020-123&p=gh-2020-123.p044"
    health = httpx.get(f"{server['url']}/healthz").json()
    assert health["documents"] == len(docs) and health["model"] == {"backend": "extractive", "state": "ready"}
    assert health["index"]["fingerprint"] in health["index"]["path"]


def test_openapi_docs_are_served(server):
    assert httpx.get(f"{server['url']}/docs").status_code == 200
    assert "/v1/chat/completions" in httpx.get(f"{server['url']}/openapi.json").json()["paths"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"X-API-Key": "wrong"}])
def test_without_the_api_key_requests_get_401(server, headers):
    r = httpx.post(f"{server['url']}/v1/answers", json={"question": QUESTION}, headers=headers)
    assert r.status_code == 401 and r.json()["error"]["type"] == "authentication_error"


def test_the_x_api_key_header_is_accepted(server):
    r = httpx.get(f"{server['url']}/v1/documents", headers={"X-API-Key": KEY})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        ("POST", "/v1/answers", {"question": "   "}, 400),
        ("POST", "/v1/answers", {"question": QUESTION, "backend": "gpt-17"}, 400),
        ("POST", "/v1/answers", {"wrong": 1}, 400),
        ("POST", "/v1/chat/completions", {"messages": [{"role": "system", "content": "hi"}]}, 400),
        ("GET", "/v1/paragraphs/gh-2020-123.p999", None, 404),
        ("GET", "/viewer?doc=nope", None, 404),
        ("GET", "/v1/search?q=", None, 400),
    ],
)
def test_errors_are_json_with_a_message_and_the_right_status(http, method, path, body, status):
    r = http.request(method, path, json=body)
    assert r.status_code == status
    assert r.json()["error"]["message"] and r.json()["error"]["type"]


def test_a_body_over_the_limit_gets_413_announced_or_chunked(http):
    big = {"question": "x " * LIMIT}
    assert http.post("/v1/answers", json=big).status_code == 413
    chunked = http.post("/v1/answers", content=iter([json.dumps(big).encode()]))
    assert chunked.status_code == 413 and "RAG_HTTP_MAX_REQUEST_BYTES" in chunked.json()["error"]["message"]


def test_feedback_goes_from_the_api_to_sqlite_to_an_eval_questions_file(server, http):
    answer = http.post("/v1/answers", json={"question": QUESTION}).json()
    liked = http.post("/v1/feedback", json={"answer_id": answer["id"], "rating": "up"})
    disliked = http.post(
        "/v1/feedback",
        json={"question": "Who supervises VPN services?", "rating": "down", "comment": "no source", "answer": "x"},
    )
    assert liked.status_code == disliked.status_code == 200
    assert http.post("/v1/feedback", json={"answer_id": "ans-unknown", "rating": "up"}).status_code == 404
    out = server["tmp"] / "feedback.jsonl"
    run = lambda *args: subprocess.run(
        rag_command("feedback", *args),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environ(server["env"]),
        check=True,
    )
    run("export", "--out", str(out))
    questions = load_questions(out)  # the eval set's own reader accepts the file
    up = next(q for q in questions if q["question"] == QUESTION)
    assert set(up["gold_tasks"]) == {task_key(c["doc_id"], c["task"]) for c in answer["citations"]}
    assert up["feedback"]["backend"] == "extractive" and up["feedback"]["index_fingerprint"]
    down = next(q for q in questions if q["question"] == "Who supervises VPN services?")
    assert down["gold_tasks"] == [] and "no source" in down["notes"]
    stats = json.loads(run("stats", "--json").stdout)
    assert (stats["up"], stats["down"]) == (1, 1) and stats["worst"][0]["question"] == "Who supervises VPN services?"
