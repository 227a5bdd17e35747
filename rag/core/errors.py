"""Domain errors. Each message says what went wrong and what to do about it."""

from __future__ import annotations

from rag.core.redact import redact


class RagError(Exception):
    """Base class: the CLI prints str(err) on one line and exits with `exit_code`.

    The message is redacted when the error is made (rag.core.redact), so a credential quoted from a
    setting or an upstream error never reaches a reader, whichever interface shows it.
    """

    exit_code = 2

    def __init__(self, *args: object):
        super().__init__(*(redact(a) if isinstance(a, str) else a for a in args))


class UnknownDocument(RagError):
    def __init__(self, doc_id: str, known: list[str]):
        super().__init__(f"Unknown document id {doc_id!r}. Known ids: {', '.join(known)}.")


class CorpusError(RagError):
    """The corpus folder or its registry is wrong (missing file, sha256 mismatch)."""


class IndexMissing(RagError):
    def __init__(self, path: object):
        super().__init__(f"No index at {path}. Build it with: rag index")


class IndexCorrupt(RagError):
    def __init__(self, path: object, why: str):
        super().__init__(f"The index at {path} is unreadable ({why}). Rebuild it with: rag index --force")


class BadQuestion(RagError):
    """Empty, too long or otherwise unusable question."""

    exit_code = 3


class ModelMissing(RagError):
    """A model file or package is not installed."""


class ModelCorrupt(RagError):
    """A model file exists but fails its integrity check."""


class LLMUnavailable(RagError):
    """The language model backend failed or timed out."""


class UnknownBackend(RagError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(f"Unknown backend {name!r}. Choose one of: {', '.join(known)} (--backend or RAG_BACKEND).")


class EvalDataError(RagError):
    """The eval questions file (or a filter over it) is unusable."""


class SettingsError(RagError):
    """A RAG_* setting has a value its field does not accept."""


class IndexNotWritable(RagError):
    def __init__(self, path: object, why: str):
        super().__init__(
            f"Cannot write the index under {path} ({why}). Point RAG_INDEX_ROOT at a writable folder, "
            "e.g. RAG_INDEX_ROOT=~/.cache/beijing-rag/index"
        )


class DatabaseUnavailable(RagError):
    """The database named by RAG_DATABASE_URL cannot be reached or refused the statement."""

    def __init__(self, why: str):
        super().__init__(
            f"The database (RAG_DATABASE_URL) is unavailable: {why}. Start PostgreSQL or fix RAG_DATABASE_URL "
            "(unset it to use the local FAISS index and SQLite); `rag db status` checks the connection."
        )


class DatabaseSchema(RagError):
    """The database's schema is older or newer than this code's."""
