"""What the web pages share, loaded once per process: the retriever (with its corpus) and the backends.

Both pages (the chat in app.py and the viewer) import these functions, so Streamlit's resource cache
holds one corpus, one index and one model for the whole process.
"""

from __future__ import annotations

import logging

import streamlit as st

from rag.answer.backends import Backend, get_backend
from rag.core.errors import LLMUnavailable
from rag.core.redact import install_log_redaction
from rag.core.settings import get_settings
from rag.ingest.documents import Corpus
from rag.retrieve import Retriever

log = logging.getLogger("rag.web")
install_log_redaction()  # the app's log lines (and its libraries') never carry credentials


@st.cache_resource(show_spinner="Loading the document index…")
def retriever() -> Retriever:
    return Retriever.load(get_settings(), log=log.info)


def corpus() -> Corpus:
    return retriever().corpus


@st.cache_resource(show_spinner="Loading the language model…")
def backend(name: str) -> Backend:
    """The backend, warmed once per process; if warming fails each question falls back (with a notice)."""
    loaded = get_backend(name, get_settings())
    try:
        loaded.warm()
    except LLMUnavailable as err:
        log.warning("backend %s failed to warm: %s", name, err)
    return loaded
