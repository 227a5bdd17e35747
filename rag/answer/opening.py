"""The first words of an answer: the verdict line (rag.answer.verdict decides it) and the model's lead, shown only
when it agrees with the verdict and with the markers of every sentence it cites.

A lead that describes the passage ("The passage discusses ...") says nothing and is not shown; a "Yes, still
required" over a removal or a voluntary measure, a grant over a plan, or full ownership over a cap is never shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.asks import ASKS_CHANGE_RE, BEYOND_CAP, OBLIGED
from rag.answer.decisive import decisive_clause
from rag.answer.listed import Listed
from rag.answer.readings import Reading
from rag.answer.support import WordWeights, hedged, negated
from rag.answer.verdict import (
    answering,
    asks_grant_too,
    decide_verdict,
    names_excluded,
    states_ask,
)
from rag.core.language import DEFAULT, say
from rag.core.questions import is_yes_no

CLAIMS_REQUIREMENT_RE = re.compile(rf"\b(?:{OBLIGED})\b", re.I)
CLAIMS_FULL_RE = re.compile(rf"\b(?:{BEYOND_CAP}|without\s+(?:any\s+)?limit)(?!\w)", re.I)
CLAIMS_GRANT_RE = re.compile(
    r"\b(?:allowed|permitted|can|may|are\s+open|is\s+open|opened|eligible|approved|granted|lifted)\b", re.I
)
META_RE = re.compile(
    r"\b(?:the|this|these|above|given)\s+(?:passage|passages|excerpt|quote|quotes|text|paragraph)s?\b"
    r"|\bdiscuss(?:es|ed)?\b|\bsupports?\s+the\s+(?:statement|claim|idea)\b|\bdoing\s+this\b"
    r"|这篇|该段|这段|上述(?:段落|文字|引文)|论文",  # the same, in a translated lead
    re.I,
)
OPENER_RE = re.compile(r"^\s*(?P<word>yes|no)\b[,.:;!]?\s*", re.I)


def lead_conflicts(lead: str, verdict: str | None, cited: list[Reading]) -> str:
    """Why a model lead may not be shown ("" when it may): it describes the passage, its Yes/No contradicts the
    verdict, or it claims what a cited sentence's markers rule out (a requirement over a removal or a voluntary
    measure, a grant over a plan, full ownership over a cap)."""
    if META_RE.search(lead):
        return "meta"
    opener = OPENER_RE.match(lead)
    if opener and verdict:
        said_yes = opener["word"].lower() == "yes"
        if said_yes != (verdict in ("yes", "yes_conditions")):
            return "opposite"
    denies = negated(lead) or bool(ASKS_CHANGE_RE.search(lead))
    for r in cited:
        if r.has("removal", "voluntary", "lowering") and CLAIMS_REQUIREMENT_RE.search(lead) and not denies:
            return "requirement_over_" + next(n for n in ("removal", "voluntary", "lowering") if r.has(n))
        if r.status == "explore" and CLAIMS_GRANT_RE.search(lead) and not (hedged(lead) or negated(lead)):
            return "grant_over_plan"
        if r.has("cap") and CLAIMS_FULL_RE.search(lead) and not negated(lead):
            return "full_over_cap"
    return ""


def without_opener(lead: str) -> str:
    """The lead less a leading Yes/No (the verdict already says it), capitalised."""
    rest = OPENER_RE.sub("", lead, count=1)
    return rest[:1].upper() + rest[1:] if rest else ""


@dataclass(frozen=True)
class Opening:
    """The first words of an answer: the verdict line (yes-or-no questions) and the model's lead, as shown."""

    text: str  # "" when the quotes open the answer
    verdict: str | None  # one of rag.core.types.VERDICTS, None when no verdict is shown
    decisive: str  # the decisive clause in the source's words with its marker ("" without a verdict)
    dropped: str  # why the model's lead is not shown ("" when it is, or there was none)


def bottom_line(verdict: str, decisive: str, language: str = DEFAULT) -> str:
    """The verdict in the fixed words of `language`, then the source's decisive clause: 'No: “...” [1].'"""
    return f"{say('verdict_' + verdict, language)} {decisive}."


