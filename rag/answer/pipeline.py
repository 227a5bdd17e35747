"""Answer a question from the documents, streamed; nothing reaches the reader unchecked.

`stream_answer` yields events in this order:

  EvidenceEvent   once, as soon as retrieval is done (the numbered evidence, or
                  the nearest passages when the corpus does not cover the question)
  TokenEvent      zero or more CHECKED sentences: first each quoted evidence
                  sentence (verbatim, with its marker) as soon as answerability is
                  decided, then, when the model wrote one that passed the citation
                  check, its one-sentence lead (TokenEvent.lead: it goes BEFORE the
                  quotes already shown, as in Answer.text). No draft text that could
                  be withdrawn.
  NoticeEvent     when the model failed or its lead was dropped (informational;
                  nothing shown needs replacing)
  AnswerEvent     once, last: the Answer, whose text is the streamed sentences.

Answerability is decided in code before any model runs, the same way for every
backend (rag.answer.answerability): weak evidence, a place the evidence does not
concern, or a figure asked of evidence that states none gives a refusal
(Answer.refused, citations=[], the nearest passages named in the text). A model
that can judge then decides whether the quotes answer the question, unless the
evidence is sure (settings.answerable_sure_score): then the quotes go on screen
at once, before the model reads them.

Questions that try to change the assistant's rules ("ignore previous
instructions", "you are now ...", "system prompt") are not obeyed: the
sentences carrying such instructions are removed and the rest is answered with
a notice; a question made only of such instructions is refused with BadQuestion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from rag.analysis.governs import governance_for_answer
from rag.analysis.outline import count_sentence
from rag.analysis.provisions import is_lead_phrase
from rag.analysis.relations import Registry
from rag.answer import gaps, prompts
from rag.answer.answerability import decide
from rag.answer.backends import Backend, get_backend
from rag.answer.conversation import Turn, prepare
from rag.answer.evidence import Retriever, gather_evidence
from rag.answer.guard import clean_question
from rag.answer.listed import listed_verdict
from rag.answer.multilingual import helper_model, localize
from rag.answer.opening import Tie, headline_status, needs_lead, opening
from rag.answer.quotes import Quote, departments_line, format_quotes, select_quotes
from rag.answer.readings import read
from rag.answer.support import broken, corpus_weights, split_answer
from rag.answer.verdict import settles
from rag.answer.verify import REFUSAL_RE, check_citations, quote_citations
from rag.core.errors import LLMUnavailable
from rag.core.glossary import expand
from rag.core.language import DEFAULT, SUPPORTED, detect, say, unsupported_line
from rag.core.settings import Settings, get_settings
from rag.core.text import split_sentences
from rag.core.types import Answer, Evidence

log = logging.getLogger("rag.answer")


@dataclass(frozen=True)
class EvidenceEvent:
    evidence: list[Evidence]
    standalone_question: str | None = None  # what was searched (a follow-up made standalone, in English)


@dataclass(frozen=True)
class TokenEvent:
    text: str  # one checked sentence; a quote after the first has a leading space
    lead: bool = False  # the model's lead: shown before the quotes (Answer.text is lead + " " + quotes)


@dataclass(frozen=True)
class NoticeEvent:
    text: str


@dataclass(frozen=True)
class AnswerEvent:
    answer: Answer


Event = EvidenceEvent | TokenEvent | NoticeEvent | AnswerEvent

# --- the pipeline ---------------------------------------------------------------


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None


def _refusal(
    question: str, evidence: list[Evidence], timings: dict[str, float], notice: str | None, reason: str, language: str
) -> Answer:
    """A refusal naming the nearest passages (in English: rag.answer.multilingual rewrites it for another
    language); `reason` (reader's words in `language`, may be "") joins the notice."""
    notice = _join(notice, say("why_refused", language, reason=reason) if reason else None)
    nearest = list(dict.fromkeys(prompts.evidence_label(ev).rstrip(".") for ev in evidence))[:3]
    text = say("refusal", DEFAULT) + " "
    text += say("nearest", DEFAULT, passages="; ".join(nearest)) if nearest else say("no_passage", DEFAULT)
    return Answer(
        question=question, text=text, refused=True, backend="none", evidence=evidence, timings=timings, notice=notice
    )


def _lead(backend: Backend, question: str, evidence_text: str, timings: dict[str, float], ms, limit: int) -> str:
    """The model's whole draft lead in English (not shown: it is checked first), less the sentence the token `limit`
    (settings.max_answer_tokens) cut off: "… shall account for the total R" would read as a whole claim."""
    draft = "".join(backend.stream(question, evidence_text, "English"))
    timings["lead_ms"] = ms()
    if backend.usage.get("output_tokens", 0) >= limit:
        spans = split_sentences(draft)
        return draft[: spans[-1][0]] if spans else draft
    return draft


def model_input(query: str, quotes: list[Quote], settings: Settings) -> tuple[str, str]:
    """What the model reads: the question with investor shorthand spelled out ("VPN (virtual private network)": a
    small model needs the documents' words) and the quoted passages, cut at settings.judge_passage_tokens."""
    return expand(query), format_quotes(quotes, prompts.evidence_label, settings.judge_passage_tokens)


def _fallback(
    primary: Backend, settings: Settings, err: LLMUnavailable, notice: str | None, language: str
) -> tuple[str, str | None]:
    """(backend named in the answer, notice) once the model failed: the quotes alone are the answer."""
    if settings.fallback_backend == primary.name:
        raise err
    log.warning("answer backend %s failed, quoting instead: %s", primary.name, err)
    return settings.fallback_backend, _join(notice, say("model_failed", language))


def _checked_lead(raw: str, question: str, evidence: list[Evidence], retriever: Retriever, settings: Settings) -> str:
    """The draft's first sentence that passes the citation check, or "" (a refusal, or a plan stated as a
    right: the quotes that follow already carry the document's own words). rag.answer.verdict then checks it
    against the verdict and the polarity of what it cites."""
    for claim in split_answer(raw)[: settings.lead_max_sentences]:
        if REFUSAL_RE.search(claim.text):
            return ""
        if broken(claim.text):  # "… was dated on and approved for [5]": words went missing
            continue
        checked = check_citations(claim.marked(), evidence, retriever, settings)
        if checked.text:
            return "" if checked.restated else checked.text
    return ""


def _quoted(quotes: list[Quote], timings: dict[str, float], ms) -> Iterator[TokenEvent]:
    """The quotes as checked sentences, each with its marker; the first one's time is first_token_ms."""
    for n, q in enumerate(quotes):
        timings.setdefault("first_token_ms", ms())
        yield TokenEvent(f"{' ' if n else ''}{q.cited()}")


def stream_answer(
    question: str,
    retriever: Retriever,
    *,
    history: list[dict] | None = None,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    doc_ids: Collection[str] | None = None,
) -> Iterator[Event]:
    """Make the question standalone, retrieve, decide, quote, write a checked lead; yield events (see the
    module docstring).

    `history` ([{"role": "user"|"assistant", "content": ...}]) makes a follow-up standalone before
    retrieval (rag.answer.conversation); EvidenceEvent.standalone_question says what was searched.
    A question not in English is searched in English and in its own words, and the checked answer
    is translated into its language (rag.answer.multilingual).
    `backend` is a registry name or a Backend (default settings.backend) and writes the lead; when it
    fails the answer is the quotes alone and Answer.notice says so. Timings (ms from the call):
    condense_ms (and translate_ms), retrieve_ms, first_token_ms (first checked sentence on screen),
    lead_ms (when a model ran), total_ms.
    """
    settings = settings or get_settings()
    if (language := detect(question)) not in SUPPORTED:  # one clear line, not a search in a language it cannot read
        yield EvidenceEvent([], question)
        yield AnswerEvent(Answer(question, unsupported_line(language), refused=True, backend="none", language=language))
        return
    complete = helper_model(settings)
    turn = prepare(question, history, settings, complete)
    for event in _stream_checked(turn, retriever, backend=backend, settings=settings, doc_ids=doc_ids):
        if isinstance(event, AnswerEvent):
            final = replace(
                event.answer,
                standalone_question=turn.search,
                language=turn.language,
                timings=turn.timings | event.answer.timings,
                notice=_join(*turn.notices, event.answer.notice),
            )
            event = AnswerEvent(localize(final, turn.language, complete, settings))
        yield event


def _stream_checked(
    turn: Turn,
    retriever: Retriever,
    *,
    backend: str | Backend | None,
    settings: Settings,
    doc_ids: Collection[str] | None,
) -> Iterator[Event]:
    question = turn.question
    t0 = time.perf_counter()
    ms = lambda: (time.perf_counter() - t0) * 1000
    language = turn.language  # of the notices; the answer itself is written in English and translated afterwards
    query, notice = clean_question(turn.search, settings, language)
    primary = (
        backend
        if backend is not None and not isinstance(backend, str)
        else get_backend(backend or settings.backend, settings)
    )

    evidence = gather_evidence(query, retriever, settings, doc_ids, **turn.search_options)
    timings = {"retrieve_ms": ms()}
    yield EvidenceEvent(evidence, turn.search)
    own = turn.question if turn.search != turn.question else None  # a follow-up (or a translation) as typed
    # A follow-up in English is held to the places and years it names itself, not to those of the history.
    scope = turn.question if turn.standalone != turn.question and turn.language == DEFAULT else None
    decision = decide(query, evidence, retriever.corpus, settings, own, scope)
    quotes = select_quotes(query, evidence, retriever.corpus, settings) if decision.answerable else []
    if not quotes:
        timings["total_ms"] = ms()
        yield AnswerEvent(_refusal(question, evidence, timings, notice, decision.why(language), language))
        return

    # A count of a document's tasks is read from its numbering (rag.analysis.outline): code writes that lead.
    counted = count_sentence(retriever.corpus, {q.ev.paragraph.id: q.marker for q in quotes if q.ev.asked})
    quotes = [q for q in quotes if q.ev.asked] if counted else quotes  # what else shares its words is no count
    used, model = ("extractive", False) if counted else (primary.name, primary.name != "extractive")
    # The answering sentence is the first quote that states a measure: a measure's lead phrase (its heading) is not.
    # The verdict reads an asked line first, then the best-matching paragraph (the anchor), not the first retrieved:
    # a neighbour the question names only by its document ("the 2023 plan") can be retrieved first. The quotes keep
    # their order on screen and in the model's passages.
    stating = sorted(
        [q for q in quotes if not is_lead_phrase(q.ev.paragraph, q.text)] or quotes,
        key=lambda q: 0 if q.ev.asked else 1 if q.anchor else 2,
    )
    readings = [read(q.body, q.marker, q.ev.paragraph.kind) for q in stating]
    # The verdict reads the question with its typos corrected to the corpus's words, as retrieval does ("all exibits",
    # "agnecy" read as "all exhibits", "agency"): a rule's words and the tie to the answering sentence hold on them.
    ask = retriever.spelled(query)
    listed = listed_verdict(ask, stating, Registry(retriever.corpus))  # a department line or a stated relation
    tie = Tie(corpus_weights(retriever.corpus), settings.verdict_min_stated)
    # Asked in another language, the answer opens with the translation of the answering sentence
    # (rag.answer.multilingual), not of the model's English paraphrase of it: one translation step from the source,
    # not two. The model's lead is then written only when the verdict waits on its Yes, and on sure evidence nothing
    # is left to ask the model.
    writes = turn.language == DEFAULT or settings.translate_model_lead or needs_lead(ask, readings, listed, tie)
    if model and not writes and decision.sure:
        model, used = False, "extractive"
    asked, shown = model_input(query, quotes, settings) if model else ("", "")
    # Without a model, or on sure evidence, nothing is left to decide: the quotes go on screen now. On sure evidence
    # the model still reads the judging turn (its verdict unused), so the lead extends the same evaluated prompt,
    # and reads the same, as on judged evidence.
    at_once = not model or decision.sure
    if at_once:
        yield from _quoted(quotes, timings, ms)
    if model:
        try:
            judged = primary.judge(asked, shown)
            timings["judge_ms"] = ms()
            doubted = judged is not None and judged < settings.answerable_min_model_yes
            if not decision.sure and doubted and not settles(ask, readings):  # a marker answers the ask itself
                timings["total_ms"] = ms()
                reason = say("model_judged", language)
                yield AnswerEvent(_refusal(question, evidence, timings, notice, reason, language))
                return
        except LLMUnavailable as err:
            model, (used, notice) = False, _fallback(primary, settings, err, notice, language)
            yield NoticeEvent(say("model_failed", language))
    if not at_once:  # answerability is decided: the quotes are checked (verbatim evidence), so they go on screen now
        yield from _quoted(quotes, timings, ms)
    raw = checked = ""
    if model and writes:
        try:
            raw = _lead(primary, asked, shown, timings, ms, settings.max_answer_tokens)
            quoted = list({q.marker: q.ev for q in quotes}.values())  # the lead may cite only what is quoted
            checked = _checked_lead(raw, query, quoted, retriever, settings)
        except LLMUnavailable as err:
            used, notice = _fallback(primary, settings, err, notice, language)
            yield NoticeEvent(say("model_failed", language))
    # the verdict, decided in code; the model's lead only if it agrees
    first = opening(ask, readings, checked, listed, tie)
    lead = counted or first.text
    if lead:
        yield TokenEvent(lead, lead=True)
    if raw.strip() and not REFUSAL_RE.search(raw) and (not checked or first.dropped):
        notice = _join(notice, say("lead_dropped", language))
        yield NoticeEvent(say("lead_dropped", language))
    sentences = ([lead] if lead else []) + [q.cited() for q in quotes]
    text = " ".join(sentences)
    # The lead cites only quoted paragraphs, so the quotes' citations cover every marker in the text.
    citations = quote_citations([(q.ev, q.index, q.text) for q in quotes], retriever, settings)
    answering = (stating[0].ev.paragraph.id, stating[0].text)  # the headline sentence, when evidence spans documents
    # asked who is responsible, the answer is the departments line, whichever measure sentence matched best
    named = departments_line(quotes) if gaps.asks_authority(query) else None
    governing = governance_for_answer(question, evidence, retriever, settings, answering)
    timings["total_ms"] = ms()
    yield AnswerEvent(
        Answer(
            question=question,
            text=text,
            refused=False,
            backend=used,
            citations=citations,
            evidence=evidence,
            timings=timings,
            notice=notice,
            governing=governing,
            lead=lead,
            verdict=first.verdict,
            decisive=first.decisive,
            status=headline_status(first, listed, citations[0].status if citations else None),
            gap=gaps.missing(question, query, [c.quote for c in citations]),
            answering=(named or stating[0]).cited(),
        )
    )


def answer(
    question: str,
    retriever: Retriever,
    *,
    history: list[dict] | None = None,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    doc_ids: Collection[str] | None = None,
) -> Answer:
    """`stream_answer`, consumed: the final checked Answer."""
    final = None
    events = stream_answer(question, retriever, history=history, backend=backend, settings=settings, doc_ids=doc_ids)
    for event in events:
        if isinstance(event, AnswerEvent):
            final = event.answer
    assert final is not None  # stream_answer always ends with an AnswerEvent
    return final
