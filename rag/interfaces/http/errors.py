"""Errors as JSON `{"error": {"message", "type"}}` with the right status; the API key and the body-size limit.

Messages are the domain errors' own one-liners (they say what to do); any URL credentials in them
(`https://user:secret@host`) are blanked before they leave the server.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rag.core.errors import (
    BadQuestion,
    CorpusError,
    DatabaseSchema,
    DatabaseUnavailable,
    LLMUnavailable,
    ModelCorrupt,
    ModelMissing,
    RagError,
    UnknownBackend,
    UnknownDocument,
)
from rag.core.redact import redact
from rag.interfaces.feedback import FeedbackError, FeedbackUnavailable
from rag.interfaces.http.service import Busy, CorpusReloadFailed

log = logging.getLogger("rag.http")

OPEN_PATHS = ("/healthz", "/docs", "/openapi.json", "/viewer")  # no model behind them; public document text
STATUS: list[tuple[type[RagError], int, str]] = [
    (BadQuestion, 400, "invalid_request_error"),
    (UnknownBackend, 400, "invalid_request_error"),
    (FeedbackError, 400, "invalid_request_error"),
    (UnknownDocument, 404, "not_found_error"),
    (CorpusError, 404, "not_found_error"),
    (Busy, 503, "server_busy"),
    (CorpusReloadFailed, 503, "service_unavailable"),
    (FeedbackUnavailable, 503, "service_unavailable"),
    (LLMUnavailable, 503, "model_unavailable"),
    (ModelMissing, 503, "model_unavailable"),
    (ModelCorrupt, 503, "model_unavailable"),
    (DatabaseUnavailable, 503, "database_unavailable"),
    (DatabaseSchema, 503, "database_unavailable"),
]
RETRY_AFTER = (DatabaseUnavailable, DatabaseSchema)  # answered with Retry-After: app.state.retry_after seconds


def error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": redact(message), "type": kind}}, status_code=status, headers=headers)


def rag_error(request: Request, err: Exception) -> JSONResponse:
    """The error's status and message; an error about the server's own files (FeedbackUnavailable) says so in
    its `public` words, and the full message (with paths) goes to the log only. A database that is down or not
    migrated (RETRY_AFTER) is answered with Retry-After."""
    for cls, status, kind in STATUS:
        if isinstance(err, cls):
            if public := getattr(err, "public", None):
                log.warning("%s", err)
            retry = isinstance(err, RETRY_AFTER)
            after = str(getattr(request.app.state, "retry_after", 5))
            return error(status, public or str(err), kind, {"Retry-After": after} if retry else None)
    log.error("unexpected %s: %s", type(err).__name__, err)
    return error(500, str(err), "server_error")


def _validation(_: Request, err: Exception) -> JSONResponse:
    problems = err.errors() if isinstance(err, RequestValidationError) else []
    where = "; ".join(
        f"{'.'.join(str(x) for x in p['loc'] if x != 'body') or 'body'}: {p['msg']}" for p in problems[:3]
    )
    return error(400, f"Invalid request ({where}). See /docs for the expected fields.", "invalid_request_error")


def _http(_: Request, err: Exception) -> JSONResponse:
    status = err.status_code if isinstance(err, HTTPException) else 500
    kind = "not_found_error" if status == 404 else "invalid_request_error"
    return error(status, str(getattr(err, "detail", err)), kind)


def _route_path(request: Request) -> str:
    """The path the app routes on: without the --root-path prefix (/rag/healthz -> /healthz), which Starlette
    keeps in the request's path."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def install(app: FastAPI, api_key: str | None) -> None:
    app.add_exception_handler(RagError, rag_error)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)

    @app.middleware("http")
    async def require_key(request: Request, call_next: Any):
        if api_key and not _route_path(request).startswith(OPEN_PATHS):
            bearer = request.headers.get("authorization", "")
            given = bearer[7:].strip() if bearer.lower().startswith("bearer ") else request.headers.get("x-api-key", "")
            if not secrets.compare_digest(given.encode(), api_key.encode()):
                return error(
                    401,
                    "Missing or wrong API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
                    "authentication_error",
                    {"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)


class BodyLimit:
    """413 for a body over `limit` bytes, whether announced by Content-Length or sent in chunks."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        message = f"The request body is over {self.limit} bytes (RAG_HTTP_MAX_REQUEST_BYTES); send a shorter question."
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length.isdigit():  # the server holds the body to its announced length
            if int(length) > self.limit:
                await error(413, message, "request_too_large")(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []  # chunked: read up to the limit before the route sees any of it
        seen, more = 0, True
        while more:
            received = await receive()
            buffered.append(received)
            seen += len(received.get("body", b""))
            more = received.get("more_body", False) and received["type"] == "http.request"
            if seen > self.limit:
                await error(413, message, "request_too_large")(scope, receive, send)
                return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)
