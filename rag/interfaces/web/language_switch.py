"""The page's language: that of the last question asked, or the reader's choice on the switch.

Kept under a plain session key (LANG_KEY), not the switch's own key: Streamlit forgets a widget's
value on a page that does not draw it, and the viewer must keep the chat's language.
"""

from __future__ import annotations

import streamlit as st

from rag.core.language import DEFAULT, LANGUAGES, detect, say

LANG_KEY = "page-language"


def current() -> str:
    """The page's language code ("en", "zh")."""
    lang = st.session_state.get(LANG_KEY, DEFAULT)
    return lang if lang in LANGUAGES else DEFAULT


def follow(question: str) -> None:
    """The page takes the language of a question (call from a callback, before the page is drawn)."""
    if question.strip():
        st.session_state[LANG_KEY] = detect(question)


def _switched(key: str) -> None:
    if chosen := st.session_state.get(key):
        st.session_state[LANG_KEY] = chosen


def switch(where: str) -> None:
    """The language switch: each language named in its own words."""
    key = f"language-switch-{where}"
    st.session_state[key] = current()  # set before the widget: it shows the language the page is in
    st.segmented_control(
        say("language_label", current()),
        LANGUAGES,
        format_func=lambda code: say("language_name", code),
        key=key,
        required=True,
        on_change=_switched,
        args=(key,),
        label_visibility="collapsed",
    )
