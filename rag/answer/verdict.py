"""The bottom line: the verdict that opens an answer, decided in code (its words and the model's lead around it:
rag.answer.opening).

An investor acts on the first sentence. Word overlap cannot see a "Yes, still required" written above a sentence
that eliminates the requirement, so both the verdict and the check read the polarity and modality of the sentence
that answers (the first quote), by class of marker:

  removal     eliminate, cancel, remove, abolish, lift, no longer, exempt
  lowering    lower, relax, reduce, shorten, simplify
  voluntary   voluntarily, encourage, an option ("may choose", "allowed to ..., or ...")
  plan only   the measure's status is `explore` (explore, study, research, pilot, at an appropriate time:
              rag.analysis.status reads the governing verb, not any word of the sentence)
  exclusion   excluding, except, not included, other than
  cap         not exceeding N%, no more than, Chinese control or holding

and the question's own ask, read in its first yes-or-no part: a requirement ("still need", "must", "mandatory"), a
removal or lowering ("was it dropped?": a sentence that only lowers it answers No), or full ownership ("100%",
"wholly", "control").

A yes-or-no question gets one verdict of rag.core.types.VERDICTS, in a fixed phrase of the asker's language, with
the decisive clause of the source in its own words and its marker. The model writes nothing of it. The same
readings also tell whether a marker answers the question's own ask (`settles`): a "voluntary" under "compulsory?"
answers it, though with a No.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.analysis.status import LATER_RE, tag
from rag.answer.support import content_words
from rag.core.glossary import expand
from rag.core.questions import first_yes_no, is_yes_no

_W = r"[\w'’-]*"
MARKERS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.I)
    for name, pattern in (
        (
            "removal",
            rf"\b(?:eliminat{_W}|cancel{_W}|remov{_W}|abolish{_W}|lift{_W}|exempt{_W}|scrap{_W})|\bno longer\b",
        ),
        ("lowering", rf"\b(?:lower{_W}|relax{_W}|reduc{_W}|shorten{_W}|simplif{_W}|loosen{_W})"),
        ("raise", rf"\b(?:increas{_W}|rais{_W}|extend{_W}|expand{_W})\b[^.;]*?\bfrom\b[^.;]*?\bto\b"),
        # an option is voluntary too: "allowed to withdraw the funds ..., or retain the agreement", "may choose"
        (
            "voluntary",
            rf"\b(?:voluntar{_W}|encourag{_W}|optional{_W}|may\s+choose|at\s+(?:their|its|his|her)\s+(?:own\s+)?"
            r"(?:option|discretion|choice))|\b(?:allowed|permitted|free)\s+to\b[^.;]*?,\s*or\s+(?!other\b)",
        ),
        ("exclusion", rf"\b(?:exclud{_W}|except{_W}|other than)|\bnot\s+(?:be\s+)?included\b"),
        (
            "cap",
            r"\bnot\s+exceed\w*|\bshall\s+not\s+exceed\b|\bno\s+more\s+than\b|\bup\s+to\s+\d|\bChinese[- ]controlled\b"
            r"|\bChinese\s+(?:party|side|partner)s?\s+(?:holds?|holding|shall\s+hold|to\s+hold|in\s+control)"
            r"|\bcontroll?(?:ed|ing)?\s+by\s+(?:the\s+)?Chinese|\b(?:relative|absolute)\s+control",
        ),
    )
}
# Conditions on a grant: a place, a pilot, a qualification, a part only ("certain exhibits").
CONDITION_RE = re.compile(
    r"\b(?:in|within)\s+(?:the\s+)?(?:\w+\s+){0,3}(?:demonstration|pilot|park|zone|area)s?\b|\bon\s+a\s+pilot\s+basis\b"
    r"|\bqualified\b|\beligible\b|\bmeet(?:s|ing)?\s+(?:the\s+)?(?:\w+\s+)?(?:conditions|requirements)\b"
    r"|\bprovided\s+that\b|\bsubject\s+to\b|\bapproved\b|\bonly\b|\bcertain\b",
    re.I,
)
# A clause that only plans: its explore verb, or a grant put off (rag.analysis.status.LATER_RE: "at an appropriate
# time"). "pilot" is left out: "the comprehensive pilot program" names every measure of these documents.
PLAN_CLAUSE_RE = re.compile(
    rf"\b(?:explor\w*|stud(?:y|ies|ied)|research\w*|seek\w*|try\s+first)\b|{LATER_RE.pattern}", re.I
)
# Words of an obligation: a lead may not claim one over a removed, lowered or voluntary measure; a question that
# uses them (or "stay", "remain", "requirement") asks whether one still holds.
_MUST = r"must|mandatory|compulsory|obligatory|obliged|required\s+to|have\s+to|has\s+to|needs?\s+to|binding"
OBLIGED = rf"still|{_MUST}"
# "still" asks whether a requirement stays, but not before a plan word: "... or is it still being explored?" (as the
# Chinese "还是只是在探索" comes back) asks about status
_STILL = r"still(?!\s+(?:being\s+|only\s+|just\s+)?(?:a\s+|an\s+)?(?:explor|stud|plann|research|consider|pilot|trial))"
ASKS_REQUIREMENT_RE = re.compile(
    rf"\b(?:{_STILL}|{_MUST}|oblig\w+|required?|requirements?|need(?:s|ed)?|necessary|stay|remain|keep)\b", re.I
)
ASKS_REMOVAL_RE = re.compile(
    rf"{MARKERS['removal'].pattern}|\b(?:drop{_W}|waiv{_W}|do(?:ne)?\s+away|got\s+rid|get\s+rid|scrapp\w*)", re.I
)
ASKS_CHANGE_RE = re.compile(rf"{ASKS_REMOVAL_RE.pattern}|{MARKERS['lowering'].pattern}", re.I)
# A tax benefit called an exemption ("the exemption of technology transfer income", "exempted from corporate income
# tax", "Is the income tax exemption still capped?") is a grant, not the removal of a requirement ("exempt certain
# exhibits from quarantine", "an exemption from the experience requirement"): in a question or a sentence it is no
# removal marker.
TAX_BENEFIT_RE = re.compile(
    r"\bexemptions?\b(?!\s+from\b)"
    r"|\bexempt(?:ed|ion|ions)?\s+from\s+(?:[\w-]+\s+){0,3}(?:tax|taxes|duty|duties|fees?|tariffs?)\b",
    re.I,
)


def _without_tax_benefits(text: str) -> str:
    """`text` with each tax benefit blanked out, offsets kept."""
    return TAX_BENEFIT_RE.sub(lambda m: " " * len(m.group()), text)


# A share beyond any cap: a lead may not claim one over a capped measure; a question that asks for one (or for
# control) is answered No by the cap.
BEYOND_CAP = (
    r"100\s*(?:%|percent|per\s+cent)|100-percent|unlimited|no\s+(?:cap|limit)|wholly[- ]owned|majority|"
    r"(?:more|greater)\s+than\s+\d+\s*(?:%|percent)|(?:over|above)\s+\d+\s*(?:%|percent)"
)
ASKS_FULL_RE = re.compile(
    rf"\b(?:{BEYOND_CAP}|wholly|fully|full[- ]owned|sole(?:ly)?[- ]owned|full\s+ownership|controlling|control|"
    r"exceed\w*\s+\d+\s*(?:%|percent))(?!\w)",
    re.I,
)
_CLAUSE_SPLIT_RE = re.compile(r"[;,()（）]|\s+[-–—]\s+")
CLAUSE_MAX_WORDS = 30  # the decisive clause is quoted whole up to this length, else the words around its marker


@dataclass(frozen=True)
class Reading:
    """What the answering sentence says, by class of marker, and its status."""

    sentence: str
    marker: int
    status: str
    found: dict[str, re.Match[str]]
    measure: bool = True  # a measure of a plan (a letter, a title or a department list decides no verdict)

    def has(self, *names: str) -> bool:
        return any(n in self.found for n in names)


MEASURE_KINDS = ("measure", "task")  # the paragraph kinds that state measures (rag.analysis.provisions reads the same)


def read(sentence: str, marker: int, kind: str = "measure") -> Reading:
    plain = _without_tax_benefits(sentence)
    found = {name: m for name, rx in MARKERS.items() if (m := rx.search(plain))}
    return Reading(sentence, marker, tag(sentence).label, found, kind in MEASURE_KINDS)


def _asked_clause(question: str, sentence: str) -> str:
    """The clause of `sentence` sharing most content words with the question (the sentence itself on a tie)."""
    asked = _words(question)
    clauses = [c for c in re.split(r"[;,]|\balong with\b|\band\s+(?=explor|stud|research)", sentence) if c.strip()]
    best = max(clauses, key=lambda c: len(asked & _words(c)), default=sentence)
    return best if len(asked & _words(best)) > len(asked & _words(clauses[0])) else sentence


def _excluded_words(reading: Reading) -> set[str]:
    """Content words of the clause that states an exclusion ("online publishing services not included")."""
    m = reading.found.get("exclusion")
    return _words(_clause(reading.sentence, m.start(), m.end())) if m else set()


def _asks_grant_too(question: str, reading: Reading) -> bool:
    """Whether the question asks for the grant itself and then, as a second ask, for an item its exclusion leaves out
    ("can we sell outbound tours to Chinese citizens, Taiwan trips included?"): the answer is then the grant with
    its exclusion, not No. It names the grant by at least two of the sentence's words outside the exclusion."""
    granted = _words(reading.sentence) - _excluded_words(reading)
    return bool(SUB_ASK_RE.search(question)) and len(_words(question) & granted) >= 2


