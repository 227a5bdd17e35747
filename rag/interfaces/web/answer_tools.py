"""Under each answer: thumbs up/down, "report a wrong answer" with a comment, and "copy answer with sources".

Ratings go through the same store as the HTTP API's POST /v1/feedback (rag.interfaces.feedback), with the
question, the history before it, the answer, its citations, the backend, the model and the index
fingerprint, marked source="app" so `rag feedback stats` shows them beside the API's.
"""

from __future__ import annotations

import streamlit as st

from rag.core.language import say
from rag.interfaces.feedback import Feedback, FeedbackError, record_feedback
from rag.interfaces.web import ui
from rag.interfaces.web.answer_view import Source
from rag.interfaces.web.export import answer_export
from rag.interfaces.web.names import Namer

THUMBS = {0: "down", 1: "up"}  # st.feedback("thumbs") values


def record(turn: dict, rating: str, comment: str = "") -> bool:
    """Store one rating of this turn's answer; False (with the reason kept on the turn) when it cannot."""
    entry = Feedback.of_answer(
        turn["answer"],
        rating,
        comment=comment,
        history=list(turn.get("history") or []),
        model=turn.get("model", ""),
        index_fingerprint=turn.get("index", ""),
        source="app",
    )
    try:
        record_feedback(entry)
    except FeedbackError as err:
        turn["feedback_error"] = str(err)
        return False
    turn.pop("feedback_error", None)
    return True


def _rated(turn: dict, key: str) -> None:
    value = st.session_state.get(key)
    if value in THUMBS and record(turn, THUMBS[value]):
        turn["rated"] = THUMBS[value]


def _reported(turn: dict, key: str) -> None:
    if record(turn, "down", comment=str(st.session_state.get(key) or "").strip()):
        turn["reported"] = True


def tools(turn: dict, sources: list[Source], namer: Namer, lang: str) -> None:
    """Rating, report and copy for one answered turn."""
    answer = turn["answer"]
    st.feedback("thumbs", key=f"rate-{turn['id']}", on_change=_rated, args=(turn, f"rate-{turn['id']}"))
    if turn.get("rated"):
        st.caption(ui.md(say("rate_thanks", lang)))
    if turn.get("feedback_error"):
        st.error(ui.md(say("feedback_failed", lang, error=turn["feedback_error"])))
    with st.expander(say("report_wrong", lang), icon="🚩"):
        if turn.get("reported"):
            st.success(ui.md(say("report_thanks", lang)))
        else:
            comment_key = f"report-comment-{turn['id']}"
            with st.form(key=f"report-{turn['id']}", border=False):
                st.text_area(say("report_comment", lang), key=comment_key, max_chars=2000)
                st.form_submit_button(say("report_send", lang), on_click=_reported, args=(turn, comment_key))
    if answer.refused:
        return
    text = answer_export(answer, sources, namer, lang)
    with st.expander(say("copy_answer", lang), icon="📋"):
        st.code(text, language="markdown", wrap_lines=True)
        st.download_button(
            say("download_answer", lang),
            text,
            file_name="answer.md",
            mime="text/markdown",
            key=f"download-{turn['id']}",
            on_click="ignore",
        )
