"""An answer as a reader sees it in the chat: a bottom line, the text with its sources numbered 1..n,
one card per source, and the governing box that refers to sources by number instead of quoting again.

Markdown strings only (no Streamlit calls); untrusted text goes through `ui.md`, links are relative
viewer links (`ui.viewer_href`), so they work on any port and behind a path prefix. Ids stay in the
links; the visible text names documents the way a reader does (rag.interfaces.web.names).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.core.language import DEFAULT, say
from rag.core.text import doc_of
from rag.core.types import Answer, Citation, Evidence, Governance, Provision
from rag.ingest.documents import Corpus
from rag.interfaces.web.names import Namer, status_words
from rag.interfaces.web.ui import MARKER_RE, md, md_link, status_text, task_line, viewer_href

REFUSAL_TAIL_RE = re.compile(r"\s+Nearest passages:.*$", re.S)  # the refusal names its passages; cards show them


@dataclass(frozen=True)
class Source:
    """A cited paragraph under the number the reader sees (1..n in order of first mention)."""

    number: int
    citation: Citation
    label: str  # "Guo Han [2020] No. 123, Task 3, ¶44"
    href: str  # relative viewer link


def number_sources(answer: Answer, namer: Namer, lang: str = DEFAULT) -> list[Source]:
    """The answer's citations renumbered 1..n in the order the text first cites them (uncited ones last)."""
    by_marker = {c.marker: c for c in answer.citations}
    order = list(
        dict.fromkeys(int(m.group(1)) for m in MARKER_RE.finditer(answer.text) if int(m.group(1)) in by_marker)
    )
    order += [m for m in by_marker if m not in order]
    return [
        Source(
            n,
            (c := by_marker[marker]),
            namer.label(c.doc_id, c.task, c.paragraph_id, lang),
            viewer_href(c.doc_id, c.paragraph_id),
        )
        for n, marker in enumerate(order, start=1)
    ]


def answer_markdown(text: str, sources: list[Source], namer: Namer) -> str:
    """The answer as Markdown: each [n] marker renumbered and linked to its paragraph, ids in prose named."""
    shown = {s.citation.marker: s for s in sources}
    out, pos = [], 0
    for m in MARKER_RE.finditer(text):
        out.append(md(namer.plain(text[pos : m.start()])))
        source = shown.get(int(m.group(1)))
        out.append(md_link(f"\\[{source.number}\\]", source.href) if source else md(m.group(0)))
        pos = m.end()
    out.append(md(namer.plain(text[pos:])))
    return "".join(out)


def bottom_line(answer: Answer, sources: list[Source], namer: Namer, lang: str = DEFAULT) -> str | None:
    """One plain line naming the headline status and its document: those of the sentence that answers
    (Answer.status, the first citation's), so it agrees with that sentence's source card."""
    if answer.refused or not answer.citations:
        return None
    c = answer.citations[0]
    status = answer.status if answer.status is not None else c.status
    return f"**{md(status_words(status, lang))}** — {md(namer.label(c.doc_id, c.task, None, lang))}"


def status_line(status: str | None, lang: str = DEFAULT) -> str:
    text = status_text(status, lang)
    if not text:
        return md(say("status_not_stated", lang))
    label, _ = say("status_is", lang, status="\0").split("\0")
    return f"{md(label)}**{md(text)}**"


def source_markdown(source: Source, corpus: Corpus, namer: Namer, lang: str = DEFAULT) -> str:
    """One source card: number, document and date, task, the quoted sentence (its only appearance) and status."""
    c = source.citation
    info = corpus.documents[c.doc_id].info
    head = f"**\\[{source.number}\\]** **{md(namer.name(c.doc_id))}**" + (f" · {md(info.date)}" if info.date else "")
    lines = [head]
    if where := task_line(corpus.paragraph(c.paragraph_id), lang):
        lines.append(where)
    lines += [f"> {md(c.quote)}", status_line(c.status, lang)]
    return "\n\n".join(lines)


