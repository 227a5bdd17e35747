"""Plain-code tools for checking an answer against its evidence.

Used by the citation check (rag.answer.verify), the question guard and the extractive backend:
split an answer into sentences with their [n] markers, score how well a
source sentence supports a claim by (IDF-weighted) content-word recall, and
spot figures, negations and plans a claim gets wrong.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from rag.core.glossary import places
from rag.core.text import ABBREVIATION_RE, MARKER_RE
from rag.core.text import markers as text_markers

_WORD_RE = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
# A run of markers joined by "and" or commas ("[1] and [2]") goes as one, so no "and" is left dangling.
_MARKER_RUN_RE = re.compile(r"\[\d+(?:\s*[,;]\s*\d+)*\](?:\s*(?:,|;|and|&)?\s*\[\d+(?:\s*[,;]\s*\d+)*\])*")
# A lead-in left pointing at nothing once its markers are gone: "as evidenced by", "according to", "see".
_DANGLING_RE = re.compile(
    r"[\s,;]*\b(?:as\s+(?:evidenced|stated|shown|mentioned|noted|indicated|described|seen|set\s+out)\s+(?:by|in)"
    r"|according\s+to|(?:see|per|in|by|from|and)(?:\s+(?:evidence|source|passage|paragraph)s?)?)\s*(?=[.,;:!?)]|$)",
    re.I,
)
_EMPTY_BRACKETS_RE = re.compile(r"\s*\(\s*\)")
# A sentence ending on a word that needs an object lost words: "… was dated on and approved for."
_FUNCTION = r"(?:on|for|of|to|by|with|at|from|about|into|than|the|a|an)"
_BROKEN_RE = re.compile(rf"\b(?:{_FUNCTION}|and|or)\s*[.!?]?\s*$", re.I)
_PLACEHOLDER_RE = re.compile(r"\[(?:n|N|x|number|citation|source)\]")  # a format example copied by the model
_END_RE = re.compile(r"[.!?]+[\"”’)]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s|$)")
_BARE_END_RE = re.compile(r"[.!?]+[\"”’)]*(?=\s|$)")
_LEADING_MARKER_RE = re.compile(r"^\s*(?:[-*•]\s*)?\[\d")
_BULLET_RE = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_NEGATION_RE = re.compile(
    r"\b(?:not|never|cannot|can't|don't|doesn't|isn't|aren't|won't|neither|nor|prohibit\w*|forbid\w*|banned)\b"
    r"|\bno\b(?!\.\s*\d)",
    re.I,
)
# Words that mark a statement as a plan or an intention rather than a granted right.
_HEDGE_RE = re.compile(
    r"\b(?:explor\w*|stud(?:y|ies|ied|ying)|research\w*|pilot\w*|trials?|plans?|planned|will|would|intend\w*|aims?|"
    r"consider\w*|propos\w*|seeks?|support\w*|encourag\w*|promot\w*)\b",
    re.I,
)
_STOPWORD_TEXT = (
    "a an and are as at be been by can could do does for from has have how i if in into is it its may "
    "might must no not of on or our shall should so such than that the their them then there these they "
    "this to up was we were what when where which while who whom why will with would you your about also "
    "any all more other some only own same very just each both after before over per yes document "
    "documents evidence say says said mention mentions according am me my mine us he him his she her hers "
    # what is left of a contraction once the apostrophe splits it ("I'm", "Beijing's", "don't", "we'll")
    "m s t d ll ve re"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())


_IZATION_RE = re.compile(r"i([sz])ations?$")


# "listing" and "listed" are a company's going public ("domestic listing service platform", "NEEQ-listed companies"),
# not a "negative list": they keep their own stem.
_IRREGULAR = {"children": "child", "people": "person", "persons": "person", "women": "woman", "men": "man"}
_IRREGULAR |= {"listing": "listing", "listings": "listing", "listed": "listing"}


def stem(word: str) -> str:
    """A crude suffix stripper: enough to match 'investors'/'investment'/'invest', 'finance'/'financial',
    'securitization'/'securitizing', 'children'/'child' (but not 'listing'/'list')."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    word = _IZATION_RE.sub(r"i\1e", word)  # the noun of an -ize verb: its stem is the verb's
    for suffix in ("ments", "ment", "ings", "ing", "ions", "ion", "ors", "or", "ers", "er", "ed", "ial", "al"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def content_words(text: str) -> set[str]:
    """Stemmed, lower-cased words of `text` minus stopwords (numbers kept)."""
    return {stem(w) for w in _WORD_RE.findall(text.lower()) if w not in STOPWORDS}


def numbers(text: str) -> set[str]:
    """Numbers written in `text` ("50", "2,000", "3.5"), separators removed."""
    return {re.sub(r"[.,]", "", n) for n in _NUMBER_RE.findall(text)}


_STOPS = ".!?。！？"


@dataclass(frozen=True)
class Claim:
    """One sentence of a generated answer."""

    text: str  # the sentence without its markers
    markers: tuple[int, ...]  # [n] markers it carried, in order, without repeats

    def marked(self, markers: tuple[int, ...] | list[int] | None = None) -> str:
        """The sentence with its markers (or `markers`) before its final stop: 'Foreign banks may ... [2].' (a
        Chinese sentence keeps its own stop: '外资 ... [2]。')"""
        body = self.text.rstrip()
        end = body[-1] if body and body[-1] in _STOPS else "."
        body = body.rstrip(_STOPS).rstrip()
        return f"{body} {''.join(f'[{m}]' for m in (self.markers if markers is None else markers))}{end}"


def split_answer(text: str) -> list[Claim]:
    """Split generated text into sentences; markers right after a full stop stay with its sentence.

    Unless the text opens with a marker ("[1] Foreign banks ... [2] ..."): then
    each marker belongs to the sentence it opens.
    """
    end_re = _BARE_END_RE if _LEADING_MARKER_RE.match(text) else _END_RE
    claims = []
    for line in text.splitlines():
        line = _BULLET_RE.sub("", line).strip()
        start = 0
        for m in end_re.finditer(line):
            if ABBREVIATION_RE.search(line[start : m.start() + 1]):
                continue
            claims.append(_claim(line[start : m.end()]))
            start = m.end()
        if line[start:].strip():
            claims.append(_claim(line[start:]))
    return [c for c in claims if c.text]


def _claim(sentence: str) -> Claim:
    markers: list[int] = []
    for _, n in text_markers(sentence):
        if n not in markers:
            markers.append(n)
    text = _PLACEHOLDER_RE.sub("", MARKER_RE.sub("", _MARKER_RUN_RE.sub("", sentence)))
    text = re.sub(r"\s+([.,;:!?])", r"\1", _EMPTY_BRACKETS_RE.sub("", _DANGLING_RE.sub("", text)))
    return Claim(text=" ".join(text.split()), markers=tuple(markers))


def broken(sentence: str) -> bool:
    """Whether the sentence (markers left out) lost words: a preposition or article with nothing after it."""
    return bool(_BROKEN_RE.search(MARKER_RE.sub("", sentence).strip()))


class WordWeights:
    """Inverse document frequency of content words over a set of paragraphs; unseen words weigh most."""

    def __init__(self, texts: list[str]):
        df: Counter[str] = Counter()
        for text in texts:
            df.update(content_words(text))
        n = len(texts)
        self._idf = {w: math.log((n + 1) / (c + 1)) + 1 for w, c in df.items()}
        self._unseen = math.log(n + 1) + 1

    def weight(self, word: str) -> float:
        return self._idf.get(word, self._unseen)

    def seen(self, word: str) -> bool:
        """Does any of the texts contain `word`?"""
        return word in self._idf

    def recall(
        self, claim: str, source: str, power: float = 1.0, near_letters: int = 0, ignore: frozenset[str] = frozenset()
    ) -> float:
        """Weighted share of the claim's content words (less `ignore`) that `source` contains: rare words count most
        (each weight raised to `power`). With `near_letters`, a word of at least that many letters also counts when
        `source` spells it one letter apart (`near_words`: the published texts' "Zhongguanchun")."""
        words, held = content_words(claim) - ignore, content_words(source)
        found = (words & held) | (near_words(words - held, held, near_letters) if near_letters else set())
        total = sum(self.weight(w) ** power for w in words)
        return sum(self.weight(w) ** power for w in found) / total if total else 0.0


def near_words(words: set[str], held: set[str], min_letters: int) -> set[str]:
    """The words of `words` (at least `min_letters` letters) that some word of `held` spells one letter apart (one
    letter added, dropped or changed, the first three kept): a typo in the published text, or in the question."""

    def one_apart(a: str, b: str) -> bool:
        a, b = sorted((a, b), key=len)
        i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(a))
        return a[i + (len(a) == len(b)) :] == b[i + 1 :]

    return {
        w
        for w in words
        if len(w) >= min_letters and any(abs(len(h) - len(w)) <= 1 and h[:3] == w[:3] and one_apart(w, h) for h in held)
    }


