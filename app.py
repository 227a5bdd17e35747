"""Streamlit chat: ask the documents, see the answer stream in, every claim linked to its paragraph.

Presentation only: answering is rag.answer.pipeline.stream_answer, formatting is rag.interfaces.web.ui,
the shared corpus, index and model are rag.interfaces.web.resources.
Run with: streamlit run app.py (the viewer, views/viewer.py, is served at /viewer).
The viewer is not in a pages/ folder on purpose: Streamlit would then run it in its old
multipage mode, without this file's st.navigation, for sessions that start at /viewer.
"""

from __future__ import annotations

import itertools
import logging

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rag.answer.backends import Backend
from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent, stream_answer
from rag.core.errors import RagError
from rag.core.language import detect, say
from rag.core.settings import Settings, get_settings
from rag.core.types import Answer, Evidence
from rag.ingest.documents import paragraph_url
from rag.interfaces.web import resources, ui
from rag.retrieve import Retriever

log = logging.getLogger("rag.app")

EXAMPLES = [
    "Can a wholly foreign-owned company become a private fund manager in Beijing?",
    "Which department is responsible for cultural trade in Dongcheng District?",
    "What does the 2023 work plan say about telecommunications?",
    "Which earlier policy measures remain in force?",
]


def render_evidence(evidence: list[Evidence], retriever: Retriever, settings: Settings) -> None:
    for ev in evidence:
        with st.container(border=True):
            st.markdown(ui.evidence_markdown(ev, retriever.corpus, paragraph_url(ev.paragraph.id, settings)))


def render_answer(answer: Answer, retriever: Retriever, settings: Settings) -> None:
    if answer.notice:
        st.warning(ui.md(answer.notice))
    if answer.refused:
        st.info(ui.md(answer.text))
        if answer.evidence:
            st.markdown("**Nearest passages** (they do not answer the question):")
            render_evidence(answer.evidence[:3], retriever, settings)
        return
    st.markdown(ui.linked_answer(answer.text, answer.citations))
    if answer.translated_from:  # the text above is the model's translation; this is what was checked
        with st.expander(say("checked_english", answer.language)):
            st.markdown(ui.linked_answer(answer.translated_from, answer.citations))
    if governing := ui.governing_markdown(answer.governing):
        with st.container(border=True):
            st.markdown("**Governing document**")
            st.markdown(governing)
    st.markdown(f"**Sources** ({len(answer.citations)})")
    for c in answer.citations:
        with st.container(border=True):
            st.markdown(ui.citation_markdown(c, retriever.corpus))


def searched_for(question: str, standalone: str | None) -> None:
    """Say what was searched when a follow-up was made standalone (or a question translated)."""
    if standalone and standalone != question:
        st.caption(ui.md(say("searched_for", detect(question), question=standalone)))


def render_turn(turn: dict, retriever: Retriever, settings: Settings) -> None:
    if "error" in turn:
        st.error(ui.md(turn["error"]))
    else:
        searched_for(turn["answer"].question, turn["answer"].standalone_question)
        render_answer(turn["answer"], retriever, settings)


def history(messages: list[dict]) -> list[dict]:
    """The conversation so far as {"role", "content"} turns (the pipeline bounds it by settings.history_token_budget)."""
    turns = []
    for m in messages:
        if m["role"] == "user":
            turns.append({"role": "user", "content": m["text"]})
        elif "answer" in m:
            turns.append({"role": "assistant", "content": m["answer"].text})
    return turns