def _words(text: str) -> set[str]:
    """The content words (rag.answer.support) that can tie a question to a clause: the words of nearly every
    measure ("foreign", "Beijing", "services") and of the exclusion itself tie nothing."""
    return content_words(text) - _UNTIED


_UNTIED = content_words(
    "foreign Beijing service services enterprise enterprises including included excluding except other only"
    " going get getting take make"  # light verbs ("Is Beijing going to ...") name no subject
)
# A second ask about an item inside a grant: "can we sell outbound tours, Taiwan trips included?"
SUB_ASK_RE = re.compile(r"\b(?:includ\w*|also|too|even|as\s+well)\b", re.I)


def asks_change(question: str) -> bool:
    """Whether `question` asks if something was removed or lowered (a tax exemption it names is a benefit)."""
    return bool(ASKS_CHANGE_RE.search(_without_tax_benefits(question)))


def _asks_removal_only(question: str) -> bool:
    """Whether `question` asks if something was removed, and not whether it was lowered ("dropped or relaxed?")."""
    plain = _without_tax_benefits(question)
    return bool(ASKS_REMOVAL_RE.search(plain)) and not MARKERS["lowering"].search(plain)


# The marker classes that answer a question's ask: a change is answered by a removal or a lowering, a requirement
# ("still needed?") by a removal, a voluntary measure, a lowering or a raise.
ANSWERS_CHANGE = ("removal", "lowering")
ANSWERS_REQUIREMENT = ("removal", "voluntary", "lowering", "raise")


