"""The `openai` backend for real: llama.cpp's OpenAI-compatible server (llama-cpp-python) with the SmolLM2
GGUF, started by the test, behind `rag serve` (RAG_BACKEND=openai)."""

from __future__ import annotations

import httpx
import pytest

from rag.answer import model_files
from rag.answer.backends import get_backend
from rag.core.errors import ModelMissing
from rag.core.settings import Settings
from rag.interfaces.http.process import free_port, llama_server_command, rag_serve_command, running

pytestmark = pytest.mark.slow

QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    pytest.importorskip("sse_starlette", reason="llama_cpp.server needs sse-starlette (pip install '.[dev]')")
    pytest.importorskip("starlette_context", reason="llama_cpp.server needs starlette-context (pip install '.[dev]')")
    try:
        model = model_files.smollm2_path(Settings())
    except ModelMissing as err:
        pytest.skip(str(err))
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    log = tmp_path_factory.mktemp("llama") / "llama.log"
    with running(llama_server_command(model, port), f"{url}/models", log):
        yield url


def test_the_openai_backend_streams_from_the_llama_cpp_server(model_server):
    backend = get_backend("openai", Settings(openai_base_url=model_server, max_answer_tokens=24))
    assert "".join(backend.stream("What is a fund manager?", [])).strip()


def test_rag_serve_answers_through_the_model_server(model_server, tmp_path):
    port = free_port()
    env = {
        "RAG_BACKEND": "openai",
        "RAG_OPENAI_BASE_URL": model_server,
        "RAG_MAX_ANSWER_TOKENS": "96",
        "RAG_FEEDBACK_DB": str(tmp_path / "fb.sqlite3"),
        "RAG_API_KEY": "",
        "HF_HUB_OFFLINE": "1",
    }
    base = f"http://127.0.0.1:{port}"
    with running(rag_serve_command(port), f"{base}/healthz", tmp_path / "serve.log", env):
        data = httpx.post(f"{base}/v1/answers", json={"question": QUESTION}, timeout=300).json()
        assert httpx.get(f"{base}/healthz").json()["model"] == {"backend": "openai", "state": "ready"}
    assert "language model failed" not in (data.get("notice") or "")  # the server answered; no fallback for failure
    assert data["backend"] in ("openai", "extractive")  # extractive only when SmolLM2's draft fails the citation check
    assert data["citations"] and not data["refused"]
