"""Document viewer: /viewer?doc=<doc_id>&p=<paragraph_id> shows a document with that paragraph highlighted.

Every paragraph is an element whose id is its paragraph id, so citation links
land on the exact sentence's paragraph; registry facts and relations come first.
A header stays at the top (the document's name, short title and date, the highlighted
paragraph's status) with a link back to the conversation, which the session keeps.
"""

from __future__ import annotations

import streamlit as st

from rag.analysis.governs import governs
from rag.core.errors import RagError
from rag.interfaces.web import resources, ui
from rag.interfaces.web.answer_view import governing_markdown
from rag.interfaces.web.names import Namer


def back_link() -> None:
    """Back to the chat; in the same session, so the conversation is still there."""
    pages = st.session_state.get(ui.PAGES_KEY)
    if not pages:
        return
    if st.session_state.get("messages"):
        st.page_link(pages["chat"], label="Back to the conversation", icon="⬅️")
    else:
        st.page_link(pages["chat"], label="Ask the documents", icon="💬")


def governing_box(paragraph) -> None:
    """Where else this measure appears, and which provision prevails (computed on request: ~2 s)."""
    if st.button("Which document governs this measure?", key="governs"):
        try:
            with st.spinner("Comparing the documents…"):
                box = governing_markdown(governs(paragraph.text, resources.retriever()), Namer(resources.corpus()))
        except RagError as err:
            st.error(ui.md(err))
            return
        st.markdown(box or "No other document states this measure.")


def main() -> None:
    st.set_page_config(page_title="Document viewer · Beijing Opening-Up Policy Assistant", layout="wide")
    try:
        with st.spinner("Loading the documents…"):
            docs = resources.corpus()
        namer = Namer(docs)
    except RagError as err:
        st.error(ui.md(err))
        st.stop()

    ids = list(docs.documents)
    doc_id = st.query_params.get("doc")
    paragraph_id = st.query_params.get("p")
    if doc_id not in docs.documents:
        if doc_id:
            st.error(f"Unknown document id {ui.md(doc_id)}. Choose one of the documents below.")
        doc_id = ids[0]
    doc = docs.documents[doc_id]
    if paragraph_id and not (docs.has_paragraph(paragraph_id) and paragraph_id.startswith(f"{doc_id}.p")):
        st.warning(
            f"Paragraph {ui.md(paragraph_id)} is not in {ui.md(namer.name(doc_id))}; showing the whole document."
        )
        paragraph_id = None

    info = doc.info
    st.html(ui.VIEWER_CSS)
    with st.container(key=ui.VIEWER_HEAD_KEY):
        back_link()
        st.markdown(ui.viewer_header(info, namer))
        if paragraph_id:
            st.markdown(ui.paragraph_header(docs.paragraph(paragraph_id), namer))
    chosen = st.selectbox(
        "Document",
        ids,
        index=ids.index(doc_id),
        format_func=lambda d: f"{namer.name(d)} — {docs.documents[d].info.title}",
    )
    if chosen != doc_id:
        st.query_params.from_dict({"doc": chosen})
        st.rerun()
    st.header(info.title)
    st.markdown(ui.registry_markdown(info, namer))
    if relations := ui.relation_markdown(info, namer):
        st.markdown("**Relations stated in the text**")
        st.markdown("\n".join(relations))
    if paragraph_id:
        p = docs.paragraph(paragraph_id)
        if p.kind in ("measure", "task"):
            governing_box(p)
    st.divider()
    if contents := ui.contents_html(doc):
        with st.sidebar:
            st.subheader("Contents")
            st.html(contents)
    st.html(ui.document_html(doc, highlight=paragraph_id))
    if paragraph_id:
        st.html(ui.scroll_script(paragraph_id), unsafe_allow_javascript=True)


main()
