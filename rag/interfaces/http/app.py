"""The HTTP service (`rag serve`): answers with checked citations, OpenAI-compatible chat, search, documents,
paragraphs, feedback, health. OpenAPI docs at /docs.

Blocking work (retrieval, generation) runs in threads, so /healthz answers while a model generates.
Citation links point at this server's own /viewer page, built from the request's URL (its host,
port and path prefix: uvicorn's --root-path or an X-Forwarded-Prefix header), or at settings.app_url
when RAG_APP_URL is set.
"""

from __future__ import annotations

import json
import queue
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse

from rag.answer.backends import BACKENDS
from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent
from rag.core.errors import BadQuestion, CorpusError, RagError
from rag.core.questions import validate_question
from rag.core.settings import Settings, get_settings
from rag.core.text import printable
from rag.ingest.documents import paragraph_url
from rag.interfaces.feedback import Feedback, posted_citations, record_feedback
from rag.interfaces.http import chat
from rag.interfaces.http.errors import BodyLimit, install, rag_error
from rag.interfaces.http.schemas import AnswerRequest, ChatRequest, FeedbackRequest, Message
from rag.interfaces.http.service import Service
from rag.retrieve import Retriever

_PREFIX_RE = re.compile(r"(/[\w.~-]+)+")
_END = object()


def link_base(request: Request, settings: Settings) -> str:
    """Where citation links point: RAG_APP_URL when set, else this server as the client reached it."""
    if "app_url" in settings.model_fields_set:
        return settings.app_url.rstrip("/")
    base = str(request.base_url).rstrip("/")  # scheme, host, port and root_path
    prefix = request.headers.get("x-forwarded-prefix", "").strip().rstrip("/")
    if _PREFIX_RE.fullmatch(prefix) and not base.endswith(prefix):
        base += prefix
    return base


async def _in_thread(produce: Callable[[], Iterator[Any]]) -> AsyncIterator[Any]:
    """Run a blocking generator to its end in its own thread (so a model turn always finishes and frees the
    model, even when the client leaves), handing its items to the event loop as they come."""
    items: queue.Queue = queue.Queue()

    def run() -> None:
        try:
            for item in produce():
                items.put(item)
        except Exception as err:
            items.put(err)
        finally:
            items.put(_END)

    threading.Thread(target=run, name="answer", daemon=True).start()
    while (item := await anyio.to_thread.run_sync(items.get)) is not _END:
        if isinstance(item, Exception):
            raise item
        yield item


def _history(messages: list[Message]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.text()} for m in messages]


