"""Presentation helpers shared by the chat (app.py) and the document viewer (views/viewer.py).

Everything here turns corpus and answer objects into Markdown or HTML strings;
no Streamlit calls, so it is testable without a browser. Corpus text, model
text and user text are untrusted: Markdown output escapes every ASCII
punctuation character, HTML output goes through `html.escape`, and only URLs
the project builds (paragraph_url, viewer_href) become links.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import fields, is_dataclass
from typing import Any
from urllib.parse import urlencode

from rag.analysis.status import status_of
from rag.core.text import doc_of
from rag.core.types import Citation, Document, DocumentInfo, Evidence, Paragraph
from rag.ingest.documents import Corpus

VIEWER_PATH = "viewer"
HIGHLIGHT_CLASS = "rag-highlight"
MARKER_RE = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
MEASURE_KINDS = ("measure", "task")  # paragraphs that carry a status of their own
PARAGRAPH_ID_RE = re.compile(r"^[a-z0-9-]+\.p\d{3,}$")

RELATION_LABELS = {
    "same_document_as": "Same document as",
    "implements": "Implements",
    "keeps_in_force": "Keeps in force",
    "prevails_over": "Prevails over",
}

# rag.analysis.status labels as a reader should see them; "other" (no cue found) is not shown.
STATUS_TEXT = {
    "in_force": "in force",
    "supported": "supported (a policy to support, not yet a right)",
    "explore": "to be explored (a plan only)",
}


def status_text(status: str | None) -> str | None:
    return STATUS_TEXT.get(status, status.replace("_", " ")) if status and status != "other" else None


def md(text: object) -> str:
    """Untrusted text as literal Markdown: punctuation escaped, each whitespace run one space (no line breaks)."""
    return _MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", str(text)))


def h(text: object) -> str:
    """Untrusted text as literal HTML (quotes escaped too, so it is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def viewer_href(doc_id: str, paragraph_id: str | None = None) -> str:
    """Relative link to the viewer; resolves against the app's own address, whatever its port."""
    params = {"doc": doc_id} | ({"p": paragraph_id} if paragraph_id else {})
    return f"{VIEWER_PATH}?{urlencode(params)}"


def md_link(label_md: str, url: str) -> str:
    """A Markdown link; `label_md` must already be escaped. URLs come from our own builders."""
    return f"[{label_md}]({url})"


# --- chat: answers and sources ------------------------------------------------


def linked_answer(text: str, citations: list[Citation]) -> str:
    """The answer as Markdown, each [n] marker a link to its cited paragraph (unknown markers stay text)."""
    urls = {c.marker: c.url for c in citations}
    out, pos = [], 0
    for m in MARKER_RE.finditer(text):
        out.append(md(text[pos : m.start()]))
        n = int(m.group(1))
        out.append(md_link(f"\\[{n}\\]", urls[n]) if n in urls else md(m.group(0)))
        pos = m.end()
    out.append(md(text[pos:]))
    return "".join(out)


def document_line(info: DocumentInfo) -> str:
    """'Title · number · date' as Markdown; unknown facts are left out."""
    facts = [f"**{md(info.title)}**"] + [md(x) for x in (info.number, info.date) if x]
    if not info.official:
        facts.append(f"_{md('unofficial translation of ' + info.canonical_id)}_")
    return " · ".join(facts)


def task_line(paragraph: Paragraph) -> str | None:
    if paragraph.task:
        title = f": {paragraph.task_title}" if paragraph.task_title else ""
        return md(f"Task {paragraph.task}{title}")
    return md(paragraph.section) if paragraph.section else None


def citation_markdown(c: Citation, corpus: Corpus) -> str:
    """One source card: document, task, the quoted sentence, status and the link to the paragraph."""
    paragraph = corpus.paragraph(c.paragraph_id)
    lines = [f"**\\[{c.marker}\\]** {document_line(corpus.documents[c.doc_id].info)}"]
    if task := task_line(paragraph):
        lines.append(task)
    lines.append(f"> {md(c.quote)}")
    tail = [f"Status: **{md(status_text(c.status))}**"] if status_text(c.status) else []
    tail.append(md_link(md(f"Open paragraph {c.paragraph_id}"), c.url))
    lines.append(" · ".join(tail))
    return "\n\n".join(lines)


def evidence_line(ev: Evidence, url: str) -> str:
    """One retrieved passage on one line: marker, document, task and the link (shown while the model writes)."""
    p = ev.paragraph
    where = task_line(p)
    return f"**\\[{ev.marker}\\]** {md(p.doc_id)}" + (f" · {where}" if where else "") + " — " + md_link(md(p.id), url)


def evidence_markdown(ev: Evidence, corpus: Corpus, url: str, max_chars: int = 400) -> str:
    """One retrieved passage as a card with its text (the nearest passages of a refusal)."""
    p = ev.paragraph
    text = p.text if len(p.text) <= max_chars else p.text[:max_chars].rsplit(" ", 1)[0] + " …"
    lines = [f"**\\[{ev.marker}\\]** {document_line(corpus.documents[p.doc_id].info)}"]
    if task := task_line(p):
        lines.append(task)
    lines.append(f"> {md(text)}")
    lines.append(md_link(md(f"Open paragraph {p.id}"), url))
    return "\n\n".join(lines)


def governing_markdown(governing: Any) -> str | None:
    """A rag.core.types.Governance as Markdown (any other object generically); None when there is nothing to show."""
    if governing is None:
        return None
    lead = getattr(governing, "governing", None)
    if lead is None or not hasattr(lead, "paragraph_id"):
        return _generic_markdown(governing)
    lines = [_provision_markdown(lead)]
    reason = getattr(governing, "reason", None)
    if reason is not None and reason.text:
        why = f"**Why:** {md(reason.text)}"
        if reason.paragraph_id and reason.url:
            why += " " + md_link(md(f"(stated in {reason.paragraph_id})"), reason.url)
        lines.append(why)
    related = list(getattr(governing, "chain", None) or [])
    if other := getattr(governing, "other_translation", None):
        related.append(other)
    lines += [f"- _{md(r.relation)}_: {_provision_markdown(r.provision)}" for r in related]
    lines += [f"- **Conflict ({md(c.kind)}):** {md(c.detail)}" for c in getattr(governing, "conflicts", None) or []]
    return "\n\n".join(lines)


def _provision_markdown(p: Any) -> str:
    where = md(p.doc_id) + (md(f", task {p.task}") if p.task else "")
    status = f" · status **{md(status_text(p.status))}**" if status_text(p.status) else ""
    return f"{where}{status}: “{md(p.sentence)}” " + md_link(md(p.paragraph_id), p.url)


def _generic_markdown(value: Any) -> str | None:
    if is_dataclass(value):
        items = [(f.name, getattr(value, f.name)) for f in fields(value)]
    elif isinstance(value, dict):
        items = list(value.items())
    else:
        return md(value)
    lines = [
        f"- **{md(k.replace('_', ' ').capitalize())}:** {_value_md(v)}" for k, v in items if v not in (None, "", (), [])
    ]
    return "\n".join(lines) or None


def _value_md(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "; ".join(_value_md(v) for v in value)
    if is_dataclass(value):
        return ", ".join(
            f"{md(f.name)}: {_value_md(getattr(value, f.name))}"
            for f in fields(value)
            if getattr(value, f.name) not in (None, "", (), [])
        )
    if isinstance(value, str) and PARAGRAPH_ID_RE.match(value):
        return md_link(md(value), viewer_href(doc_of(value), value))
    return md(value)


# --- viewer: one document as structured HTML ----------------------------------

VIEWER_CSS = f"""<style>
.rag-doc {{ line-height: 1.55; }}
.rag-doc .rag-p {{ margin: 0 0 0.6rem 0; padding: 0.15rem 0.5rem; border-left: 3px solid transparent; scroll-margin-top: 5rem; }}
.rag-doc .rag-anchor {{ font-size: 0.72rem; color: #888; text-decoration: none; margin-right: 0.4rem; font-family: monospace; }}
.rag-doc .rag-section {{ font-size: 1.35rem; font-weight: 700; margin: 1.6rem 0 0.6rem 0; }}
.rag-doc .rag-group {{ font-size: 1.1rem; font-weight: 700; margin-top: 1.2rem; }}
.rag-doc .rag-task {{ font-weight: 700; margin-top: 0.9rem; }}
.rag-doc .rag-title {{ font-weight: 700; font-size: 1.05rem; }}
.rag-doc .rag-departments {{ font-style: italic; color: #555; }}
.rag-doc .rag-status {{ font-size: 0.72rem; background: #eef; border-radius: 0.5rem; padding: 0 0.4rem; margin-left: 0.4rem; }}
.rag-doc .{HIGHLIGHT_CLASS} {{ background: #fff3b0; border-left-color: #e0a800; }}
.rag-contents {{ list-style: none; padding: 0; font-size: 0.8rem; line-height: 1.3; }}
.rag-contents li {{ margin-bottom: 0.3rem; }}
</style>"""

_KIND_CLASS = {
    "title": "rag-title",
    "heading": "rag-section",
    "group": "rag-group",
    "task": "rag-task",
    "departments": "rag-departments",
}


def paragraph_html(p: Paragraph, highlighted: bool = False) -> str:
    """One paragraph as an element whose id is the paragraph id, with a link to itself."""
    classes = " ".join(
        c for c in ("rag-p", _KIND_CLASS.get(p.kind, f"rag-{p.kind}"), HIGHLIGHT_CLASS if highlighted else "") if c
    )
    label = status_text(status_of(p).label) if p.kind in MEASURE_KINDS else None
    status = f'<span class="rag-status">{h(label)}</span>' if label else ""
    anchor = f'<a class="rag-anchor" href="{h(viewer_href(p.doc_id, p.id))}" title="Link to this paragraph">{h(p.id.rsplit(".", 1)[1])}</a>'
    current = ' aria-current="location"' if highlighted else ""
    return f'<div id="{h(p.id)}" class="{classes}"{current}>{anchor}{h(p.text)}{status}</div>'


def contents_html(doc: Document) -> str:
    """Links to the document's sections, groups and tasks (same tab), for the viewer's sidebar."""
    indent = {"heading": 0, "group": 1, "task": 2}
    items = [
        f'<li style="margin-left:{indent[p.kind]}rem"><a href="{h(viewer_href(p.doc_id, p.id))}" target="_self">'
        f"{h(p.text if len(p.text) <= 70 else p.text[:70].rsplit(' ', 1)[0] + ' …')}</a></li>"
        for p in doc.paragraphs
        if p.kind in indent
    ]
    return f'<ul class="rag-contents">{"".join(items)}</ul>' if items else ""


def document_html(doc: Document, highlight: str | None = None) -> str:
    """The whole document; a section heading is added where the section changes without a heading paragraph."""
    out, section = ['<div class="rag-doc">'], None
    for p in doc.paragraphs:
        if p.section != section and p.kind != "heading":
            out.append(f'<div class="rag-p rag-section">{h(p.section)}</div>')
        section = p.section
        out.append(paragraph_html(p, p.id == highlight))
    out.append("</div>")
    return "\n".join(out)


def scroll_script(paragraph_id: str) -> str:
    """A script that scrolls the highlighted paragraph into view once the document has rendered."""
    target = json.dumps(paragraph_id).replace("<", "\\u003c")
    return (
        "<script>(function(){let n=0;const t=setInterval(function(){"
        f"const el=document.getElementById({target});"
        "if(el){el.scrollIntoView({block:'center'});clearInterval(t);}"
        "else if(++n>100){clearInterval(t);}},100);})();</script>"
    )


def registry_markdown(info: DocumentInfo) -> str:
    """The registry facts of a document as a Markdown list."""
    facts = [
        ("Issuer", info.issuer or "not stated in the text"),
        ("Number", info.number or "not stated in the text"),
        ("Date", info.date or "not stated in the text"),
        ("Level", info.level),
        (
            "Translation",
            "official (reference) translation"
            if info.official
            else f"unofficial translation; cite {info.canonical_id} instead",
        ),
        ("Source", info.source_note),
    ]
    return "\n".join(f"- **{k}:** {md(v)}" for k, v in facts if v)


def relation_markdown(info: DocumentInfo, corpus: Corpus) -> list[str]:
    """One Markdown line per relation: type, target (linked when in the corpus) and the stating paragraph."""
    lines = []
    for r in info.relations:
        label = RELATION_LABELS.get(r.type, r.type.replace("_", " ").capitalize())
        if r.target in corpus.documents:
            number = corpus.documents[r.target].info.number
            target = md_link(md(r.target), viewer_href(r.target)) + (f" {md(f'({number})')}" if number else "")
        elif r.target in corpus.references:
            ref = corpus.references[r.target]
            target = md(f"{ref.title} ({ref.number})") + " " + md("(not in the corpus)")
        else:
            target = md(r.target)
        line = f"- **{md(label)}** {target}"
        if r.paragraph_id:
            line += " — stated in " + md_link(md(r.paragraph_id), viewer_href(doc_of(r.paragraph_id), r.paragraph_id))
        if r.quote:
            line += f": “{md(r.quote)}”"
        lines.append(line)
    return lines
