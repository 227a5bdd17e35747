"""What the HTTP routes share: one retriever, the queue in front of the in-process model, recent answers.

The answering code is the CLI's (`rag.answer.pipeline.stream_answer`); this module only decides who
may run it when. A model that runs inside this process (settings.http_serial_backends) answers one
question at a time, so its requests queue (at most settings.http_max_queue wait; more get 503); other
backends (extractive, or `openai` against a model server) run side by side.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rag.answer.backends import get_backend
from rag.answer.pipeline import Event, stream_answer
from rag.core.errors import DatabaseUnavailable, LLMUnavailable, RagError
from rag.core.settings import Settings
from rag.core.types import Answer
from rag.retrieve import Retriever

log = logging.getLogger("rag.http")


class Busy(RagError):
    """Too many requests are waiting for the in-process model."""


@dataclass
class Service:
    settings: Settings
    retriever: Retriever
    model_state: dict[str, str] = field(default_factory=dict)  # backend -> loading | ready | unavailable: why
    recent: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    waiting: int = 0
    replica: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _gate: threading.Lock = field(default_factory=threading.Lock)
    _count_lock: threading.Lock = field(default_factory=threading.Lock)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _checked: float = 0.0  # time.monotonic() of the last corpus version check

    @classmethod
    def load(cls, settings: Settings) -> Service:
        return cls(settings, Retriever.load(settings, log=log.info))

    def refresh(self) -> None:
        """With a database: load the corpus version another process published (at most every
        settings.db_corpus_check_s), before this request is answered. DatabaseUnavailable when it is down."""
        if not self.settings.database_url or time.monotonic() - self._checked < self.settings.db_corpus_check_s:
            return
        from rag.store.corpus import corpus_version
        from rag.store.db import database

        version = corpus_version(database(self.settings))
        if version != self.retriever.data.corpus_version:
            with self._reload_lock:  # one reload; requests that arrive meanwhile wait for it
                if version != self.retriever.data.corpus_version:
                    retriever = Retriever.load(self.settings, log=log.info)
                    log.info("corpus version %s loaded (was %s)", version, self.retriever.data.corpus_version)
                    self.retriever = retriever
        self._checked = time.monotonic()

    def warm(self) -> None:
        """Load the default backend's model in the background; /healthz reports its state meanwhile."""
        name = self.settings.backend
        self.model_state[name] = "loading"

        def run() -> None:
            try:
                get_backend(name, self.settings).warm()
                self.model_state[name] = "ready"
            except LLMUnavailable as err:
                self.model_state[name] = f"unavailable: {err}"
                log.warning("backend %s failed to warm: %s", name, err)

        threading.Thread(target=run, name="warm-model", daemon=True).start()

    @contextmanager
    def _turn(self, backend: str) -> Iterator[None]:
        """Wait for the in-process model (when `backend` runs here), or go straight on."""
        if backend not in self.settings.http_serial_backends:
            yield
            return
        with self._count_lock:
            if self.waiting >= self.settings.http_max_queue:
                raise Busy(
                    f"{self.waiting} questions are already waiting for the {backend} model; try again shortly, "
                    "or move the model to a server (RAG_BACKEND=openai)."
                )
            self.waiting += 1
        try:
            self._gate.acquire()
        finally:
            with self._count_lock:
                self.waiting -= 1
        try:
            yield
        finally:
            self._gate.release()

    def events(
        self,
        question: str,
        *,
        base_url: str,
        backend: str | None = None,
        history: list[dict[str, str]] | None = None,
        doc_ids: list[str] | None = None,
    ) -> Iterator[Event]:
        """stream_answer's events, with citation links under `base_url`, after this request's turn."""
        name = backend or self.settings.backend
        get_backend(name, self.settings)  # an unknown name fails here, before queueing
        settings = self.settings.model_copy(update={"app_url": base_url})
        with self._turn(name):
            yield from stream_answer(
                question,
                self.retriever,
                backend=name,
                settings=settings,
                doc_ids=set(doc_ids) if doc_ids else None,
                history=history or [],
            )

    def remember(self, answer: Answer, history: list[dict[str, str]]) -> dict[str, Any]:
        """The answer's JSON (as `rag ask --json`, with a fresh id), kept so feedback can name it by id."""
        data = answer.to_json(f"ans-{uuid.uuid4().hex[:16]}")
        model = get_backend(answer.backend, self.settings).model if answer.backend != "none" else ""
        self.recent[data["id"]] = {"answer": data, "history": history, "model": model}
        if self.settings.database_url:  # the answer log, one table for every replica
            from rag.store.db import database
            from rag.store.logs import log_answer

            try:
                log_answer(
                    database(self.settings), data["id"], answer, self.retriever.data.corpus_version, self.replica
                )
            except DatabaseUnavailable as err:  # the answer itself is already made: give it, note the gap
                log.warning("answer %s not logged: %s", data["id"], err)
        while len(self.recent) > self.settings.http_recent_answers:
            self.recent.popitem(last=False)
        return data

    def health(self) -> dict[str, Any]:
        data, corpus = self.retriever.data, self.retriever.corpus
        database: dict[str, Any] | None = None
        if self.settings.database_url:
            from rag.store.corpus import corpus_version
            from rag.store.db import database as pool

            try:
                database = {"state": "ok", "corpus_version": corpus_version(pool(self.settings))}
            except DatabaseUnavailable as err:
                database = {"state": f"unavailable: {err}"}
        return {
            "status": "ok" if database is None or database["state"] == "ok" else "database unavailable",
            "database": database,
            "replica": self.replica,
            "index": {
                "path": str(data.path),
                "fingerprint": data.path.name,
                "corpus_fingerprint": corpus.fingerprint,
                "chunks": len(data.chunks),
                "paragraphs": len(data.paragraph_ids),
            },
            "documents": len(corpus.documents),
            "model": {"backend": self.settings.backend, "state": self.model_state.get(self.settings.backend, "idle")},
            "queue": {"waiting": self.waiting, "max": self.settings.http_max_queue},
            "history_supported": True,
        }
