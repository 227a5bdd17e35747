"""Document viewer: /viewer?doc=<doc_id>&p=<paragraph_id> shows a document with that paragraph highlighted.

Every paragraph is an element whose id is its paragraph id, so citation links
land on the exact sentence's paragraph; registry facts and relations come first.
A header stays at the top (the document's name, short title and date, the highlighted
paragraph's status) with a link back to the conversation, which the session keeps.
"Which document governs this measure?" sits right under the highlighted paragraph and
answers there; its links, like the chat's citations, stay in the session.
The page is in the chat's language (rag.interfaces.web.language_switch), with the same switch.
"""

from __future__ import annotations

import streamlit as st

from rag.analysis.governs import governs
from rag.core.errors import RagError
from rag.core.language import say
from rag.core.text import doc_of
from rag.interfaces.web import accessibility, language_switch, resources, ui
from rag.interfaces.web.answer_view import governing_links, governing_markdown
from rag.interfaces.web.names import Namer, paragraph_number

GOVERNS_KEY = "viewer-governs"  # session key: the paragraph asked about and its answer (kept across reruns)


def back_link(lang: str) -> None:
    """Back to the chat; in the same session, so the conversation is still there."""
    pages = st.session_state.get(ui.PAGES_KEY)
    if not pages:
        return
    if st.session_state.get("messages"):
        st.page_link(pages["chat"], label=say("back_to_conversation", lang), icon="⬅️")
    else:
        st.page_link(pages["chat"], label=say("nav_chat", lang), icon="💬")


def goto(doc_id: str, paragraph_id: str | None) -> None:
    """Open a document (at a paragraph) in this viewer, in this session: the conversation and language stay."""
    st.query_params.from_dict({"doc": doc_id} | ({"p": paragraph_id} if paragraph_id else {}))


def twin_button(doc_id: str, paragraph_id: str | None, label: str, kind: str = "goto") -> None:
    """The button a click on a Markdown link to this place is sent to (ui.CITATION_LINK_SCRIPT)."""
    key = ui.twin_key(doc_id, paragraph_id, kind)
    st.button(label, key=key, icon="📄", type="tertiary", on_click=goto, args=(doc_id, paragraph_id))


def paragraph_buttons(paragraph_ids: list[str], lang: str) -> None:
    """A visible "Read ¶N" per paragraph a box links to; its Markdown links open through them, in the session."""
    for pid in dict.fromkeys(paragraph_ids):
        twin_button(doc_of(pid), pid, say("read_paragraph", lang, n=str(paragraph_number(pid))))


def relation_twins(relations: list[tuple[str, str | None]]) -> None:
    """Hidden twins for the relation lines' links (the documents and the paragraphs that state them)."""
    with st.container(key=ui.TWINS_KEY):
        for doc_id, paragraph_id in dict.fromkeys(relations):
            twin_button(doc_id, paragraph_id, f"{doc_id} {paragraph_id or ''}", kind="twin")


def governing_box(paragraph, lang: str) -> None:
    """Which provision prevails for this measure, asked and answered right under it (computed on request: ~2 s)."""
    asked = st.session_state.get(GOVERNS_KEY)
    if st.button(say("governs_button", lang), key="governs", icon="⚖️"):
        try:
            with st.spinner(say("comparing", lang)):
                result = governs(paragraph.text, resources.retriever())
        except RagError as err:
            st.error(ui.md(err))
            return
        asked = st.session_state[GOVERNS_KEY] = (paragraph.id, result)
    if not asked or asked[0] != paragraph.id:
        return
    result = asked[1]
    with st.container(border=True, key="governs-result"):
        box = governing_markdown(result, Namer(resources.corpus(), lang), lang=lang)
        st.markdown(box or ui.md(say("no_other_document", lang)))
        # its links open the viewer in this session, as citations do (the back link leads to the conversation)
        paragraph_buttons([pid for pid in governing_links(result) if pid != paragraph.id], lang)


def main() -> None:
    lang = language_switch.current()
    st.set_page_config(page_title=say("viewer_title", lang), layout="wide")
    try:
        with st.spinner(say("loading_viewer", lang)):
            docs = resources.corpus()
        namer = Namer(docs, lang)
    except RagError as err:
        st.error(ui.md(err))
        st.stop()

    ids = list(docs.documents)
    doc_id = st.query_params.get("doc")
    paragraph_id = st.query_params.get("p")
    if doc_id not in docs.documents:
        if doc_id:
            st.error(ui.md(say("unknown_document", lang, id=doc_id)))
        doc_id = ids[0]
    doc = docs.documents[doc_id]
    if paragraph_id and not (docs.has_paragraph(paragraph_id) and paragraph_id.startswith(f"{doc_id}.p")):
        st.warning(ui.md(say("paragraph_not_in", lang, id=paragraph_id, name=namer.name(doc_id))))
        paragraph_id = None

    info = doc.info
    st.html(ui.VIEWER_CSS)
    st.html(ui.CITATION_LINK_SCRIPT, unsafe_allow_javascript=True)
    st.html(accessibility.PAGE_CSS)
    with st.container(key=ui.VIEWER_HEAD_KEY):
        back_link(lang)
        st.markdown(ui.viewer_header(info, namer))
        if paragraph_id:
            st.markdown(ui.paragraph_header(docs.paragraph(paragraph_id), namer, lang))
    chosen = st.selectbox(
        say("document_label", lang),
        ids,
        index=ids.index(doc_id),
        format_func=lambda d: f"{namer.name(d)} — {docs.documents[d].info.title}",
    )
    if chosen != doc_id:
        st.query_params.from_dict({"doc": chosen})
        st.rerun()
    st.header(info.title)
    st.markdown(ui.registry_markdown(info, namer, lang))
    if relations := ui.relation_markdown(info, namer, lang):
        st.markdown(f"**{ui.md(say('relations_heading', lang))}**")
        st.markdown("\n".join(relations))
        targets = [(r.target, None) for r in info.relations if r.target in docs.documents]
        relation_twins(targets + [(doc_of(r.paragraph_id), r.paragraph_id) for r in info.relations if r.paragraph_id])
    st.divider()
    with st.sidebar:
        language_switch.switch("viewer")
        if contents := ui.contents_html(doc):
            st.subheader(say("contents", lang))
            st.html(contents)
    before, after = ui.document_parts(doc, highlight=paragraph_id, lang=lang)
    st.html(before)
    if paragraph_id:
        p = docs.paragraph(paragraph_id)
        if p.kind in ("measure", "task"):
            governing_box(p, lang)
    if after:
        st.html(after)
    if paragraph_id:
        st.html(ui.scroll_script(paragraph_id), unsafe_allow_javascript=True)


main()
