"""Plain-code tools for checking an answer against its evidence.

Used by the citation check (rag.answer) and the extractive backend (rag.llms):
split an answer into sentences with their [n] markers, and score how well a
source sentence supports a claim by content-word recall, with a hard rule for
numbers: a figure the source does not contain is never supported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_WORD_RE = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
MARKER_RE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_END_RE = re.compile(r"[.!?]+[\"”’)]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s|$)")
_ABBREV_RE = re.compile(r"(?:\b(?:No|Nos|Co|Inc|Ltd|Art|vs|e\.g|i\.e|etc)|\b[A-Z])\.$")
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
STOPWORDS = frozenset(
    """a an and are as at be been by can could do does for from has have how i if in into is it its
    may might must no not of on or our shall should so such than that the their them then there these
    they this to up was we were what when where which while who whom why will with would you your
    about also any all more other some only own same very just each both after before over per""".split()
)


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match 'investors'/'investment'/'invest' and 'shares'/'share'."""
    for suffix in ("ments", "ment", "ings", "ing", "ions", "ion", "ors", "or", "ers", "er", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def content_words(text: str) -> set[str]:
    """Stemmed, lower-cased words of `text` minus stopwords (numbers kept)."""
    return {stem(w) for w in _WORD_RE.findall(text.lower()) if w not in STOPWORDS}


def numbers(text: str) -> set[str]:
    """Numbers written in `text` ("50", "2,000", "3.5"), separators removed."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER_RE.findall(text)}


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer."""

    text: str  # the sentence without its markers
    markers: tuple[int, ...]  # [n] markers it carried, in order, without repeats


def split_answer(text: str) -> list[Claim]:
    """Split generated text into sentences; markers right after a full stop stay with its sentence."""
    claims = []
    for line in text.splitlines():
        line = _BULLET_RE.sub("", line).strip()
        start = 0
        for m in _END_RE.finditer(line):
            if _ABBREV_RE.search(line[start : m.start() + 1]):
                continue
            claims.append(_claim(line[start : m.end()]))
            start = m.end()
        if line[start:].strip():
            claims.append(_claim(line[start:]))
    return [c for c in claims if c.text]


def _claim(sentence: str) -> Claim:
    markers: list[int] = []
    for m in MARKER_RE.finditer(sentence):
        for n in re.split(r"\s*[,;]\s*", m.group(1)):
            if int(n) not in markers:
                markers.append(int(n))
    text = re.sub(r"\s+([.,;:!?])", r"\1", MARKER_RE.sub("", sentence))
    return Claim(text=" ".join(text.split()), markers=tuple(markers))


def lexical_support(claim: str, source: str, allowed_numbers: set[str] = frozenset()) -> float:
    """Share of the claim's content words found in `source`; 0 if the claim states a number `source` lacks."""
    if numbers(claim) - numbers(source) - allowed_numbers:
        return 0.0
    words = content_words(claim)
    return len(words & content_words(source)) / len(words) if words else 0.0
