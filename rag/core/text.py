"""Text utilities shared by every stage: sentences, citation markers, ids, percentiles.

Each exists once here so that the parser, the citation check, the eval and the
interfaces agree on what a sentence, a marker or a paragraph's document is.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence

# A full stop after these does not end a sentence ("Guo Han [2020] No. 123", "e.g.", initials).
ABBREVIATION_RE = re.compile(r"(?:\b(?:No|Nos|Co|Inc|Ltd|Art|vs|e\.g|i\.e|etc)|\b[A-Z])\.$")
# The verbs that open a yes-or-no question ("Can …?", "Would they …?").
AUXILIARIES = r"(?:am|is|are|was|were|can|could|do|does|did|will|would|should|shall|may|might|must|has|have|had|need)"
# Numbers the documents and the questions spell out, and a duration written either way ("30 working days",
# "two years", "a three-year pilot").
NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
DURATION = rf"(?:\d+\s*|\b(?:{NUMBER_WORDS})[\s-]+)(?:working\s+)?(?:days?|months?|years?)\b"
# A citation marker: [1], or several numbers in one pair of brackets ([1, 3] or [1; 3]).
MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SENTENCE_END_RE = re.compile(r"[.!?;](?=[\"”’)]?\s+[\"“(]?[A-Z0-9])")
_CLOSERS = '"”’)'


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`; does not split after 'No.', initials and similar."""
    spans, start = [], 0
    for m in _SENTENCE_END_RE.finditer(text):
        if ABBREVIATION_RE.search(text[start : m.end()]):
            continue
        end = m.end()
        while end < len(text) and text[end] in _CLOSERS:
            end += 1
        spans.append((start, end))
        start = end
        while start < len(text) and text[start].isspace():
            start += 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def first_sentence(text: str) -> str:
    spans = split_sentences(text)
    return text[spans[0][0] : spans[0][1]] if spans else text


def marker_numbers(marker_body: str) -> list[int]:
    """The numbers inside one marker's brackets: '1, 3' -> [1, 3]."""
    return [int(n) for n in re.split(r"\s*[,;]\s*", marker_body.strip())]


def markers(text: str) -> list[tuple[int, int]]:
    """(position, number) of every citation marker in `text`; '[1, 3]' gives two."""
    return [(m.start(), n) for m in MARKER_RE.finditer(text) for n in marker_numbers(m.group(1))]


def doc_of(paragraph_id: str) -> str:
    """The document id of a paragraph id ("gh-2020-123.p044" -> "gh-2020-123")."""
    return paragraph_id.rsplit(".p", 1)[0]


def task_key(doc_id: str, task: str) -> str:
    """The id of a task across its parts: "<doc>.t<NN>"."""
    return f"{doc_id}.t{int(task):02d}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (the smallest value with at least p% of values at or under it); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


# Terminal control: ANSI CSI (ESC [ ... or the one-byte CSI \x9b), OSC (ESC ] ... BEL/ST: titles, hyperlinks),
# other two-byte escapes; then any control character left and the bidirectional overrides that reorder a line.
_ESCAPE_RE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[@-Z\\-_]?"
)
# Inside a JSON text: control characters and bidirectional overrides, less the line breaks and tabs an indented
# dump puts between values (json.dumps escapes those inside strings itself; escaping them would break the JSON).
_JSON_UNPRINTABLE_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` without terminal escape sequences, and every control, format, surrogate or unassigned character
    (Unicode category C) as a space: a question or a stored comment can neither recolour, retitle nor rewrite the
    reader's terminal, nor reach a log, a database or a JSON echo raw."""
    return "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in _ESCAPE_RE.sub("", text))


def json_terminal_safe(line: str) -> str:
    """A JSON text with the control characters json.dumps(ensure_ascii=False) leaves raw (C1, DEL, bidirectional
    overrides) written as \\uXXXX escapes: the same JSON value, safe to print."""
    return _JSON_UNPRINTABLE_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", line)
