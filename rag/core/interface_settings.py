"""The interfaces group of the settings (links, `rag serve`, feedback); part of rag.core.settings.Settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings

from rag.core.paths import ROOT


class InterfaceSettings(BaseSettings):
    """Interfaces (rag.interfaces): links, the HTTP service, feedback."""

    app_url: str = Field("http://localhost:8501", description="Base URL of the app, used in citation links.")
    # --- HTTP service (rag.interfaces.http, `rag serve`) and feedback ---
    api_key: str | None = Field(
        None,
        description="When set, `rag serve` answers only requests that carry it (Authorization: Bearer or X-API-Key); "
        "others get 401. /healthz, /docs and the document viewer stay open.",
    )
    http_max_request_bytes: int = Field(
        65536, description="`rag serve` refuses request bodies larger than this with 413."
    )
    http_serial_backends: list[str] = Field(
        ["local", "smollm2"],
        description="Backends whose model runs inside the `rag serve` process and answers one question at a time: "
        "their requests queue for it. Others (extractive, openai) run side by side.",
    )
    http_max_queue: int = Field(
        32, description="Requests waiting for the in-process model beyond this get 503 (retry later)."
    )
    http_recent_answers: int = Field(
        512, description="Recent answers `rag serve` keeps by id, so feedback can name an answer by its id alone."
    )
    feedback_db: Path = Field(
        ROOT / ".cache" / "feedback.sqlite3", description="SQLite file of the thumbs up/down feedback on answers."
    )
    feedback_max_citations: int = Field(
        50, description="Most citations one posted rating may carry (each must name a paragraph of the corpus)."
    )
    feedback_max_chars: int = Field(
        8000,
        description="Most characters of each text a posted rating carries (question, answer, comment, a citation's "
        "quote); longer ones get 400.",
    )