def _asked_markers(question: str) -> tuple[str, ...]:
    """The marker classes that answer what `question` asks (a cap, too, for full ownership), in its first yes-or-no
    part."""
    question = first_yes_no(question)
    if asks_change(question):
        return ANSWERS_CHANGE
    asked = ANSWERS_REQUIREMENT if ASKS_REQUIREMENT_RE.search(question) else ()
    return asked + (("cap",) if ASKS_FULL_RE.search(question) else ())


def answering(question: str, readings: list[Reading]) -> Reading | None:
    """The reading that answers: the first quote's, unless it lacks what the question asks for and a later sentence
    of the same paragraph has it and shares more of the question's words. A measure often opens with its aim
    ("We shall find ways to further optimise de-registration") and states the change after it ("reduce the period
    an announcement is put out"); a later sentence on another matter of the paragraph does not answer ("still in
    the research phase?" is not answered by "lower the 3-year criterion")."""
    first = readings[0] if readings and readings[0].measure else None
    wanted = _asked_markers(question)
    if first is None or not wanted or first.has(*wanted):
        return first
    asked = _words(question)
    tie = len(asked & _words(first.sentence))
    later = (r for r in readings[1:] if r.marker == first.marker and r.measure and r.has(*wanted))
    return next((r for r in later if len(asked & _words(r.sentence)) > tie), first)


# A question asking whether something is done or in place now ("Are there already ...?"), which a plan answers.
ASKS_NOW_RE = re.compile(r"\b(?:already|yet|now|currently|in\s+place|in\s+effect|up\s+and\s+running|exists?)\b", re.I)


def settles(question: str, readings: list[Reading]) -> bool:
    """Whether the answering sentence's marker answers the yes-or-no question's own ask: a requirement by a removal
    or a voluntary measure, a change by a removal or a lowering, full ownership by a cap, an item by its exclusion,
    "already?" by a plan. The sentence then answers the question, though its answer is No or Not yet (a judge
    asked "do the passages answer?" reads "voluntary" under "compulsory?" as a No)."""
    answer = answering(question, readings) if is_yes_no(question) else None
    verdict, by = decide_verdict(question, answer) if answer else (None, "")
    named = (verdict, by) == ("no", "exclusion")  # the excluded item is the one asked about; a grant's exclusion is not
    return named or by in _asked_markers(question) or (by == "plan_only" and bool(ASKS_NOW_RE.search(question)))


