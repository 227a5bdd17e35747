"""The evidence sentences an answer quotes verbatim: those sharing most words with the question.

Every answer carries them, whatever the backend: the decisive words (caps, figures, conditions,
exclusions, the route, the status verb) reach the reader in the source's own words, with their marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.support import content_words
from rag.core.glossary import spell_out
from rag.core.settings import Settings
from rag.core.text import split_sentences
from rag.core.types import Evidence

_BRACKETED_NUMBER_RE = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Quote:
    ev: Evidence
    index: int  # sentence number within the paragraph
    text: str  # the sentence, verbatim

    @property
    def marker(self) -> int:
        return self.ev.marker

    def cited(self) -> str:
        """The sentence with its marker before the final full stop: 'Foreign banks are allowed ... [2].'"""
        # A bracketed year in a document number ("Guo Han [2015] No. 81") would read as a citation marker: the
        # official texts' own brackets stand in for it.
        body = _BRACKETED_NUMBER_RE.sub(r"〔\1〕", self.text.rstrip().rstrip(".!?;:,").rstrip())
        return f"{body} [{self.marker}]."


def select_quotes(question: str, evidence: list[Evidence], settings: Settings) -> list[Quote]:
    """At most settings.extractive_max_sentences sentences, in evidence order, each scoring at least
    settings.extractive_min_relative of the best: question-word overlap plus
    settings.extractive_score_weight x the paragraph's similarity to the question."""
    asked = content_words(spell_out(question))
    scored: list[tuple[float, int, int, Quote]] = []
    for rank, ev in enumerate(evidence):
        text = ev.paragraph.text
        for i, (s, e) in enumerate(split_sentences(text)):
            sentence = text[s:e].strip()
            overlap = len(asked & content_words(sentence)) / (len(asked) or 1)
            if overlap > 0:
                score = overlap + settings.extractive_score_weight * ev.score
                scored.append((-score, rank, i, Quote(ev, i, sentence)))
    if not scored:
        return []
    best = min(scored, key=lambda t: t[0])[0]
    kept = [t for t in sorted(scored, key=lambda t: t[:3])[: settings.extractive_max_sentences]]
    kept = [t for t in kept if t[0] <= settings.extractive_min_relative * best]
    return [t[3] for t in sorted(kept, key=lambda t: (t[1], t[2]))]


def format_quotes(quotes: list[Quote], label) -> str:
    """The quotes as the model reads them: '[2] (gh-2020-123, Task 3: ...) sentence', one per line."""
    return "\n".join(f"[{q.marker}] ({label(q.ev)}) {q.text}" for q in quotes)
