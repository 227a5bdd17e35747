"""Answer a question from the documents, streamed, with every citation checked in code.

`stream_answer` yields events in this order:

  EvidenceEvent   once, as soon as retrieval is done (the numbered evidence, or
                  the nearest passages when the corpus does not cover the question)
  TokenEvent      zero or more pieces of the model's raw text, as generated
  NoticeEvent     only if the backend failed, or its draft could not be verified
                  against the evidence: discard the tokens shown so far, the
                  fallback backend's (extractive) tokens follow
  AnswerEvent     once, last: the checked Answer. Its text can differ from the
                  streamed tokens (unsupported sentences and stray markers are
                  removed, overstated ones restated), so a UI should replace the
                  streamed text with it.

Refusals (Answer.refused, citations=[], the nearest passages in `evidence` and
named in the text) happen when the best evidence scores under
settings.min_evidence_score (the model is not called), when the model's answer
opens with the refusal phrase, or when none of its sentences survives the check.

Questions that try to change the assistant's rules ("ignore previous
instructions", "you are now ...", "system prompt") are not obeyed: the
sentences carrying such instructions are removed and the rest is answered with
a notice; a question made only of such instructions is refused with BadQuestion.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, replace

from rag.analysis.governs import governance_for_answer
from rag.answer import prompts
from rag.answer.backends import Backend, get_backend
from rag.answer.conversation import Turn, prepare
from rag.answer.evidence import Retriever, select_evidence
from rag.answer.guard import clean_question
from rag.answer.multilingual import helper_model, localize
from rag.answer.support import split_answer
from rag.answer.verify import REFUSAL_RE, Checked, check_citations
from rag.core.errors import LLMUnavailable
from rag.core.glossary import expand
from rag.core.settings import Settings, get_settings
from rag.core.types import Answer, Evidence


@dataclass(frozen=True)
class EvidenceEvent:
    evidence: list[Evidence]
    standalone_question: str | None = None  # what was searched (a follow-up made standalone, in English)


@dataclass(frozen=True)
class TokenEvent:
    text: str


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
    question: str, evidence: list[Evidence], backend: str, timings: dict[str, float], notice: str | None
) -> Answer:
    nearest = list(dict.fromkeys(prompts.evidence_label(ev).rstrip(".") for ev in evidence))[:3]
    text = prompts.REFUSAL
    text += f" Nearest passages: {'; '.join(nearest)}." if nearest else " No passage came close."
    return Answer(
        question=question, text=text, refused=True, backend=backend, evidence=evidence, timings=timings, notice=notice
    )


def _draft(
    backend: Backend, question: str, evidence: list[Evidence], timings: dict[str, float], ms
) -> Iterator[TokenEvent]:
    """Stream one backend's draft as TokenEvents; returns the whole draft."""
    timings.pop("first_token_ms", None)
    pieces = []
    for piece in backend.stream(question, evidence):
        timings.setdefault("first_token_ms", ms())
        pieces.append(piece)
        yield TokenEvent(piece)
    return "".join(pieces)


def stream_answer(
    question: str,
    retriever: Retriever,
    *,
    history: list[dict] | None = None,
    backend: str | Backend | None = None,
    settings: Settings | None = None,
    doc_ids: Collection[str] | None = None,
) -> Iterator[Event]:
    """Retrieve, generate and check an answer, yielding events (see the module docstring).

    `history` ([{"role": "user"|"assistant", "content": ...}]) makes a follow-up standalone before
    retrieval (rag.answer.conversation); EvidenceEvent.standalone_question says what was searched.
    A question not in English is searched in English and in its own words, and the checked answer
    is translated into its language (rag.answer.multilingual).
    `backend` is a registry name or a Backend (default settings.backend). When it
    fails, settings.fallback_backend answers and Answer.notice says so. Timings
    (ms from the call): condense_ms (and translate_ms), retrieve_ms, first_token_ms, total_ms.
    """
    settings = settings or get_settings()
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
    query, notice = clean_question(turn.search, settings)
    primary = (
        backend
        if backend is not None and not isinstance(backend, str)
        else get_backend(backend or settings.backend, settings)
    )

    hits = retriever.search(query, k=settings.evidence_chunks, doc_ids=doc_ids, **turn.search_options)
    evidence = select_evidence(query, hits, retriever, settings)
    timings = {"retrieve_ms": ms()}
    yield EvidenceEvent(evidence, turn.search)
    if not evidence or evidence[0].score < settings.min_evidence_score:
        timings["total_ms"] = ms()
        yield AnswerEvent(_refusal(question, evidence, "none", timings, notice))
        return

    asked = expand(query)  # "VPN (virtual private network)": a small model needs the documents' words

    def fall_back(why: str) -> Iterator[Event]:
        """Tell the reader why, then let the fallback backend draft from the same evidence."""
        fallback = get_backend(settings.fallback_backend, settings)
        yield NoticeEvent(why)
        draft = yield from _draft(fallback, asked, evidence, timings, ms)
        return fallback, draft

    used = primary
    try:
        raw = yield from _draft(primary, asked, evidence, timings, ms)
    except LLMUnavailable as err:
        if settings.fallback_backend == primary.name:
            raise
        failed = f"The language model failed ({err}); showing the {settings.fallback_backend} answer."
        notice = _join(failed, notice)
        used, raw = yield from fall_back(failed)

    first = split_answer(raw)[:1]
    declined = bool(first and REFUSAL_RE.search(first[0].text))  # led with the refusal phrase; later ones are dropped
    checked = Checked("", [], 0) if declined else check_citations(raw, evidence, retriever, settings)
    unverifiable = bool(not checked.text and raw.strip() and not declined)
    if unverifiable and used.name != settings.fallback_backend:
        # The model answered, but nothing it said could be verified: quote the sources rather than refuse.
        unverified = (
            "The model's draft could not be matched to the sources, so the best-supporting passages are quoted instead."
        )
        notice = _join(notice, unverified)
        used, raw = yield from fall_back(unverified)
        checked = check_citations(raw, evidence, retriever, settings)
        unverifiable = False  # already said in the notice
    timings["total_ms"] = ms()
    if checked.restated:
        notice = _join(
            notice,
            "Where the answer stated a supported or explored measure as granted, the document's own words are shown.",
        )
    if not checked.text:
        if unverifiable:
            notice = _join(notice, "The model's answer could not be matched to the evidence, so it is not shown.")
        yield AnswerEvent(_refusal(question, evidence, used.name, timings, notice))
        return
    governing = governance_for_answer(question, evidence, retriever, settings)  # None unless evidence spans documents
    timings["total_ms"] = ms()
    yield AnswerEvent(
        Answer(
            question=question,
            text=checked.text,
            refused=False,
            backend=used.name,
            citations=checked.citations,
            evidence=evidence,
            timings=timings,
            notice=notice,
            governing=governing,
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