def _evidence(event: EvidenceEvent) -> list[dict[str, Any]]:
    return [
        {"marker": ev.marker, "paragraph_id": ev.paragraph.id, "doc_id": ev.paragraph.doc_id, "task": ev.paragraph.task}
        | {"score": round(ev.score, 4), "text": ev.paragraph.text}
        for ev in event.evidence
    ]


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.service = service or await anyio.to_thread.run_sync(Service.load, settings)
        app.state.service.warm()
        yield

    app = FastAPI(
        title="Beijing Opening-Up Policy Assistant",
        description="Cited answers over the State Council and Beijing opening-up documents. Errors are "
        '`{"error": {"message", "type"}}`. With RAG_API_KEY set, send `Authorization: Bearer KEY` or `X-API-Key`.',
        version="1",
        lifespan=lifespan,
    )
    install(app, settings.api_key)
    app.add_middleware(BodyLimit, limit=settings.http_max_request_bytes)
    app.state.retry_after = settings.db_retry_after_s

    @app.middleware("http")
    async def current_corpus(request: Request, call_next: Any):
        """With a database: the corpus version is checked before a request is answered (rag.store)."""
        if settings.database_url and request.url.path.startswith(("/v1/", "/viewer")):
            try:
                await anyio.to_thread.run_sync(svc(request).refresh)
            except RagError as err:
                return rag_error(request, err)
        return await call_next(request)

    def svc(request: Request) -> Service:
        return request.app.state.service

    async def current(request: Request) -> Retriever:
        """The retriever of the corpus as registry.json now stands (reloaded off the event loop when it changed)."""
        return await anyio.to_thread.run_sync(svc(request).current)

    async def events(request: Request, question: str, history: list[Message], **kw: Any) -> AsyncIterator[Any]:
        """The pipeline's events; the first is awaited before any response starts, so errors keep their status."""
        turns = _history(history)
        base = link_base(request, settings)
        stream = _in_thread(lambda: svc(request).events(question, base_url=base, history=turns, **kw))
        first = await anext(stream)

        async def rest() -> AsyncIterator[Any]:
            yield first
            async for event in stream:
                if isinstance(event, AnswerEvent):  # remembered (and, with a database, logged) off the event loop
                    yield await anyio.to_thread.run_sync(svc(request).remember, event.answer, turns)
                else:
                    yield event

        return rest()

    async def final(stream: AsyncIterator[Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        async for event in stream:
            result = event if isinstance(event, dict) else result
        return result

    @app.post("/v1/answers", summary="Answer a question (the JSON of `rag ask --json`; SSE when stream is true)")
    async def answers(body: AnswerRequest, request: Request) -> Any:
        stream = await events(request, body.question, body.history, backend=body.backend, doc_ids=body.doc_ids)
        if not body.stream:
            return await final(stream)

        async def sse() -> AsyncIterator[str]:
            try:
                async for event in stream:
                    if isinstance(event, EvidenceEvent):
                        yield chat.sse("evidence", _evidence(event))
                    elif isinstance(event, TokenEvent):  # a checked sentence; the lead goes before the quotes
                        yield chat.sse("token", {"text": event.text, "lead": event.lead})
                    elif isinstance(event, NoticeEvent):
                        yield chat.sse("notice", {"text": event.text})
                    else:
                        yield chat.sse("answer", event)
            except Exception as err:  # after the 200 went out: the error is the last event, whatever it is
                yield chat.sse("error", json.loads(bytes(rag_error(request, err).body)))

        return StreamingResponse(sse(), media_type="text/event-stream")

    @app.post("/v1/chat/completions", summary="OpenAI-compatible chat; extra fields `citations` and `answer_id`")
    async def chat_completions(body: ChatRequest, request: Request) -> Any:
        users = [i for i, m in enumerate(body.messages) if m.role == "user"]
        if not users or not body.messages[users[-1]].text().strip():
            raise BadQuestion("The last user message is empty: put the question in a message with role 'user'.")
        last = users[-1]
        backend = body.backend or (body.model if body.model in BACKENDS else None)
        history = [m for m in body.messages[:last] if m.role in ("user", "assistant")]
        stream = await events(request, body.messages[last].text(), history, backend=backend)
        answer = await final(stream)
        text = chat.chat_text(answer, (await current(request)).corpus)
        model = answer["backend"]
        if body.stream:
            return StreamingResponse(chat.completion_chunks(answer, text, model), media_type="text/event-stream")
        return chat.completion(answer, text, model)

    @app.get("/v1/models", summary="The answer backends, as OpenAI models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": n, "object": "model", "owned_by": "rag"} for n in sorted(BACKENDS)]}

    @app.get("/v1/search", summary="The top tasks for a question (as `rag search --json`)")
    async def search(request: Request, q: str = Query(max_length=2000), k: int = Query(5, ge=1, le=50)) -> Any:
        question = validate_question(q, settings)  # control characters removed: none is echoed
        retriever = await current(request)
        hits = await anyio.to_thread.run_sync(lambda: retriever.search(question, k))
        return {"question": question, "hits": [h.to_json() for h in hits]}

    @app.get("/v1/documents", summary="The documents of the corpus")
    async def documents(request: Request) -> Any:
        return {
            "documents": [
                {k: getattr(d.info, k) for k in ("id", "title", "issuer", "level", "number", "date", "canonical_id")}
                | {"official": d.info.official, "paragraphs": len(d.paragraphs)}
                for d in (await current(request)).corpus.documents.values()
            ]
        }

    @app.get("/v1/paragraphs/{paragraph_id}", summary="One paragraph by id, e.g. gh-2020-123.p044")
    async def paragraph(paragraph_id: str, request: Request) -> Any:
        p = (await current(request)).corpus.paragraph(paragraph_id)
        url = paragraph_url(p.id, settings, base=link_base(request, settings))
        return {k: getattr(p, k) for k in ("id", "doc_id", "kind", "section", "task", "task_title", "text")} | {
            "url": url
        }

    @app.get("/viewer", response_class=HTMLResponse, summary="The page a citation link opens")
    async def viewer(request: Request, doc: str, p: str | None = None) -> HTMLResponse:
        document = (await current(request)).corpus.document(doc)
        return HTMLResponse(chat.viewer_page(document, p))

    @app.post("/v1/feedback", summary="Thumbs up/down on an answer (by answer_id, or with the question)")
    async def feedback(body: FeedbackRequest, request: Request) -> Any:
        known = svc(request).recent.get(body.answer_id or "")
        if body.answer_id and not known and not body.question:
            raise CorpusError(
                f"Unknown answer id {body.answer_id!r} (the server keeps recent answers only); "
                "send the question, answer and citations with the rating instead."
            )
        given = body.model_dump(exclude_none=True, exclude={"rating", "comment", "history", "answer_id"})
        answer = known["answer"] if known else {}
        if "citations" in given:  # each must name a paragraph of the corpus
            given["citations"] = posted_citations(given["citations"], (await current(request)).corpus, settings)
        entry = Feedback(
            question=printable(given.get("question", answer.get("question", ""))).strip(),
            rating=body.rating,
            comment=printable(body.comment).strip(),
            history=_history(body.history) if body.history else (known or {}).get("history", []),
            answer=given.get("answer", answer.get("answer", "")),
            refused=given.get("refused", answer.get("refused", False)),
            citations=given.get("citations", answer.get("citations", [])),
            backend=given.get("backend", answer.get("backend", "")),
            model=given.get("model", (known or {}).get("model", "")),
            index_fingerprint=(await current(request)).data.path.name,
            answer_id=body.answer_id,
        )
        row = await anyio.to_thread.run_sync(record_feedback, entry, settings)
        return {"id": row, "created_at": entry.created_at}

    @app.get("/healthz", summary="Index, database and model state (503 while the database is down)")
    async def healthz(request: Request) -> Any:
        health = await anyio.to_thread.run_sync(svc(request).health)
        return health if health["status"] == "ok" else JSONResponse(health, status_code=503)

    return app
