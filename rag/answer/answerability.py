"""Answerability: does the evidence answer this question? Decided in code, for every backend, before any model runs.

Three tests, each a general reading rule (measured with `python -m eval.answerability`, which fits the
evidence-score threshold on one half of eval/questions.jsonl and reports on the other):

1. Evidence strength: the best paragraph's cosine to the question (settings.min_evidence_score).
2. The place and the year: a place the question names (another city, province or zone than Beijing's) must appear
   in the evidence, its task titles or its documents' titles, numbers and dates: "VPN joint ventures in Shanghai"
   is not answered by Beijing's VPN measure. A year must appear there or anywhere in the corpus: "the 2024
   negative list" is not answered by the 2020 plan, but "the 2023 plan" names a document and "by 2025" a goal
   of one, whatever passages came first. A place in a sentence that says who asks ("We're a Hong Kong telecom
   carrier.", "HK-based ISP here.") is where the asker comes from, not what is asked about. A Beijing district counts
   only in a question asking who is responsible ("Which Chaoyang departments handle it?"). A follow-up is held
   to the places and years it names itself, not to those its standalone form carries over from the history.
3. The kind of answer: a question asking for a rate or a stake is not answered by evidence that states no
   percentage; "how much", a fee, a subsidy or a wage needs an amount of money; a cap or limit some figure;
   "how many days" or "how long" a duration; a document number "No. n"; an issue date a year or a month; an
   expiry a term, a date or a period (settings.answerable_figure_paragraphs best paragraphs). A year is not a cap.
   A yes-or-no question that puts a rate or an amount to the documents ("a reduced 15% tax rate?") needs evidence
   stating a figure of that kind too.

An asked line (the date, number, task count or stated relation of a document the question asks about, joined to
the evidence by rag.answer.evidence) answers the question once tests 1 and 2 pass; test 3 is then not needed.

4. (model backends that can judge) the model's probability that the quoted sentences answer the question
   (rag.answer.backends `judge`, settings.answerable_min_model_yes), checked in rag.answer.pipeline once
   the quotes are chosen; not needed on sure evidence (Decision.sure: the best paragraph's cosine at least
   settings.answerable_sure_score, above every out-of-scope question the first three tests let through).

Measured and left out: rare question words missing from the evidence (IDF-weighted) did not separate
out-of-scope from answerable questions (investors' words differ from the documents'); the threshold fitted
on either half switched the test off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.answer.gaps import asks_authority
from rag.answer.readings import FIGURE_RE, MONEY_RE
from rag.answer.support import corpus_weights
from rag.core.glossary import places, spell_out
from rag.core.language import DEFAULT, say
from rag.core.questions import FIGURE_OPENING, asking, first_yes_no, is_yes_no, without_asker
from rag.core.settings import Settings
from rag.core.text import DURATION, NUMBER_WORDS, split_sentences
from rag.core.types import DocumentInfo, Evidence

_PERCENT = r"\d\s*%|\bpercent|\bper\s+cent|\bhalf\b|\bwholly\b"
_MONEY = r"\byuan\b|\brmb\b|\bus\$|\$\s*\d|\bdollars?\b|\bmillion\b|\bbillion\b"
_YEAR = r"\b(?:19|20)\d\d\b"
_FIGURE = rf"{_PERCENT}|{_MONEY}|\b(?!{_YEAR})\d"  # a year is not a cap
_DATE = rf"{_YEAR}|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b"
_TERM = rf"{DURATION}|\buntil\b|\bexpir\w*|\bvalid\b|\bperiod\b|\bdeadline\b"
_COUNT = rf"\b(?!{_YEAR})\d|\b(?:{NUMBER_WORDS}|dozens?)\b"  # a year counts nothing
_COUNTED_ELSEWHERE = (
    r"(?:working\s+)?(?:days|months|years)\b|(?:\w+\s+)?(?:tasks|measures|groups|categories|units|departments"
    r"|bodies|offices|agencies)\b"
)
# "what is the ... rate", or a terse "Max foreign stake ...?" (rag.core.questions.FIGURE_OPENING)
_WHAT_THE = (
    rf"(?:\bwhat(?:'s|\s+is|\s+are|\s+was)?\s+(?:the\s+|a\s+|its\s+)?|{FIGURE_OPENING}\s+)(?:[\w'’-]+\s+){{0,4}}?"
)
# What kind of figure a question asks for (asked as "what is the ... rate", "how much", ...), what the evidence must
# state to answer it, and whether a document's registry facts (its number and date) state it too.
FIGURE_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str], bool], ...] = tuple(
    (re.compile(asked, re.I), re.compile(stated, re.I), registry)
    for asked, stated, registry in (
        (_WHAT_THE + r"(?:rate|percentage|ratio|shareholding|stake|share)\b", _PERCENT, False),
        (
            r"\bhow\s+much\b(?!\s+of\b)|" + _WHAT_THE + r"(?:cost|fee|price|subsidy|capital|wage|salary)\b",
            _MONEY,
            False,
        ),
        (
            # a size asked ("How big, in US dollars, is the quota?", "how high is the cap?"), not a role's
            _WHAT_THE + r"(?:cap|limit|maximum|minimum|threshold|max|quota|ceiling|allowance)\b"
            r"|\bhow\s+(?:big|large|high|low|small)\b(?!\s+(?:a\s+|an\s+)?(?:role|part|say|priority)\b)",
            _FIGURE,
            False,
        ),
        (
            r"\bhow\s+(?:many\s+(?:working\s+)?(?:days|months|years)|long\s+(?:does|do|will|is|are|can))\b",
            DURATION,
            False,
        ),
        (r"\b(?:document|file|reference)\s+number\b", r"\bNo\.\s*\d", True),
        (
            r"\bissue\s+date\b|\bdate\s+of\s+issue\b|\bwhen\s+(?:was|were)\s+[^?]*\b(?:issued|dated|signed)\b",
            _DATE,
            True,
        ),
        (r"\bexpir\w*|\bvalid\s+until\b|\bend\s+date\b", _TERM, False),
        # a count asked for ("How many weekly slots ...?", "Above how many records ...?"; not "is there a ceiling on
        # how many ..."), but not of the departments a line lists or the tasks a plan numbers
        (
            rf"(?:^|[?.!,;:—–-]\s*)(?:(?:above|over|below|under|beyond|after|from|up\s+to)\s+)?how\s+many\s+"
            rf"(?!{_COUNTED_ELSEWHERE})",
            _COUNT,
            False,
        ),
        # when something starts ("When do they open?"): a date, a period, or the document's own date
        (
            r"\bwhen\s+(?:do|does|did|will|would|can|could|is|are|was|were)\b[^?]*?\b(?:open|start|begin|launch"
            r"|take\s+effect|come\s+into\s+(?:force|effect)|go\s+live|be\s+available)",
            rf"{_DATE}|{DURATION}|\bby\s+the\s+end\b",
            True,
        ),
    )
)
# A figure a yes-or-no question puts to the documents ("a reduced 15% income tax rate?", "raise the quota to USD 10
# billion?"), in the part that asks: evidence that states no figure of its kind does not say so. Not a share of
# ownership ("can we hold 51%?" is answered by a cap, or by restrictions lifted), nor the asker's own figures in a
# preamble ("our assets are US$250m; do we qualify?").
STATED_FIGURES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (
        re.compile(
            r"^(?!.*\b(?:stake|shares?|shareholding|own\w*|hold\w*|equity|control\w*|cap|capped)\b)"
            r".*?(?<![\d.])(?!100\s*%)\d+(?:\.\d+)?\s*(?:%|percent|per\s+cent)",
            re.I | re.S,
        ),
        re.compile(_PERCENT, re.I),
    ),
    (
        re.compile(r"(?:us\$|\$|\busd|\brmb|\bcny)\s*\d|\b\d+(?:\.\d+)?\s*(?:mn|million|billion|bn)\b", re.I),
        re.compile(_MONEY, re.I),
    ),
)
# The words that put the asker's own figure to the documents ("still capped at", "at least").
_PUTS_FIGURE_RE = re.compile(r"\b(?:still|at\s+(?:least|most)|capped)\b", re.I)


def _without_askers_figures(question: str) -> str:
    """`question` less the asker's own figures (an amount of money, a period or a percentage, read as
    rag.answer.readings reads them) and the words that put them to the documents."""
    for rx in (MONEY_RE, FIGURE_RE, _PUTS_FIGURE_RE):
        question = rx.sub(" ", question)
    return question


_YEAR_RE = re.compile(_YEAR)
_TASK_NUMBER_RE = re.compile(r"^\s*[(（]?\d{1,3}[)）.、]\s*")


@dataclass(frozen=True)
class Decision:
    answerable: bool
    reason: str  # why not: "no_close_passage", "not_about" or "no_figure" (keys of rag.core.language); "" if answerable
    best_score: float
    missing: str = ""  # for "not_about": the places or years the passages do not concern
    sure: bool = False  # answerable on evidence close enough that a model's verdict is not needed (test 4)

    def why(self, language: str = DEFAULT) -> str:
        """Why not, in the reader's words and language ("" when answerable)."""
        return say(self.reason, language, names=self.missing) if self.reason else ""