def _cited(lead: str, readings: list[Reading]) -> list[Reading]:
    markers = {int(n) for group in re.findall(r"\[([\d,\s;]+)\]", lead) for n in re.split(r"[,;\s]+", group) if n}
    return [r for r in readings if r.marker in markers] or readings[:1]


@dataclass(frozen=True)
class Tie:
    """How a sentence that grants what a yes-or-no question asks is recognised without the model's Yes
    (rag.answer.verdict.states_ask): the corpus's word weights and the share of the ask it must hold."""

    weights: WordWeights
    min_share: float

    def holds(self, question: str, reading: Reading) -> bool:
        return states_ask(question, reading, self.weights, self.min_share)


def opening(
    question: str, readings: list[Reading], lead: str, listed: Listed | None = None, tie: Tie | None = None
) -> Opening:
    """What opens the answer to `question` (English), given the quotes' readings (the one that answers: `answering`) and the
    model's citation-checked lead ("" when none). A verdict decided by a marker is always shown; a plain "yes" (no
    marker in the answering sentence), or a "yes, with conditions" read from a place, a qualification or an
    exclusion alone, only when the model's lead says Yes too, or when `tie` finds that the sentence grants what was
    asked in most of the ask's own words. A sentence that states no measure (a letter, a title) decides none. A
    lead that conflicts with the verdict or with what it cites is dropped (Opening.dropped says why); the verdict's
    Yes/No replaces its own. `listed`: a verdict read from a quoted list or relation (rag.answer.listed), which
    decides instead of the measure's markers."""
    yes_no = is_yes_no(question)
    answer = answering(question, readings)
    verdict, by = decide_verdict(question, answer) if yes_no and answer else (None, "")
    verdict, by = (listed.verdict, "listed") if yes_no and listed else (verdict, by)
    dropped = lead_conflicts(lead, verdict, _cited(lead, readings)) if lead else ""
    lead = "" if dropped else lead
    model_says_yes = bool((m := OPENER_RE.match(lead)) and m["word"].lower() == "yes")
    # No marker that decides, or an exclusion under a grant: an exclusion limits a grant but does not show that the
    # grant is what was asked (a travel agency's "excluding Taiwan" under a question on culture funds), so, like a
    # place or a qualification, it needs the model's Yes too. An exclusion that names what was asked decides No.
    stated = bool(tie and answer and verdict and tie.holds(question, answer))  # the sentence grants what was asked
    # asked for the grant and, as a second ask, for the item its exclusion leaves out, the grant is what was asked
    excluded_too = bool(answer and asks_grant_too(question, answer) and names_excluded(question, answer))
    unsure = by in ("", "condition") or ((verdict, by) == ("yes_conditions", "exclusion") and not excluded_too)
    if unsure and not (model_says_yes or stated):
        verdict = None
    if not verdict:
        text = without_opener(lead) if lead and not yes_no and model_says_yes else lead
        return Opening(text, None, "", dropped)
    decisive = listed.decisive if listed and by == "listed" else decisive_clause(answer, by, question) if answer else ""
    rest = without_opener(lead) if lead else ""
    return Opening(f"{bottom_line(verdict, decisive)} {rest}".strip(), verdict, decisive, dropped)


def needs_lead(question: str, readings: list[Reading], listed: Listed | None, tie: Tie | None = None) -> bool:
    """Whether the verdict of the yes-or-no `question` waits on the model's lead: no marker decides it, nor a sentence
    that grants what was asked, without the model's Yes (see `opening`)."""
    return is_yes_no(question) and opening(question, readings, "", listed, tie).verdict is None


def headline_status(first: Opening, listed: Listed | None, cited: str | None) -> str | None:
    """The answer's headline status, agreeing with its verdict: a plan's Not yet is "explore" and a reply kept in
    force is "in_force", whatever the first citation's paragraph reads as on its own; otherwise `cited`, the
    status of the first citation (the answering sentence)."""
    if first.verdict == "not_yet":
        return "explore"
    if listed and listed.status and first.verdict == listed.verdict:
        return listed.status
    return cited