_CORPUS_WEIGHTS: dict[tuple, WordWeights] = {}


def corpus_weights(corpus: Any) -> WordWeights:
    """WordWeights over every paragraph of `corpus` (cached per corpus content)."""
    key = tuple((d.id, len(d.text)) for d in corpus.documents.values())
    if key not in _CORPUS_WEIGHTS:
        _CORPUS_WEIGHTS[key] = WordWeights([p.text for d in corpus.documents.values() for p in d.paragraphs])
    return _CORPUS_WEIGHTS[key]


def negated(text: str) -> bool:
    return bool(_NEGATION_RE.search(text))


def hedged(text: str) -> bool:
    """Does `text` present something as a plan or intention ("will study", "supports", "pilot")?"""
    return bool(_HEDGE_RE.search(text))


_WHOLLY_RE = re.compile(r"\b(?:wholly|fully|solely|sole)\b", re.I)


def new_numbers(claim: str, source: str) -> set[str]:
    """Numbers the claim states that `source` does not: such a claim is not supported by it.

    "100%" counts as stated where the source says "wholly" (or fully, solely).
    """
    found = numbers(source) | ({"100"} if _WHOLLY_RE.search(source) else set())
    return numbers(claim) - found


def new_places(claim: str, source: str) -> set[str]:
    """Places (another city, a Beijing district or zone) the claim names that `source` does not: "The Chaoyang
    District department plays that role [2]" over a Dongcheng department line is not supported by it."""
    return places(claim, within_beijing=True) - places(source, within_beijing=True)
