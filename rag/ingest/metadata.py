"""What a text states about itself and about other documents.

- Document numbers in English and Chinese forms ("Guo Han [2015] No. 81", "GH[2019] No. 16",
  "National Letter (2020) No. 123", "No. 81 [2015]", "国函〔2017〕86号"), read as (series, year, serial).
- The date on the letter's closing line, the issuer on the line before it (or "发布机关:").
- Relations: sentences that keep documents in force, prevail where inconsistent, implement or
  replace another document, with the paragraph and the target resolved by document number.
Nothing is guessed: what the text does not state stays None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rag.core.text import split_sentences
from rag.core.types import Paragraph
from rag.ingest.parser import DATE_LINE_RE, MONTHS

# series key -> (English form, spellings in texts: pinyin, abbreviations, translations, Chinese)
SERIES = {
    "guohan": ("Guo Han", ("guo han", "gh", "national letter", "国函")),
    "guofa": ("Guo Fa", ("guo fa", "国发")),
    "guobanfa": ("Guo Ban Fa", ("guo ban fa", "国办发")),
    "guobanhan": ("Guo Ban Han", ("guo ban han", "国办函")),
    "caishui": ("Cai Shui", ("cai shui", "财税")),
    "jingzhengfa": ("Jing Zheng Fa", ("jing zheng fa", "京政发")),
    "jingzhengbanfa": ("Jing Zheng Ban Fa", ("jing zheng ban fa", "京政办发")),
}
NATIONAL_SERIES = {"guohan", "guofa", "guobanfa", "guobanhan", "caishui"}
_OPEN, _CLOSE = r"[\[(（〔【]", r"[\])）〕】]"
NUMBER_RES = (
    re.compile(
        rf"(?P<series>[A-Z][A-Za-z]*(?:\s+[A-Z][A-Za-z]*){{0,3}})\s*{_OPEN}\s*(?P<year>(?:19|20)\d\d)\s*{_CLOSE}\s*"
        r"No\.\s*(?P<serial>\d+)"
    ),
    re.compile(
        rf"(?P<series>[\u4e00-\u9fff]{{1,6}})\s*{_OPEN}\s*(?P<year>(?:19|20)\d\d)\s*{_CLOSE}\s*(?P<serial>\d+)\s*号"
    ),
    re.compile(rf"No\.\s*(?P<serial>\d+)\s*{_OPEN}\s*(?P<year>(?:19|20)\d\d)\s*{_CLOSE}"),
)
RELATION_CUES = {
    "keeps_in_force": re.compile(
        r"continue[sd]? to be (?:implemented|effective|valid|in force|applied)|remains? (?:in force|valid|effective)"
        r"|继续(?:执行|有效|实施)",
        re.I,
    ),
    "prevails_over": re.compile(
        r"in case of (?:any )?inconsisten|\binconsistent with\b|shall prevail|以本.{0,10}为准", re.I
    ),
    "implements": re.compile(r"\bin order to implement\b|\bto implement the\b|为(?:贯彻)?落实", re.I),
    "replaces": re.compile(
        r"\b(?:is|are|shall be) (?:hereby )?(?:repealed|abolished|replaced|annulled)\b|\breplaces\b|同时废止|予以废止",
        re.I,
    ),
}
ISSUER_RE = re.compile(r"^发布机关\s*[:：]\s*(.+)$")


@dataclass(frozen=True)
class DocNumber:
    series: str | None  # a SERIES key, another lower-case series, or None when the text gives none
    year: int
    serial: int
    text: str  # as written

    def english(self) -> str:
        name = SERIES[self.series][0] if self.series in SERIES else (self.series or "").title()
        return f"{name} [{self.year}] No. {self.serial}".strip()

    def chinese(self) -> str | None:
        """The number as a Chinese text writes it (国函〔2020〕123号); None for a series without a Chinese form."""
        zh = next((s for s in SERIES[self.series][1] if not s.isascii()), None) if self.series in SERIES else None
        return f"{zh}〔{self.year}〕{self.serial}号" if zh else None

    def same(self, other: DocNumber) -> bool:
        series = self.series is None or other.series is None or self.series == other.series
        return series and (self.year, self.serial) == (other.year, other.serial)


def _series(name: str | None) -> str | None:
    if not name:
        return None
    flat = " ".join(name.lower().split())
    for key, (_, spellings) in SERIES.items():
        if any(flat == s or flat.endswith(" " + s) or flat.endswith(s) and not s.isascii() for s in spellings):
            return key
    return re.sub(r"[^a-z\u4e00-\u9fff]", "", flat) or None


def numbers_in(text: str) -> list[DocNumber]:
    """Every document number in `text`, in order of appearance."""
    found: list[tuple[int, DocNumber]] = []
    taken: list[range] = []
    for rx in NUMBER_RES:
        for m in rx.finditer(text):
            if any(m.start() in r for r in taken):
                continue
            taken.append(range(m.start(), m.end()))
            series = _series(m.groupdict().get("series"))
            found.append((m.start(), DocNumber(series, int(m.group("year")), int(m.group("serial")), m.group(0))))
    return [n for _, n in sorted(found, key=lambda x: x[0])]


def parse_number(text: str | None) -> DocNumber | None:
    found = numbers_in(text or "")
    return found[0] if found else None


def iso_date(text: str) -> str | None:
    """'August 28, 2020', 'May 24th, 2019', '2017年6月25日', '2019-01-31' -> ISO date; None otherwise."""
    text = text.strip()
    m = re.match(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$", text) or re.match(
        r"^(\d{4})-(\d{2})-(\d{2})$", text
    )
    if m:
        y, mo, d = (int(x) for x in m.groups())
        return f"{y:04d}-{mo:02d}-{d:02d}"
    clean = re.sub(r"(\d)(?:st|nd|rd|th)\b", r"\1", text.replace(",", " "))
    for fmt in ("%B %d %Y", "%d %B %Y"):
        try:
            return datetime.strptime(" ".join(clean.split()), fmt).date().isoformat()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class Stated:
    """Metadata a text states about itself; None where it states nothing."""

    title: str | None
    number: DocNumber | None
    date: str | None
    issuer: str | None


def _head(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    return [p for p in paragraphs if p.kind in ("title", "letter")] or list(paragraphs[:8])


def date_paragraph(paragraphs: Sequence[Paragraph]) -> Paragraph | None:
    """The line giving a text's date ("August 28, 2020")."""
    return next((p for p in _head(paragraphs) if DATE_LINE_RE.match(p.text)), None)


