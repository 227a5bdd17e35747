"""The bottom line: the verdict that opens an answer, decided in code (its words and the model's lead around it:
rag.answer.opening).

An investor acts on the first sentence. Word overlap cannot see a "Yes, still required" written above a sentence
that eliminates the requirement, so both the verdict and the check read the polarity and modality of the sentence
that answers (the first quote), by class of marker (rag.answer.readings), and the question's own ask (read by rag.answer.asks), in its
first yes-or-no part: a requirement ("still need", "must", "mandatory"), a removal or lowering ("was it dropped?": a
sentence that only lowers it answers No, in the clause asked about), full ownership ("100%", "wholly", "control":
No by the cap), the asker's figure past a stated bound ("a 5-year visa?" over "up to two years"), everyone,
everywhere or everything of a kind ("anywhere in Beijing?", "in general?": No over a grant limited to a place or a
part).

A verdict no marker decides (a plain Yes, or a Yes with conditions read from a place or a qualification) is shown
only when the model's lead says Yes too (rag.answer.opening), or when the sentence grants what was asked in most of
the ask's own words (`states_ask`).

A yes-or-no question gets one verdict of rag.core.types.VERDICTS, in a fixed phrase of the asker's language, with
the decisive clause of the source in its own words and its marker. The model writes nothing of it. The same
readings also tell whether a marker answers the question's own ask (`settles`): a "voluntary" under "compulsory?"
answers it, though with a No.
"""

from __future__ import annotations

import re

from rag.analysis.status import tag
from rag.answer.asks import (
    ASKS_ALL_RE,
    ASKS_COUNTRY_RE,
    ASKS_FULL_RE,
    ASKS_NEED_RE,
    ASKS_NOW_RE,
    ASKS_REQUIREMENT_RE,
    REACH_ASK_RE,
    REACHES_COUNTRY_RE,
    SUB_ASK_RE,
    asks_change,
    asks_removal_only,
)
from rag.answer.clauses import (
    asked_clause,
    excluded_words,
    limit,
    without_exclusions,
    words,
)
from rag.answer.decisive import decisive_text
from rag.answer.readings import (
    ANSWERS_CHANGE,
    CONDITION_RE,
    MARKERS,
    PLAN_CLAUSE_RE,
    Reading,
    bounds,
    clause,
    figures,
    status_of,
    without_named_changes,
)
from rag.answer.support import WordWeights, content_words, negated
from rag.core.glossary import expand
from rag.core.questions import first_yes_no, is_yes_no, yes_no_alternatives


def asks_grant_too(question: str, reading: Reading) -> bool:
    """Whether the question asks for the grant itself and then, as a second ask, for an item its exclusion leaves out
    ("can we sell outbound tours to Chinese citizens, Taiwan trips included?"): the answer is then the grant with
    its exclusion, not No. It names the grant by at least two of the sentence's words outside the exclusion, in its
    first yes-or-no part: a grant stated before the ask ("The plan lifted the caps on app stores - does that also cover
    online publishing?") is not asked for, nor one whose reach is asked ("Does the lifting also cover network
    publishing?" asks about the item alone)."""
    granted = words(without_exclusions(reading))
    sub_ask = SUB_ASK_RE.search(question) and not REACH_ASK_RE.search(question)
    return bool(sub_ask) and len(words(first_yes_no(question)) & granted) >= 2


def names_excluded(question: str, reading: Reading) -> bool:
    """Whether the question names an item the sentence's exclusion leaves out ("tours to Taiwan" over "except for
    going to Taiwan"): by every word of the excluded item, by two of them, or by one and a word of the grant the
    sentence states (naming words left out). A question on another subject that shares one modifier with the
    exclusion and nothing with the grant ("an online ride-hailing platform" over "online publishing services not
    included") does not ask about it."""
    excluded = excluded_words(reading) if reading.has("exclusion") else set()
    asked = words(question)
    shared = asked & excluded
    if shared == excluded or len(shared) >= 2:
        return bool(shared)
    return bool(shared and (asked - _NAMING) & words(without_exclusions(reading)))


