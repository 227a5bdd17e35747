"""Streamlit chat: ask the documents, see the answer stream in, every claim linked to its paragraph.

Presentation only: answering is rag.answer.pipeline.stream_answer; a turn is drawn by rag.interfaces.web.chat_view
(with answer_tools: rating, report, copy), the first screen by first_screen, formatting is rag.interfaces.web.ui and
answer_view (names: rag.interfaces.web.names), every fixed text comes from the catalog (rag.core.language) in the
page's language (language_switch); the shared corpus, index and model are rag.interfaces.web.resources.
Run with: streamlit run app.py (the viewer, views/viewer.py, is served at /viewer).
The viewer is not in a pages/ folder on purpose: Streamlit would then run it in its old
multipage mode, without this file's st.navigation, for sessions that start at /viewer.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Generator

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from rag.answer.backends import Backend
from rag.answer.pipeline import AnswerEvent, EvidenceEvent, NoticeEvent, TokenEvent, stream_answer
from rag.core.errors import RagError
from rag.core.language import say
from rag.core.settings import Settings, get_settings
from rag.interfaces.web import accessibility, answer_view, chat_view, first_screen, language_switch, resources, ui
from rag.interfaces.web.names import reader_notice
from rag.retrieve import Retriever

log = logging.getLogger("rag.app")

EXAMPLES = ("example_1", "example_2", "example_3", "example_4")  # catalog keys: the examples in the page's language


def history(messages: list[dict]) -> list[dict]:
    """The conversation so far as {"role", "content"} turns: each question with its answer (a stopped or failed
    turn is left out). The pipeline bounds it by settings.history_token_budget."""
    turns = []
    for asked, replied in itertools.pairwise(messages):
        if asked["role"] == "user" and "answer" in replied:
            turns += [
                {"role": "user", "content": asked["text"]},
                {"role": "assistant", "content": replied["answer"].text},
            ]
    return turns


def wait_for_model(backend: Backend, lang: str) -> None:
    warming = resources.warming(backend.name)
    if not warming.ready:
        with st.spinner(say("model_warming", lang)):
            warming.get()


def stop_answer() -> None:
    """The stop button: this click's rerun stops the running answer; the turn says the reader stopped it."""
    if st.session_state.get("messages") and "stopped" in st.session_state.messages[-1]:
        st.session_state.messages[-1]["stopped"] = "by_you"


def index_fingerprint(retriever: Retriever) -> str:
    data = getattr(retriever, "data", None)
    return data.path.name if data is not None else ""


def ask(question: str, retriever: Retriever, backend: Backend, settings: Settings, doc_ids, turn: dict) -> dict:
    """Stream one answer into the page; returns the turn to keep in the conversation.

    `turn` (already the conversation's last turn) holds what has been shown so far: if this run is stopped
    (the stop button, or a new question, stops it at its next page update) it stays as the stopped turn.
    Closing the event stream then stops the model's generation, so the next question finds the model free.
    """
    lang = language_switch.current()
    namer, earlier = resources.namer(lang), turn["history"]
    stop_slot = st.empty()
    stop_slot.button(say("stop", lang), key="stop", icon="⏹️", on_click=stop_answer)
    notice_slot, text_slot, sources_slot = st.empty(), st.empty(), st.empty()
    lead = quotes = ""
    events = None
    try:
        wait_for_model(backend, lang)
        with st.spinner(say("searching", lang)):
            events = stream_answer(
                question, retriever, history=earlier, backend=backend, settings=settings, doc_ids=doc_ids
            )
            first = next(events)
        for event in itertools.chain([first], events):
            if isinstance(event, EvidenceEvent):
                chat_view.searched_for(question, event.standalone_question, bool(earlier), lang)
                text_slot.caption(say("writing", lang))
                found = say("evidence_found", lang, n=str(len(event.evidence)))
                with sources_slot.container(), st.expander(found, expanded=True):
                    st.markdown("\n".join(answer_view.evidence_line(ev, namer, lang) for ev in event.evidence))
            elif isinstance(event, TokenEvent):  # checked sentences: the quotes, then the lead that goes before them
                lead, quotes = (event.text, quotes) if event.lead else (lead, quotes + event.text)
                turn["partial"] = f"{lead} {quotes}".strip()
                text_slot.markdown(ui.md(namer.plain(turn["partial"])) + " ▌")
            elif isinstance(event, NoticeEvent):
                notice_slot.warning(ui.md(reader_notice(event.text, namer)))
            elif isinstance(event, AnswerEvent):
                for slot in (stop_slot, notice_slot, text_slot, sources_slot):
                    slot.empty()
                answered = {"role": "assistant", "id": turn["id"], "answer": event.answer, "history": earlier}
                answered |= {"model": backend.model, "index": index_fingerprint(retriever)}
                chat_view.render_turn(answered, namer, lang)
                return answered
    except RagError as err:
        stop_slot.empty()
        text_slot.empty()
        shown = say("error_detail", lang, detail=reader_notice(str(err), namer))  # the detail is for whoever runs it
        st.error(ui.md(shown))
        return {"role": "assistant", "id": turn["id"], "error": shown}
    except Exception:
        log.exception("answering %r failed", question)
        stop_slot.empty()
        text_slot.empty()
        message = say("error_generic", lang)
        st.error(ui.md(message))
        return {"role": "assistant", "id": turn["id"], "error": message}
    finally:
        if isinstance(events, Generator):
            events.close()  # stops an abandoned generation (this run was stopped by a new question)
    stop_slot.empty()
    message = say("error_incomplete", lang)
    st.error(ui.md(message))
    return {"role": "assistant", "id": turn["id"], "error": message}