def decide_verdict(question: str, reading: Reading) -> tuple[str, str]:
    """(verdict, the class of marker that decided it) for a yes-or-no `question` answered by `reading`: for its first
    yes-or-no part ("Can we hold 100%, or does the cap still apply?" asks about 100%, not whether the cap is still
    required)."""
    ask = first_yes_no(question)  # what is asked; the whole question's words tie it to a clause
    change = asks_change(ask)
    asks_requirement = bool(ASKS_REQUIREMENT_RE.search(ask)) and not change
    if asks_requirement and reading.has(*ANSWERS_REQUIREMENT):
        return "no", next(n for n in ANSWERS_REQUIREMENT if reading.has(n))
    # An item the sentence excludes is not granted, whatever the sentence plans besides ("app stores only, online
    # publishing services not included ..., expand further at an appropriate time": online publishing is a No).
    if (
        reading.has("exclusion")
        and _words(question) & _excluded_words(reading)
        and not _asks_grant_too(question, reading)
    ):
        return "no", "exclusion"
    # Asked whether a requirement was scrapped, a sentence that only lowers it answers No, whatever its status: "has
    # the 3-year rule been dropped?" over "lower the 3-year criterion", "do away with registration?" over "simplify".
    if change and reading.has("lowering") and not reading.has("removal") and _asks_removal_only(ask):
        return "no", "lowering"
    if (reading.status == "explore" or PLAN_CLAUSE_RE.search(_asked_clause(question, reading.sentence))) and _words(
        expand(question)
    ) & _words(_decisive_text(reading, "plan_only", question)):
        # a plan decides only in a clause about what was asked: a long sentence's plan for another measure ("...
        # explore new modes of financing technological services") says nothing of car-making joint ventures
        return "not_yet", "plan_only"
    if change and reading.has(*ANSWERS_CHANGE):
        by = "removal" if reading.has("removal") else "lowering"
        # a removal for some only ("exempt certain exhibits", "for qualified enterprises") is a Yes with conditions
        m = reading.found[by]
        limited = CONDITION_RE.search(_clause(reading.sentence, m.start(), m.end()))
        return ("yes_conditions" if limited else "yes"), by
    if ASKS_FULL_RE.search(ask) and reading.has("cap"):
        return "no", "cap"
    if reading.has("cap", "exclusion") or CONDITION_RE.search(reading.sentence):
        return "yes_conditions", next((n for n in ("cap", "exclusion") if reading.has(n)), "condition")
    return "yes", ""


def _clause(sentence: str, start: int, end: int) -> str:
    """The clause of `sentence` around [start, end): between the nearest separators (comma, semicolon, bracket)."""
    cuts = [0] + [m.end() for m in _CLAUSE_SPLIT_RE.finditer(sentence)] + [len(sentence) + 1]
    left = max(c for c in cuts if c <= start)
    right = min((m.start() for m in _CLAUSE_SPLIT_RE.finditer(sentence) if m.start() >= end), default=len(sentence))
    return sentence[left:right].strip()


def decisive_clause(reading: Reading, decided_by: str, question: str = "") -> str:
    """The source's own words that decide the verdict, with the marker: the whole sentence when short, else the
    clause holding the deciding marker (for a plan, its plan word, in the clause the question asks about first:
    "... seek to allow qualified enterprises outside ..." rather than the long sentence's opening words), widened to
    its sentence's opening words if bare."""
    return f"“{_decisive_text(reading, decided_by, question)}” [{reading.marker}]"


def _decisive_text(reading: Reading, decided_by: str, question: str) -> str:
    sentence = reading.sentence.strip().rstrip(".;:,").strip()
    words = sentence.split()
    if len(words) <= CLAUSE_MAX_WORDS:
        text = sentence
    else:
        m = reading.found.get(decided_by) if decided_by else None
        if m is None and decided_by == "plan_only":
            at = sentence.find(_asked_clause(question, sentence)) if question else 0
            m = PLAN_CLAUSE_RE.search(sentence, max(at, 0)) or PLAN_CLAUSE_RE.search(sentence)
        elif m is None:
            m = next(iter(reading.found.values()), None)
        if m is None:
            text = " ".join(words[:CLAUSE_MAX_WORDS]) + " …"
        else:
            clause = _clause(sentence, m.start(), m.end())
            if len(clause.split()) < 4:  # "(not exceeding 50%)" alone: say what it caps
                head = " ".join(sentence[: m.start()].split()[-12:])
                clause = f"… {head} {clause}".strip()
            text = " ".join(clause.split()[:CLAUSE_MAX_WORDS]) + (
                " …" if len(clause.split()) > CLAUSE_MAX_WORDS else ""
            )
    return text
