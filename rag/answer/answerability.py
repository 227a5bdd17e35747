"""Answerability: does the evidence answer this question? Decided in code, for every backend, before any model runs.

Three tests, each a general reading rule (measured with `python -m eval.answerability`, which fits the
evidence-score threshold on one half of eval/questions.jsonl and reports on the other):

1. Evidence strength: the best paragraph's cosine to the question (settings.min_evidence_score).
2. The place: a place the question names (another city, province or zone than Beijing's) must appear in the
   evidence, its task titles or its documents' titles: "VPN joint ventures in Shanghai" is not answered by
   Beijing's VPN measure.
3. The kind of answer: a question asking for a rate or a stake is not answered by evidence that states no
   percentage; "how much", a fee, a subsidy or a wage needs an amount of money; a cap or limit some figure;
   "how many days" or "how long" a duration (settings.answerable_figure_paragraphs best paragraphs).

4. (model backends that can judge) the model's probability that the quoted sentences answer the question
   (rag.answer.backends `judge`, settings.answerable_min_model_yes), checked in rag.answer.pipeline once
   the quotes are chosen.

Measured and left out: rare question words missing from the evidence (IDF-weighted) did not separate
out-of-scope from answerable questions (investors' words differ from the documents'); the threshold fitted
on either half switched the test off.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from rag.answer.support import corpus_weights
from rag.core.glossary import spell_out
from rag.core.settings import Settings
from rag.core.text import split_sentences
from rag.core.types import Evidence

# Places an investor may name besides Beijing: Chinese provinces, major cities and special zones. Beijing's
# districts and zones are not among them: the city's measures apply there too.
_PLACE_NAMES = (
    "shanghai|shenzhen|guangzhou|guangdong|tianjin|chongqing|hainan|hangzhou|zhejiang|jiangsu|suzhou|nanjing|wuhan|"
    "hubei|chengdu|sichuan|xiamen|fujian|fuzhou|qingdao|shandong|jinan|dalian|liaoning|shenyang|hebei|xiong'?an|"
    "hong kong|macao|macau|taiwan|hunan|changsha|henan|zhengzhou|anhui|hefei|shaanxi|xi'?an|yunnan|kunming|guangxi|"
    "guizhou|jiangxi|shanxi|inner mongolia|heilongjiang|harbin|jilin|changchun|gansu|qinghai|ningxia|xinjiang|tibet|"
    "hengqin|qianhai|nansha|pudong|lingang|greater bay area"
)
_PLACE_RE = re.compile(rf"\b(?:{_PLACE_NAMES})\b", re.I)
_PERCENT = r"\d\s*%|\bpercent|\bper\s+cent|\bhalf\b|\bwholly\b"
_MONEY = r"\byuan\b|\brmb\b|\bus\$|\$\s*\d|\bdollars?\b|\bmillion\b|\bbillion\b"
_DURATION = r"\d+\s*(?:working\s+)?(?:days?|months?|years?)\b|\b(?:one|two|three|four|five|six|ten)[\s-]+(?:days?|months?|years?)\b"
_WHAT_THE = r"\bwhat(?:'s|\s+is|\s+are|\s+was)?\s+(?:the\s+|a\s+|its\s+)?(?:[\w'’-]+\s+){0,4}?"
# What kind of figure a question asks for (asked as "what is the ... rate", "how much", ...), and what the
# evidence must state to answer it.
FIGURE_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(asked, re.I), re.compile(stated, re.I))
    for asked, stated in (
        (_WHAT_THE + r"(?:rate|percentage|ratio|shareholding|stake|share)\b", _PERCENT),
        (r"\bhow\s+much\b(?!\s+of\b)|" + _WHAT_THE + r"(?:cost|fee|price|subsidy|capital|wage|salary)\b", _MONEY),
        (_WHAT_THE + r"(?:cap|limit|maximum|minimum|threshold|max)\b", rf"{_PERCENT}|{_MONEY}|\d"),
        (r"\bhow\s+(?:many\s+(?:working\s+)?(?:days|months|years)|long\s+(?:does|do|will|is|are|can))\b", _DURATION),
    )
)
_TASK_NUMBER_RE = re.compile(r"^\s*[(（]?\d{1,3}[)）.、]\s*")


@dataclass(frozen=True)
class Decision:
    answerable: bool
    reason: str  # why not, in words for the reader and the eval; "" when answerable
    best_score: float


def _evidence_text(evidence: list[Evidence], corpus: Any) -> str:
    titles = {
        corpus.documents[ev.paragraph.doc_id].info.title for ev in evidence if ev.paragraph.doc_id in corpus.documents
    }
    return " ".join(
        [ev.paragraph.text for ev in evidence] + [ev.chunk.task_title or "" for ev in evidence] + sorted(titles)
    )


def places(text: str) -> set[str]:
    return {m.lower().replace("'", "") for m in _PLACE_RE.findall(text)}


def missing_figure(question: str, evidence: list[Evidence], corpus: Any, min_recall: float) -> bool:
    """Does the question ask for a kind of figure (a rate, an amount, a cap, a duration) that no evidence sentence
    states about the question's subject (sharing at least `min_recall` of its IDF-weighted content words)?"""
    asked_kinds = [found for asked, found in FIGURE_KINDS if asked.search(question)]
    if not asked_kinds:
        return False
    weights = corpus_weights(corpus)
    for ev in evidence:
        text = _TASK_NUMBER_RE.sub("", ev.paragraph.text)
        for s, e in split_sentences(text):
            sentence = text[s:e]
            if all(found.search(sentence) for found in asked_kinds) and (
                weights.recall(spell_out(question), f"{sentence} {ev.chunk.task_title or ''}") >= min_recall
            ):
                return False
    return True


def decide(question: str, evidence: list[Evidence], corpus: Any, settings: Settings) -> Decision:
    """Whether `evidence` answers `question`; see the module docstring for the tests and their order."""
    best = evidence[0].score if evidence else 0.0
    if not evidence or best < settings.min_evidence_score:
        return Decision(False, "no passage is close to the question", best)
    missing = places(spell_out(question)) - places(_evidence_text(evidence, corpus))
    if missing:
        return Decision(False, f"the passages do not concern {', '.join(sorted(missing))}", best)
    if missing_figure(
        question, evidence[: settings.answerable_figure_paragraphs], corpus, settings.answerable_figure_recall
    ):
        return Decision(False, "the passages state no figure of the kind asked for", best)
    return Decision(True, "", best)