# The marker classes that answer a question's ask: a change is answered by a removal or a lowering, a requirement
# ("still needed?") by a removal, a voluntary measure, a lowering or a raise.
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
    of the same paragraph has it and shares more of the question's words, or the question states a figure that only a
    later sentence of the paragraph bounds, and it passes that bound ("relax the criteria ..." then "not less than US
    $ 200 million" for "US$150m"; a figure within the bound leaves the first sentence, and the place it names, to
    answer). A measure often opens with its aim
    ("We shall find ways to further optimise de-registration") and states the change after it ("reduce the period
    an announcement is put out"); a later sentence on another matter of the paragraph does not answer ("still in
    the research phase?" is not answered by "lower the 3-year criterion")."""
    first = readings[0] if readings and readings[0].measure else None
    # a figure asked is answered by the sentence whose bound it passes
    if first and figures(question) and not _out_of_bounds(question, first.sentence):
        same = (r for r in readings[1:] if r.marker == first.marker and r.measure)
        first = next((r for r in same if _out_of_bounds(question, r.sentence)), first)
    wanted = _asked_markers(question)
    if first is None or not wanted or first.has(*wanted):
        return first
    asked = words(question)
    tie = len(asked & words(first.sentence))
    later = (r for r in readings[1:] if r.marker == first.marker and r.measure and r.has(*wanted))
    return next((r for r in later if len(asked & words(r.sentence)) > tie), first)


def settles(question: str, readings: list[Reading]) -> bool:
    """Whether the answering sentence's marker answers the yes-or-no question's own ask: a requirement by a removal
    or a voluntary measure, a change by a removal or a lowering, full ownership by a cap, an item by its exclusion,
    "already?" by a plan, "everywhere?" by a place or a part that limits the grant, the asker's figure by a bound
    it passes. The sentence then answers the question, though its answer is No or Not yet (a judge asked "do the
    passages answer?" reads "voluntary" under "compulsory?" as a No)."""
    answer = answering(question, readings) if is_yes_no(question) else None
    verdict, by = decide_verdict(question, answer) if answer else (None, "")
    named = (verdict, by) == ("no", "exclusion")  # the excluded item is the one asked about; a grant's exclusion is not
    asked_now = by == "plan_only" and bool(ASKS_NOW_RE.search(question))
    return named or by in ("scope", "bound") or by in _asked_markers(question) or asked_now


# Words that name a document, the asker or the permission asked for ("get", "able"), not the measure: a question's
# tie to the sentence that answers it is counted without them ("Does the 2020 plan let foreign banks obtain the gold
# import licence?" is tied by "banks", "obtain", "gold", "import", "licence").
_NAMING = frozenset(
    content_words(
        "Beijing plan plans 2019 2020 2023 State Council work proposal Dongcheng district under per new summary program"
        " programme demonstration zone let lets allow allowed permit can could may go ahead now actually foreign"
        " foreigner investors invest company firm enterprise enterprises FIE WFOE get getting able etc"
    )
)
GRANTS = ("in_force", "supported", "pilot")  # the statuses of a sentence that grants (rag.analysis.status)
# A grant of full ownership, or restrictions lifted: what a question asking for 100% needs before a plain Yes.
_FULL_GRANT_RE = re.compile(r"\b(?:solely|wholly|100\s*%)", re.I)


def states_ask(question: str, reading: Reading, weights: WordWeights, min_share: float) -> bool:
    """Whether the answering sentence grants what the yes-or-no `question` asks, where no marker decides: it (or the
    clause asked about) states a grant (its status), holds at least `min_share` of the ask's IDF-weighted content
    words (naming words left out), states no negation, and the ask is one a grant answers. A change ("was it relaxed?") needs a change marker, a
    requirement ("do we still need a JV?") a removal or a voluntary measure, and full ownership a grant of it."""
    ask = first_yes_no(question)
    if reading.status not in GRANTS and tag(asked_clause(question, reading.sentence)).label not in GRANTS:
        return False  # neither the sentence nor the clause asked about grants ("...; support the establishment of ...")
    if negated(reading.sentence) or asks_change(ask) or ASKS_NEED_RE.search(ask):
        return False
    if ASKS_FULL_RE.search(ask) and not (_FULL_GRANT_RE.search(reading.sentence) or reading.has("removal")):
        return False
    return weights.recall(expand(ask), reading.sentence, near_letters=6, ignore=_NAMING) >= min_share


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
    if names_excluded(question, reading) and not asks_grant_too(question, reading):
        return "no", "exclusion"
    # Asked whether a requirement was scrapped, a sentence that only lowers it answers No, whatever its status: "has
    # the 3-year rule been dropped?" over "lower the 3-year criterion", "do away with registration?" over "simplify".
    # The change read in the clause the question is about, when the sentence changes several things: "lower the total
    # asset threshold ..., and remove the requirements for the quantity of ..." lowers the threshold asked about.
    changed = _changes(asked_clause(question, reading.sentence)) or [n for n in ANSWERS_CHANGE if reading.has(n)]
    if change and changed == ["lowering"] and asks_removal_only(ask):
        return "no", "lowering"
    # the clause asked about, tied by the whole question's words or by its yes-or-no ask's alone ("What will the zone
    # pilot? Can data auditing be done?" asks about the clause that only explores data auditing)
    asked = {asked_clause(q, reading.sentence) for q in (question, ask)}
    planned = reading.status == "explore" or any(PLAN_CLAUSE_RE.search(c) for c in asked)
    if planned and words(expand(question)) & words(decisive_text(reading, "plan_only", question)):
        # a plan decides only in a clause about what was asked: a long sentence's plan for another measure ("...
        # explore new modes of financing technological services") says nothing of car-making joint ventures
        return "not_yet", "plan_only"
    # "all VC firms in Beijing?" over a pilot in one zone, "in general?" over "(app store only)"
    asks_all = yes_no_alternatives(question)
    reaches = ASKS_COUNTRY_RE.search(asks_all) and REACHES_COUNTRY_RE.search(reading.sentence)
    if ASKS_ALL_RE.search(asks_all) and limit(question, reading.sentence) and not reaches:
        return "no", "scope"
    if _all_over_some(question, reading.sentence):
        return "no", "scope"
    # the asker's figure past what the sentence allows decides, whatever change the sentence states
    if _out_of_bounds(question, reading.sentence):
        return "no", "bound"
    if change and changed:
        by = changed[0]
        # a removal for some only ("exempt certain exhibits", "for qualified enterprises") is a Yes with conditions
        m = reading.found[by]
        for_some = CONDITION_RE.search(clause(reading.sentence, m.start(), m.end()))
        return ("yes_conditions" if for_some else "yes"), by
    if reading.has("cap") and ASKS_FULL_RE.search(ask):
        return "no", "cap"
    if reading.has("cap", "exclusion") or CONDITION_RE.search(reading.sentence) or _piloted(question, reading):
        return "yes_conditions", next((n for n in ("cap", "exclusion") if reading.has(n)), "condition")
    return "yes", ""


_PARTICIPLE_RE = re.compile(r"\W*(?:and\s+)?\w{3,}ing\b", re.I)  # not "bring"


def _piloted(question: str, reading: Reading) -> bool:
    """Whether the grant asked about is a pilot under way: the clause asked about's own status where it has one ("Carry
    out pilot projects to ..., and support foreign scientists to take the lead ..." supports the scientists), else the
    sentence's; a participle's clause is its verb's (", allowing Beijing registrants to ..." tells what the pilot does)."""
    asked = asked_clause(question, reading.sentence)
    own = status_of(asked) if asked != reading.sentence and not _PARTICIPLE_RE.match(asked) else "other"
    return (own if own != "other" else reading.status) == "pilot"


_ALL_OF_RE = re.compile(r"\ball\s+(?:of\s+)?(?:(?:our|the|their|your|its)\s+)?(?P<kind>[a-z-]{4,})", re.I)
_SOME_OF_RE = re.compile(r"\b(?:certain|some|specific|selected)\s+(?P<kind>[a-z-]{4,})", re.I)


def _all_over_some(question: str, sentence: str) -> bool:
    """Whether the question asks about a kind as a whole that the sentence grants only in part, in the same word: "are
    all exhibits exempt?" over "exempt certain exhibits" (the writers differ where "all our exhibits" is one ask of
    two)."""
    asked = {w for m in _ALL_OF_RE.finditer(first_yes_no(question)) for w in content_words(m["kind"])}
    return any(content_words(m["kind"]) & asked for m in _SOME_OF_RE.finditer(sentence))


def _out_of_bounds(question: str, sentence: str) -> bool:
    """Whether the question puts a figure above a most or below a least that `sentence` states, in the same unit: a
    "5-year visa" over "valid for up to two years", "total assets of US$150m. Is that enough?" over "not less than
    US $ 200 million". The figure asked is the yes-or-no part's, else the asker's own ("Is that enough?")."""
    asked = figures(first_yes_no(question)) or figures(question)
    return any(
        unit == u and (value > limit if kind == "most" else value < limit)
        for kind, u, limit, _ in bounds(sentence)
        for unit, value in asked
    )


def _changes(text: str) -> list[str]:
    """The change classes (removal first, then lowering) whose markers `text` holds, names of things (a tax exemption, an emission reduction) left out."""
    plain = without_named_changes(text)
    return [n for n in ANSWERS_CHANGE if MARKERS[n].search(plain)]
