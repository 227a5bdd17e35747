"""Secrets out of every message: credentials in URLs, API keys, bearer tokens.

`redact` is applied to each RagError message (rag.core.errors), to answer notices, to the
model description shown in the app, and to every line the CLI prints for an error, so a
password in RAG_OPENAI_BASE_URL or a key in an upstream error text never reaches a reader;
`install_log_redaction` does the same for every log record (the CLI and the app install it).
"""

from __future__ import annotations

import logging
import re
import traceback

HIDDEN = "***"
_PATTERNS = (
    # scheme://user:password@host -> scheme://***@host (a user name alone may be a secret too)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@"), rf"\1{HIDDEN}@"),
    # Authorization: Basic <token>, Bearer <token> (a placeholder in angle brackets, "Bearer <key>", stays)
    (
        re.compile(
            r"""(?i)\b(authorization["']?\s*[:=]\s*["']?)(?!(?:(?:basic|bearer)\s+)?<)(?:(?:basic|bearer)\s+)?[^\s"',;]+"""
        ),
        rf"\1{HIDDEN}",
    ),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{6,}"), rf"\1 {HIDDEN}"),
    # key=value / "key": "value" for names that hold secrets
    (
        re.compile(
            r"""(?i)\b((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|pwd)"""
            r"""["']?\s*[:=]\s*["']?)(?!<)[^\s"'&,;)}]+"""
        ),
        rf"\1{HIDDEN}",
    ),
    # a key in a URL's query string: ?key=..., &apikey=...
    (re.compile(r"(?i)([?&;](?:key|apikey|sig|signature|code)=)[^&#\s\"']+"), rf"\1{HIDDEN}"),
    # provider keys that identify themselves: sk-..., sk-proj-..., ghp_..., xox?-..., AKIA...
    (
        re.compile(
            r"\b(?:sk-[A-Za-z0-9_-]{8,}|gh[pousr]_[A-Za-z0-9]{16,}|xox[abposr]-[A-Za-z0-9-]{8,}|AKIA[0-9A-Z]{16})"
        ),
        HIDDEN,
    ),
)


def redact(text: object) -> str:
    """`str(text)` with credentials, keys and tokens replaced by ***."""
    out = str(text)
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out


def install_log_redaction() -> None:
    """Redact every log record made in this process (ours and libraries', tracebacks included); idempotent."""
    make = logging.getLogRecordFactory()
    if getattr(make, "redacts", False):
        return

    def redacted_record(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            _redact_message(record)
            if record.exc_info and record.exc_info[0] is not None:
                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
        except Exception:  # a malformed record is logging's to report, as it would be without this
            pass
        return record

    redacted_record.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacted_record)


def _redact_message(record: logging.LogRecord) -> None:
    """Redact the record's message. Positional arguments are redacted one by one and kept when that hides every
    secret, because some formatters read them (uvicorn's access log unpacks its five); otherwise the message is
    formatted and redacted whole."""
    if isinstance(record.args, tuple) and record.args:
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        whole = record.getMessage()
        if redact(str(record.msg)) == str(record.msg) and redact(whole) == whole:
            return
    record.msg, record.args = redact(record.getMessage()), None
