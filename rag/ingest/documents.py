"""Corpus and registry: load the publisher's texts, verify them, parse their structure.

The files in corpus/ are never edited. Everything that is noise in them (web
chrome, page numbers, image names, stray bullets, lines split mid-sentence, the
IP-news excerpt) is recognised here, per document profile, and every paragraph
keeps its raw-file offsets so a quote can always be traced back to the bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlencode

from rag.core.errors import CorpusError, UnknownDocument
from rag.core.settings import Settings
from rag.core.text import doc_of, first_sentence
from rag.core.types import Document, DocumentInfo, Paragraph, Reference, Relation

PARSER_VERSION = "1"
REGISTRY_FILE = "registry.json"

GROUP_RE = re.compile(r"^\((\d{1,2}|[IVX]{1,5})\)\s*(.*)$")
TASK_RE = re.compile(r"^(\d{1,2})\s*[.．]\s*(.*)$")
DIGITS_RE = re.compile(r"^\d{1,3}$")
CJK_RE = re.compile(r"^[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]*$")  # an original-language (Chinese) line
IMAGE_RE = re.compile(r"\.(png|jpe?g|gif|bmp|webp)$", re.I)
BULLET_RE = re.compile(r"^(?:[l•·▪●◦‧\-–]\s+)(?=[A-Z])")
DEPARTMENTS_RE = re.compile(r"^District-level responsible departments?\s*:", re.I)
# A line that ends on one of these words (or a comma) was cut mid-sentence.
DANGLING_RE = re.compile(r"(?:,|\b(?:of|the|and|or|to|in|for|with|by|a|an|on|at|from|as))$")


@dataclass(frozen=True)
class Profile:
    """How one publisher's text is laid out; the parser is the same for all."""

    drop: tuple[str, ...] = ()  # regexes of web chrome lines
    body_start: str | None = None  # line that ends the reply letter (annex marker)
    section_re: str = r"^$"  # top-level section headings of the body
    main_re: str = r"main tasks"  # the section heading under which tasks are numbered
    task_style: str = "heading"  # heading | inline | headings_then_measures
    excerpt_until: str | None = None  # a leading excerpt runs until this line (exclusive)

    def dropped(self, line: str) -> bool:
        return any(re.search(p, line) for p in self.drop)


