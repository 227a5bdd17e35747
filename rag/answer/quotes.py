"""The evidence sentences an answer quotes verbatim: those sharing most words with the question.

Every answer carries them, whatever the backend: the decisive words (caps, figures, conditions,
exclusions, the route, the status verb) reach the reader in the source's own words, with their marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rag.analysis.relations import Registry
from rag.answer.support import content_words, corpus_weights
from rag.core.glossary import spell_out
from rag.core.settings import Settings
from rag.core.text import split_sentences
from rag.core.tokens import encoder
from rag.core.types import Evidence

_BRACKETED_NUMBER_RE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Quote:
    ev: Evidence
    index: int  # sentence number within the paragraph
    text: str  # the sentence, verbatim
    anchor: bool = False  # a sentence of the best-matching paragraph (select_quotes)

    @property
    def marker(self) -> int:
        return self.ev.marker

    @property
    def body(self) -> str:
        """The sentence without its final stop. A bracketed year in a document number ("Guo Han [2015] No. 81")
        would read as a citation marker: the official texts' own brackets stand in for it."""
        return _BRACKETED_NUMBER_RE.sub(r"〔\1〕", self.text.rstrip().rstrip(".!?;:,").rstrip())

    def cited(self) -> str:
        """The sentence with its marker before the final full stop: 'Foreign banks are allowed ... [2].'"""
        return f"{self.body} [{self.marker}]."


def _scored(
    question: str, evidence: list[Evidence], corpus: Any, settings: Settings
) -> list[tuple[float, int, int, Quote]]:
    """(-score, evidence rank, sentence number, quote) for each evidence sentence sharing a word with the question:
    the share of the question's words it holds, each word weighted by its rarity in the corpus (IDF to the power
    settings.quote_idf_power: "textbook" decides, "foreign" and "Beijing" are in every other paragraph; a word of
    settings.quote_near_letters or more spelled one letter apart counts), plus settings.extractive_score_weight x the
    paragraph's similarity to the question. A responsible-departments line is never quoted for its words (it names
    every office; see `select_quotes`), nor a fragment of fewer than settings.quote_min_words content words (a
    signature, "The reply is as follows.")."""
    asked, weights = spell_out(question), corpus_weights(corpus)
    scored = []
    for rank, ev in enumerate(evidence):
        if ev.paragraph.kind == "departments":
            continue
        text = ev.paragraph.text
        for i, (s, e) in enumerate(split_sentences(text)):
            sentence = text[s:e].strip()
            if sentence in ev.paragraph.instructions:  # addressed to an assistant: data, never an answer
                continue
            overlap = weights.recall(asked, sentence, settings.quote_idf_power, settings.quote_near_letters)
            if overlap > 0 and len(content_words(sentence)) >= settings.quote_min_words:
                scored.append(
                    (-(overlap + settings.extractive_score_weight * ev.score), rank, i, Quote(ev, i, sentence))
                )
    return scored


def select_quotes(question: str, evidence: list[Evidence], corpus: Any, settings: Settings) -> list[Quote]:
    """The sentences to quote, in evidence order.

    The best-scoring sentence's paragraph is the answer's anchor (Quote.anchor: the verdict reads it first, as the
    paragraph that matches the question best, not the first retrieved): its sentences are quoted when they score at least
    settings.extractive_min_relative of the best; another paragraph's only at settings.extractive_other_relative
    (a neighbouring measure that shares a few words is not the answer). At most settings.extractive_max_sentences
    in all. Each quoted task's responsible-departments line follows its quotes when the evidence holds it (it does only for
    a question asking who is responsible: rag.answer.evidence). A line the question asks for (Evidence.asked: a
    document's date, number, task count or stated relation) comes first, whatever words it shares with the question,
    each of its sentences with the marker; it still competes for the anchor, so the other quotes must come close to it.

    Sentences are scored on what the question asks about, without the words naming documents (Registry.subject):
    "the 2019 plan" and "Dongcheng's proposal" match the reply letters that name those documents, not the measure
    asked about. On the whole question only when no sentence shares a word with the rest.
    """
    asked = [q for ev in evidence if ev.asked for q in _whole(ev)]
    subject = Registry(corpus).subject(question)
    scored = _scored(subject, evidence, corpus, settings) or _scored(question, evidence, corpus, settings)
    if not scored:
        return asked
    ranked = sorted(scored, key=lambda t: t[:3])
    best, anchor = ranked[0][0], ranked[0][3].ev.paragraph.id

    def bar(t: tuple[float, int, int, Quote]) -> float:
        same = t[3].ev.paragraph.id == anchor
        return best * (settings.extractive_min_relative if same else settings.extractive_other_relative)

    # A line quoted whole as asked still competes for the anchor: the sentences around it must come close to it.
    kept = [t for t in ranked if t[0] <= bar(t)][: settings.extractive_max_sentences]
    kept.sort(key=lambda t: (t[1], t[2]))
    others = [replace(t[3], anchor=t[3].ev.paragraph.id == anchor) for t in kept if not t[3].ev.asked]
    return asked + _with_departments(others, evidence)


_ENUMERATOR_RE = re.compile(r"[(（]?\d{1,3}[)）]?[.、]")


def _whole(ev: Evidence) -> list[Quote]:
    """Every sentence of a paragraph quoted whole, each with its marker, less those addressed to an assistant; a
    task's number ("26.") stays with its heading, not a sentence of its own."""
    text, quotes, opened = ev.paragraph.text, [], ""
    for i, (s, e) in enumerate(split_sentences(text)):
        sentence = text[s:e].strip()
        if _ENUMERATOR_RE.fullmatch(sentence):
            opened = f"{sentence} "
        elif sentence not in ev.paragraph.instructions:
            quotes.append(Quote(ev, i, opened + sentence))
            opened = ""
    return quotes


def _with_departments(quotes: list[Quote], evidence: list[Evidence]) -> list[Quote]:
    """The quotes, each quoted task's responsible-departments line (when the evidence holds it) right after the
    task's last quote: the model, whose passages are cut at a token budget, reads who beside what."""
    lines = {ev.chunk.id: ev for ev in evidence if ev.paragraph.kind == "departments" and not ev.paragraph.instructions}
    last = {q.ev.chunk.id: n for n, q in enumerate(quotes)}
    out: list[Quote] = []
    for n, q in enumerate(quotes):
        out.append(q)
        task = q.ev.chunk.id
        if last[task] == n and task in lines:
            out.append(Quote(lines[task], 0, lines[task].paragraph.text.strip()))
    return out


def format_quotes(quotes: list[Quote], label, max_tokens: int) -> str:
    """The quotes as the model reads them: '[2] (gh-2020-123, Task 3: ...) sentence sentence', a line per paragraph
    (its label once), cut with "…" at `max_tokens` (cl100k): each prompt token costs the reader time before the
    quotes can be shown, and the reader gets them whole anyway."""
    lines: dict[int, list[str]] = {}
    for q in quotes:
        lines.setdefault(q.marker, [f"[{q.marker}] ({label(q.ev)})"]).append(q.text)
    text = "\n".join(" ".join(parts) for parts in lines.values())
    ids = encoder().encode(text, disallowed_special=())
    if len(ids) <= max_tokens:
        return text
    return encoder().decode(ids[:max_tokens]).rsplit(" ", 1)[0] + " …"  # cut at a word


def departments_line(quotes: Sequence[Quote]) -> Quote | None:
    """The quoted line of a task's responsible departments, if any."""
    return next((q for q in quotes if q.ev.paragraph.kind == "departments"), None)
