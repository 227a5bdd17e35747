"""What a yes-or-no question asks, read from its words (rag.answer.verdict decides the verdict from them): a requirement
("still need", "must", kept or tightened), a change ("was it dropped?"), full ownership ("100%", "control"), everyone,
everywhere or everything of a kind, the whole country, a second ask about an item inside a grant, the reach of a grant,
whether something is in place now. Read on the question with its typos corrected (rag.answer.pipeline)."""

from __future__ import annotations

import re

from rag.answer.readings import MARKERS, W, without_named_changes

# A question about everyone, everywhere or everything of a kind ("all corporate VC firms", "anywhere in Beijing",
# "citywide", "information services in general", "all of it"), which a grant limited to a place or a part answers
# No. "All exhibits" over "certain exhibits" is read apart (`_all_over_some`): the same word, granted in part.
# The whole country asked ("across all of China", "nationwide"): a Beijing pilot's grant reads No over it, unless the
# sentence itself reaches the whole country ("may provide services across the country").
_COUNTRY = r"China|the\s+(?:country|nation|PRC|mainland)|mainland\s+China"
ASKS_COUNTRY_RE = re.compile(
    rf"\b(?:(?:all\s+over|across(?:\s+all\s+of)?|throughout|anywhere\s+in|everywhere\s+in)\s+(?:{_COUNTRY})"
    r"|nation[- ]?wide|country[- ]?wide)\b",
    re.I,
)
REACHES_COUNTRY_RE = re.compile(r"\b(?:across|throughout|all\s+over)\s+the\s+country\b|\bnation[- ]?wide\b", re.I)
ASKS_ALL_RE = re.compile(
    rf"{ASKS_COUNTRY_RE.pattern}|"
    r"\b(?:anywhere|everywhere|city[- ]?wide|(?:the\s+)?(?:whole|entire)\s+(?:city|municipality)"
    r"|all\s+of\s+(?:it|them)"
    r"|\b(?:we|they|you)(?:'ll|'re|\s+will|\s+would|\s+are)?\s+all\b"
    r"|\b(?:to|for|by)\s+any\s+(?:[\w-]+\s+){0,2}(?:firm|company|enterprise|investor|bank|fund|foreigner|one)\b"
    r"|in\s+general(?!\s*,)(?!\s+(?:aviation|requirements?|principles?|work|secretary|purpose|managers?|affairs)\b)"
    r"|across\s+the\s+board|without\s+(?:any\s+)?(?:limits?|restrictions?|exceptions?)"
    r"|(?:throughout|across)\s+(?:all\s+of\s+|the\s+whole\s+of\s+)?(?:Beijing|the\s+city)|all\s+(?:of\s+)?Beijing"
    r"|all\s+(?:districts|areas|zones)|all\s+(?:[\w-]+\s+){0,3}(?:firms|companies|enterprises|investors|foreigners|banks|funds|businesses|operators|providers|institutions|agencies|kinds|types)"
    r"|every\s+(?:[\w-]+\s+){0,2}(?:firm|company|enterprise|investor|bank|fund|district))\b",
    re.I,
)
# Words of an obligation: a lead may not claim one over a removed, lowered or voluntary measure; a question that
# uses them (or "stay", "remain", "requirement") asks whether one still holds.
_MUST = r"must|mandatory|compulsory|obligatory|obliged|compel\w*|forced\s+to|required\s+to|have\s+to|has\s+to|needs?\s+to|binding"
OBLIGED = rf"still|{_MUST}"
# "still" asks whether a requirement stays, but not before a plan word: "... or is it still being explored?" (as the
# Chinese "还是只是在探索" comes back) asks about status
_STILL = r"still(?!\s+(?:being\s+|only\s+|just\s+)?(?:a\s+|an\s+)?(?:explor|stud|plann|research|consider|pilot|trial))"
# "needs" as a noun ("a system built for their needs", "the needs of overseas customers") asks for nothing
_NEED = r"(?<!\btheir\s)(?<!\bthe\s)(?<!\bour\s)(?<!\byour\s)(?<!\bits\s)(?<!\bmy\s)need(?:s|ed)?(?!\s+of\b)"
_REQUIRES = rf"{_STILL}|{_MUST}|oblig\w+|requir(?:e[ds]?|ing|ements?)|{_NEED}|necessary"
# A requirement asked to stay or to be tightened ("staying as strict as before?", "being made tougher?"), which a
# removal, a lowering or a voluntary measure answers No.
ASKS_REQUIREMENT_RE = re.compile(
    rf"\b(?:{_REQUIRES}|stay(?:s|ing)?|remain(?:s|ing)?|keep(?:s|ing)?|tough\w*|strict\w*|tighten\w*|harsh\w*)\b", re.I
)
# A requirement asked for in so many words ("do we still need a JV?"), which a grant cannot answer Yes to; not
# "the same length of stay".
ASKS_NEED_RE = re.compile(rf"\b(?:{_REQUIRES})\b", re.I)
ASKS_REMOVAL_RE = re.compile(
    rf"{MARKERS['removal'].pattern}|\b(?:drop{W}|waiv{W}|do(?:ne)?\s+away|got\s+rid|get\s+rid|scrapp\w*)", re.I
)
ASKS_CHANGE_RE = re.compile(rf"{ASKS_REMOVAL_RE.pattern}|{MARKERS['lowering'].pattern}", re.I)
# A share beyond any cap: a lead may not claim one over a capped measure; a question that asks for one (or for
# control) is answered No by the cap.
BEYOND_CAP = (
    r"100\s*(?:%|percent|per\s+cent)|100-percent|unlimited|no\s+(?:cap|limit)|wholly[- ]owned|majority|"
    r"(?:more|greater)\s+than\s+\d+\s*(?:%|percent)|(?:over|above)\s+\d+\s*(?:%|percent)"
)
ASKS_FULL_RE = re.compile(
    rf"\b(?:{BEYOND_CAP}|wholly|fully|full[- ]owned|sole(?:ly)?[- ]owned|full\s+ownership|controll?(?:ing)?|"
    r"exceed\w*\s+\d+\s*(?:%|percent))(?!\w)",
    re.I,
)

# A second ask about an item inside a grant: "can we sell outbound tours, Taiwan trips included?"
SUB_ASK_RE = re.compile(r"\b(?:includ\w*|also|too|even|as\s+well)\b", re.I)
# The reach of a grant asked, not the grant: "does it also cover ...?", "is ... also included?", "extend to ... too?"
REACH_ASK_RE = re.compile(
    r"\b(?:also|even)\s+(?:be\s+)?(?:cover|includ|extend|appl[yi]|reach)\w*"
    r"|\b(?:cover|extend|appl[yi]|reach)\w*\s+(?:to\s+)?(?:[\w-]+\s+){0,5}(?:too|as\s+well)\b",
    re.I,
)


def asks_change(question: str) -> bool:
    """Whether `question` asks if something was removed or lowered (a tax exemption it names is a benefit)."""
    return bool(ASKS_CHANGE_RE.search(without_named_changes(question)))


def asks_removal_only(question: str) -> bool:
    """Whether `question` asks if something was removed, and not whether it was lowered ("dropped or relaxed?")."""
    plain = without_named_changes(question)
    return bool(ASKS_REMOVAL_RE.search(plain)) and not MARKERS["lowering"].search(plain)


# A question asking whether something is done or in place now ("Are there already ...?"), which a plan answers.
ASKS_NOW_RE = re.compile(r"\b(?:already|yet|now|currently|in\s+place|in\s+effect|up\s+and\s+running|exists?)\b", re.I)
