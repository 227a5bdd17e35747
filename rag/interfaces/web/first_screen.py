"""The chat's first screen: what the assistant answers from and what it is not (legal advice), the documents
with their number, date and standing, each a link into the viewer; the technical details in "About".
"""

from __future__ import annotations

import streamlit as st

from rag.core.language import say
from rag.ingest.documents import Corpus
from rag.interfaces.web import ui
from rag.interfaces.web.names import Namer


def standing(doc_id: str, corpus: Corpus, namer: Namer, lang: str) -> str:
    """A document's standing as the registry's relations state it: an unofficial translation, an
    implementation of another document, in force under one that prevails, or in force."""
    info = corpus.documents[doc_id].info
    if not info.official:
        return say("standing_unofficial", lang, name=namer.name(info.canonical_id))
    if implemented := next((r.target for r in info.relations if r.type == "implements"), None):
        return say("standing_implements", lang, name=namer.name(implemented))
    over = [
        d
        for d, doc in corpus.documents.items()
        if any(r.type == "prevails_over" and r.target == doc_id for r in doc.info.relations)
    ]
    return say("standing_prevailed", lang, name=namer.name(over[0])) if over else say("standing_in_force", lang)


def document_label(doc_id: str, corpus: Corpus, namer: Namer, lang: str) -> str:
    """ "Guo Han [2020] No. 123 · 2020-08-28 · in force": name (with its number), date and standing."""
    info = corpus.documents[doc_id].info
    name = namer.name(doc_id)
    number = [] if info.number and info.number in name else [info.number or say("no_number", lang)]
    return " · ".join([name, *number, info.date or say("no_date", lang), standing(doc_id, corpus, namer, lang)])


def documents(corpus: Corpus, namer: Namer, lang: str) -> None:
    """The documents, each a link into the viewer in this session."""
    pages = st.session_state.get(ui.PAGES_KEY)
    st.markdown(f"**{ui.md(say('documents_heading', lang))}**")
    for doc_id in corpus.documents:
        label = document_label(doc_id, corpus, namer, lang)
        if pages:
            st.page_link(pages["viewer"], label=label, icon="📄", query_params={"doc": doc_id})
        else:
            st.markdown(ui.md(label))


def about(model: str, corpus: Corpus, chunks: int, fingerprint: str, lang: str) -> None:
    """Model and index details, out of the way."""
    with st.expander(say("about", lang), icon="ℹ️"):
        st.markdown(ui.md(say("about_method", lang)))
        st.markdown(ui.md(say("about_model", lang, model=model)))
        st.markdown(ui.md(say("about_index", lang, documents=str(len(corpus.documents)), chunks=str(chunks))))
        if fingerprint:
            st.caption(ui.md(say("about_fingerprint", lang, fingerprint=fingerprint)))
