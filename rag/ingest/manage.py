"""Add, update and remove corpus documents: files, registry and index change together or not at all.

Each change is prepared first (parsed, metadata and relations proposed, nothing written) so a
person can confirm it, then committed in this order:
1. the new files are written under names no registered document uses (the old ones stay);
2. the new registry is parsed and verified in memory and its index is built (only the changed
   document is embedded: rag.ingest.index keeps every document's vectors);
3. with RAG_DATABASE_URL, the new corpus is published to the database in one transaction (the
   commit point for every `rag serve` replica); then registry.json is replaced atomically: the
   commit point. Until then the previous registry, files and index are untouched and still load;
4. the replaced files move to superseded/ (copied there before the commit) and the previous
   index folder and the old version's cached vectors are deleted.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import shutil
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path

from rag.core.errors import IndexCorrupt, IndexMissing
from rag.core.settings import Settings
from rag.core.types import Paragraph
from rag.ingest.documents import (
    REGISTRY_FILE,
    Corpus,
    corpus_from,
    layout_of,
    read_registry,
    registry_bytes,
    with_ids,
    write_atomic,
)
from rag.ingest.formats import IngestError, Source, read_source
from rag.ingest.index import build_index, document_key, drop_cached, index_key, load_index
from rag.ingest.metadata import (
    ProposedRelation,
    level_of,
    numbers_in,
    parse_number,
    proposed_relations,
    stated_metadata,
)
from rag.ingest.parser import parse_text

ID_MAX = 64  # characters of a document id (paragraph ids add ".pNNN")
ID_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_-]{{0,{ID_MAX - 1}}}$")
LEVELS = ("national", "municipal", "district")
SUPERSEDED_DIR = "superseded"
EXTENSIONS = {"text": ".txt", "html": ".html", "pdf": ".pdf"}


@dataclass
class Change:
    """A prepared add or update, shown for confirmation before `commit` writes it."""

    doc_id: str
    entry: dict  # the registry entry to write (relations: only those already confirmed)
    files: dict[str, bytes]  # corpus file name -> bytes
    paragraphs: list[Paragraph]
    structure: str  # how the parser found the tasks, or why it found none
    relations: list[ProposedRelation] = field(default_factory=list)  # stated by the text, awaiting confirmation
    notes: list[str] = field(default_factory=list)  # what was done to the file on the way in (a conversion)
    previous: dict | None = None  # update: the entry being replaced
    kept_ids: int = 0  # update: paragraphs that kept their ids


def _registry(settings: Settings) -> tuple[Path, dict]:
    folder = Path(settings.corpus_dir)
    return folder, json.loads(read_registry(folder))


def _known(registry: dict) -> list[tuple[str, str | None]]:
    return [(d["id"], d.get("number")) for d in registry["documents"]] + [
        (r["id"], r.get("number")) for r in registry.get("references", ())
    ]


def _entry(registry: dict, doc_id: str) -> dict:
    for entry in registry["documents"]:
        if entry["id"] == doc_id:
            return entry
    known = ", ".join(d["id"] for d in registry["documents"])
    raise IngestError(f"Unknown document id {doc_id!r}. Known ids: {known}.")


def _files(folder: Path, registry: dict, doc_id: str, source: Source) -> tuple[dict[str, bytes], dict]:
    """File names (unused by any registered document) and the registry fields naming them."""
    used = {d["file"] for d in registry["documents"]} | {
        d["source"]["file"] for d in registry["documents"] if d.get("source")
    }
    digest = hashlib.sha256(source.data).hexdigest()
    stem = doc_id if not any(u.startswith(f"{doc_id}.") for u in used) else f"{doc_id}@{digest[:8]}"
    text = source.text.encode("utf-8")
    if source.format == "text" and source.extractor is None:  # UTF-8 text: stored as it is
        name = f"{stem}.txt"
        return {name: source.data}, {"file": name, "sha256": digest}
    ext = EXTENSIONS[source.format] if source.format != "text" else f".{source.encoding}.txt"  # x.gb18030.txt
    original = f"{stem}{ext}"
    fields = {
        "file": f"{stem}.txt",
        "sha256": hashlib.sha256(text).hexdigest(),
        "source": {"file": original, "sha256": digest, "format": source.format, "extractor": source.extractor},
    }
    return {original: source.data, f"{stem}.txt": text}, fields


def prepare_add(
    settings: Settings,
    path: Path,
    doc_id: str,
    *,
    title: str | None = None,
    issuer: str | None = None,
    level: str | None = None,
    number: str | None = None,
    date: str | None = None,
    translation_of: str | None = None,
) -> Change:
    folder, registry = _registry(settings)
    if len(doc_id) > ID_MAX:
        raise IngestError(
            f"The id {doc_id[:20]!r}... is {len(doc_id)} characters; ids may be at most {ID_MAX} (e.g. gh-2015-81)."
        )
    if not ID_RE.match(doc_id) or ".p" in doc_id:
        raise IngestError(f"Bad id {doc_id!r}: use letters, digits, '-' and '_' (e.g. gh-2015-81).")
    if any(d["id"] == doc_id for d in registry["documents"]):
        raise IngestError(
            f"A document with id {doc_id!r} is already in the corpus; to replace its text: rag update {doc_id} PATH"
        )
    if translation_of and not any(d["id"] == translation_of for d in registry["documents"]):
        raise IngestError(f"--translation-of {translation_of!r} is not a document in the corpus.")
    if date and not re.match(r"^\d{4}-\d{2}-\d{2}$", date):
        raise IngestError(f"--date {date!r} is not a date like 2015-05-05.")
    source = read_source(path, settings.ingest_max_bytes)
    files, fields = _files(folder, registry, doc_id, source)
    paragraphs, structure = parse_text(doc_id, source.text)
    stated = stated_metadata(paragraphs)
    own = parse_number(number) if number else stated.number
    issuer = issuer or stated.issuer
    level = level or level_of(issuer, own)
    if level is None:
        raise IngestError("The text does not say whether it is national, municipal or district; pass --level.")
    entry = {
        "id": doc_id,
        "file": fields["file"],
        "title": title or stated.title or paragraphs[0].text[:200],
        "issuer": issuer,
        "level": level,
        "number": number or (own.english() if own else None),
        "date": date or stated.date,
        "source_note": f"Added with `rag add` from {path.name} ({source.format}) on {Date.today().isoformat()}.",
        "canonical_id": translation_of or doc_id,
        "official": translation_of is None,
        "sha256": fields["sha256"],
        "relations": [],
    }
    if "source" in fields:
        entry["source"] = fields["source"]
    if translation_of:
        line = next((p for p in paragraphs if p.kind in ("title", "letter") and numbers_in(p.text)), None)
        entry["relations"].append(
            {
                "type": "same_document_as",
                "target": translation_of,
                "paragraph_id": line and line.id,
                "quote": line.text if line else "",
            }
        )
    relations = proposed_relations(paragraphs, own, _known(registry))
    return Change(doc_id, entry, files, paragraphs, structure, relations, notes=[source.note] if source.note else [])


def stable_ids(doc_id: str, old: list[Paragraph], new: list[Paragraph], start: int) -> tuple[list[str], int, int]:
    """Ids for `new`: a paragraph whose text is unchanged keeps its old id, others get fresh numbers from `start`.

    Returns (ids, paragraphs that kept their id, next fresh number).
    """
    by_text: dict[str, deque[str]] = defaultdict(deque)
    for p in old:
        by_text[p.text].append(p.id)
    ids, kept, fresh = [], 0, start
    for p in new:
        if by_text[p.text]:
            ids.append(by_text[p.text].popleft())
            kept += 1
        else:
            ids.append(f"{doc_id}.p{fresh:03d}")
            fresh += 1
    return ids, kept, fresh


def prepare_update(settings: Settings, doc_id: str, path: Path) -> Change:
    folder, registry = _registry(settings)
    previous = _entry(registry, doc_id)
    source = read_source(path, settings.ingest_max_bytes)
    if hashlib.sha256(source.data).hexdigest() in (previous["sha256"], previous.get("source", {}).get("sha256")):
        raise IngestError(f"{path} is the text {doc_id} already has; nothing to update.")
    old = corpus_from(folder, registry_bytes(registry)).document(doc_id)
    files, fields = _files(folder, registry, doc_id, source)
    paragraphs, structure = parse_text(doc_id, source.text, layout_of(previous))
    start = previous.get("paragraph_next") or max(int(p.id.rsplit(".p", 1)[1]) for p in old.paragraphs) + 1
    ids, kept, fresh = stable_ids(doc_id, list(old.paragraphs), paragraphs, start)
    entry = {k: v for k, v in previous.items() if k not in ("source", "paragraph_ids", "paragraph_next")}
    entry.update(fields)
    if ids != [p.id for p in paragraphs]:
        entry["paragraph_ids"], entry["paragraph_next"] = ids, fresh
    paragraphs = with_ids(doc_id, paragraphs, ids)
    texts = {p.id: p.text for p in paragraphs}
    entry["relations"] = [
        r for r in previous.get("relations", ()) if r.get("quote", "") in texts.get(r.get("paragraph_id"), "")
    ]
    stated = [(r["type"], r["target"], r["paragraph_id"]) for r in entry["relations"]]
    relations = [
        r
        for r in proposed_relations(paragraphs, parse_number(previous.get("number")), _known(registry))
        if (r.type, r.target, r.paragraph_id) not in stated
    ]
    notes = [source.note] if source.note else []
    return Change(doc_id, entry, files, paragraphs, structure, relations, notes, previous=previous, kept_ids=kept)


def _superseded(folder: Path, entry: dict, reason: str) -> tuple[dict, list[tuple[Path, Path]]]:
    """The registry note for a replaced or removed version, and (file, copy in superseded/) pairs."""
    today = Date.today().isoformat()
    names = [entry["file"]] + ([entry["source"]["file"]] if entry.get("source") else [])
    moves = [
        (folder / n, folder / SUPERSEDED_DIR / f"{entry['id']}@{today}-{entry['sha256'][:8]}{Path(n).suffix}")
        for n in names
    ]
    note = {k: entry.get(k) for k in ("id", "title", "number", "date", "sha256")}
    note.update(reason=reason, superseded_on=today, files=[str(m[1].relative_to(folder)) for m in moves])
    return note, moves


def _apply(
    settings: Settings,
    registry: dict,
    files: dict[str, bytes],
    moves: list[tuple[Path, Path]],
    log: Callable[[str], None],
) -> Corpus:
    """Write files, build the index, commit the registry, then retire the replaced files and index. Interrupted
    (an error, Ctrl-C) before the commit point, it removes the files it wrote: no orphan is left in the corpus."""
    folder = Path(settings.corpus_dir)
    before = corpus_from(folder, read_registry(folder))
    written: list[Path] = []
    try:
        for name, data in files.items():
            written.append(folder / name)  # a name no registered document uses (manage._files)
            write_atomic(folder / name, data)
        raw = registry_bytes(registry)
        corpus = corpus_from(folder, raw)
        target = Path(settings.index_root) / index_key(corpus, settings)
        try:
            load_index(target)
        except (IndexMissing, IndexCorrupt):
            log(f"Indexing (only new or changed documents are embedded) into {target} ...")
            build_index(corpus, settings, target, progress=log)
        for path, copy_path in moves:
            copy_path.parent.mkdir(exist_ok=True)
            written.append(copy_path)
            shutil.copy2(path, copy_path)
        if settings.database_url:  # every replica's commit point: they load the new version within seconds
            from rag.store.corpus import publish

            version = publish(settings, corpus, load_index(target), raw)
            log(f"Published to the database as corpus version {version}.")
        write_atomic(folder / REGISTRY_FILE, raw)  # the commit point
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    for path, _ in moves:
        path.unlink(missing_ok=True)
    old_index = Path(settings.index_root) / index_key(before, settings)
    if old_index != target:
        shutil.rmtree(old_index, ignore_errors=True)
    for doc in before.documents.values():
        kept = corpus.documents.get(doc.id)
        drop_cached(settings, doc.id, keep=document_key(kept, settings) if kept else None)
    return corpus


def commit(
    settings: Settings, change: Change, *, accept_relations: bool, log: Callable[[str], None] = lambda _: None
) -> Corpus:
    folder, registry = _registry(settings)
    new = copy.deepcopy(registry)
    entry = copy.deepcopy(change.entry)
    if accept_relations:
        entry["relations"] += [r.to_registry() for r in change.relations if r.target]
    moves: list[tuple[Path, Path]] = []
    if change.previous is not None:
        at = next(i for i, d in enumerate(new["documents"]) if d["id"] == change.doc_id)
        new["documents"][at] = entry
        note, moves = _superseded(folder, change.previous, "updated")
        new.setdefault("superseded", []).append(note)
    else:
        if any(d["id"] == change.doc_id for d in registry["documents"]):
            raise IngestError(f"A document with id {change.doc_id!r} was added meanwhile; nothing changed.")
        new["documents"].append(entry)
        new["references"] = [r for r in new.get("references", ()) if r["id"] != change.doc_id]  # now in the corpus
    return _apply(settings, new, change.files, moves, log)


def remove(settings: Settings, doc_id: str, log: Callable[[str], None] = lambda _: None) -> Corpus:
    """Take a document out of the registry and the index; its files move to superseded/."""
    folder, registry = _registry(settings)
    entry = _entry(registry, doc_id)
    translations = [d["id"] for d in registry["documents"] if d["id"] != doc_id and d.get("canonical_id") == doc_id]
    if translations:
        raise IngestError(f"{doc_id} is the official text of {', '.join(translations)}; remove those first.")
    new = copy.deepcopy(registry)
    new["documents"] = [d for d in new["documents"] if d["id"] != doc_id]
    mentions = [r["paragraph_id"] for d in new["documents"] for r in d.get("relations", ()) if r["target"] == doc_id]
    if mentions:  # other documents still refer to it: it stays known by number, as a reference
        ref = {
            "id": doc_id,
            "title": entry["title"],
            "number": entry.get("number") or "",
            "mentioned_in": sorted(set(mentions)),
        }
        new.setdefault("references", []).append(ref)
    note, moves = _superseded(folder, entry, "removed")
    new.setdefault("superseded", []).append(note)
    return _apply(settings, new, {}, moves, log)
