"""The on-disk index: FAISS (chunks and paragraphs) + BM25, keyed by content hash.

The index folder is named by a hash of the corpus fingerprint and every setting
that changes what is stored, so a changed corpus or setting rebuilds by itself
and an unchanged one is reused. A build writes into a temporary folder and is
renamed into place only when complete; a manifest of file checksums lets a
load detect a damaged index. Each document's chunks and vectors are also kept
under documents/, keyed by its parsed paragraphs, so a build after adding or
updating one document embeds only that document.

The temporary folder (`.<key>.<pid>.<random>`) is made before any embedding, so an
unwritable index root fails at once with IndexNotWritable; folders left by a killed
build (their process gone, or older than STALE_BUILD_S when they carry no pid) are
removed by the next ensure_index. A read-only index root with a valid index still loads.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.core.errors import IndexCorrupt, IndexMissing, IndexNotWritable, SettingsError
from rag.core.settings import Settings
from rag.core.types import Chunk, Document
from rag.ingest.chunking import UNINDEXED_KINDS, chunk_document
from rag.ingest.documents import Corpus, load_corpus
from rag.ingest.embedders import EMBEDDERS, Embed, build_bfloat16, get_embedder, torch_build

INDEX_VERSION = "1"
STALE_BUILD_S = 30 * 60  # a build folder without a pid in its name (an older version's) counts as abandoned after this
_BUILD_DIR_RE = re.compile(r"^\.[0-9a-f]{16}\.(?:(\d+)\.)?")
MULTILINGUAL_FILE = "paragraph_vectors_multilingual.npy"


def tokenize_for_bm25(texts: list[str]):
    import bm25s
    import Stemmer

    return bm25s.tokenize(texts, stopwords="en", stemmer=Stemmer.Stemmer("english"), show_progress=False)


def _vector_format(settings: Settings) -> str:  # part of every key of stored vectors: formats are never mixed
    return f"bfloat16={build_bfloat16(settings.build_precision)}"


def index_key(corpus: Corpus, settings: Settings) -> str:
    parts = [INDEX_VERSION, corpus.fingerprint, settings.embedder, str(settings.chunk_max_tokens)]
    parts += [settings.multilingual_embedder, _vector_format(settings)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@dataclass
class IndexData:
    """Everything a retriever needs, loaded in memory."""

    path: Path
    chunks: list[Chunk]
    paragraph_ids: list[str]  # row order of the paragraph matrix
    # faiss and bm25s ship no type information; Any keeps their methods callable for mypy.
    chunk_index: Any  # faiss.Index over chunk vectors
    paragraph_index: Any  # faiss.Index over paragraph vectors
    paragraph_vectors: np.ndarray
    bm25: Any  # bm25s.BM25 over chunk texts
    multilingual_vectors: np.ndarray | None = None  # same rows, settings.multilingual_embedder; None when off
    multilingual_index: Any = None  # a searchable index over multilingual_vectors (the database's); None: numpy
    corpus_version: int | None = None  # the database's corpus version this was loaded from; None: on disk


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def document_key(doc: Document, settings: Settings) -> str:
    """What a document's stored chunks and vectors depend on: its parsed paragraphs and the index settings."""
    parts = [INDEX_VERSION, settings.embedder, _vector_format(settings)]
    parts += [str(settings.chunk_max_tokens), doc.info.canonical_id]
    marks = lambda p: {k: v for k, v in asdict(p).items() if k != "instructions" or v}  # unmarked: keys as before
    parts += [json.dumps(marks(p), ensure_ascii=False, sort_keys=True) for p in doc.paragraphs]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def document_cache(settings: Settings) -> Path:
    """Per-document chunks and vectors, so that adding or updating one document embeds only that document."""
    return Path(settings.index_root) / "documents"


def _cached_folder(doc: Document, settings: Settings) -> Path:
    return document_cache(settings) / f"{doc.id}-{document_key(doc, settings)}"


