"""What the web pages share, loaded once per process: the retriever (with its corpus) and the backends.

Both pages (the chat in app.py and the viewer) import these functions, so Streamlit's resource cache
holds one corpus, one index and one model for the whole process. The index and the model load in
background threads started on the first page load, so the page (input box, examples) shows at once;
whatever needs them waits for them then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import streamlit as st

from rag.answer.backends import Backend, get_backend
from rag.core.errors import LLMUnavailable
from rag.core.language import DEFAULT
from rag.core.redact import install_log_redaction
from rag.core.settings import get_settings
from rag.ingest.documents import Corpus, load_corpus, registry_stamp
from rag.interfaces.web.names import Namer
from rag.retrieve import Retriever

log = logging.getLogger("rag.web")
install_log_redaction()  # the app's log lines (and its libraries') never carry credentials


T = TypeVar("T")


class Loading(Generic[T]):
    """A value loaded once in a background thread; `get` waits for it and raises what loading raised."""

    def __init__(self, name: str, load: Callable[[], T]):
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(load,), name=name, daemon=True)
        self._thread.start()

    def _run(self, load: Callable[[], T]) -> None:
        try:
            self._value = load()
        except BaseException as err:  # handed to whoever asks for the value
            self._error = err

    @property
    def ready(self) -> bool:
        return not self._thread.is_alive()

    def get(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set when no error was raised


# Each cache below is keyed by registry.json's stamp (one stat per call): after `rag add/update/remove` the next
# call loads the new corpus, and the old entry is dropped (max_entries=1), so no page quotes a removed document.
@st.cache_resource(show_spinner=False, max_entries=1)
def _retriever_loading(stamp: tuple[int, int, int]) -> Loading[Retriever]:
    return Loading("rag-load-index", lambda: Retriever.load(get_settings(), log=log.info))


def _stamp() -> tuple[int, int, int]:
    return registry_stamp(get_settings())


def start() -> None:
    """Start loading the index in the background (once per corpus version); returns at once."""
    _retriever_loading(_stamp())


def retriever_ready() -> bool:
    return _retriever_loading(_stamp()).ready


def retriever() -> Retriever:
    """The retriever of the corpus as registry.json now stands, waiting for it if it is still loading; a failed
    load is retried on the next call."""
    try:
        return _retriever_loading(_stamp()).get()
    except Exception:
        _retriever_loading.clear()
        raise


@st.cache_resource(show_spinner=False, max_entries=1)
def _corpus(stamp: tuple[int, int, int]) -> Corpus:
    return load_corpus(get_settings())


def corpus() -> Corpus:
    """The documents alone (about 1 s), for the viewer: it need not wait for the index and its model."""
    return _corpus(_stamp())


@st.cache_resource(show_spinner=False, max_entries=4)
def _namer(fingerprint: str, lang: str) -> Namer:
    return Namer(retriever().corpus, lang)


def namer(lang: str = DEFAULT) -> Namer:
    """Plain names for the retriever's corpus (the chat's), in the page's language."""
    return _namer(retriever().corpus.fingerprint, lang)


@st.cache_resource(show_spinner=False)
def backend(name: str) -> Backend:
    """The backend (cheap to build); `warming(name)` loads its model."""
    return get_backend(name, get_settings())


def _warm(loaded: Backend) -> None:
    try:
        loaded.warm()
    except LLMUnavailable as err:  # each question then falls back, with a notice
        log.warning("backend %s failed to warm: %s", loaded.name, err)


@st.cache_resource(show_spinner=False)
def warming(name: str) -> Loading[None]:
    """The backend's model, loading in the background from the first page load on."""
    loaded = backend(name)
    return Loading(f"rag-warm-{name}", lambda: _warm(loaded))
