"""Presentation helpers shared by the chat (app.py) and the document viewer (views/viewer.py).

The chat's answers are laid out by rag.interfaces.web.answer_view, names by rag.interfaces.web.names.

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
from urllib.parse import urlencode

from rag.analysis.status import status_of
from rag.core.language import DEFAULT, say
from rag.core.text import doc_of
from rag.core.types import Document, DocumentInfo, Paragraph
from rag.interfaces.web.names import STATUSES, Namer, paragraph_number

VIEWER_PATH = "viewer"
PAGES_KEY = "rag-pages"  # st.session_state key of app.py's pages (the viewer links back to the chat)
VIEWER_HEAD_KEY = "viewer-head"  # the viewer's header container: it stays at the top while the document scrolls
HIGHLIGHT_CLASS = "rag-highlight"
TWINS_KEY = "rag-twins"  # a hidden container of the viewer's twin buttons (for links no button is shown for)
MARKER_RE = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
MEASURE_KINDS = ("measure", "task")  # paragraphs that carry a status of their own

RELATIONS = ("same_document_as", "implements", "keeps_in_force", "prevails_over")  # labelled in the catalog


def status_text(status: str | None, lang: str = DEFAULT) -> str | None:
    """A rag.analysis.status label as a reader should see it; "other" (no cue found) is not shown."""
    if not status or status == "other":
        return None
    return say(f"status_{status}", lang) if status in STATUSES else status.replace("_", " ")


def relation_label(kind: str, lang: str = DEFAULT) -> str:
    return say(f"relation_{kind}", lang) if kind in RELATIONS else kind.replace("_", " ").capitalize()


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


def task_line(paragraph: Paragraph, lang: str = DEFAULT) -> str | None:
    if paragraph.task:
        title = f": {paragraph.task_title}" if paragraph.task_title else ""
        return md(say("task_label", lang, task=paragraph.task) + title)
    return md(paragraph.section) if paragraph.section else None


# --- viewer: one document as structured HTML ----------------------------------

VIEWER_CSS = f"""<style>
.rag-doc {{ line-height: 1.55; }}
.rag-doc .rag-p {{ margin: 0 0 0.6rem 0; padding: 0.15rem 0.5rem; border-left: 3px solid transparent; scroll-margin-top: 9rem; }}
.rag-doc .rag-anchor {{ font-size: 0.72rem; color: inherit; opacity: 0.8; text-decoration: none; margin-right: 0.4rem; font-family: monospace; }}
.rag-doc .rag-section {{ font-size: 1.35rem; font-weight: 700; margin: 1.6rem 0 0.6rem 0; }}
.rag-doc .rag-group {{ font-size: 1.1rem; font-weight: 700; margin-top: 1.2rem; }}
.rag-doc .rag-task {{ font-weight: 700; margin-top: 0.9rem; }}
.rag-doc .rag-title {{ font-weight: 700; font-size: 1.05rem; }}
.rag-doc .rag-departments {{ font-style: italic; opacity: 0.85; }}
.rag-doc .rag-status {{ font-size: 0.72rem; background: #eef; color: #1a1a5e; border-radius: 0.5rem; padding: 0 0.4rem; margin-left: 0.4rem; }}
.rag-doc .{HIGHLIGHT_CLASS} {{ background: #fff3b0; color: #31333f; border-left-color: #e0a800; }}
.st-key-{TWINS_KEY} {{ display: none; }}
.rag-contents {{ list-style: none; padding: 0; font-size: 0.8rem; line-height: 1.3; }}
.rag-contents li {{ margin-bottom: 0.3rem; }}
[data-testid="stLayoutWrapper"]:has(> .st-key-{VIEWER_HEAD_KEY}), .st-key-{VIEWER_HEAD_KEY} {{
  position: sticky; top: 0; z-index: 990; background: #fff; }}
.st-key-{VIEWER_HEAD_KEY} {{ padding: 0.5rem 0 0.3rem 0; border-bottom: 1px solid #ddd; }}
@media (prefers-color-scheme: dark) {{  /* the theme follows the system's (.streamlit/config.toml) */
  [data-testid="stLayoutWrapper"]:has(> .st-key-{VIEWER_HEAD_KEY}), .st-key-{VIEWER_HEAD_KEY} {{ background: #171614; }}
  .st-key-{VIEWER_HEAD_KEY} {{ border-bottom-color: #444; }}
}}
@media (max-width: 768px) {{  /* on a phone Streamlit's top bar (the menu button) covers the page's first 3.75rem */
  [data-testid="stLayoutWrapper"]:has(> .st-key-{VIEWER_HEAD_KEY}), .st-key-{VIEWER_HEAD_KEY} {{ top: 3.75rem; }}
  .rag-doc .rag-p {{ scroll-margin-top: 14rem; }}
}}
</style>"""

_KIND_CLASS = {
    "title": "rag-title",
    "heading": "rag-section",
    "group": "rag-group",
    "task": "rag-task",
    "departments": "rag-departments",
}


def paragraph_html(p: Paragraph, highlighted: bool = False, lang: str = DEFAULT) -> str:
    """One paragraph as an element whose id is the paragraph id, with a link to itself."""
    classes = " ".join(
        c for c in ("rag-p", _KIND_CLASS.get(p.kind, f"rag-{p.kind}"), HIGHLIGHT_CLASS if highlighted else "") if c
    )
    label = status_text(status_of(p).label, lang) if p.kind in MEASURE_KINDS else None
    status = f'<span class="rag-status">{h(label)}</span>' if label else ""
    link = h(say("link_to_paragraph", lang))
    anchor = (
        f'<a class="rag-anchor" href="{h(viewer_href(p.doc_id, p.id))}" title="{link}">¶{paragraph_number(p.id)}</a>'
    )
    current = ' aria-current="location"' if highlighted else ""
    return f'<div id="{h(p.id)}" class="{classes}"{current}>{anchor}{h(p.text)}{status}</div>'


def contents_html(doc: Document) -> str:
    """Links to the document's sections, groups and tasks, for the viewer's sidebar.

    In-page anchors: the reader stays in the same page and session (the conversation is kept).
    """
    indent = {"heading": 0, "group": 1, "task": 2}
    items = [
        f'<li style="margin-left:{indent[p.kind]}rem"><a href="#{h(p.id)}" target="_self">'
        f"{h(p.text if len(p.text) <= 70 else p.text[:70].rsplit(' ', 1)[0] + ' …')}</a></li>"
        for p in doc.paragraphs
        if p.kind in indent
    ]
    return f'<ul class="rag-contents">{"".join(items)}</ul>' if items else ""


def document_parts(doc: Document, highlight: str | None = None, lang: str = DEFAULT) -> tuple[str, str]:
    """The document up to the highlighted paragraph (included) and the rest ("" when nothing is highlighted), so
    the page can put what a reader asks about that paragraph right under it. A section heading is added where the
    section changes without a heading paragraph."""
    parts: list[list[str]] = [[]]
    section = None
    for p in doc.paragraphs:
        if p.section != section and p.kind != "heading":
            parts[-1].append(f'<div class="rag-p rag-section">{h(p.section)}</div>')
        section = p.section
        parts[-1].append(paragraph_html(p, p.id == highlight, lang))
        if p.id == highlight:
            parts.append([])
    first, rest = parts[0], (parts[1] if len(parts) > 1 else [])
    return "\n".join(['<div class="rag-doc">', *first, "</div>"]), (
        "\n".join(['<div class="rag-doc">', *rest, "</div>"]) if rest else ""
    )


def document_html(doc: Document, highlight: str | None = None, lang: str = DEFAULT) -> str:
    """The whole document as one HTML string."""
    return "\n".join(part for part in document_parts(doc, highlight, lang) if part)


def scroll_script(paragraph_id: str) -> str:
    """A script that scrolls the highlighted paragraph into view once the document has rendered."""
    target = json.dumps(paragraph_id).replace("<", "\\u003c")
    return (
        "<script>(function(){let n=0;const t=setInterval(function(){"
        f"const el=document.getElementById({target});"
        "if(el){el.scrollIntoView({block:'center'});clearInterval(t);}"
        "else if(++n>100){clearInterval(t);}},100);})();</script>"
    )


def viewer_header(info: DocumentInfo, namer: Namer, max_words: int = 8) -> str:
    """The viewer's header line: 'name · short title · date' as Markdown."""
    words = info.title.split()
    short = " ".join(words[:max_words]) + (" …" if len(words) > max_words else "")
    return " · ".join([f"**{md(namer.name(info.id))}**", md(short)] + ([md(info.date)] if info.date else []))


def paragraph_header(p: Paragraph, namer: Namer, lang: str = DEFAULT) -> str:
    """Where the highlighted paragraph is and its status as written, for the viewer's header."""
    where = md(namer.label(p.doc_id, p.task, p.id, lang))
    label = status_text(status_of(p).label, lang) if p.kind in MEASURE_KINDS else None
    status = f"{md(say('status_word', lang))} **{md(label)}**" if label else md(say("status_not_stated", lang).lower())
    return f"{md(say('highlighted', lang))} **{where}** · {status}"


def registry_markdown(info: DocumentInfo, namer: Namer, lang: str = DEFAULT) -> str:
    """The registry facts of a document as a Markdown list."""
    unstated = say("not_stated", lang)
    facts = [
        ("registry_issuer", info.issuer or unstated),
        ("registry_number", info.number or unstated),
        ("registry_date", info.date or unstated),
        ("registry_level", info.level),
        (
            "registry_translation",
            say("official_translation", lang)
            if info.official
            else say("unofficial_cite", lang, name=namer.name(info.canonical_id)),
        ),
        ("registry_source", namer.plain(info.source_note)),
    ]
    return "\n".join(f"- **{md(say(k, lang))}:** {md(v)}" for k, v in facts if v)


def relation_markdown(info: DocumentInfo, namer: Namer, lang: str = DEFAULT) -> list[str]:
    """One Markdown line per relation: type, target (linked when in the corpus) and the stating paragraph."""
    corpus, lines = namer.corpus, []
    for r in info.relations:
        label = relation_label(r.type, lang)
        if r.target in corpus.documents:
            target = md_link(md(namer.name(r.target)), viewer_href(r.target))
        elif r.target in corpus.references:
            ref = corpus.references[r.target]
            target = md(f"{ref.title} ({ref.number})") + " " + md(say("not_in_corpus", lang))
        else:
            target = md(r.target)
        line = f"- **{md(label)}** {target}"
        if r.paragraph_id:
            where = md(say("stated_in", lang, where=namer.label(doc_of(r.paragraph_id), None, r.paragraph_id, lang)))
            line += " — " + md_link(where, viewer_href(doc_of(r.paragraph_id), r.paragraph_id))
        if r.quote:
            line += f": “{md(r.quote)}”"
        lines.append(line)
    return lines


def twin_key(doc_id: str, paragraph_id: str | None = None, kind: str = "goto") -> str:
    """The widget key of a viewer button that opens this document (and paragraph) in the session: "goto" for a
    visible one, "twin" for a hidden one (the same place may have both on a page)."""
    return f"{kind}-" + re.sub(r"[^a-z0-9-]", "-", f"{doc_id}--{paragraph_id or ''}")


# In-session citation links: a Markdown link opens a new tab (a new session, without the conversation).
# This script sends a click on a viewer link to its twin on the page, which opens it inside the session, so
# the conversation is kept: in the chat the page link (st.page_link) of the same paragraph; in the viewer,
# where a page link to the page itself does nothing, the button keyed twin_key(doc, p).
CITATION_LINK_SCRIPT = """<script>(function(){
if (window.__ragCitationLinks) return; window.__ragCitationLinks = true;
const parts = (href) => { const u = new URL(href, document.baseURI);
  return u.pathname.endsWith('/VIEWER_PATH') ? [u.searchParams.get('doc'), u.searchParams.get('p')] : null; };
const key = (href) => { const p = parts(href); return p ? p[0] + '|' + p[1] : null; };
document.addEventListener('click', function(e){
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || a.dataset.testid === 'stPageLink-NavLink') return;
  const p = parts(a.href); if (!p) return;
  const k = key(a.href);
  const twin = Array.from(document.querySelectorAll('a[data-testid="stPageLink-NavLink"]')).find(l => key(l.href) === k)
    || (function(){ const k = (p[0] + '--' + (p[1] || '')).replace(/[^a-z0-9-]/g, '-');
      return document.querySelector('.st-key-goto-' + k + ' button, .st-key-twin-' + k + ' button'); })();
  if (twin) { e.preventDefault(); e.stopPropagation(); twin.click(); }
}, true);})();</script>""".replace("VIEWER_PATH", VIEWER_PATH)