def _documents(evidence: list[Evidence], corpus: Any) -> list[DocumentInfo]:
    """The registry facts of the documents the evidence comes from, once each, in evidence order."""
    ids = dict.fromkeys(ev.paragraph.doc_id for ev in evidence)
    return [corpus.documents[d].info for d in ids if d in corpus.documents]


def _evidence_text(evidence: list[Evidence], corpus: Any) -> str:
    """The evidence, its task titles, and its documents' ids, titles, numbers and dates: what it is about."""
    about = [" ".join([i.id, i.title, i.number or "", i.date or ""]) for i in _documents(evidence, corpus)]
    return " ".join([ev.paragraph.quotable for ev in evidence] + [ev.chunk.task_title or "" for ev in evidence] + about)


def missing_figure(
    question: str, evidence: list[Evidence], corpus: Any, min_recall: float, own: str | None = None
) -> bool:
    """Does the question ask for a kind of figure (a rate, an amount, a cap, a duration) that no evidence sentence
    states about the question's subject (sharing at least `min_recall` of its IDF-weighted content words, or of
    `own`'s: a follow-up's own words, without the subject words its standalone form carries from the history)?"""
    asked = [(found, registry) for ask, found, registry in FIGURE_KINDS if ask.search(question)]
    put = first_yes_no(question) if is_yes_no(question) else ""
    asked += [(found, False) for ask, found in STATED_FIGURES if put and ask.search(put)]
    if not asked:
        return False
    # (text stating the figure, text it must be about): each sentence with its task title; each document's number
    # and date with its title, when every kind asked may come from the registry
    stated: list[tuple[str, str]] = []
    for ev in evidence:
        text = _TASK_NUMBER_RE.sub("", ev.paragraph.quotable)
        stated += [(text[s:e], f"{text[s:e]} {ev.chunk.task_title or ''}") for s, e in split_sentences(text)]
    if all(registry for _, registry in asked):
        stated += [(f"{i.number or ''} {i.date or ''}", i.title) for i in _documents(evidence, corpus)]
    weights = corpus_weights(corpus)
    # a business preamble ("Our IC design firm is a recognised HNTE.") dilutes what the figure must be about; so do
    # the asker's own figures and the words that put them, unless the sentence states the same ("still capped at RMB
    # 5m?" over "from 5 million yuan to 20 million yuan"): the question is read with them and without them
    said = dict.fromkeys([question, own or question, asking(question)])
    asks = [spell_out(q) for q in dict.fromkeys([*said, *(_without_askers_figures(q) for q in said)])]
    return not any(
        all(found.search(figure) for found, _ in asked) and max(weights.recall(q, about) for q in asks) >= min_recall
        for figure, about in stated
    )


