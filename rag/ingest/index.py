"""The on-disk index: FAISS (chunks and paragraphs) + BM25, keyed by content hash.

The index folder is named by a hash of the corpus fingerprint and every setting
that changes what is stored, so a changed corpus or setting rebuilds by itself
and an unchanged one is reused. A build writes into a temporary folder and is
renamed into place only when complete; a manifest of file checksums lets a
load detect a damaged index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from rag.core.errors import IndexCorrupt, IndexMissing
from rag.core.settings import Settings
from rag.core.types import Chunk
from rag.ingest.chunking import UNINDEXED_KINDS, chunk_corpus
from rag.ingest.documents import Corpus, load_corpus
from rag.ingest.embedders import get_embedder

INDEX_VERSION = "1"
MULTILINGUAL_FILE = "paragraph_vectors_multilingual.npy"


def tokenize_for_bm25(texts: list[str]):
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)


def index_key(corpus: Corpus, settings: Settings) -> str:
    parts = [
        INDEX_VERSION,
        corpus.fingerprint,
        settings.embedder,
        str(settings.chunk_max_tokens),
        settings.multilingual_embedder,
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass
class IndexData:
    """Everything a retriever needs, loaded in memory."""

    path: Path
    chunks: list[Chunk]
    paragraph_ids: list[str]  # row order of the paragraph matrix
    chunk_index: object  # faiss.Index over chunk vectors
    paragraph_index: object  # faiss.Index over paragraph vectors
    paragraph_vectors: np.ndarray
    bm25: object  # bm25s.BM25 over chunk texts
    multilingual_vectors: np.ndarray | None = None  # same rows, settings.multilingual_embedder; None when off


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_index(corpus: Corpus, settings: Settings, target: Path) -> None:
    """Embed and write a complete index to `target` atomically."""
    import bm25s
    import faiss

    embed = get_embedder(settings.embedder, settings.embed_threads)
    chunks = chunk_corpus(corpus, settings, embed)
    paragraphs = [p for d in corpus.documents.values() for p in d.paragraphs if p.kind not in UNINDEXED_KINDS]
    chunk_vecs = embed([c.text for c in chunks], settings.embed_batch_size)
    para_vecs = embed([p.text for p in paragraphs], settings.embed_batch_size)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, vecs in (("chunks.faiss", chunk_vecs), ("paragraphs.faiss", para_vecs)):
            index = faiss.IndexFlatIP(vecs.shape[1])
            index.add(vecs)
            faiss.write_index(index, str(tmp / name))
        np.save(tmp / "paragraph_vectors.npy", para_vecs)
        if settings.multilingual_embedder:  # a second space, for questions not in English
            embed_ml = get_embedder(settings.multilingual_embedder, settings.embed_threads)
            np.save(tmp / MULTILINGUAL_FILE, embed_ml([p.text for p in paragraphs], settings.embed_batch_size))
        retriever = bm25s.BM25()
        retriever.index(tokenize_for_bm25([c.text for c in chunks]), show_progress=False)
        retriever.save(str(tmp / "bm25"))
        (tmp / "chunks.json").write_text(json.dumps([asdict(c) for c in chunks], ensure_ascii=False), encoding="utf-8")
        (tmp / "paragraphs.json").write_text(json.dumps([p.id for p in paragraphs]), encoding="utf-8")
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        manifest = {
            "version": INDEX_VERSION,
            "embedder": settings.embedder,
            "multilingual_embedder": settings.multilingual_embedder,
            "corpus": corpus.fingerprint,
            "files": {str(p.relative_to(tmp)): _sha(p) for p in files},
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(tmp, target)
        except OSError:
            if not (target / "manifest.json").exists():  # not merely a concurrent build that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_index(path: Path) -> IndexData:
    """Load and verify an index folder; raises IndexMissing / IndexCorrupt."""
    import bm25s
    import faiss

    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise IndexMissing(path)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for rel, sha in manifest["files"].items():
            if _sha(path / rel) != sha:
                raise IndexCorrupt(path, f"{rel} does not match its checksum")
        chunks = [
            Chunk(**{**c, "paragraph_ids": tuple(c["paragraph_ids"])})
            for c in json.loads((path / "chunks.json").read_text(encoding="utf-8"))
        ]
        return IndexData(
            path=path,
            chunks=chunks,
            paragraph_ids=json.loads((path / "paragraphs.json").read_text(encoding="utf-8")),
            chunk_index=faiss.read_index(str(path / "chunks.faiss")),
            paragraph_index=faiss.read_index(str(path / "paragraphs.faiss")),
            paragraph_vectors=np.load(path / "paragraph_vectors.npy"),
            bm25=bm25s.BM25.load(str(path / "bm25")),
            multilingual_vectors=np.load(path / MULTILINGUAL_FILE) if MULTILINGUAL_FILE in manifest["files"] else None,
        )
    except IndexCorrupt:
        raise
    except (OSError, ValueError, KeyError, RuntimeError, TypeError) as err:
        raise IndexCorrupt(path, f"{type(err).__name__}: {err}") from err


def ensure_index(
    settings: Settings, *, force: bool = False, log: Callable[[str], None] = lambda _: None
) -> tuple[Corpus, IndexData, bool]:
    """Load the index for the current corpus + settings, building it when missing, stale or damaged.

    Returns (corpus, index, built) where `built` says whether a build happened.
    """
    corpus = load_corpus(settings)
    path = Path(settings.index_root) / index_key(corpus, settings)
    if not force:
        try:
            return corpus, load_index(path), False
        except IndexMissing:
            log(f"Building the index at {path} (first run, or the corpus/settings changed)...")
        except IndexCorrupt as err:
            log(f"{err} Rebuilding it now.")
    build_index(corpus, settings, path)
    return corpus, load_index(path), True
