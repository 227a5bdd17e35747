"""An answer as Markdown to copy or download: the question, the verdict, the headline status, the answer with
its sources numbered 1..n, and each source's document, paragraph number, status, quote and link.

Plain Markdown for a reader's notes or an e-mail (no Streamlit calls): the text is the checked answer's own
words, ids in prose are named, and the links are the citations' absolute paragraph URLs (settings.app_url).
"""

from __future__ import annotations

import re

from rag.core.language import DEFAULT, say
from rag.core.types import Answer
from rag.interfaces.web.answer_view import Source
from rag.interfaces.web.names import Namer, status_words
from rag.interfaces.web.ui import MARKER_RE, status_text

_LABEL_RE = re.compile(r"([\[\]])")


def _label(text: str) -> str:
    """Text safe inside a Markdown link label (its brackets escaped)."""
    return _LABEL_RE.sub(r"\\\1", text)


def _renumbered(text: str, sources: list[Source]) -> str:
    numbers = {s.citation.marker: s.number for s in sources}
    return MARKER_RE.sub(lambda m: f"[{numbers[int(m.group(1))]}]" if int(m.group(1)) in numbers else "", text)


def answer_export(answer: Answer, sources: list[Source], namer: Namer, lang: str = DEFAULT) -> str:
    """The whole answer as Markdown, in the page's language (the quotes stay the documents' words)."""
    lines = [f"**{say('export_question', lang)}:** {answer.question}", ""]
    if answer.verdict:
        verdict = say(f"verdict_{answer.verdict}", lang).rstrip(":：")
        lines += [f"**{say('export_verdict', lang)}:** {verdict}", ""]
    if answer.citations and not answer.refused:
        first = answer.citations[0]
        status = answer.status if answer.status is not None else first.status
        where = namer.label(first.doc_id, first.task, None, lang)
        lines.append(f"**{say('export_status', lang)}:** {status_words(status, lang)} — {where}")
    text = re.sub(r"\s+", " ", namer.plain(_renumbered(answer.text, sources))).strip()
    lines += ["", text, ""]
    if sources:
        lines.append(f"**{say('export_sources', lang)}**")
        lines.append("")
    for s in sources:
        c = s.citation
        state = status_text(c.status, lang)
        status = f" ({state})" if state else ""
        lines.append(f"{s.number}. [{_label(s.label)}]({c.url}){status}: “{c.quote}”")
    return "\n".join(lines).strip() + "\n"
