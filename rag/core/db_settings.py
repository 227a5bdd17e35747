"""The database group of the settings (rag.store); part of rag.core.settings.Settings.

Without RAG_DATABASE_URL nothing here is used: the index is FAISS + BM25 on disk and feedback goes to SQLite.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings


class DatabaseSettings(BaseSettings):
    """PostgreSQL (rag.store): shared corpus, vectors, feedback and answer log for several `rag serve` replicas."""

    database_url: str | None = Field(
        None,
        description="postgresql://user:pass@host:5432/db moves the corpus, its vectors (pgvector), feedback and the "
        "answer log into PostgreSQL, shared by every process that names it; unset (the default): FAISS + SQLite.",
    )
    db_connect_timeout_s: float = Field(
        3.0, gt=0, description="Seconds to wait for a database connection before the request fails with 503."
    )
    db_pool_size: int = Field(4, ge=1, description="Open database connections a process keeps for reuse.")
    db_retry_after_s: int = Field(
        5, ge=1, description="Retry-After (seconds) sent with the 503 a request gets while the database is down."
    )
    db_corpus_check_s: float = Field(
        1.0,
        ge=0,
        description="A `rag serve` replica asks the database for the corpus version at most this often (on a "
        "request); a newer version (`rag add/update/remove` anywhere) is loaded before the request is answered.",
    )
    db_vector_search: Literal["exact", "hnsw"] = Field(
        "exact",
        description="pgvector search: 'exact' (a scan: the same rankings as FAISS flat) or 'hnsw' (an approximate "
        "index, built at publish time; see README Scale for where the scan stops being enough).",
    )
    db_hnsw_ef_search: int = Field(
        200, ge=1, le=1000, description="hnsw.ef_search for 'hnsw' search: candidates examined per query."
    )