def ask(
    question: str,
    retriever: Retriever,
    backend: Backend,
    settings: Settings,
    doc_ids: list[str] | None,
    earlier: list[dict] | None = None,
) -> dict:
    """Stream one answer into the page; returns the turn to keep in the conversation."""
    text_slot, sources_slot = st.empty(), st.empty()
    text = ""
    try:
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
                        st.markdown(
                            "\n".join(
                                f"- {ui.evidence_line(ev, paragraph_url(ev.paragraph.id, settings))}"
                                for ev in event.evidence
                            )
                        )
            elif isinstance(event, TokenEvent):
                text += event.text
                text_slot.markdown(ui.md(text) + " ▌")
            elif isinstance(event, NoticeEvent):
                text = ""
                text_slot.warning(ui.md(event.text))
            elif isinstance(event, AnswerEvent):
                text_slot.empty()
                sources_slot.empty()
                render_answer(event.answer, retriever, settings)
                return {"role": "assistant", "answer": event.answer}
    except RagError as err:
        text_slot.empty()
        st.error(ui.md(err))
        return {"role": "assistant", "error": str(err)}
    except Exception:
        log.exception("answering %r failed", question)
        text_slot.empty()
        message = "Something went wrong while answering. The error was logged; please try again."
        st.error(ui.md(message))
        return {"role": "assistant", "error": message}
    message = "The answer stopped before it was complete; please try again."
    st.error(ui.md(message))
    return {"role": "assistant", "error": message}


def sidebar(retriever: Retriever, backend: Backend) -> tuple[list[str] | None, DeltaGenerator]:
    """Backend facts, index size, example questions and the document filter.

    Returns the filter and a slot for the fallback warning, filled once this run's answer is known.
    """
    with st.sidebar:
        st.subheader("Model")
        st.markdown(f"Backend: **{ui.md(backend.name)}**  \nModel: {ui.md(backend.model)}")
        fallback_slot = st.empty()
        documents = retriever.corpus.documents
        st.caption(f"{len(documents)} documents, {len(retriever.chunks)} chunks indexed")
        st.subheader("Try asking")
        for i, example in enumerate(EXAMPLES):
            if st.button(example, key=f"example-{i}", width="stretch"):
                st.session_state.pending = example
        st.subheader("Search only in")
        chosen = st.multiselect(
            "Documents",
            sorted(documents),
            format_func=lambda d: f"{d} — {documents[d].info.title[:60]}",
            placeholder="all documents",
            label_visibility="collapsed",
        )
    return chosen or None, fallback_slot


def show_fallback(slot: DeltaGenerator, backend: Backend) -> None:
    last = next((t["answer"] for t in reversed(st.session_state.messages) if "answer" in t), None)
    if last and last.backend not in (backend.name, "none"):
        slot.warning(ui.md(f"The last answer used the fallback backend ({last.backend})."))


def chat_page() -> None:
    st.title("Beijing Opening-Up Policy Assistant")
    st.caption(
        "Answers only from five State Council and Beijing documents on opening the service sector; "
        "every claim links to its paragraph."
    )
    settings = get_settings()
    st.session_state.setdefault("messages", [])
    try:
        retriever = resources.retriever()
        backend = resources.backend(settings.backend)
    except RagError as err:
        st.error(ui.md(err))
        st.stop()
    doc_ids, fallback_slot = sidebar(retriever, backend)

    for turn in st.session_state.messages:
        with st.chat_message(turn["role"]):
            if turn["role"] == "user":
                st.markdown(ui.md(turn["text"]))
            else:
                render_turn(turn, retriever, settings)

    question = st.chat_input("Ask about the opening-up policies…") or st.session_state.pop("pending", None)
    if question:
        earlier = history(st.session_state.messages)
        st.session_state.messages.append({"role": "user", "text": question})
        with st.chat_message("user"):
            st.markdown(ui.md(question))
        with st.chat_message("assistant"):
            st.session_state.messages.append(ask(question, retriever, backend, settings, doc_ids, earlier))
    show_fallback(fallback_slot, backend)


st.set_page_config(page_title="Beijing Opening-Up Policy Assistant", page_icon=":material/gavel:")
st.navigation(
    [
        st.Page(chat_page, title="Ask the documents", icon=":material/chat:", default=True),
        st.Page("views/viewer.py", title="Read the documents", icon=":material/description:", url_path=ui.VIEWER_PATH),
    ]
).run()
