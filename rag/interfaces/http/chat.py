"""OpenAI chat-completions shapes for an answer, and the small HTML page citation links open.

The message text is the checked answer with its [n] markers, then a "Sources" list of Markdown links,
so a client that only shows text still gets working links. Two extra top-level fields carry the
structure: `citations` (paragraph ids, quotes, URLs; as in `rag ask --json`) and `answer_id` (for
POST /v1/feedback). When streaming, they come in the last chunk, the one with finish_reason "stop".
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from typing import Any

from rag.core.types import Document
from rag.ingest.documents import Corpus


def chat_text(answer: dict[str, Any], corpus: Corpus) -> str:
    """The answer, its notice (if any) and its sources as Markdown links."""
    parts = [f"_Note: {answer['notice']}_", answer["answer"]] if answer.get("notice") else [answer["answer"]]
    if answer["citations"]:
        lines = []
        for c in answer["citations"]:
            title = corpus.document(c["doc_id"]).info.title
            where = f", task {c['task']}" if c.get("task") else ""
            lines.append(f"[{c['marker']}] [{title}{where} ({c['paragraph_id']})]({c['url']})")
        parts.append("Sources:\n" + "\n".join(lines))
    return "\n\n".join(parts)


def completion(answer: dict[str, Any], text: str, model: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{answer['id']}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "answer_id": answer["id"],
        "citations": answer["citations"],
    }


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        **extra,
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def completion_chunks(answer: dict[str, Any], text: str, model: str) -> Iterator[str]:
    """The checked answer as OpenAI stream chunks (word by word), the citations in the last one, then [DONE].

    Only checked text is sent: a chat client cannot take back tokens, and the check may remove sentences."""
    cid = f"chatcmpl-{answer['id']}"
    yield _chunk(cid, model, {"role": "assistant", "content": ""})
    for piece in re.findall(r"\s*\S+", text):
        yield _chunk(cid, model, {"content": piece})
    yield _chunk(cid, model, {}, "stop", answer_id=answer["id"], citations=answer["citations"])
    yield "data: [DONE]\n\n"


def sse(event: str, data: Any) -> str:
    """One server-sent event with a JSON payload."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def viewer_page(doc: Document, paragraph_id: str | None) -> str:
    """A plain page with the whole document, the cited paragraph highlighted (what a citation link opens)."""
    info = doc.info
    rows = []
    for p in doc.paragraphs:
        body = html.escape(p.text)
        body = f"<mark>{body}</mark>" if p.id == paragraph_id else body
        rows.append(f'<p id="{p.id}"><small>{p.id}</small> {body}</p>')
    jump = f'<p><a href="#{html.escape(paragraph_id)}">Go to the cited paragraph</a></p>' if paragraph_id else ""
    meta = ", ".join(x for x in (info.number, info.date) if x)
    return (
        f'<!doctype html><html lang="en"><meta charset="utf-8"><title>{html.escape(info.title)}</title>'
        f"<body style='max-width:50em;margin:auto;font-family:sans-serif'><h1>{html.escape(info.title)}</h1>"
        f"<p>{html.escape(meta)}</p>{jump}{''.join(rows)}</body></html>"
    )
