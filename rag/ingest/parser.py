"""A generic structure detector for policy texts: one parser for every publisher, no per-document code.

It recognises, from the text alone:
- a page lead-in (a news excerpt ended by an image file name, before the reply letter);
- a reply letter: title lines, the addressee line ("...:"), the letter, its closing date (and a
  "(publicly released)" note), then the body, which starts at an annex marker ("Annex 1", "附件")
  or right after the closing;
- top-level sections numbered "1.", "1、", "I.", "One,", "一、" (each heading continues the sequence
  of the first one) or unnumbered Title Case headings ("Main Tasks");
- in the main-tasks section: groups "(1)", "(I)", "（一）"; tasks "1.", "1、", "Task 1:", numbered
  in one sequence through the document; measures under a task; headings followed by measures (a
  group whose task headings all come before its measures: chunking assigns each measure); and
  responsible-department lines.
Page chrome a publisher adds (breadcrumbs, "[warm tips]") is data in the registry (`chrome`), not code.
Every paragraph keeps its offsets into the raw text, so a quote traces back to the bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.core.text import first_sentence
from rag.core.types import Paragraph

CN_DIGITS = "一二三四五六七八九十"
WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
GROUP_RE = re.compile(rf"^[(（](\d{{1,2}}|[IVX]{{1,5}}|[{CN_DIGITS}]{{1,3}})[)）]\s*(.*)$")
TASK_RE = re.compile(r"^(?:Task\s+)?(\d{1,2})\s*(?:[.．、]|:(?=\s))\s*(.*)$")
SECTION_RE = re.compile(
    rf"^(\d{{1,2}}|[IVX]{{1,6}}|{'|'.join(w.title() for w in WORDS)}|[{CN_DIGITS}]{{1,3}})\s*([.．、,，])\s*(\S.*)$"
)
TITLE_CASE_RE = re.compile(r"^[A-Z][a-z]+(?:[ -](?:[A-Z][a-z]+|and|of|for|the)){1,5}$")
MAIN_RE = re.compile(r"\b(?:main|key|major|principal|priority) tasks\b|主要任务|重点任务", re.I)
ANNEX_RE = re.compile(r"^(?:annex|attachment|appendix|附件)\s*\d{0,2}$", re.I)
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DATE_LINE_RE = re.compile(
    rf"^(?:(?:{MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS}),?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)$",
    re.I,
)
NOTE_RE = re.compile(r"^[(（].*[)）]$")  # "(This document is publicly released)"
DEPARTMENTS_RE = re.compile(
    r"^(?:[A-Za-z-]+\s+){0,3}responsible (?:departments?|units?|entities)\s*[:：]|^(?:责任|牵头)(?:单位|部门)[:：]",
    re.I,
)
DIGITS_RE = re.compile(r"^\d{1,3}$")
CJK_RE = re.compile(r"^[^A-Za-z]*[\u4e00-\u9fff][^A-Za-z]*$")  # an original-language (Chinese) line
IMAGE_RE = re.compile(r"\.(png|jpe?g|gif|bmp|webp)$", re.I)
BULLET_RE = re.compile(r"^(?:[l•·▪●◦‧\-–]\s+)(?=[A-Z])")
# A line that ends on one of these words (or a comma) was cut mid-sentence.
DANGLING_RE = re.compile(r"(?:,|\b(?:of|the|and|or|to|in|for|with|by|a|an|on|at|from|as))$")
ADDRESSEE_MAX = 200  # characters; a longer line ending in ":" is a sentence, not an addressee
LETTER_WINDOW = 40  # the addressee is looked for among the first lines


@dataclass(frozen=True)
class Layout:
    """Per-document data from the registry: the publisher's page chrome, and the lead-in's label."""

    chrome: tuple[str, ...] = ()  # regexes of lines that are web-page chrome
    lead_in: str = "Page excerpt"  # section name of a page lead-in before the document

    def dropped(self, line: str) -> bool:
        return any(re.search(p, line) for p in self.chrome)


PLAIN = Layout()  # no chrome


def number_value(token: str) -> int | None:
    """1, "IV", "Four", "四" -> 4 (None when not a number)."""
    if token.isdigit():
        return int(token)
    if token.lower() in WORDS:
        return WORDS.index(token.lower()) + 1
    if all(c in CN_DIGITS for c in token):
        values = [CN_DIGITS.index(c) + 1 for c in token]
        if len(values) == 1:
            return values[0]
        tens = values[0] if values[1] == 10 else 1
        return tens * 10 + (values[-1] if values[-1] != 10 else 0)
    roman = {"I": 1, "V": 5, "X": 10}
    if token and all(c in roman for c in token):
        total, biggest = 0, 0
        for c in reversed(token):
            total += roman[c] if roman[c] >= biggest else -roman[c]
            biggest = max(biggest, roman[c])
        return total
    return None


def _family(token: str) -> str:
    if token.isdigit():
        return "arabic"
    return "roman" if all(c in "IVX" for c in token) else "word"


def section_heading(text: str) -> tuple[str, int | None] | None:
    """(numbering family, number) when `text` looks like a top-level section heading; None otherwise."""
    m = SECTION_RE.match(text)
    if m:
        head = m.group(3)
        latin = re.match(r"[A-Za-z][^.]{2,60}$", head)
        chinese = re.match(r"[\u4e00-\u9fff][^。；;.]{1,30}$", head)
        return (_family(m.group(1)), number_value(m.group(1))) if latin or chinese else None
    return ("unnumbered", None) if TITLE_CASE_RE.match(text) and len(text) <= 60 else None


@dataclass
class Line:
    text: str
    start: int
    end: int


def clean_lines(raw: str, layout: Layout) -> list[Line]:
    """Non-empty, whitespace-normalised lines with raw offsets; chrome dropped, cut lines joined."""
    out: list[Line] = []
    pos = 0
    for piece in raw.splitlines(keepends=True):
        stripped = piece.strip()
        if stripped:
            s = pos + piece.index(stripped)
            text = BULLET_RE.sub("", " ".join(stripped.split()))
            if not layout.dropped(text):
                out.append(Line(text, s, s + len(stripped)))
        pos += len(piece)
    joined: list[Line] = []
    for line in out:
        prev = joined[-1] if joined else None
        if prev and DANGLING_RE.search(prev.text) and not CJK_RE.search(line.text) and line.text[:1].isalpha():
            joined[-1] = Line(f"{prev.text} {line.text}", prev.start, line.end)
        else:
            joined.append(line)
    return joined


def _is_addressee(text: str) -> bool:
    numbered = GROUP_RE.match(text) or TASK_RE.match(text) or SECTION_RE.match(text)
    return text.endswith((":", "：")) and len(text) <= ADDRESSEE_MAX and not numbered


def _opening(lines: list[Line]) -> tuple[str, int]:
    """The zone the text opens in: 'excerpt' (a lead-in up to an image line), 'letter' or 'body'."""
    window = [line.text for line in lines[:LETTER_WINDOW]]
    addressee = next((i for i, t in enumerate(window) if _is_addressee(t)), None)
    image = next((i for i, t in enumerate(window) if IMAGE_RE.search(t)), None)
    if addressee is None:
        return "body", -1
    if image is not None and image < addressee:
        return "excerpt", image
    return "letter", -1


@dataclass
class _State:
    zone: str
    section: str
    subsection: str | None = None
    in_main: bool = False
    group: str | None = None
    task: str | None = None
    task_title: str | None = None
    next_task: int = 1
    seen_addressee: bool = False
    closed: bool = False  # the letter's closing date has been read
    section_family: str | None = None
    sections: int = 0
    run: int = 0  # task headings in a row at the start of the current group
    group_measured: bool = False  # a measure has followed a task in this group
    deferred: bool = False  # this group lists its headings first and its measures after them
    paragraphs: list[Paragraph] = field(default_factory=list)


class StructureParser:
    """Walks a text's lines once, assigning each a kind and its place in the hierarchy."""

    def __init__(self, doc_id: str, layout: Layout, *, main_everywhere: bool = False):
        self.doc_id, self.layout, self.main_everywhere = doc_id, layout, main_everywhere

    def parse(self, raw: str) -> list[Paragraph]:
        lines = clean_lines(raw, self.layout)
        cjk = sum(1 for line in lines if CJK_RE.search(line.text))
        self.chinese = cjk * 2 > len(lines)
        zone, self.lead_in_end = _opening(lines)
        first = {"excerpt": self.layout.lead_in, "letter": "Reply letter"}.get(zone, "Preamble")
        self.s = _State(zone=zone, section=first, in_main=self.main_everywhere and zone == "body")
        i = 0
        while i < len(lines):
            line = lines[i]
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            if self.s.zone == "excerpt" and i == self.lead_in_end:
                self.s.zone, self.s.section = "letter", "Reply letter"
            elif IMAGE_RE.search(line.text):
                pass  # image file names left by the web page
            elif DIGITS_RE.match(line.text) and nxt and self.s.in_main and self._repairs(line, nxt):
                # A page number that cut a task number in two ("1" / "5. Support ...") is repaired.
                lines[i + 1] = Line(line.text + nxt.text, line.start, nxt.end)
            elif DIGITS_RE.match(line.text) or (
                not self.chinese and CJK_RE.search(line.text) and self.s.zone != "letter"
            ):
                pass  # page numbers; original-language lines outside the letter's title block
            else:
                self.step(line)
            i += 1
        return self.s.paragraphs

    def add(self, line: Line, kind: str, text: str | None = None) -> None:
        s = self.s
        section = s.section if not s.subsection else f"{s.section} > {s.subsection}"
        n = len(s.paragraphs)
        s.paragraphs.append(
            Paragraph(
                id=f"{self.doc_id}.p{n:03d}",
                doc_id=self.doc_id,
                index=n,
                text=text or line.text,
                start=line.start,
                end=line.end,
                kind=kind,
                section=section,
                group=s.group if s.in_main else None,
                task=s.task if s.in_main else None,
                task_title=s.task_title if s.in_main else None,
            )
        )

    def _repairs(self, line: Line, nxt: Line) -> bool:
        m = TASK_RE.match(line.text + nxt.text)
        return bool(m and int(m.group(1)) == self.s.next_task)

    def _is_task(self, text: str) -> re.Match | None:
        t = TASK_RE.match(text)
        return t if t and int(t.group(1)) == self.s.next_task else None

    def step(self, line: Line) -> None:
        s, text = self.s, line.text
        if s.zone == "excerpt":
            self.add(line, "excerpt")
        elif s.zone == "letter":
            self.step_letter(line)
        elif self._opens_section(text):
            s.section, s.subsection = text, None
            s.in_main = bool(MAIN_RE.search(text)) or self.main_everywhere
            s.group = s.task = s.task_title = None
            s.run, s.group_measured, s.deferred = 0, False, False
            self.add(line, "heading")
        elif s.in_main:
            self.step_main(line)
        elif GROUP_RE.match(text) and len(text) < 120:
            s.subsection = text
            self.add(line, "heading")
        elif s.section in ("Annex", "Reply letter", "Preamble") and len(text) < 200 and not text.endswith("."):
            self.add(line, "title")
        else:
            self.add(line, "body")

    def step_letter(self, line: Line) -> None:
        s, text = self.s, line.text
        if ANNEX_RE.match(text) or (s.closed and not NOTE_RE.match(text)):
            s.zone, s.section, s.subsection = "body", "Annex", None
            s.in_main = self.main_everywhere
            if not CJK_RE.search(text):
                self.add(line, "title")
            return
        ends = text.endswith((":", "："))
        self.add(line, "letter" if s.seen_addressee or ends else "title")
        s.seen_addressee |= ends
        s.closed |= s.seen_addressee and bool(DATE_LINE_RE.match(text))

    def _opens_section(self, text: str) -> bool:
        """A heading of the document's top-level numbering (fixed by its first section heading)."""
        s = self.s
        found = section_heading(text)
        if not found or (s.in_main and self._is_task(text)):
            return False
        family, number = found
        if s.section_family is None:
            ok = family == "unnumbered" or number == 1
        elif s.section_family == "unnumbered":
            ok = family == "unnumbered"
        else:  # a translation may spell one number in words ("Four, organization and implementation")
            ok = number == s.sections + 1 and family in (s.section_family, "word")
        if ok:
            s.section_family = s.section_family or family
            s.sections += 1
        return ok

    def step_main(self, line: Line) -> None:
        s, text = self.s, line.text
        g = GROUP_RE.match(text)
        t = self._is_task(text)
        if g and len(text) < 200:
            s.group, s.task, s.task_title = text, None, None
            s.run, s.group_measured, s.deferred = 0, False, False
            self.add(line, "group")
        elif t:
            s.task, s.task_title = t.group(1), first_sentence(t.group(2))
            s.next_task += 1
            s.run = s.run + 1 if not s.group_measured else s.run
            self.add(line, "task")
        elif DEPARTMENTS_RE.match(text):
            s.group_measured = True
            self.add(line, "departments")
        else:
            if not s.group_measured and s.run >= 2:
                s.deferred = True  # headings followed by measures: chunking assigns each measure
            s.group_measured = True
            if s.deferred:
                s.task, s.task_title = None, None
                self.add(line, "measure")
            else:
                self.add(line, "measure" if s.task else "body")


def parse_text(doc_id: str, raw: str, layout: Layout = PLAIN) -> tuple[list[Paragraph], str]:
    """Paragraphs of a text and how its tasks were found ('numbered tasks' or why none were)."""
    paragraphs = StructureParser(doc_id, layout).parse(raw)
    if any(p.task for p in paragraphs):
        return paragraphs, "numbered tasks"
    if any(p.kind == "body" for p in paragraphs) and not any(p.kind == "letter" for p in paragraphs):
        whole = StructureParser(doc_id, layout, main_everywhere=True).parse(raw)
        if any(p.task for p in whole):
            return whole, "numbered tasks (no main-tasks heading: the whole text read as the task list)"
    return paragraphs, "no recognisable task numbering: chunked by section, up to chunk_max_tokens per chunk"
