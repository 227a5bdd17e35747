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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rag.answer.backends import get_backend
from rag.answer.pipeline import Event, stream_answer
from rag.core.errors import DatabaseUnavailable, LLMUnavailable, RagError
from rag.core.questions import validate_question
from rag.core.settings import Settings
from rag.core.text import printable
from rag.core.types import Answer
from rag.ingest.documents import registry_stamp
from rag.interfaces.inputs import check_doc_ids
from rag.retrieve import Retriever

log = logging.getLogger("rag.http")


class Busy(RagError):
    """Too many requests are waiting for the in-process model."""


class CorpusReloadFailed(RagError):
    """The corpus changed on disk and the new one could not be loaded (the request is refused, not answered from
    the old corpus)."""

    public = "The documents changed and could not be reloaded yet; try again shortly."


@dataclass
class Service:
    settings: Settings
    retriever: Retriever
    model_state: dict[str, str] = field(default_factory=dict)  # backend -> loading | ready | unavailable: why
    recent: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    waiting: int = 0
    stamp: tuple[int, int, int] | None = None  # registry_stamp of the corpus served; None: never reload (tests)
    loader: Callable[[Settings], Retriever] = field(default=lambda s: Retriever.load(s, log=log.info))
    replica: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    _gate: threading.Lock = field(default_factory=threading.Lock)
    _count_lock: threading.Lock = field(default_factory=threading.Lock)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _checked: float = 0.0  # time.monotonic() of the last corpus version check (with a database)

    @classmethod
    def load(cls, settings: Settings) -> Service:
        stamp = registry_stamp(settings)
        return cls(settings, Retriever.load(settings, log=log.info), stamp=stamp)

    def current(self) -> Retriever:
        """The retriever of the corpus registry.json now describes. A changed registry (one stat per request) is
        loaded in full and then swapped in, in one assignment: a request that holds the old retriever finishes
        with it, every later one gets the new one, and none is answered from documents no longer registered."""
        if self.stamp is None or registry_stamp(self.settings) == self.stamp:
            return self.retriever
        with self._reload_lock:  # one reload at a time; the others wait for it
            stamp = registry_stamp(self.settings)
            if stamp != self.stamp:
                try:
                    retriever = self.loader(self.settings)
                except RagError as err:
                    raise CorpusReloadFailed(f"The corpus changed and could not be reloaded: {err}") from None
                log.info("corpus changed: now serving %s", retriever.corpus.fingerprint[:16])
                self.retriever, self.stamp = retriever, stamp
        return self.retriever

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
        """stream_answer's events, with citation links under `base_url`, after this request's turn. The question is
        checked first (control characters removed, so none is echoed), then the backend and the documents."""
        question = validate_question(question, self.settings)
        retriever = self.current()  # this request's corpus, from start to end
        name = backend or self.settings.backend
        get_backend(name, self.settings)  # an unknown name fails here, before queueing
        check_doc_ids(doc_ids, sorted(retriever.corpus.documents))  # 404 naming the known ids
        history = [turn | {"content": printable(turn.get("content", ""))} for turn in history or []]
        settings = self.settings.model_copy(update={"app_url": base_url})
        with self._turn(name):
            yield from stream_answer(
                question,
                retriever,
                backend=name,
                settings=settings,
                doc_ids=set(doc_ids) if doc_ids else None,
                history=history,
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
        retriever = self.current()
        data, corpus = retriever.data, retriever.corpus
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
