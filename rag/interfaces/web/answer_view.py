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


def number_sources(answer: Answer, namer: Namer) -> list[Source]:
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
            namer.label(c.doc_id, c.task, c.paragraph_id),
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


def bottom_line(answer: Answer, sources: list[Source], namer: Namer) -> str | None:
    """One plain line naming the status and the document: the governing provision's, else the first source's."""
    if answer.refused:
        return None
    if answer.governing is not None:
        g = answer.governing.governing
        return f"**{md(status_words(g.status))}** — {md(namer.label(g.doc_id, g.task))}"
    if not sources:
        return None
    c = sources[0].citation
    return f"**{md(status_words(c.status))}** — {md(namer.label(c.doc_id, c.task))}"


def status_line(status: str | None) -> str:
    return f"Status: **{md(status_text(status))}**" if status_text(status) else "Status not stated"


def source_markdown(source: Source, corpus: Corpus, namer: Namer) -> str:
    """One source card: number, document and date, task, the quoted sentence (its only appearance) and status."""
    c = source.citation
    info = corpus.documents[c.doc_id].info
    head = f"**\\[{source.number}\\]** **{md(namer.name(c.doc_id))}**" + (f" · {md(info.date)}" if info.date else "")
    lines = [head]
    if where := task_line(corpus.paragraph(c.paragraph_id)):
        lines.append(where)
    lines += [f"> {md(c.quote)}", status_line(c.status)]
    return "\n\n".join(lines)


def evidence_label(ev: Evidence, namer: Namer) -> str:
    p = ev.paragraph
    return namer.label(p.doc_id, p.task, p.id)


def evidence_line(ev: Evidence, namer: Namer) -> str:
    """One retrieved passage on one line, linked (shown while the model writes)."""
    return f"- {md_link(md(evidence_label(ev, namer)), viewer_href(ev.paragraph.doc_id, ev.paragraph.id))}"


def evidence_markdown(ev: Evidence, namer: Namer, max_chars: int = 400) -> str:
    """One of a refusal's nearest passages as a card: where it is and its text (cut at `max_chars`)."""
    p = ev.paragraph
    text = p.text if len(p.text) <= max_chars else p.text[:max_chars].rsplit(" ", 1)[0] + " …"
    lines = [f"**{md(evidence_label(ev, namer))}**"]
    if where := task_line(p):
        lines.append(where)
    lines.append(f"> {md(text)}")
    return "\n\n".join(lines)


def refusal_markdown(answer: Answer, namer: Namer) -> str:
    """The refusal's own words, without its list of passages (shown as cards below it)."""
    text = REFUSAL_TAIL_RE.sub("", answer.text) if answer.evidence else answer.text
    return md(namer.plain(text))


def governing_markdown(governing: Governance | None, namer: Namer, sources: Sequence[Source] = ()) -> str | None:
    """Which document governs, why, and the related provisions; a cited sentence is referred to by its number."""
    if governing is None:
        return None
    numbers = {s.citation.paragraph_id: s.number for s in sources}
    lines = [_provision_markdown(governing.governing, namer, numbers, quote=True)]
    reason = governing.reason
    if reason.text:
        why = f"**Why:** {md(namer.plain(reason.text))}"
        if reason.paragraph_id:
            where = namer.label(doc_of(reason.paragraph_id), None, reason.paragraph_id)
            why += " " + md_link(
                md(f"(stated in {where})"), viewer_href(doc_of(reason.paragraph_id), reason.paragraph_id)
            )
        lines.append(why)
    for r in governing.chain:
        lines.append(f"- _{md(r.relation)}_: {_provision_markdown(r.provision, namer, numbers, quote=True)}")
    if other := governing.other_translation:
        lines.append(f"- _{md(other.relation)}_: {_provision_markdown(other.provision, namer, numbers, quote=False)}")
    lines += [f"- **Conflict ({md(c.kind)}):** {md(namer.plain(c.detail))}" for c in governing.conflicts]
    return "\n\n".join(lines)


def _provision_markdown(p: Provision, namer: Namer, numbers: dict[str, int], quote: bool) -> str:
    """A provision's place and status; its sentence only when no source shows it (and `quote`)."""
    link = md_link(md(namer.label(p.doc_id, p.task, p.paragraph_id)), viewer_href(p.doc_id, p.paragraph_id))
    status = f" · status **{md(status_text(p.status))}**" if status_text(p.status) else ""
    if p.paragraph_id in numbers:
        return f"{link}{status} — source \\[{numbers[p.paragraph_id]}\\]"
    return f"{link}{status}" + (f": “{md(p.sentence)}”" if quote else "")
