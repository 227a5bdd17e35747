"""What a reader calls things: plain document names, paragraph labels, statuses and notices in ordinary words.

Ids (gh-2020-123, plan-2023.p009) belong in URLs and JSON; prose shown in the app uses these names,
derived from the registry facts (number, title, date, issuer, level), never from a table per id:
"Guo Han [2020] No. 123", "Dongcheng implementation proposal (2019)", "2023 work plan (summary)".
"""

from __future__ import annotations

import re

from rag.core.glossary import DOCUMENT_TERMS, NAME_TRANSLATIONS
from rag.core.language import DEFAULT, say
from rag.core.types import DocumentInfo
from rag.ingest.documents import Corpus
from rag.ingest.metadata import parse_number

# A title's head noun phrase ends at its first preposition: "Implementation Proposal of ..." -> "Implementation Proposal".
_TITLE_HEAD_RE = re.compile(r"^((?:[A-Z][\w-]*\s*){1,3}?)\s+(?:of|for|to|on|in|about)\b")
_YEAR_RE = re.compile(r"\b((?:19|20)\d\d)\b")
_DISTRICT_RE = re.compile(r"^([A-Z][a-z]+) District\b")

# The statuses a reader is told (rag.analysis.status labels; "other", no cue found, reads as not stated).
STATUSES = ("in_force", "supported", "explore")


def document_name(info: DocumentInfo, lang: str = DEFAULT) -> str:
    """The name a reader knows a document by: its number, else its kind, place and year from the title and date.
    In Chinese, the number in its Chinese form (国函〔2020〕123号) and the kind and place from DOCUMENT_TERMS; a kind
    with no Chinese term keeps its English words."""
    terms = DOCUMENT_TERMS.get(lang, {})
    qualifiers = ["summary"] if "summary" in info.title.lower() else []
    if not info.official:
        qualifiers.append("unofficial translation")
    if info.number:
        name = number_name(info.number, lang)
    else:
        head = _TITLE_HEAD_RE.match(info.title)
        kind = (head.group(1) if head else " ".join(info.title.split()[:4])).lower()
        year = (info.date or "")[:4] or next(iter(_YEAR_RE.findall(info.title)), "")
        district = _DISTRICT_RE.match(info.issuer or "") if info.level == "district" else None
        place = district.group(1) if district else ""
        if terms:
            place = NAME_TRANSLATIONS[lang].get(f"{place} District", place)
            name = f"{place}{terms.get(kind, kind)}" + (f"（{year}年）" if place and year else "")
            name = name if place or not year else f"{year}年{name}"
        elif place:
            name = f"{place} {kind}" + (f" ({year})" if year else "")
        else:
            name = f"{year} {kind}".strip()
            name = name[0].upper() + name[1:]
    if terms:
        return name + "".join(f"（{terms.get(q, q)}）" for q in qualifiers)
    return name + "".join(f" ({q})" for q in qualifiers)


def number_name(number: str, lang: str = DEFAULT) -> str:
    """A document number as written in `lang`: 'Guo Han [2020] No. 123' is 国函〔2020〕123号 in Chinese (the series'
    Chinese form from rag.ingest.metadata.SERIES); a series without one keeps the English form."""
    parsed = parse_number(number) if lang == "zh" else None
    return (parsed.chinese() if parsed else None) or number


def paragraph_number(paragraph_id: str) -> int:
    """The ¶ number a reader sees: the paragraph's position in its document ("gh-2020-123.p044" -> 44)."""
    return int(paragraph_id.rsplit(".p", 1)[1])


def place_label(name: str, task: str | None = None, paragraph_id: str | None = None, lang: str = DEFAULT) -> str:
    """ "Guo Han [2020] No. 123, Task 3, ¶44": document, task (when any) and paragraph."""
    parts = [name] + ([say("task_label", lang, task=task)] if task else [])
    parts += [f"¶{paragraph_number(paragraph_id)}"] if paragraph_id else []
    return say("label_separator", lang).join(parts)


def status_words(status: str | None, lang: str = DEFAULT) -> str:
    """A status as the opening of a bottom line; 'Status not stated' when the text gives none."""
    return say(f"bottom_{status}", lang) if status in STATUSES else say("status_not_stated", lang)


class Namer:
    """Rewrites ids inside prose (reasons, notices, refusals) into plain names, for one corpus."""

    def __init__(self, corpus: Corpus, lang: str = DEFAULT):
        self.corpus = corpus
        names = {d: document_name(doc.info, lang) for d, doc in corpus.documents.items()}
        names |= {
            r: number_name(r_info.number, lang) if r_info.number else r_info.title
            for r, r_info in corpus.references.items()
        }
        self.lang = lang
        self.names = names
        numbers = {d: doc.info.number for d, doc in corpus.documents.items()}
        numbers |= {r: r_info.number for r, r_info in corpus.references.items()}
        # "gh-2015-81 (Guo Han [2015] No. 81)" names the document twice once the id is named
        self._twice = [
            (f"{names[d]} ({n})", names[d]) for d, n in numbers.items() if n and number_name(n, lang) in names[d]
        ]
        ids = "|".join(re.escape(d) for d in sorted(names, key=len, reverse=True))
        # bounded by what is not a Latin letter, digit or hyphen: a Chinese sentence writes an id between characters
        edge = r"A-Za-z0-9_-"
        self._id_re = re.compile(rf"(?<![{edge}])({ids})(?:\.(p|t)(\d+))?(?![{edge}])") if ids else None

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
                return place_label(self.name(doc), None, m.group(0), self.lang)
            return place_label(self.name(doc), str(int(n)) if kind == "t" else None, None, self.lang)

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
