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
from rag.core.language import cjk_count

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
    extractor: str | None  # how `text` was obtained from `data` (None for plain UTF-8 text)
    encoding: str = "utf-8"  # of a text or HTML file; another one is converted to UTF-8 (see `note`)
    note: str = ""  # what was done to the file on the way in, for the person adding it


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


# Byte-order marks, and the encodings they announce.
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
_CONVERT = "save it as UTF-8 (e.g. `iconv -f GB18030 -t UTF-8 in.txt > out.txt`) and add that file"


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (with or without a BOM), UTF-16 (a BOM, or the zero bytes of its ASCII
    all on one side), or GB18030 (which covers GBK and GB2312); a guess is taken only when it reads as text.
    IngestError for anything else."""
    bom = next((enc for mark, enc in _BOMS if data.startswith(mark)), None)
    candidates = [bom] if bom else [*_utf16_guess(data), "utf-8", "gb18030"]
    for candidate in candidates:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if "\x00" in text or len(CONTROL_RE.findall(text)) > max(3, len(text) // 100):
            continue
        if candidate not in (bom, "utf-8") and not _reads_as_text(text):  # bytes that only happen to decode
            continue
        return text.lstrip("\ufeff"), candidate  # utf-8-sig too: the stored text has no byte-order mark
    if bom:
        raise IngestError(f"{name} announces {bom.upper()} but does not decode as it; {_CONVERT}.")
    raise IngestError(
        f"{name} is neither UTF-8, UTF-16 nor GB18030/GBK text (a binary file, or another encoding?); {_CONVERT}."
    )


def _utf16_guess(data: bytes) -> list[str]:
    """UTF-16 without a BOM: its ASCII characters (newlines, digits) put zero bytes all on one side."""
    odd, even = data[1::2].count(0), data[0::2].count(0)
    if len(data) % 2 or odd + even == 0:
        return []
    return ["utf-16-le"] if odd > 2 * even else ["utf-16-be"] if even > 2 * odd else []


def _reads_as_text(text: str) -> bool:
    """Nine in ten characters are ASCII text, Chinese characters or CJK punctuation and full-width forms."""
    usual = sum(ch.isascii() and (ch.isprintable() or ch.isspace()) or "\u3000" <= ch <= "\u303f" or ch >= "\uff00"
                for ch in text)  # fmt: skip
    return (usual + cjk_count(text)) >= 0.9 * len(text)


def check_size(path: Path, max_bytes: int) -> None:
    """IngestError naming the limit when the file is larger than `max_bytes`."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise IngestError(f"Cannot read {path}: {err.strerror}.") from None
    if size > max_bytes:
        raise IngestError(
            f"{path} is {size / 1e6:.1f} MB; files up to {max_bytes / 1e6:.1f} MB can be added "
            "(RAG_INGEST_MAX_BYTES). Split the document, or add its text only."
        )


def read_source(path: Path, max_bytes: int | None = None) -> Source:
    """The file's bytes and the text to parse; a clear IngestError for a file over `max_bytes`, empty, binary or
    unreadable input. A text in UTF-16 or GB18030/GBK is converted to UTF-8, and Source.note says so."""
    name = str(path)
    if max_bytes is not None:
        check_size(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise IngestError(f"Cannot read {name}: {err.strerror}.") from None
    if not data.strip(b" \t\r\n\x00\xff\xfe\xef\xbb\xbf"):
        raise IngestError(f"{name} is empty; nothing to add.")
    suffix = path.suffix.lower()
    encoding, extractor = "utf-8", None
    if data.startswith(b"%PDF") or suffix == ".pdf":
        text, extractor = pdf_text(data, name)
        fmt = "pdf"
    else:
        decoded, encoding = _decode(data, name)
        head = decoded.lstrip()[:500].lower()
        if suffix in (".html", ".htm") or head.startswith(("<!doctype html", "<html")):
            text, fmt, extractor = html_text(decoded), "html", "html.parser"
        else:
            text, fmt = decoded, "text"
            extractor = None if encoding == "utf-8" else f"decoded from {encoding.upper()}"
    if not text.strip():
        why = "has no text layer (a scan?)" if fmt == "pdf" else "has no text"
        raise IngestError(f"{name} {why}; nothing to add.")
    note = (
        f"{path.name} is {encoding.upper()} text: converted to UTF-8 (the original is kept as it is)."
        if encoding != "utf-8"
        else ""
    )
    return Source(format=fmt, data=data, text=text, extractor=extractor, encoding=encoding, note=note)