_CORPUS_YEARS: dict[tuple, set[str]] = {}


def corpus_years(corpus: Any) -> set[str]:
    """Every year the corpus names: in its texts and in its documents' titles, numbers and dates (cached per
    corpus content)."""
    key = tuple((d.id, len(d.paragraphs), d.info.title) for d in corpus.documents.values())
    if key not in _CORPUS_YEARS:
        infos = [d.info for d in corpus.documents.values()]
        texts = [p.text for d in corpus.documents.values() for p in d.paragraphs]
        texts += [f"{i.title} {i.number} {i.date}" for i in infos]
        _CORPUS_YEARS[key] = set(_YEAR_RE.findall(" ".join(texts)))
    return _CORPUS_YEARS[key]


def decide(
    question: str,
    evidence: list[Evidence],
    corpus: Any,
    settings: Settings,
    own: str | None = None,
    scope: str | None = None,
) -> Decision:
    """Whether `evidence` answers `question`; see the module docstring for the tests and their order. `own` is a
    follow-up's own words when `question` is its standalone form; `scope` the words whose places and years count
    (a follow-up as typed; default `question`)."""
    best = evidence[0].score if evidence else 0.0
    if not evidence:
        return Decision(False, "no_close_passage", best)
    about = _evidence_text(evidence, corpus)
    scope = scope or question
    asked_place = spell_out(without_asker(scope))  # not where the asker comes from
    # a Beijing district counts when the question asks who is responsible there: the documents name one district's
    # offices (Dongcheng's), not Chaoyang's, though a city-wide measure applies in every district
    missing = places(asked_place, within_beijing=asks_authority(scope)) - places(about, within_beijing=True)
    missing |= set(_YEAR_RE.findall(scope)) - set(_YEAR_RE.findall(about)) - corpus_years(corpus)
    if missing:  # another place or year: not answered by a Beijing document's lines either
        return Decision(False, "not_about", best, ", ".join(sorted(missing)))
    if best < settings.min_evidence_score:
        return Decision(False, "no_close_passage", best)
    if any(ev.asked for ev in evidence):  # the line the question asks for (a date, a number, a count) is there
        return Decision(True, "", best, sure=True)
    if missing_figure(
        question, evidence[: settings.answerable_figure_paragraphs], corpus, settings.answerable_figure_recall, own
    ):
        return Decision(False, "no_figure", best)
    return Decision(True, "", best, sure=best >= settings.answerable_sure_score)