def examples(where: str, lang: str) -> None:
    """The example questions as buttons; a click asks it (set before the run, so that run answers it)."""
    for i, key in enumerate(EXAMPLES):
        example = say(key, lang)
        st.button(example, key=f"{where}-example-{i}", width="stretch", on_click=ask_later, args=(example,))


def ask_later(question: str) -> None:
    st.session_state.pending = question
    language_switch.follow(question)


def typed() -> None:
    """The chat box's callback: the page takes the language of the question before it is drawn."""
    language_switch.follow(st.session_state.get("chat-input") or "")


def new_conversation() -> None:
    st.session_state.messages = []
    st.session_state.pop("pending", None)


def sidebar(retriever: Retriever, backend: Backend, started: bool) -> tuple[list[str] | None, DeltaGenerator]:
    """The document filter, example questions (until the conversation starts) and "About".

    Returns the filter and a slot for the fallback note, filled once this run's answer is known.
    """
    lang = language_switch.current()
    with st.sidebar:
        fallback_slot = st.empty()
        if not started:
            st.subheader(say("try_asking", lang))
            examples("sidebar", lang)
        documents = retriever.corpus.documents
        namer = resources.namer(lang)
        st.subheader(say("search_only_in", lang))
        chosen = st.multiselect(
            say("documents_label", lang),
            sorted(documents),
            format_func=lambda d: f"{namer.name(d)} — {documents[d].info.title[:60]}",
            placeholder=say("all_documents", lang),
            label_visibility="collapsed",
        )
        first_screen.about(backend.model, retriever.corpus, len(retriever.chunks), index_fingerprint(retriever), lang)
    return chosen or None, fallback_slot


def show_fallback(slot: DeltaGenerator, backend: Backend) -> None:
    last = next((t["answer"] for t in reversed(st.session_state.messages) if "answer" in t), None)
    if last and last.backend not in (backend.name, "none"):
        slot.info(ui.md(say("fallback_note", language_switch.current())))


def header(lang: str) -> None:
    title, switch = st.columns([5, 2], vertical_alignment="bottom")
    title.title(say("page_title", lang))
    with switch:
        language_switch.switch("chat")
    st.caption(ui.md(say("scope", lang)) + "  \n" + ui.md(say("not_advice", lang)))


def chat_page() -> None:
    settings = get_settings()
    st.session_state.setdefault("messages", [])
    resources.start()
    backend = resources.backend(settings.backend)
    resources.warming(settings.backend)  # the model loads in the background while the reader types
    st.html(ui.CITATION_LINK_SCRIPT, unsafe_allow_javascript=True)
    st.html(accessibility.PAGE_CSS)

    entered = st.chat_input(say("input_placeholder", language_switch.current()), key="chat-input", on_submit=typed)
    question = (entered or st.session_state.pop("pending", None) or "").strip()  # blank input is ignored
    lang = language_switch.current()
    st.html(accessibility.avatar_script(lang), unsafe_allow_javascript=True)
    header(lang)
    started = bool(st.session_state.messages or question)
    if not started:  # on a phone the sidebar is hidden: examples here too
        st.markdown(f"**{ui.md(say('try_asking', lang))}**")
        examples("main", lang)

    try:
        with st.spinner(say("loading_documents", lang)):
            retriever = resources.retriever()  # the input box and examples are already on the page
    except RagError as err:
        st.error(ui.md(say("error_detail", lang, detail=str(err))))
        st.stop()
    doc_ids, fallback_slot = sidebar(retriever, backend, started)
    namer = resources.namer(lang)
    if not started:
        first_screen.documents(retriever.corpus, namer, lang)

    for turn in st.session_state.messages:
        with st.chat_message(turn["role"]):
            if turn["role"] == "user":
                st.markdown(ui.md(turn["text"]))
            else:
                chat_view.render_turn(turn, namer, lang)

    if question:
        earlier = history(st.session_state.messages)
        st.session_state.messages.append({"role": "user", "text": question})
        with st.chat_message("user"):
            st.markdown(ui.md(question))
        with st.chat_message("assistant"):
            turn = {"role": "assistant", "id": uuid.uuid4().hex[:12], "stopped": "new_question", "partial": ""}
            turn |= {"question": question, "history": earlier}
            st.session_state.messages.append(turn)  # kept, with what was shown, if this run is stopped
            st.session_state.messages[-1] = ask(question, retriever, backend, settings, doc_ids, turn)
    if st.session_state.messages:
        st.button(say("new_conversation", lang), key="new-conversation", icon="🆕", on_click=new_conversation)
    show_fallback(fallback_slot, backend)


st.set_page_config(page_title=say("page_title", language_switch.current()), page_icon="⚖️")
_lang = language_switch.current()
PAGES = {
    "chat": st.Page(chat_page, title=say("nav_chat", _lang), icon="💬", default=True),
    "viewer": st.Page("views/viewer.py", title=say("nav_viewer", _lang), icon="📄", url_path=ui.VIEWER_PATH),
}
st.session_state[ui.PAGES_KEY] = PAGES  # the viewer links back to the chat with these
st.navigation(list(PAGES.values())).run()