PROFILES: dict[str, Profile] = {
    "gh-2020-123": Profile(
        body_start=r"^annex$",
        section_re=r"^(?:\d\.|One|Two|Three|Four|Five),?\s+[A-Za-z][^.]{2,60}$",
        task_style="heading",
    ),
    "gh-2020-123-ipnews": Profile(
        drop=(r"^Current Position:", r"^\[warm tips\]", r"^One on one service"),
        body_start=r"^附件$",
        section_re=r"^\d、\s*[A-Za-z][^.]{2,60}$",
        task_style="inline",
        excerpt_until=r"\.(png|jpe?g|gif)$",
    ),
    "gh-2019-16": Profile(
        drop=(r"^Beijing Overview$", r"^Your Current Location:", r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"),
        body_start=r"^Annex 1$",
        section_re=r"^[IVX]+\s*\.\s+[A-Za-z][^.]{2,60}$",
        task_style="heading",
    ),
    "dongcheng-2019": Profile(
        body_start=r"^Implementation Proposal of Dongcheng District",
        section_re=r"^[IVX]+\.\s+[A-Za-z][^.]{2,60}$",
        task_style="inline",
    ),
    "plan-2023": Profile(
        section_re=r"^(?:Guiding Principles|Main Tasks)$",
        task_style="headings_then_measures",
    ),
}


@dataclass
class _Line:
    text: str
    start: int
    end: int


def _lines(raw: str, profile: Profile) -> list[_Line]:
    """Non-empty, whitespace-normalised lines with raw offsets; chrome and noise dropped, cuts joined."""
    out: list[_Line] = []
    pos = 0
    for piece in raw.splitlines(keepends=True):
        stripped = piece.strip()
        if stripped:
            s = pos + piece.index(stripped)
            text = BULLET_RE.sub("", " ".join(stripped.split()))
            if not profile.dropped(text):
                out.append(_Line(text, s, s + len(stripped)))
        pos += len(piece)
    joined: list[_Line] = []
    for line in out:
        prev = joined[-1] if joined else None
        if prev and DANGLING_RE.search(prev.text) and not CJK_RE.search(line.text) and line.text[:1].isalpha():
            joined[-1] = _Line(f"{prev.text} {line.text}", prev.start, line.end)
        else:
            joined.append(line)
    return joined


class _Parser:
    """Walks a document's lines once, assigning each a kind and its place in the hierarchy."""

    def __init__(self, doc_id: str, raw: str, profile: Profile):
        self.doc_id, self.raw, self.p = doc_id, raw, profile
        self.paragraphs: list[Paragraph] = []
        self.zone = "excerpt" if profile.excerpt_until else ("letter" if profile.body_start else "body")
        self.section, self.subsection = ("IP news excerpt" if self.zone == "excerpt" else "Reply letter"), None
        self.in_main = False
        self.group: str | None = None
        self.task: str | None = None
        self.task_title: str | None = None
        self.next_task = 1
        self.seen_addressee = False

    def add(self, line: _Line, kind: str, text: str | None = None) -> None:
        section = self.section if not self.subsection else f"{self.section} > {self.subsection}"
        self.paragraphs.append(
            Paragraph(
                id=f"{self.doc_id}.p{len(self.paragraphs):03d}",
                doc_id=self.doc_id,
                index=len(self.paragraphs),
                text=text or line.text,
                start=line.start,
                end=line.end,
                kind=kind,
                section=section,
                group=self.group if self.in_main else None,
                task=self.task if self.in_main else None,
                task_title=self.task_title if self.in_main else None,
            )
        )

    def parse(self, lines: list[_Line]) -> list[Paragraph]:
        i = 0
        while i < len(lines):
            line = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            # A page number that cut a task number in two ("1" / "5. Support ...") is repaired.
            if self.zone == "excerpt" and re.search(self.p.excerpt_until or "^$", line.text):
                self.zone, self.section = "letter", "Reply letter"
            elif IMAGE_RE.search(line.text):
                pass  # image file names left by the web page
            elif DIGITS_RE.match(line.text) and nxt and self.in_main and self._repairs(line, nxt):
                lines[i + 1] = _Line(line.text + nxt.text, line.start, nxt.end)
            elif DIGITS_RE.match(line.text) or (CJK_RE.search(line.text) and self.zone != "letter"):
                pass  # page numbers; original-language lines outside the letter's title block
            else:
                self.step(line)
            i += 1
        return self.paragraphs

    def _repairs(self, line: _Line, nxt: _Line) -> bool:
        m = TASK_RE.match(line.text + nxt.text)
        return bool(m and int(m.group(1)) == self.next_task)

    def _is_marker(self, line: _Line) -> bool:
        return bool(self.p.body_start and re.search(self.p.body_start, line.text))

    def step(self, line: _Line) -> None:
        text = line.text
        if self.zone == "excerpt":
            self.add(line, "excerpt")
            return
        if self.zone == "letter":
            if self._is_marker(line):
                self.zone, self.section, self.subsection = "body", "Annex", None
                if not CJK_RE.search(text):
                    self.add(line, "title")
                return
            kind = "letter" if self.seen_addressee or text.endswith(":") else "title"
            self.seen_addressee |= text.endswith(":")
            self.add(line, kind)
            return
        if re.match(self.p.section_re, text):
            self.section, self.subsection = text, None
            self.in_main = bool(re.search(self.p.main_re, text, re.I))
            self.group = self.task = self.task_title = None
            self.add(line, "heading")
            return
        if self.in_main:
            self.step_main(line)
            return
        g = GROUP_RE.match(text)
        if g and len(text) < 120:
            self.subsection = text
            self.add(line, "heading")
        elif self.section in ("Annex", "Reply letter") and len(text) < 200 and not text.endswith("."):
            self.add(line, "title")
        else:
            self.add(line, "body")

    def step_main(self, line: _Line) -> None:
        text = line.text
        g = GROUP_RE.match(text)
        t = TASK_RE.match(text)
        if g and len(text) < 200:
            self.group, self.task, self.task_title = text, None, None
            self.add(line, "group")
        elif t and int(t.group(1)) == self.next_task:
            self.task = t.group(1)
            rest = t.group(2)
            self.task_title = first_sentence(rest) if self.p.task_style == "inline" else rest
            self.next_task += 1
            self.add(line, "task")
        elif DEPARTMENTS_RE.match(text):
            self.add(line, "departments")
        elif self.p.task_style == "headings_then_measures":
            # Measures follow all of a group's headings; chunking assigns each to a heading.
            self.task, self.task_title = None, None
            self.add(line, "measure")
        else:
            self.add(line, "measure" if self.task else "body")


def parse_document(doc_id: str, raw: str) -> list[Paragraph]:
    profile = PROFILES.get(doc_id, Profile())
    return _Parser(doc_id, raw, profile).parse(_lines(raw, profile))


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


def load_corpus(settings: Settings) -> Corpus:
    """Read registry.json and every file it names, verifying sha256 against the registry."""
    folder = Path(settings.corpus_dir)
    reg_path = folder / REGISTRY_FILE
    if not reg_path.exists():
        raise CorpusError(f"No {REGISTRY_FILE} in {folder}. Point RAG_CORPUS_DIR at the project's corpus/ folder.")
    registry = json.loads(reg_path.read_text(encoding="utf-8"))
    digest = hashlib.sha256(PARSER_VERSION.encode())
    documents = {}
    for entry in registry["documents"]:
        info = _info(entry)
        path = folder / info.file
        if not path.exists():
            raise CorpusError(f"Corpus file {path} is missing. Restore it from the seeds (git checkout corpus/).")
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha != info.sha256:
            raise CorpusError(
                f"{path} differs from the published text (sha256 {sha[:12]}… != {info.sha256[:12]}…). "
                "The corpus must stay byte-for-byte as published: restore it, or update the registry on purpose."
            )
        digest.update(sha.encode())
        raw = data.decode("utf-8")
        documents[info.id] = Document(info=info, text=raw, paragraphs=tuple(parse_document(info.id, raw)))
    digest.update(reg_path.read_bytes())
    references = {
        r["id"]: Reference(
            id=r["id"], title=r["title"], number=r["number"], mentioned_in=tuple(r.get("mentioned_in", ()))
        )
        for r in registry.get("references", ())
    }
    return Corpus(documents=documents, references=references, fingerprint=digest.hexdigest())


def paragraph_url(paragraph_id: str, settings: Settings, base: str | None = None) -> str:
    """The shareable link that opens a paragraph in the document viewer under `base` (default settings.app_url)."""
    doc_id = doc_of(paragraph_id)
    root = settings.app_url if base is None else base
    return f"{root.rstrip('/')}/viewer?{urlencode({'doc': doc_id, 'p': paragraph_id})}"
