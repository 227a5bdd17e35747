"""The corpus as the database holds it: published by the process that changed it, loaded by every replica.

publish() writes, in one transaction, the registry, every document's files (the bytes whose sha256 the
registry records), its relations, paragraphs and chunks with their vectors, and bumps corpus_state.version
(then NOTIFY rag_corpus). A document whose text and index settings are unchanged keeps its rows. load()
reads one consistent snapshot (REPEATABLE READ): the corpus is parsed from the stored files, BM25 is built
from the stored chunk texts (the same scores as the FAISS path's), and the dense rankings query pgvector.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from rag.core.settings import Settings
from rag.core.types import Chunk
from rag.ingest.documents import Corpus, corpus_from, read_registry
from rag.ingest.index import IndexData, document_key, ensure_index, tokenize_for_bm25
from rag.store.db import Database, database
from rag.store.schema import require_current
from rag.store.vectors import PgIndex, PgVectors, hnsw_index_sql


def vectors_key(doc: Any, settings: Settings) -> str:
    """What a document's stored rows depend on: its parsed paragraphs and both embedders."""
    return f"{document_key(doc, settings)}:{settings.multilingual_embedder}"


def corpus_version(db: Database) -> int:
    """The published corpus's version (0: nothing published yet)."""
    with db.transaction() as conn:
        row = conn.execute("SELECT version FROM corpus_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0


def _relations(conn: Any, doc: Any) -> None:
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO relations (doc_id, type, target, paragraph_id, quote) VALUES (%s, %s, %s, %s, %s)",
            [(doc.id, r.type, r.target, r.paragraph_id, r.quote) for r in doc.info.relations],
        )


def _document_rows(conn: Any, doc: Any, entry: dict, position: int, key: str, folder: Path, data: IndexData) -> None:
    info = doc.info
    source = entry.get("source") or {}
    original = (folder / source["file"]).read_bytes() if source and (folder / source["file"]).exists() else None
    conn.execute(
        "INSERT INTO documents (id, position, vectors_key, canonical_id, title, issuer, level, number, date, official,"
        " entry, file, content, source_file, source_content) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s, %s, %s)",
        (info.id, position, key, info.canonical_id, info.title, info.issuer, info.level, info.number, info.date)
        + (info.official, json.dumps(entry, ensure_ascii=False), info.file, doc.text.encode("utf-8"))
        + (source.get("file"), original),
    )
    rows = {pid: i for i, pid in enumerate(data.paragraph_ids)}
    vectors = np.asarray(data.paragraph_vectors, np.float32)
    multilingual = None if data.multilingual_vectors is None else np.asarray(data.multilingual_vectors, np.float32)
    paragraphs = []
    for n, p in enumerate(doc.paragraphs):  # unindexed kinds (titles, signatures...) are stored without vectors
        row = rows.get(p.id)
        embedding = None if row is None else vectors[row]
        other = None if row is None or multilingual is None else multilingual[row]
        paragraphs.append((p.id, info.id, n, p.kind, p.task, p.text, embedding, other))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO paragraphs (id, doc_id, position, kind, task, text, embedding, multilingual)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            paragraphs,
        )
        chunk_vectors = data.chunk_index.reconstruct_n(0, data.chunk_index.ntotal)
        cur.executemany(
            "INSERT INTO chunks (id, doc_id, position, data, text, embedding) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (c.id, info.id, n, json.dumps(asdict(c), ensure_ascii=False), c.text, chunk_vectors[i])
                for n, (i, c) in enumerate((i, c) for i, c in enumerate(data.chunks) if c.doc_id == info.id)
            ],
        )
    _relations(conn, doc)


