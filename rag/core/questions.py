"""One validation path for questions, whatever their source (argv, batch file, app, HTTP).

A question must be a string with words in it once control characters are removed, and at most
settings.question_max_tokens cl100k tokens (RAG_QUESTION_MAX_TOKENS). The messages speak to the
reader; the setting names belong in logs and the README. `is_yes_no` reads a question's form: whether it asks
yes or no (the bottom line, rag.answer.verdict, gives those a verdict).
"""

from __future__ import annotations

import logging
import re

from rag.core.errors import BadQuestion
from rag.core.settings import Settings
from rag.core.text import AUXILIARIES, printable, split_sentences
from rag.core.tokens import count_tokens

EXAMPLE_QUESTION = "Can a wholly foreign-owned company become a private fund manager in Beijing?"
log = logging.getLogger(__name__)
WORDS_PER_TOKEN = 0.75  # English prose: about 3 words per 4 cl100k tokens

# A follow-up opens with discourse words, any number of them ("ok but wasn't that ...?", "and anything on ...?").
_OPENERS = r"^\W*(?:(?:so|and|but|also|then|ok|okay|now|well|right|hmm|oh|nice|great|thanks)\W+){0,3}"
# A tag that turns the statement before it into a yes-or-no question: "..., right?", "... was scrapped. true?"
_TAG = r"(?:right|true|correct|is\s+that\s+(?:right|true|correct|so))"
YES_NO_RE = re.compile(
    rf"{_OPENERS}(?:{AUXILIARIES}|what about|how about|(?:is|are|was|were|do|does|did|has|have|had|can|could|will|"
    r"would|should)n't|won't)\b|\bor\s+not\b|,\s*"
    rf"{_TAG}\W*$"
    rf"|{_OPENERS}any(?:thing|one|body)?\b[^?]*\?",  # "Any help with licences?": is there any ...
    re.I,
)
# An inverted auxiliary and its subject inside a clause ("Under the 2023 plan, is there ...", "Under Dongcheng's plan
# can we ..."): a yes-or-no question unless a wh-word comes before it in its clause ("Which office can we ask?", "If
# we qualify, how long can we stay?"; but "When she leaves China, is she required to ...?" asks yes or no).
INVERTED_RE = re.compile(
    rf"\b{AUXILIARIES}\s+(?:we|i|you|they|it|he|she|there|this|that|these|those|our|my|your|their|its|the|a|an)\b",
    re.I,
)
# An auxiliary opening a clause, whatever its subject: at the start of a part, after a comma ("Under the 2023 plan, is
# pre-mediation compulsory?") or after an opening phrase of place or source ("Under the 2023 plan can senior
# managers get ...?").
CLAUSE_AUX_RE = re.compile(
    r"(?:^|,)\s*(?:(?:under|per|according\s+to|as\s+per|going\s+by|based\s+on|in|for|with|after|since)\b[^,?]*?\s+)?"
    rf"(?P<aux>{AUXILIARIES})\s+(?!not\b)\w",
    re.I,
)
# A verbless ask ("Foreign banks + gold futures - permitted?", "trading allowed under the 2020 plan?", "Enough to set up
# an investment company?", "App stores: supported by the 2019 plan?", "ETFs - tradable already?", "the ceiling still
# applies?"): a word of permission, support, obligation or sufficiency that ends the part, with at most a time or a
# source after it, or that follows its subject before "to" ("Airlines required to station fleets at Daxing?",
# "Employers: obliged to set up annuities?"); not a figure asked for ("Max foreign stake allowed in a life insurance
# JV?").
_PREDICATE = (
    r"allowed|permitted|ok|okay|enough|sufficient|legal|doable|covered|supported|backed|encouraged|required|needed"
    r"|obliged|mandatory|compulsory|capped|restricted|banned|prohibited|exempt(?:ed)?|\w+[ai]ble"
    r"|(?:still\s+)?(?:appl(?:y|ies)|holds?|exists?)"
)
_SOURCE = (
    r"(?:under|per|in|by|according\s+to)\s+(?:the\s+|this\s+|these\s+|that\s+)?(?:[\w'’-]+\s+){0,3}?"
    r"(?:plans?|rules?|pilot|documents?)"
)
_ENDS_ASK = rf"(?:{_PREDICATE})(?:\s+(?:now|yet|too|also|already|anymore|then|here|in\s+Beijing|{_SOURCE}))*\W*$"
VERBLESS_RE = re.compile(
    rf"\b{_ENDS_ASK}|^\W*(?:[\w'’&/+-]+\s+){{0,4}}?(?:{_PREDICATE}|able|entitled|free|forced)\s+to\b", re.I
)
# a bare ask, which a dash cut from what it asks about: "... - allowed?"
_BARE_ASK_RE = re.compile(rf"^\W*{_ENDS_ASK}", re.I)
# A terse question that opens by naming a figure ("Max foreign stake allowed in ...?"): it asks for the figure, not yes
# or no (rag.answer.answerability reads the kind of figure from the words after it).
FIGURE_OPENING = r"^\W*(?:the\s+)?(?:max|maximum|min|minimum|cap|limit|ceiling|threshold)\b"
_FIGURE_OPENING_RE = re.compile(FIGURE_OPENING, re.I)
WH_RE = re.compile(r"\b(?:what|which|who|whom|whose|where|when|why|how)\b", re.I)
_SENTENCE_END_RE = re.compile(r"(?<=[?.!;:])\s+(?!\d)")
_CLAUSE_CUT_RE = re.compile(r"\s+[-–—]\s+|,\s+(?=(?:and|but|or|so)\b)")


