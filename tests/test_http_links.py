"""Where the HTTP service's citation links point (no server process: a request scope is enough)."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from rag.core.settings import Settings
from rag.interfaces.http.app import link_base


def _request(root_path: str = "", prefix: str | None = None, port: int = 8123) -> Request:
    headers = [(b"host", f"intranet:{port}".encode())]
    headers += [(b"x-forwarded-prefix", prefix.encode())] if prefix is not None else []
    scope = {"type": "http", "scheme": "http", "server": ("intranet", port), "path": "/v1/answers"}
    return Request(scope | {"root_path": root_path, "headers": headers, "method": "POST", "query_string": b""})


def test_links_use_the_host_and_port_the_client_reached():
    assert link_base(_request(port=8502), Settings()) == "http://intranet:8502"


@pytest.mark.parametrize("root_path, prefix", [("/rag", None), ("", "/rag"), ("/rag", "/rag/")])
def test_links_keep_the_path_prefix_once(root_path, prefix):
    assert link_base(_request(root_path, prefix), Settings()) == "http://intranet:8123/rag"


@pytest.mark.parametrize("prefix", ["rag", "/r ag", "/rag?x=<script>", "//evil.example"])
def test_a_malformed_forwarded_prefix_is_ignored(prefix):
    assert link_base(_request(prefix=prefix), Settings()) == "http://intranet:8123"


def test_rag_app_url_wins_when_set(monkeypatch):
    monkeypatch.setenv("RAG_APP_URL", "https://portal.example/assistant/")
    assert link_base(_request(), Settings()) == "https://portal.example/assistant"