def stated_metadata(paragraphs: Sequence[Paragraph]) -> Stated:
    head = _head(paragraphs)
    # Its own number is on a title line (before the addressee); numbers in the letter cite other documents.
    number = next((n for p in head if p.kind == "title" for n in numbers_in(p.text)), None)
    dated = date_paragraph(paragraphs)
    date = iso_date(dated.text) if dated else None
    issuer = None
    for i, p in enumerate(head):
        named = ISSUER_RE.match(p.text)
        if named and not issuer:
            issuer = named.group(1).strip()
        if p is dated:
            before = head[i - 1].text if i else ""
            if not issuer and p.kind == "letter" and _looks_like_issuer(before):
                issuer = before
    title = next((p.text for p in head if p.kind == "title" and not numbers_in(p.text) and not iso_date(p.text)), None)
    return Stated(title=title, number=number, date=date, issuer=issuer)


def _looks_like_issuer(text: str) -> bool:
    return 0 < len(text) <= 90 and not text.endswith((".", ":", "：", "。")) and not re.match(rf"^(?:{MONTHS})", text)


def level_of(issuer: str | None, number: DocNumber | None) -> str | None:
    """national | municipal | district from the issuer's name or the number's series; None when neither says."""
    who = (issuer or "").lower()
    if re.search(r"\bdistrict\b|区", who):
        return "district"
    if re.search(r"\bstate council\b|\bministry\b|国务院|部$", who):
        return "national"
    if re.search(r"\bmunicipal|\bbeijing\b|市", who):
        return "municipal"
    if number and number.series in NATIONAL_SERIES:
        return "national"
    return "municipal" if number and number.series and number.series.startswith("jing") else None


@dataclass(frozen=True)
class ProposedRelation:
    type: str
    target: str | None  # resolved document or reference id; None when no registry entry has the number
    number: str  # the number as written
    paragraph_id: str
    quote: str

    def to_registry(self) -> dict:
        return {"type": self.type, "target": self.target, "paragraph_id": self.paragraph_id, "quote": self.quote}


def resolve(number: DocNumber, known: Iterable[tuple[str, str | None]]) -> str | None:
    """The id whose registry number is `number` (known: (id, number text) of documents and references)."""
    hits = {doc_id for doc_id, text in known if (n := parse_number(text)) and n.same(number)}
    return hits.pop() if len(hits) == 1 else None


def proposed_relations(
    paragraphs: Sequence[Paragraph], own: DocNumber | None, known: Sequence[tuple[str, str | None]]
) -> list[ProposedRelation]:
    """Relations stated by the text: one per (cue sentence, number in its paragraph) other than the text's own."""
    out: list[ProposedRelation] = []
    for p in paragraphs:
        numbers = [n for n in numbers_in(p.text) if not (own and n.same(own))]
        if not numbers:
            continue
        for type_, cue in RELATION_CUES.items():
            m = cue.search(p.text)
            if not m:
                continue
            quote = next((p.text[a:b] for a, b in split_sentences(p.text) if a <= m.start() < b), p.text)
            for n in numbers:
                rel = ProposedRelation(type_, resolve(n, known), n.text, p.id, quote)
                if rel not in out:
                    out.append(rel)
    return out
