"""Read a publisher's file: plain text, a saved HTML page, or a PDF's text layer.

The original bytes are kept as they are (rag.ingest.manage stores them). For HTML and
PDF the text is extracted once, here, and stored beside the original as a UTF-8 text
file; that text is what is parsed, and paragraph offsets point into it. A quote
traces back to the original through the registry's `source` (file, sha256, extractor).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from rag.core.errors import RagError

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "footer", "form",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
    "table", "td", "th", "title", "tr", "ul",
}  # fmt: skip
SKIPPED_TAGS = {"script", "style", "noscript", "template", "svg", "nav"}  # code, and menus (page chrome)
CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


class IngestError(RagError):
    """A file that cannot be added as a document (empty, binary, unreadable)."""


@dataclass(frozen=True)
class Source:
    format: str  # text | html | pdf
    data: bytes  # the original file, byte-for-byte
    text: str  # the text that is parsed
    extractor: str | None  # how `text` was obtained from `data` (None for plain text)


class _TextOfHtml(HTMLParser):
    """Visible text with one line per block element; scripts, styles and templates left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_text(markup: str) -> str:
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n\n".join(line for line in lines if line) + "\n"


def pdf_text(data: bytes, name: str) -> tuple[str, str]:
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as err:  # pypdf raises many types for a damaged file
        raise IngestError(f"{name} is not a readable PDF ({type(err).__name__}: {err}).") from None
    return "\n\n".join(p.strip() for p in pages if p.strip()) + "\n", f"pypdf {pypdf.__version__}"


def _decode(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise IngestError(f"{name} is not UTF-8 text (a binary file?); add a .txt, .html or .pdf file.") from None
    if "\x00" in text or len(CONTROL_RE.findall(text)) > max(3, len(text) // 100):
        raise IngestError(f"{name} looks like a binary file, not text; add a .txt, .html or .pdf file.")
    return text


def read_source(path: Path) -> Source:
    """The file's bytes and the text to parse; a clear IngestError for empty, binary or unreadable input."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"Cannot read {name}: {err.strerror}.") from None
    if not data.strip():
        raise IngestError(f"{name} is empty; nothing to add.")
    suffix = path.suffix.lower()
    if data.startswith(b"%PDF") or suffix == ".pdf":
        text, extractor = pdf_text(data, name)
        fmt = "pdf"
    else:
        decoded = _decode(data, name)
        head = decoded.lstrip()[:500].lower()
        if suffix in (".html", ".htm") or head.startswith(("<!doctype html", "<html")):
            text, fmt, extractor = html_text(decoded), "html", "html.parser"
        else:
            text, fmt, extractor = decoded, "text", None
    if not text.strip():
        why = "has no text layer (a scan?)" if fmt == "pdf" else "has no text"
        raise IngestError(f"{name} {why}; nothing to add.")
    return Source(format=fmt, data=data, text=text, extractor=extractor)