def _document_vectors(
    doc: Document, settings: Settings, embed: Embed
) -> tuple[list[Chunk], list[str], np.ndarray, np.ndarray]:
    """(chunks, paragraph ids, chunk vectors, paragraph vectors) of one document, from the cache when stored."""
    folder = _cached_folder(doc, settings)
    try:
        chunks = [
            Chunk(**{**c, "paragraph_ids": tuple(c["paragraph_ids"])})
            for c in json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        ]
        ids = json.loads((folder / "paragraphs.json").read_text(encoding="utf-8"))
        return chunks, ids, np.load(folder / "chunks.npy"), np.load(folder / "paragraphs.npy")
    except (OSError, ValueError, KeyError, TypeError):
        pass  # not cached yet (or damaged): embed it
    chunks = chunk_document(doc, settings, embed)
    paragraphs = [p for p in doc.paragraphs if p.kind not in UNINDEXED_KINDS]
    chunk_vecs, para_vecs = (
        embed(texts, settings.embed_batch_size) if texts else np.zeros((0, 0), np.float32)
        for texts in ([c.text for c in chunks], [p.text for p in paragraphs])
    )
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        (tmp / "chunks.json").write_text(json.dumps([asdict(c) for c in chunks], ensure_ascii=False), encoding="utf-8")
        (tmp / "paragraphs.json").write_text(json.dumps([p.id for p in paragraphs]), encoding="utf-8")
        np.save(tmp / "chunks.npy", chunk_vecs)
        np.save(tmp / "paragraphs.npy", para_vecs)
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return chunks, [p.id for p in paragraphs], chunk_vecs, para_vecs


def _multilingual_vectors(doc: Document, ids: list[str], settings: Settings, embed: Embed) -> np.ndarray:
    """The rows of `ids` (the document's indexed paragraphs) in the multilingual space, cached beside its vectors."""
    folder = _cached_folder(doc, settings)
    path = folder / f"multilingual-{settings.multilingual_embedder}.npy"
    try:
        vectors = np.load(path)
        if len(vectors) == len(ids):
            return vectors
    except (OSError, ValueError):
        pass  # not cached yet (or damaged): embed it
    text = {p.id: p.text for p in doc.paragraphs}
    vectors = embed([text[pid] for pid in ids], settings.embed_batch_size) if ids else np.zeros((0, 0), np.float32)
    tmp = folder / f".{path.name}.{os.getpid()}.npy"
    try:
        np.save(tmp, vectors)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only cache still builds; it embeds again next time
    return vectors


def drop_cached(settings: Settings, doc_id: str, keep: str | None = None) -> None:
    """Remove a document's cached chunks and vectors (all versions but `keep`, a document_key)."""
    for folder in document_cache(settings).glob(f"{doc_id}-*"):
        if folder.name[len(doc_id) + 1 :] != keep and len(folder.name) == len(doc_id) + 17:
            shutil.rmtree(folder, ignore_errors=True)


