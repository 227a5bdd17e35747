"""The chat's turns as a reader sees them: an answer (bottom line, text, governing box, source cards, tools),
a refusal with its nearest passages, an error, or an answer that was stopped (what was shown, and a retry).

Streamlit calls; the Markdown comes from answer_view, the words from the catalog (rag.core.language).
A turn is a dict in st.session_state.messages: {"role": "user", "text"} or {"role": "assistant", "id", ...}
with "answer" (an Answer), "error" (a message) or "stopped" ("new_question" | "by_you", with "partial").
"""

from __future__ import annotations

import streamlit as st

from rag.core.language import say
from rag.core.text import doc_of
from rag.core.types import Answer, Evidence
from rag.interfaces.web import answer_tools, answer_view, ui
from rag.interfaces.web.names import Namer, paragraph_number, reader_notice


def open_link(paragraph_id: str, lang: str) -> None:
    """A link to a paragraph in the viewer that stays in this session (the conversation is kept)."""
    pages = st.session_state.get(ui.PAGES_KEY)
    if not pages:
        return
    st.page_link(
        pages["viewer"],
        label=say("read_paragraph", lang, n=str(paragraph_number(paragraph_id))),
        icon="📄",
        query_params={"doc": doc_of(paragraph_id), "p": paragraph_id},
    )


def paragraph_links(paragraph_ids: list[str], lang: str) -> None:
    """In-session links for the paragraphs a Markdown box links to: ui.CITATION_LINK_SCRIPT sends a click on
    the box's link to its twin here, so it opens the viewer in this session, the way citations do."""
    for pid in dict.fromkeys(paragraph_ids):
        open_link(pid, lang)


def nearest_passages(evidence: list[Evidence], namer: Namer, lang: str) -> None:
    """A refusal's nearest passages, each a card with a link into the viewer (same session)."""
    st.markdown(f"**{ui.md(say('nearest_heading', lang))}** {ui.md(say('nearest_hint', lang))}")
    for ev in list({ev.paragraph.id: ev for ev in evidence}.values())[:3]:
        with st.container(border=True):
            st.markdown(answer_view.evidence_markdown(ev, namer, lang=lang))
            open_link(ev.paragraph.id, lang)


def render_answer(answer: Answer, namer: Namer, lang: str) -> list[answer_view.Source]:
    """The answer, its governing box and its source cards; returns the numbered sources."""
    sources = answer_view.number_sources(answer, namer, lang)
    line = answer_view.bottom_line(answer, sources, namer, lang)
    if line and not answer.verdict:
        st.markdown(line)  # the answer opens with its bottom line: the answering sentence's status
    if answer.notice and not answer.verdict:
        st.warning(ui.md(reader_notice(answer.notice, namer)))
    if answer.refused:
        st.info(answer_view.refusal_markdown(answer, namer))
        if answer.evidence:
            nearest_passages(answer.evidence, namer, lang)
        return sources
    if answer.gap:  # the quotes do not name what was asked (rag.answer.gaps): say so above them
        st.info(ui.md(say(f"gap_{answer.gap}", lang)))
    st.markdown(answer_view.answer_markdown(answer.text, sources, namer))
    if answer.verdict:  # a yes-or-no answer opens with its verdict; its sentence's status and any notice follow
        if line:
            st.markdown(line)
        if answer.notice:
            st.warning(ui.md(reader_notice(answer.notice, namer)))
    if answer.translated_from:  # the text above is the model's translation; this is what was checked
        with st.expander(say("checked_english", lang)):
            st.markdown(answer_view.answer_markdown(answer.translated_from, sources, namer))
    if governing := answer_view.governing_markdown(answer.governing, namer, sources, lang):
        with st.container(border=True):
            st.markdown(f"**{ui.md(say('governing_document', lang))}**")
            st.markdown(governing)
            cited = {s.citation.paragraph_id for s in sources}
            paragraph_links([p for p in answer_view.governing_links(answer.governing) if p not in cited], lang)
    st.markdown(f"**{ui.md(say('sources', lang))}** ({len(sources)})")
    for source in sources:
        with st.container(border=True):
            st.markdown(answer_view.source_markdown(source, namer.corpus, namer, lang))
            open_link(source.citation.paragraph_id, lang)
    return sources


def searched_for(question: str, standalone: str | None, followup: bool, lang: str) -> None:
    """Say what was searched, only when the history shaped it (a follow-up made standalone)."""
    if followup and standalone and standalone != question:
        st.caption(ui.md(say("searched_for", lang, question=standalone)))


def retry(turn: dict) -> None:
    """Ask a stopped turn's question again, as a new turn (the stopped one stays as it was)."""
    turn["retried"] = True
    st.session_state.pending = turn["question"]


def render_stopped(turn: dict, namer: Namer, lang: str) -> None:
    """What was shown before the answer stopped, marked as stopped, with a retry."""
    if turn.get("partial"):
        st.markdown(ui.md(namer.plain(turn["partial"])))
    st.warning(ui.md(say(f"stopped_{turn['stopped']}", lang)))
    if not turn.get("retried"):
        st.button(say("retry", lang), key=f"retry-{turn['id']}", icon="🔁", on_click=retry, args=(turn,))


def render_turn(turn: dict, namer: Namer, lang: str) -> None:
    if "stopped" in turn:
        render_stopped(turn, namer, lang)
    elif "error" in turn:
        st.error(ui.md(turn["error"]))  # as shown when it happened (rag.core.page_texts: error_detail)
    else:
        answer = turn["answer"]
        searched_for(answer.question, answer.standalone_question, bool(turn.get("history")), lang)
        sources = render_answer(answer, namer, lang)
        answer_tools.tools(turn, sources, namer, lang)
