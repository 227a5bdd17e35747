"""Domain errors. Each message says what went wrong and what to do about it."""

from __future__ import annotations


class RagError(Exception):
    """Base class: the CLI prints str(err) on one line and exits with `exit_code`."""

    exit_code = 2


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
