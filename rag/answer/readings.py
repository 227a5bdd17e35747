"""What a sentence of the documents says, read in code: its polarity and modality markers by class, its status, the
places and limits it states. rag.answer.verdict reads a question's ask against them.

  removal     eliminate, cancel, remove, abolish, lift, no longer, exempt (a tax exemption is a benefit, not a removal)
  lowering    lower, relax, reduce, shorten, simplify
  raise       increase, raise, extend ... from ... to
  voluntary   voluntarily, encourage, an option ("may choose", "allowed to ..., or ...")
  exclusion   excluding, except, not included, other than
  cap         not exceeding N%, no more than, Chinese control or holding
  plan only   the measure's status is `explore` (explore, study, research, at an appropriate time: rag.analysis.status
              reads the governing verb, not any word of the sentence); a pilot under way is a grant limited to its trial
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.analysis.status import LATER_RE, tag
from rag.core.text import NUMBER_WORDS

W = r"[\w'’-]*"  # the rest of a word after its stem
MARKERS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.I)
    for name, pattern in (
        (
            "removal",
            rf"\b(?:eliminat{W}|cancel{W}|remov{W}|abolish{W}|lift{W}|exempt{W}|scrap{W})|\bno longer\b",
        ),
        ("lowering", rf"\b(?:lower{W}|relax{W}|reduc{W}|shorten{W}|simplif{W}|loosen{W})"),
        ("raise", rf"\b(?:increas{W}|rais{W}|extend{W}|expand{W})\b[^.;]*?\bfrom\b[^.;]*?\bto\b"),
        # an option is voluntary too: "allowed to withdraw the funds ..., or retain the agreement", "may choose"; so is
        # guidance ("guide social organizations to open their own data", the documents' word for encouragement)
        (
            "voluntary",
            rf"\b(?:voluntar{W}|encourag{W}|optional{W}|may\s+choose|guide\s+(?:[\w-]+\s+){{0,4}}(?:to|into)\b"
            r"|at\s+(?:their|its|his|her)\s+(?:own\s+)?"
            r"(?:option|discretion|choice))|\b(?:allowed|permitted|free)\s+to\b[^.;]*?,\s*or\s+(?!other\b)",
        ),
        ("exclusion", rf"\b(?:exclud{W}|except{W}|other than)|\bnot\s+(?:be\s+)?included\b"),
        (
            "cap",
            r"\bnot\s+exceed\w*|\bshall\s+not\s+exceed\b|\bno\s+more\s+than\b|\bup\s+to\s+\d|\bChinese[- ]controlled\b"
            r"|\bChinese\s+(?:party|side|partner)s?\s+(?:holds?|holding|shall\s+hold|to\s+hold|in\s+control)"
            r"|\bcontroll?(?:ed|ing)?\s+by\s+(?:the\s+)?Chinese|\b(?:relative|absolute)\s+control",
        ),
    )
}
ANSWERS_CHANGE = ("removal", "lowering")  # the marker classes that answer whether something was changed
# A grant limited to a place: "in the Beijing Sino-German International Cooperation Industrial Park", "in specific
# regions".
PLACE_LIMIT_RE = re.compile(
    r"\b(?:in|within)\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,6}?(?:demonstration|pilot|park|zone|area)s?\b"
    r"|\bin\s+(?:specific|designated|selected|special)\s+(?:[\w-]+\s+)?regions?\b",  # not "in their country or region"
    re.I,
)
# A grant limited to a place or to a part of what it names: "certain exhibits", "(app store only)", "qualified
# institutions". A question about everything of the kind ("information services in general", "all of it")
# reads No over it.
PART_LIMIT_RE = re.compile(
    rf"{PLACE_LIMIT_RE.pattern}|(?<!\bnot\s)\bonly\b|\b(?:certain|some|specific|selected|qualified|eligible)\b", re.I
)
# Conditions on a grant: a place, a pilot, a qualification, a part only ("certain exhibits").
CONDITION_RE = re.compile(
    rf"{PLACE_LIMIT_RE.pattern}|\bon\s+a\s+pilot\s+basis\b"
    r"|\bqualified\b|\beligible\b|\bmeet(?:s|ing)?\s+(?:the\s+)?(?:\w+\s+)?(?:conditions|requirements)\b"
    r"|\bprovided\s+that\b|\bsubject\s+to\b|\bapproved\b|\bonly\b|\bcertain\b",
    re.I,
)
# A clause that only plans: its explore verb, or a grant put off (rag.analysis.status.LATER_RE: "at an appropriate
# time"). "pilot" is left out: "the comprehensive pilot program" names every measure of these documents.
PLAN_CLAUSE_RE = re.compile(
    rf"\b(?:explor\w*|stud(?:y|ies|ied)|research\w*|seek\w*|try\s+first)\b|{LATER_RE.pattern}", re.I
)
# A pilot under way is a grant limited to its trial, not a plan: the status tagger files it with the plans ("carry
# out the pilot program of ...", "can be piloted after approval"), as eval/README.md's labelling rules do, but a
# measure whose only plan word is its pilot is being carried out: Yes, with conditions.
PILOT_RE = re.compile(r"\b(?:pilot\w*|trials?)\b", re.I)
# Change words that name a thing, not a change to a requirement, in a question or a sentence: a tax benefit called an
# exemption ("the exemption of technology transfer income", "exempted from corporate income tax", "tax-exempt", "Is
# the income tax exemption still capped?") is a grant, not the removal of a requirement ("exempt certain exhibits from
# quarantine", "an exemption from the experience requirement"); an environmental goal named by its reduction ("a
# voluntary greenhouse gas emission reduction trading center", "carbon reduction") is a market or a goal, not a
# lowering.
NAMED_CHANGE_RE = re.compile(
    r"\bexemptions?\b(?!\s+from\b)|\btax[- ]exempt\w*"
    r"|\bexempt(?:ed|ion|ions)?\s+from\s+(?:[\w-]+\s+){0,3}(?:tax|taxes|duty|duties|fees?|tariffs?)\b"
    r"|\b(?:emissions?|carbon|pollution|pollutants?)\s+reductions?\b",
    re.I,
)


def without_named_changes(text: str) -> str:
    """`text` with each change word that names a thing (`NAMED_CHANGE_RE`) blanked out, offsets kept."""
    return NAMED_CHANGE_RE.sub(lambda m: " " * len(m.group()), text)


CLAUSE_SPLIT_RE = re.compile(r"[;,()（）]|\s+[-–—]\s+")


@dataclass(frozen=True)
class Reading:
    """What the answering sentence says, by class of marker, and its status."""

    sentence: str
    marker: int
    status: str  # rag.analysis.status's label, or "pilot" where a pilot under way is its only plan word
    found: dict[str, re.Match[str]]
    measure: bool = True  # a measure of a plan (a letter, a title or a department list decides no verdict)

    def has(self, *names: str) -> bool:
        return any(n in self.found for n in names)


MEASURE_KINDS = ("measure", "task")  # the paragraph kinds that state measures (rag.analysis.provisions reads the same)


def read(sentence: str, marker: int, kind: str = "measure") -> Reading:
    """The markers and status of one quoted sentence (cited as [marker]; `kind`: its paragraph's kind)."""
    plain = without_named_changes(sentence)
    found = {name: m for name, rx in MARKERS.items() if (m := rx.search(plain))}
    return Reading(sentence, marker, status_of(sentence), found, kind in MEASURE_KINDS)


def status_of(text: str) -> str:
    """rag.analysis.status's label of `text`, or "pilot" where a pilot under way is its only plan word."""
    status = tag(text)
    piloted = status.label == "explore" and PILOT_RE.search(status.cue) and not PLAN_CLAUSE_RE.search(status.cue)
    return "pilot" if piloted else status.label


# A figure with its unit: a period ("5-year", "two years", "30 working days") or a percentage.
FIGURE_RE = re.compile(
    rf"(?P<n>\d+(?:\.\d+)?|{NUMBER_WORDS})[\s-]*(?:(?:working\s+)?(?P<unit>day|month|year)s?\b|%|percent|per\s+cent)",
    re.I,
)
# An amount of money, in millions of its currency: "US $ 200 million", "US$150m", "RMB 20 million", "5 million yuan".
MONEY_RE = re.compile(
    r"(?P<cur>US\s*\$|USD|RMB|CNY|\$)\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<mult>mn|m|million|bn|b|billion)?\b"
    r"|(?P<n2>\d+(?:\.\d+)?)\s*(?P<mult2>million|billion)?\s*(?P<cur2>yuan|RMB|US\s+dollars|dollars)\b",
    re.I,
)
# A bound a sentence states on the figure after it: a most ("up to two years", "not exceeding 50%", and the new ceiling
# of a raise: "extended to two years", "increase the exemption ... from 5 million yuan to 20 million yuan") or a least
# ("not less than US $ 200 million").
BOUND_RE = re.compile(
    r"\b(?:(?P<most>up\s+to|not\s+exceeding|no\s+(?:more|longer)\s+than|at\s+most|a\s+maximum\s+of"
    rf"|(?:increas|rais|extend|expand)\w*\b[^.;]{{0,100}}?\bto(?:\s+be)?(?=\s+(?:\d|(?:{NUMBER_WORDS})\b|US\b|USD|RMB|\$)))"
    r"|(?P<least>not\s+less\s+than|no\s+less\s+than|at\s+least|a\s+minimum\s+of))\s+",
    re.I,
)
_NUMBER_VALUES = {w: n for n, w in enumerate(NUMBER_WORDS.split("|"), start=1)}
_BILLIONS = ("b", "bn", "billion")


def figures(text: str) -> set[tuple[str, float]]:
    """(unit, value) of each period, percentage and amount of money `text` states (money in millions: "usd", "rmb")."""
    found = {
        ((m["unit"] or "%").lower(), float(_NUMBER_VALUES.get(m["n"].lower(), 0) or m["n"]))
        for m in FIGURE_RE.finditer(text)
    }
    for m in MONEY_RE.finditer(text):
        cur, n, mult = (m["cur"], m["n"], m["mult"]) if m["n"] else (m["cur2"], m["n2"], m["mult2"])
        unit = "rmb" if re.match(r"rmb|cny|yuan", cur, re.I) else "usd"
        scale = 1000.0 if (mult or "").lower() in _BILLIONS else 1.0 if mult else 1e-6
        found.add((unit, float(n) * scale))
    return found


def bounds(sentence: str) -> list[tuple[str, str, float, re.Match[str]]]:
    """("most" or "least", unit, value, where) of each bound `sentence` states on the figure right after its words."""
    found = []
    for m in BOUND_RE.finditer(sentence):
        after = sentence[m.end() : m.end() + 40]
        first = FIGURE_RE.match(after) or MONEY_RE.match(after)
        found += [
            ("most" if m["most"] else "least", unit, value, m)
            for unit, value in figures(first.group() if first else "")
        ]
    return found


def clause(sentence: str, start: int, end: int) -> str:
    """The clause of `sentence` around [start, end): between the nearest separators (comma, semicolon, bracket)."""
    cuts = [0] + [m.end() for m in CLAUSE_SPLIT_RE.finditer(sentence)] + [len(sentence) + 1]
    left = max(c for c in cuts if c <= start)
    right = min((m.start() for m in CLAUSE_SPLIT_RE.finditer(sentence) if m.start() >= end), default=len(sentence))
    return sentence[left:right].strip()