def publish(settings: Settings, corpus: Corpus, data: IndexData, raw_registry: bytes) -> int:
    """Make `corpus` (indexed as `data`) the database's current corpus; returns the new version."""
    db = database(settings)
    require_current(db)
    entries = {e["id"]: e for e in json.loads(raw_registry)["documents"]}
    with db.transaction() as conn:
        conn.execute("LOCK TABLE corpus_state IN EXCLUSIVE MODE")  # one publisher at a time
        stored = dict(conn.execute("SELECT id, vectors_key FROM documents").fetchall())
        gone = [d for d in stored if d not in corpus.documents]
        conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (gone,))
        for position, doc in enumerate(corpus.documents.values()):
            key = vectors_key(doc, settings)
            if stored.get(doc.id) == key:
                conn.execute(
                    "UPDATE documents SET position = %s, entry = %s WHERE id = %s",
                    (position, json.dumps(entries[doc.id], ensure_ascii=False), doc.id),
                )
                conn.execute("DELETE FROM relations WHERE doc_id = %s", (doc.id,))
                _relations(conn, doc)
                continue
            conn.execute("DELETE FROM documents WHERE id = %s", (doc.id,))
            _document_rows(conn, doc, entries[doc.id], position, key, Path(settings.corpus_dir), data)
        if settings.db_vector_search == "hnsw":
            dims = {("chunks", "embedding"): data.chunk_index.d, ("paragraphs", "embedding"): data.chunk_index.d}
            if data.multilingual_vectors is not None:
                dims[("paragraphs", "multilingual")] = np.asarray(data.multilingual_vectors).shape[1]
            for (table, column), dim in dims.items():
                conn.execute(hnsw_index_sql(table, column, dim))
        version = conn.execute(
            "INSERT INTO corpus_state (id, version, fingerprint, index_key, registry) VALUES (1, 1, %s, %s, %s) "
            "ON CONFLICT (id) DO UPDATE SET version = corpus_state.version + 1, fingerprint = EXCLUDED.fingerprint, "
            "index_key = EXCLUDED.index_key, registry = EXCLUDED.registry, published_at = now() RETURNING version",
            (corpus.fingerprint, data.path.name, raw_registry.decode("utf-8")),
        ).fetchone()[0]
        conn.execute("SELECT pg_notify('rag_corpus', %s)", (str(version),))
    return int(version)


def publish_local(settings: Settings, log: Callable[[str], None] = lambda _: None) -> int:
    """Publish the corpus folder's corpus (its index built or loaded as `rag index` would)."""
    corpus, data, _ = ensure_index(settings, log=log)
    version = publish(settings, corpus, data, read_registry(Path(settings.corpus_dir)))
    log(f"Published {len(corpus.documents)} documents to the database as corpus version {version}.")
    return version


def load(settings: Settings) -> tuple[Corpus, IndexData] | None:
    """The published corpus and an index over its database rows; None when nothing is published."""
    import bm25s

    db = database(settings)
    with db.transaction() as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        state = conn.execute("SELECT version, index_key, registry FROM corpus_state WHERE id = 1").fetchone()
        if state is None:
            return None
        files: dict[str, bytes] = {}
        for file, content, source_file, source_content in conn.execute(
            "SELECT file, content, source_file, source_content FROM documents"
        ):
            files[file] = bytes(content)
            if source_file and source_content is not None:
                files[source_file] = bytes(source_content)
        chunks = [
            Chunk(**{**data, "paragraph_ids": tuple(data["paragraph_ids"])})
            for (data,) in conn.execute(
                "SELECT c.data FROM chunks c JOIN documents d ON d.id = c.doc_id ORDER BY d.position, c.position"
            )
        ]
        order = "FROM paragraphs p JOIN documents d ON d.id = p.doc_id WHERE p.embedding IS NOT NULL"
        paragraph_ids = [r[0] for r in conn.execute(f"SELECT p.id {order} ORDER BY d.position, p.position")]
        dims = conn.execute(
            "SELECT (SELECT vector_dims(embedding) FROM chunks LIMIT 1), "
            "(SELECT vector_dims(multilingual) FROM paragraphs WHERE multilingual IS NOT NULL LIMIT 1)"
        ).fetchone()
    version, key, registry = state
    corpus = corpus_from(Path(settings.corpus_dir), registry.encode("utf-8"), files)
    bm25 = bm25s.BM25()
    bm25.index(tokenize_for_bm25([c.text for c in chunks]), show_progress=False)
    dim, ml_dim = dims[0] or 1, dims[1]
    hnsw = settings.db_vector_search == "hnsw"
    index = lambda table, column, ids, d: PgIndex(db, table, column, ids, d, hnsw, settings.db_hnsw_ef_search)
    return corpus, IndexData(
        path=Path(key),
        chunks=chunks,
        paragraph_ids=paragraph_ids,
        chunk_index=index("chunks", "embedding", [c.id for c in chunks], dim),
        paragraph_index=index("paragraphs", "embedding", paragraph_ids, dim),
        paragraph_vectors=PgVectors(db, "embedding", paragraph_ids, dim),  # type: ignore[arg-type]
        bm25=bm25,
        multilingual_vectors=PgVectors(db, "multilingual", paragraph_ids, ml_dim) if ml_dim else None,  # type: ignore[arg-type]
        multilingual_index=index("paragraphs", "multilingual", paragraph_ids, ml_dim) if ml_dim else None,
        corpus_version=int(version),
    )


def open_published(settings: Settings, log: Callable[[str], None] = lambda _: None) -> tuple[Corpus, IndexData]:
    """load(), publishing the local corpus first when the database holds none yet (a fresh database)."""
    require_current(database(settings))
    loaded = load(settings)
    if loaded is None:
        log("The database holds no corpus yet: publishing the local one.")
        publish_local(settings, log)
        loaded = load(settings)
    assert loaded is not None
    return loaded