def validate_question(value: object, settings: Settings) -> str:
    """The question with control characters removed and whitespace collapsed; BadQuestion if unusable."""
    if not isinstance(value, str):
        raise BadQuestion(f"The question must be text, not {_kind(value)}. Type a question, e.g. {EXAMPLE_QUESTION!r}")
    text = " ".join(printable(value).split())
    if not text:
        raise BadQuestion(f"Type a question about the policy documents, e.g. {EXAMPLE_QUESTION!r}")
    if (n := count_tokens(text)) > settings.question_max_tokens:
        log.info("question refused: %d tokens > RAG_QUESTION_MAX_TOKENS=%d", n, settings.question_max_tokens)
        words = max(10, round(settings.question_max_tokens * WORDS_PER_TOKEN / 10) * 10)
        raise BadQuestion(f"Please shorten your question to about {words} words; ask one thing at a time.")
    return text


def _kind(value: object) -> str:
    if value is None:
        return "empty (null)"
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}
    return names.get(type(value), f"a {type(value).__name__}")


def _sentences(text: str) -> list[str]:
    text = text.strip()
    return [text[s:e].strip() for s, e in split_sentences(text) if text[s:e].strip()]


def asking(question: str) -> str:
    """The question without the facts stated before it ("Our IC design firm is a recognised HNTE. What share of R&D
    spend ...?" -> "What share of R&D spend ...?"): its sentences that end in a question mark, or open with a wh-word
    or an auxiliary; the whole question when none or every sentence does."""
    asked = [s for s in _sentences(question) if s.endswith("?") or WH_RE.match(s) or YES_NO_RE.match(s)]
    return " ".join(asked) if asked else question


# A sentence that says who is asking, not what is asked: "We're a Hong Kong telecom carrier.", "I'm a US national
# with a green card.", "HK-based ISP here." A place in it is where the asker comes from.
_ASKER_RE = re.compile(
    r"^(?:(?:we|i)(?:'re|'m|\s+are|\s+am)|our\s+[\w-]+\s+is)\s+(?:an?|the)\b[^?]*$|^[^?]*\bhere\W*$", re.I
)


def without_asker(question: str) -> str:
    """The question less its sentences that describe the asker (see _ASKER_RE), whose places and years are the
    asker's, not the measure's; the whole question when every sentence is such."""
    kept = [s for s in _sentences(question) if not _ASKER_RE.match(s)]
    return " ".join(kept) if kept else question


def _asks_yes_no(part: str, asked: bool) -> bool:
    """Whether `part` asks yes or no; `asked`: its sentence ends in a question mark. A part cut from the front of a
    question ("We're an MRO provider - can we set up ..., or do we still need ...?") asks only with an auxiliary
    that opens a clause (not "Our company is a WFOE - can we ...?")."""
    if YES_NO_RE.search(part):
        return True
    if not asked:
        return False
    own = part.rstrip().endswith("?")
    if own and VERBLESS_RE.search(part.rstrip(" ?")) and not WH_RE.search(part) and not _FIGURE_OPENING_RE.match(part):
        return True
    clause = CLAUSE_AUX_RE.search(part)
    at = clause.start("aux") if clause else (m.start() if own and (m := INVERTED_RE.search(part)) else -1)
    return at >= 0 and not WH_RE.search(part[:at].rsplit(",", 1)[-1])


_TAG_RE = re.compile(rf"^\W*{_TAG}\W*$", re.I)  # a tag cut off as its own part: "... was scrapped. true?"


def _parts(question: str) -> list[tuple[str, bool]]:
    """The parts of `question` (its sentences, cut again at a dash and at ", and/but/or/so"), each with whether its
    sentence ends in a question mark; a tag part ("true?") or a bare ask ("- allowed?") joins the statement before it
    ("..., true?", "..., allowed?")."""
    parts: list[tuple[str, bool]] = []
    for sentence in _SENTENCE_END_RE.split(question.strip()):
        for part in _CLAUSE_CUT_RE.split(sentence):
            if parts and (_TAG_RE.match(part) or _BARE_ASK_RE.match(part)):
                parts[-1] = (f"{parts[-1][0].rstrip(' .;!-')}, {part.strip(' -')}", True)
            else:
                parts.append((part, sentence.rstrip().endswith("?")))
    return parts


def yes_no_alternatives(question: str) -> str:
    """The part of `question` that asks yes or no first, with the alternatives that follow it ("Does that apply in
    Chaoyang, or anywhere in Beijing?"), not a second ask ("..., and would it be allowed anywhere in China?"); the
    whole question when no part asks."""
    parts = _parts(question)
    for n, (part, asked) in enumerate(parts):
        if _asks_yes_no(part, asked):
            alternatives = [p for p, _ in parts[n + 1 :]]
            ors = next((k for k, p in enumerate(alternatives) if not re.match(r"or\b", p, re.I)), len(alternatives))
            return ", ".join([part, *alternatives[:ors]])
    return question


def is_yes_no(question: str) -> bool:
    """Whether some part of the question asks yes or no ("We're a UK agency. Could we ...?", "..., right?")."""
    return any(_asks_yes_no(part, asked) for part, asked in _parts(question))


def first_yes_no(question: str) -> str:
    """The first part of `question` that asks yes or no, which its verdict answers: "Can we hold 100%, or does the
    cap still apply?" is answered about holding 100%, not about the cap; the whole question when no part does."""
    return next((part for part, asked in _parts(question) if _asks_yes_no(part, asked)), question)
