"""Corpus and registry: load the publisher's texts, verify them, parse their structure.

The files in corpus/ are never edited. Their structure and noise (page numbers,
image names, stray bullets, lines split mid-sentence, a news lead-in) are
recognised by the generic parser (rag.ingest.parser); what is one publisher's page
chrome is data in the registry. Every paragraph keeps its offsets into the text
file, so a quote can always be traced back to the bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from urllib.parse import urlencode

from rag.core.errors import CorpusError, UnknownDocument
from rag.core.instructions import addressed_sentences
from rag.core.settings import Settings
from rag.core.text import doc_of
from rag.core.types import Document, DocumentInfo, Paragraph, Reference, Relation
from rag.ingest.parser import Layout, parse_text

PARSER_VERSION = "2"
REGISTRY_FILE = "registry.json"


def layout_of(entry: dict) -> Layout:
    """The registry's per-document parsing data (page chrome, lead-in label)."""
    return Layout(chrome=tuple(entry.get("chrome", ())), lead_in=entry.get("lead_in", Layout.lead_in))


def with_ids(doc_id: str, paragraphs: list[Paragraph], ids: list[str] | None) -> list[Paragraph]:
    """Positional ids, or the registry's list for an updated text (unchanged paragraphs kept their old ids)."""
    if ids is None:
        return paragraphs
    if len(ids) != len(paragraphs):
        raise CorpusError(f"The registry lists {len(ids)} paragraph ids for {doc_id}, the text has {len(paragraphs)}.")
    return [replace(p, id=pid) for p, pid in zip(paragraphs, ids)]


def _relation(d: dict) -> Relation:
    return Relation(type=d["type"], target=d["target"], paragraph_id=d.get("paragraph_id"), quote=d.get("quote", ""))


def _info(d: dict) -> DocumentInfo:
    return DocumentInfo(
        id=d["id"],
        file=d["file"],
        sha256=d["sha256"],
        title=d["title"],
        issuer=d.get("issuer"),
        level=d["level"],
        number=d.get("number"),
        date=d.get("date"),
        source_note=d.get("source_note", ""),
        canonical_id=d.get("canonical_id") or d["id"],
        official=d.get("official", True),
        relations=tuple(_relation(r) for r in d.get("relations", ())),
    )


@dataclass
class Corpus:
    """All documents, parsed, with lookups by id."""

    documents: dict[str, Document]
    references: dict[str, Reference] = field(default_factory=dict)
    fingerprint: str = ""

    @cached_property
    def _paragraphs(self) -> dict[str, Paragraph]:
        return {p.id: p for d in self.documents.values() for p in d.paragraphs}

    def document(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise UnknownDocument(doc_id, sorted(self.documents)) from None

    def paragraph(self, paragraph_id: str) -> Paragraph:
        try:
            return self._paragraphs[paragraph_id]
        except KeyError:
            raise CorpusError(f"Unknown paragraph id {paragraph_id!r}; ids look like 'gh-2020-123.p042'.") from None

    def has_paragraph(self, paragraph_id: str) -> bool:
        return paragraph_id in self._paragraphs

    def raw_span(self, paragraph: Paragraph) -> str:
        return self.documents[paragraph.doc_id].text[paragraph.start : paragraph.end]


def _verified(path: Path, expected: str, stored: Mapping[str, bytes] | None = None) -> bytes:
    """The file's bytes (from `stored`, keyed by file name, when given), checked against its sha256."""
    if stored is not None:
        if path.name not in stored:
            raise CorpusError(f"The database holds no {path.name}; publish the corpus again (`rag db sync`).")
        data = stored[path.name]
    elif not path.exists():
        raise CorpusError(f"Corpus file {path} is missing. Restore it from the seeds (git checkout corpus/).")
    else:
        data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    if sha != expected:
        raise CorpusError(
            f"{path} differs from the published text (sha256 {sha[:12]}… != {expected[:12]}…). "
            "The corpus must stay byte-for-byte as published: restore it, or update the registry on purpose."
        )
    return data


def registry_stamp(settings: Settings) -> tuple[int, int, int]:
    """A cheap fingerprint of registry.json as it stands (inode, mtime in ns, size): `rag add/update/remove` replace
    the file with os.replace, so every corpus change changes it. (0, 0, 0) when the file is missing."""
    try:
        st = (Path(settings.corpus_dir) / REGISTRY_FILE).stat()
    except OSError:
        return (0, 0, 0)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_registry(folder: Path) -> bytes:
    reg_path = folder / REGISTRY_FILE
    if not reg_path.exists():
        raise CorpusError(f"No {REGISTRY_FILE} in {folder}. Point RAG_CORPUS_DIR at the project's corpus/ folder.")
    return reg_path.read_bytes()


def registry_bytes(registry: dict) -> bytes:
    return (json.dumps(registry, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write `path` so that a reader sees the old bytes or the new ones, never a part (temp file + os.replace)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def corpus_from(folder: Path, raw_registry: bytes, stored: Mapping[str, bytes] | None = None) -> Corpus:
    """Parse a registry (as bytes) and every file it names, verifying each sha256 against the registry.

    `stored` (file name -> bytes) gives the files instead of `folder`: the corpus as the database holds it."""
    registry = json.loads(raw_registry)
    digest = hashlib.sha256(PARSER_VERSION.encode())
    documents = {}
    for entry in registry["documents"]:
        info = _info(entry)
        data = _verified(folder / info.file, info.sha256, stored)
        if entry.get("source"):  # the original a text was extracted from (HTML, PDF)
            _verified(folder / entry["source"]["file"], entry["source"]["sha256"], stored)
        digest.update(info.sha256.encode())
        raw = data.decode("utf-8")
        paragraphs, structure = parse_text(info.id, raw, layout_of(entry))
        documents[info.id] = Document(
            info=info,
            text=raw,
            paragraphs=tuple(marked(p) for p in with_ids(info.id, paragraphs, entry.get("paragraph_ids"))),
            structure=structure,
        )
    digest.update(raw_registry)
    references = {
        r["id"]: Reference(
            id=r["id"], title=r["title"], number=r["number"], mentioned_in=tuple(r.get("mentioned_in", ()))
        )
        for r in registry.get("references", ())
    }
    return Corpus(documents=documents, references=references, fingerprint=digest.hexdigest())


def marked(paragraph: Paragraph) -> Paragraph:
    """The paragraph with its sentences addressed to an assistant marked (documents are data, not instructions)."""
    found = addressed_sentences(paragraph.text)
    return replace(paragraph, instructions=found) if found else paragraph


def load_corpus(settings: Settings) -> Corpus:
    """Read registry.json and every file it names, verifying sha256 against the registry."""
    folder = Path(settings.corpus_dir)
    return corpus_from(folder, read_registry(folder))


def paragraph_url(paragraph_id: str, settings: Settings, base: str | None = None) -> str:
    """The shareable link that opens a paragraph in the document viewer under `base` (default settings.app_url)."""
    doc_id = doc_of(paragraph_id)
    root = settings.app_url if base is None else base
    return f"{root.rstrip('/')}/viewer?{urlencode({'doc': doc_id, 'p': paragraph_id})}"
