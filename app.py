"""Streamlit chat: ask the documents, see the answer stream in, every claim linked to its paragraph.

Presentation only: answering is rag.answer.pipeline.stream_answer, formatting is rag.interfaces.web.ui
and answer_view (names: rag.interfaces.web.names),
the shared corpus, index and model are rag.interfaces.web.resources.
Run with: streamlit run app.py (the viewer, views/viewer.py, is served at /viewer).
The viewer is not in a pages/ folder on purpose: Streamlit would then run it in its old
multipage mode, without this file's st.navigation, for sessions that start at /viewer.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Generator

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rag.answer.backends import Backend
from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent, stream_answer
from rag.core.errors import RagError
from rag.core.language import detect, say
from rag.core.settings import Settings, get_settings
from rag.core.text import doc_of
from rag.core.types import Answer, Evidence
from rag.interfaces.web import answer_view, resources, ui
from rag.interfaces.web.names import FALLBACK_NOTE, Namer, paragraph_number, reader_notice
from rag.retrieve import Retriever

log = logging.getLogger("rag.app")

EXAMPLES = [
    "Can a wholly foreign-owned company become a private fund manager in Beijing?",
    "Which department is responsible for cultural trade in Dongcheng District?",
    "What does the 2023 work plan say about telecommunications?",
    "Which earlier policy measures remain in force?",
]

STOPPED = "Stopped: a new question was asked before this answer was complete."


def nearest_passages(evidence: list[Evidence], namer: Namer) -> None:
    """A refusal's nearest passages, each a card with a link into the viewer (same session)."""
    st.markdown("**Nearest passages** (they do not answer the question):")
    for ev in list({ev.paragraph.id: ev for ev in evidence}.values())[:3]:
        with st.container(border=True):
            st.markdown(answer_view.evidence_markdown(ev, namer))
            open_link(ev.paragraph.id)


def open_link(paragraph_id: str) -> None:
    """A link to a paragraph in the viewer that stays in this session (the conversation is kept)."""
    label = f"Read ¶{paragraph_number(paragraph_id)} in the document"
    st.page_link(
        PAGES["viewer"],
        label=label,
        icon="📄",
        query_params={"doc": doc_of(paragraph_id), "p": paragraph_id},
    )


def render_answer(answer: Answer, namer: Namer) -> None:
    sources = answer_view.number_sources(answer, namer)
    if line := answer_view.bottom_line(answer, sources, namer):
        st.markdown(line)  # the answer opens with its bottom line
    if answer.notice:
        st.warning(ui.md(reader_notice(answer.notice, namer)))
    if answer.refused:
        st.info(answer_view.refusal_markdown(answer, namer))
        if answer.evidence:
            nearest_passages(answer.evidence, namer)
        return
    st.markdown(answer_view.answer_markdown(answer.text, sources, namer))
    if answer.translated_from:  # the text above is the model's translation; this is what was checked
        with st.expander(say("checked_english", answer.language)):
            st.markdown(answer_view.answer_markdown(answer.translated_from, sources, namer))
    if governing := answer_view.governing_markdown(answer.governing, namer, sources):
        with st.container(border=True):
            st.markdown("**Governing document**")
            st.markdown(governing)
    st.markdown(f"**Sources** ({len(sources)})")
    for source in sources:
        with st.container(border=True):
            st.markdown(answer_view.source_markdown(source, namer.corpus, namer))
            open_link(source.citation.paragraph_id)


def searched_for(question: str, standalone: str | None) -> None:
    """Say what was searched when a follow-up was made standalone (or a question translated)."""
    if standalone and standalone != question:
        st.caption(ui.md(say("searched_for", detect(question), question=standalone)))


def render_turn(turn: dict, namer: Namer) -> None:
    if "note" in turn:
        st.caption(ui.md(turn["note"]))
    elif "error" in turn:
        st.error(ui.md(reader_notice(turn["error"], namer)))
    else:
        searched_for(turn["answer"].question, turn["answer"].standalone_question)
        render_answer(turn["answer"], namer)


def history(messages: list[dict]) -> list[dict]:
    """The conversation so far as {"role", "content"} turns (the pipeline bounds it by settings.history_token_budget)."""
    turns = []
    for m in messages:
        if m["role"] == "user":
            turns.append({"role": "user", "content": m["text"]})
        elif "answer" in m:
            turns.append({"role": "assistant", "content": m["answer"].text})
    return turns


def wait_for_model(backend: Backend) -> None:
    warming = resources.warming(backend.name)
    if not warming.ready:
        with st.spinner("Getting the language model ready (only before the first answer)…"):
            warming.get()