def evidence_label(ev: Evidence, namer: Namer, lang: str = DEFAULT) -> str:
    p = ev.paragraph
    return namer.label(p.doc_id, p.task, p.id, lang)


def evidence_line(ev: Evidence, namer: Namer, lang: str = DEFAULT) -> str:
    """One retrieved passage on one line, linked (shown while the model writes)."""
    return f"- {md_link(md(evidence_label(ev, namer, lang)), viewer_href(ev.paragraph.doc_id, ev.paragraph.id))}"


def evidence_markdown(ev: Evidence, namer: Namer, max_chars: int = 400, lang: str = DEFAULT) -> str:
    """One of a refusal's nearest passages as a card: where it is and its text (cut at `max_chars`)."""
    p = ev.paragraph
    text = p.text if len(p.text) <= max_chars else p.text[:max_chars].rsplit(" ", 1)[0] + " …"
    lines = [f"**{md(evidence_label(ev, namer, lang))}**"]
    if where := task_line(p, lang):
        lines.append(where)
    lines.append(f"> {md(text)}")
    return "\n\n".join(lines)


def refusal_markdown(answer: Answer, namer: Namer) -> str:
    """The refusal's own words, without its list of passages (shown as cards below it)."""
    text = REFUSAL_TAIL_RE.sub("", answer.text) if answer.evidence else answer.text
    return md(namer.plain(text))


def governing_markdown(
    governing: Governance | None, namer: Namer, sources: Sequence[Source] = (), lang: str = DEFAULT
) -> str | None:
    """Which document governs, why, and the related provisions; a cited sentence is referred to by its number."""
    if governing is None:
        return None
    numbers = {s.citation.paragraph_id: s.number for s in sources}
    lines = [_provision_markdown(governing.governing, namer, numbers, True, lang)]
    reason = governing.reason
    if reason.text:
        why = f"**{md(say('why', lang))}** {md(namer.plain(reason.say(lang)))}"
        if reason.paragraph_id:
            where = namer.label(doc_of(reason.paragraph_id), None, reason.paragraph_id, lang)
            why += " " + md_link(
                md(say("stated_in", lang, where=where)), viewer_href(doc_of(reason.paragraph_id), reason.paragraph_id)
            )
        lines.append(why)
    for r in governing.chain:
        lines.append(f"- _{md(r.relation)}_: {_provision_markdown(r.provision, namer, numbers, True, lang)}")
    if other := governing.other_translation:
        lines.append(f"- _{md(other.relation)}_: {_provision_markdown(other.provision, namer, numbers, False, lang)}")
    conflict = say("conflict", lang, kind="\0").split("\0")
    lines += [
        f"- **{md(conflict[0])}{md(c.kind)}{md(conflict[1])}** {md(namer.plain(c.detail))}" for c in governing.conflicts
    ]
    return "\n\n".join(lines)


def governing_links(governing: Governance | None) -> list[str]:
    """The paragraph ids the governing box links to (the page adds an in-session link for each)."""
    if governing is None:
        return []
    reason = [governing.reason.paragraph_id] if governing.reason.paragraph_id else []
    return list(dict.fromkeys(governing.paragraph_ids() + reason))


def _provision_markdown(p: Provision, namer: Namer, numbers: dict[str, int], quote: bool, lang: str) -> str:
    """A provision's place and status; its sentence only when no source shows it (and `quote`)."""
    link = md_link(md(namer.label(p.doc_id, p.task, p.paragraph_id, lang)), viewer_href(p.doc_id, p.paragraph_id))
    text = status_text(p.status, lang)
    status = f" · {md(say('status_word', lang))} **{md(text)}**" if text else ""
    if p.paragraph_id in numbers:
        return f"{link}{status} — {md(say('source_ref', lang, n=str(numbers[p.paragraph_id])))}"
    return f"{link}{status}" + (f": “{md(p.sentence)}”" if quote else "")