def build_index(
    corpus: Corpus,
    settings: Settings,
    target: Path,
    *,
    started: Callable[[], None] = lambda: None,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Write a complete index to `target` atomically; only documents not in the cache are embedded.

    `started()` runs once the build folder exists (so an unwritable root fails before any embedding);
    `progress` gets a line for each batch of texts embedded (`rag add` shows them on long adds)."""
    import bm25s
    import faiss

    tmp = _build_folder(target)
    try:
        started()
        embed = _for_build(lambda: get_embedder(settings.embedder, settings.embed_threads), progress, settings)
        docs = list(corpus.documents.values())
        parts = [_document_vectors(doc, settings, embed) for doc in docs]
        chunks = [c for part in parts for c in part[0]]
        paragraph_ids = [pid for part in parts for pid in part[1]]
        dim = next((part[2].shape[1] for part in parts if part[2].size), 1)
        chunk_vecs = np.concatenate([part[2].reshape(-1, dim) for part in parts]).astype(np.float32)
        para_vecs = np.concatenate([part[3].reshape(-1, dim) for part in parts]).astype(np.float32)
        for name, vecs in (("chunks.faiss", chunk_vecs), ("paragraphs.faiss", para_vecs)):
            index = faiss.IndexFlatIP(vecs.shape[1])
            index.add(vecs)
            faiss.write_index(index, str(tmp / name))
        np.save(tmp / "paragraph_vectors.npy", para_vecs)
        if settings.multilingual_embedder:  # a second space, for questions not in English
            embed_ml = _for_build(
                lambda: get_embedder(settings.multilingual_embedder, settings.embed_threads), progress, settings
            )
            ml = [_multilingual_vectors(doc, part[1], settings, embed_ml) for doc, part in zip(docs, parts)]
            dim_ml = next((m.shape[1] for m in ml if m.size), 1)
            np.save(tmp / MULTILINGUAL_FILE, np.concatenate([m.reshape(-1, dim_ml) for m in ml]).astype(np.float32))
        retriever = bm25s.BM25()
        retriever.index(tokenize_for_bm25([c.text for c in chunks]), show_progress=False)
        retriever.save(str(tmp / "bm25"))
        (tmp / "chunks.json").write_text(json.dumps([asdict(c) for c in chunks], ensure_ascii=False), encoding="utf-8")
        (tmp / "paragraphs.json").write_text(json.dumps(paragraph_ids), encoding="utf-8")
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


def _for_build(load: Callable[[], Embed], progress: Callable[[str], None] | None, settings: Settings) -> Embed:
    """An embed function for a build: the model is loaded on the first call (a fully cached corpus loads none),
    runs on settings.build_threads and build_precision, and calls `progress` after each slice of texts (a long add shows it moves)."""
    step = settings.embed_batch_size * 8

    def embedding(texts: list[str], batch_size: int = 32) -> np.ndarray:
        embed = load()
        with torch_build(settings.build_threads, build_bfloat16(settings.build_precision)):
            if progress is None or len(texts) <= step:
                return embed(texts, batch_size)
            # slices of texts of like length, as one call would batch them (less padding), put back in order after
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            parts = []
            for start in range(0, len(texts), step):
                parts.append(embed([texts[i] for i in order[start : start + step]], batch_size))
                progress(f"  embedded {min(start + step, len(texts))}/{len(texts)} passages")
            vectors = np.concatenate(parts)
            vectors[order] = vectors.copy()
            return vectors

    return embedding


def _build_folder(target: Path) -> Path:
    """A fresh temporary folder beside `target`, named with this process's pid; IndexNotWritable if it cannot be."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", dir=target.parent))
    except OSError as err:
        raise IndexNotWritable(target.parent, err.strerror or type(err).__name__) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_builds(root: Path, log: Callable[[str], None] = lambda _: None) -> list[Path]:
    """Remove build folders under `root` whose process is gone (or, without a pid, older than STALE_BUILD_S)."""
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:  # no index root yet, or not readable: nothing of ours to clean
        return removed
    for folder in entries:
        match = _BUILD_DIR_RE.match(folder.name)
        if not match or not folder.is_dir():
            continue
        pid = match.group(1)
        try:
            stale = not _alive(int(pid)) if pid else time.time() - folder.stat().st_mtime > STALE_BUILD_S
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            if not folder.exists():
                removed.append(folder)
    if removed:
        log(f"Removed {len(removed)} unfinished index build folder(s) left by an interrupted build under {root}.")
    return removed


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
    if settings.embedder not in EMBEDDERS:
        raise SettingsError(
            f"RAG_EMBEDDER={settings.embedder!r} is not an installed embedder; choose one of: {', '.join(sorted(EMBEDDERS))}."
        )
    corpus = load_corpus(settings)
    path = Path(settings.index_root) / index_key(corpus, settings)
    remove_stale_builds(path.parent, log)
    why = "Building the index (--force)"
    if not force:
        try:
            return corpus, load_index(path), False
        except IndexMissing:
            why = f"Building the index at {path} (first run, or the corpus/settings changed)..."
        except IndexCorrupt as err:
            why = f"{err} Rebuilding it now."
    build_index(corpus, settings, path, started=lambda: log(why))
    return corpus, load_index(path), True