def ask(
    question: str,
    retriever: Retriever,
    backend: Backend,
    settings: Settings,
    doc_ids: list[str] | None,
    earlier: list[dict] | None = None,
) -> dict:
    """Stream one answer into the page; returns the turn to keep in the conversation.

    A new question (or leaving the page) stops this script run at its next page update; closing the
    event stream then stops the model's generation, so the next question finds the model free.
    """
    namer = resources.namer()
    notice_slot, text_slot, sources_slot = st.empty(), st.empty(), st.empty()
    lead = quotes = ""
    events = None
    try:
        wait_for_model(backend)
        with st.spinner("Searching the documents…"):
            events = stream_answer(
                question, retriever, history=earlier, backend=backend, settings=settings, doc_ids=doc_ids
            )
            first = next(events)
        for event in itertools.chain([first], events):
            if isinstance(event, EvidenceEvent):
                searched_for(question, event.standalone_question)
                text_slot.caption("Writing the answer…")
                with sources_slot.container():
                    label = f"Evidence found: {len(event.evidence)} passages (the answer is being written)"
                    with st.expander(label, expanded=True):
                        st.markdown("\n".join(answer_view.evidence_line(ev, namer) for ev in event.evidence))
            elif isinstance(event, TokenEvent):  # checked sentences: the quotes, then the lead that goes before them
                lead, quotes = (event.text, quotes) if event.lead else (lead, quotes + event.text)
                text_slot.markdown(ui.md(namer.plain(f"{lead} {quotes}".strip())) + " ▌")
            elif isinstance(event, NoticeEvent):
                notice_slot.warning(ui.md(reader_notice(event.text, namer)))
            elif isinstance(event, AnswerEvent):
                notice_slot.empty()
                text_slot.empty()
                sources_slot.empty()
                render_answer(event.answer, namer)
                return {"role": "assistant", "answer": event.answer}
    except RagError as err:
        text_slot.empty()
        st.error(ui.md(reader_notice(str(err), namer)))
        return {"role": "assistant", "error": str(err)}
    except Exception:
        log.exception("answering %r failed", question)
        text_slot.empty()
        message = "Something went wrong while answering. The error was logged; please try again."
        st.error(ui.md(message))
        return {"role": "assistant", "error": message}
    finally:
        if isinstance(events, Generator):
            events.close()  # stops an abandoned generation (this run was stopped by a new question)
    message = "The answer stopped before it was complete; please try again."
    st.error(ui.md(message))
    return {"role": "assistant", "error": message}


def examples(where: str) -> None:
    """The example questions as buttons; a click asks it (set before the run, so that run answers it)."""
    for i, example in enumerate(EXAMPLES):
        st.button(example, key=f"{where}-example-{i}", width="stretch", on_click=ask_later, args=(example,))


def ask_later(question: str) -> None:
    st.session_state.pending = question


def sidebar(retriever: Retriever, backend: Backend) -> tuple[list[str] | None, DeltaGenerator]:
    """Model facts, index size, example questions and the document filter.

    Returns the filter and a slot for the fallback note, filled once this run's answer is known.
    """
    with st.sidebar:
        st.subheader("Model")
        st.markdown(f"Model: {ui.md(backend.model)}")
        fallback_slot = st.empty()
        st.subheader("Try asking")
        examples("sidebar")
        documents = retriever.corpus.documents
        namer = resources.namer()
        st.caption(f"{len(documents)} documents, {len(retriever.chunks)} chunks indexed")
        st.subheader("Search only in")
        chosen = st.multiselect(
            "Documents",
            sorted(documents),
            format_func=lambda d: f"{namer.name(d)} — {documents[d].info.title[:60]}",
            placeholder="all documents",
            label_visibility="collapsed",
        )
    return chosen or None, fallback_slot


def show_fallback(slot: DeltaGenerator, backend: Backend) -> None:
    last = next((t["answer"] for t in reversed(st.session_state.messages) if "answer" in t), None)
    if last and last.backend not in (backend.name, "none"):
        slot.info(ui.md(FALLBACK_NOTE))


def chat_page() -> None:
    st.title("Beijing Opening-Up Policy Assistant")
    st.caption(
        "Answers only from five State Council and Beijing documents on opening the service sector; "
        "every claim links to its paragraph."
    )
    settings = get_settings()
    st.session_state.setdefault("messages", [])
    resources.start()
    backend = resources.backend(settings.backend)
    resources.warming(settings.backend)  # the model loads in the background while the reader types
    st.html(ui.CITATION_LINK_SCRIPT, unsafe_allow_javascript=True)

    typed = st.chat_input("Ask about the opening-up policies…")
    question = (typed or st.session_state.pop("pending", None) or "").strip()  # blank input is ignored
    if not st.session_state.messages and not question:  # on a phone the sidebar is hidden: examples here too
        st.markdown("**Try asking**")
        examples("main")

    try:
        with st.spinner("Loading the documents (only on the first visit)…"):
            retriever = resources.retriever()  # the input box and examples are already on the page
    except RagError as err:
        st.error(ui.md(err))
        st.stop()
    doc_ids, fallback_slot = sidebar(retriever, backend)

    for turn in st.session_state.messages:
        with st.chat_message(turn["role"]):
            if turn["role"] == "user":
                st.markdown(ui.md(turn["text"]))
            else:
                render_turn(turn, resources.namer())

    if question:
        earlier = history(st.session_state.messages)
        st.session_state.messages.append({"role": "user", "text": question})
        with st.chat_message("user"):
            st.markdown(ui.md(question))
        with st.chat_message("assistant"):
            st.session_state.messages.append({"role": "assistant", "note": STOPPED})  # kept if this run is stopped
            st.session_state.messages[-1] = ask(question, retriever, backend, settings, doc_ids, earlier)
    show_fallback(fallback_slot, backend)


st.set_page_config(page_title="Beijing Opening-Up Policy Assistant", page_icon="⚖️")
PAGES = {
    "chat": st.Page(chat_page, title="Ask the documents", icon="💬", default=True),
    "viewer": st.Page("views/viewer.py", title="Read the documents", icon="📄", url_path=ui.VIEWER_PATH),
}
st.session_state[ui.PAGES_KEY] = PAGES  # the viewer links back to the chat with these
st.navigation(list(PAGES.values())).run()
