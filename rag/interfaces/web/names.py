"""What a reader calls things: plain document names, paragraph labels, statuses and notices in ordinary words.

Ids (gh-2020-123, plan-2023.p009) belong in URLs and JSON; prose shown in the app uses these names,
derived from the registry facts (number, title, date, issuer, level), never from a table per id:
"Guo Han [2020] No. 123", "Dongcheng implementation proposal (2019)", "2023 work plan (summary)".
"""

from __future__ import annotations

import re

from rag.core.language import DEFAULT, say
from rag.core.types import DocumentInfo
from rag.ingest.documents import Corpus

# A title's head noun phrase ends at its first preposition: "Implementation Proposal of ..." -> "Implementation Proposal".
_TITLE_HEAD_RE = re.compile(r"^((?:[A-Z][\w-]*\s*){1,3}?)\s+(?:of|for|to|on|in|about)\b")
_YEAR_RE = re.compile(r"\b((?:19|20)\d\d)\b")
_DISTRICT_RE = re.compile(r"^([A-Z][a-z]+) District\b")

# The statuses a reader is told (rag.analysis.status labels; "other", no cue found, reads as not stated).
STATUSES = ("in_force", "supported", "explore")


def document_name(info: DocumentInfo) -> str:
    """The name a reader knows a document by: its number, else its kind, place and year from the title and date."""
    if info.number:
        name = info.number
    else:
        head = _TITLE_HEAD_RE.match(info.title)
        kind = (head.group(1) if head else " ".join(info.title.split()[:4])).lower()
        year = (info.date or "")[:4] or next(iter(_YEAR_RE.findall(info.title)), "")
        place = _DISTRICT_RE.match(info.issuer or "") if info.level == "district" else None
        if place:
            name = f"{place.group(1)} {kind}" + (f" ({year})" if year else "")
        else:
            name = f"{year} {kind}".strip()
            name = name[0].upper() + name[1:]
    qualifiers = ["summary"] if "summary" in info.title.lower() else []
    if not info.official:
        qualifiers.append("unofficial translation")
    return name + "".join(f" ({q})" for q in qualifiers)


def paragraph_number(paragraph_id: str) -> int:
    """The ¶ number a reader sees: the paragraph's position in its document ("gh-2020-123.p044" -> 44)."""
    return int(paragraph_id.rsplit(".p", 1)[1])


def place_label(name: str, task: str | None = None, paragraph_id: str | None = None, lang: str = DEFAULT) -> str:
    """ "Guo Han [2020] No. 123, Task 3, ¶44": document, task (when any) and paragraph."""
    parts = [name] + ([say("task_label", lang, task=task)] if task else [])
    parts += [f"¶{paragraph_number(paragraph_id)}"] if paragraph_id else []
    return ", ".join(parts)


def status_words(status: str | None, lang: str = DEFAULT) -> str:
    """A status as the opening of a bottom line; 'Status not stated' when the text gives none."""
    return say(f"bottom_{status}", lang) if status in STATUSES else say("status_not_stated", lang)


class Namer:
    """Rewrites ids inside prose (reasons, notices, refusals) into plain names, for one corpus."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        names = {d: document_name(doc.info) for d, doc in corpus.documents.items()}
        names |= {r: r_info.number or r_info.title for r, r_info in corpus.references.items()}
        self.names = names
        numbers = {d: doc.info.number for d, doc in corpus.documents.items()}
        numbers |= {r: r_info.number for r, r_info in corpus.references.items()}
        # "gh-2015-81 (Guo Han [2015] No. 81)" names the document twice once the id is named
        self._twice = [(f"{names[d]} ({n})", names[d]) for d, n in numbers.items() if n and n in names[d]]
        ids = "|".join(re.escape(d) for d in sorted(names, key=len, reverse=True))
        self._id_re = re.compile(rf"\b({ids})(?:\.(p|t)(\d+))?(?![\w-])") if ids else None

    def name(self, doc_id: str) -> str:
        return self.names.get(doc_id, doc_id)

    def label(self, doc_id: str, task: str | None = None, paragraph_id: str | None = None, lang: str = DEFAULT) -> str:
        return place_label(self.name(doc_id), task, paragraph_id, lang)

    def plain(self, text: str) -> str:
        """`text` with every corpus id replaced by its name: 'gh-2020-123.p184' -> 'Guo Han [2020] No. 123, ¶184'."""
        if self._id_re is None:
            return text

        def sub(m: re.Match) -> str:
            doc, kind, n = m.groups()
            if kind == "p":
                return place_label(self.name(doc), None, m.group(0))
            return place_label(self.name(doc), str(int(n)) if kind == "t" else None)

        text = self._id_re.sub(sub, text)
        for twice, once in self._twice:
            text = text.replace(twice, once)
        return text


_SETTING = r"\b(?:RAG_[A-Z_]+|--[a-z][a-z-]+)\b"
_SETTING_ASIDE_RE = re.compile(rf"\s*\([^()]*{_SETTING}[^()]*\)")
_SETTING_SENTENCE_RE = re.compile(rf"[^.;]*{_SETTING}[^.;]*[.;]?")


def reader_notice(text: str, namer: Namer | None = None) -> str:
    """A notice or error in the reader's words: setting names and options left out, documents named."""
    text = _SETTING_SENTENCE_RE.sub("", _SETTING_ASIDE_RE.sub("", text)).strip()
    return namer.plain(text) if namer else text
