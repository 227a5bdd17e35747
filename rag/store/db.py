"""Connections to the database named by RAG_DATABASE_URL: a small pool, one transaction per `transaction()`.

Every connection or statement failure becomes DatabaseUnavailable (one line saying what to do; the HTTP
service answers it with 503 and Retry-After). A broken connection is dropped, not returned to the pool,
so the first call after the database comes back opens a fresh one: recovery needs no restart.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from rag.core.errors import DatabaseUnavailable
from rag.core.settings import Settings

PING_AFTER_S = 1.0  # a connection idle longer than this is checked before use


def _why(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:300]


class Database:
    """A pool of psycopg connections (autocommit off; vectors adapted as numpy arrays once pgvector exists)."""

    def __init__(self, url: str, *, timeout_s: float = 3.0, size: int = 4):
        self.url, self.timeout_s = url, timeout_s
        self._idle: queue.LifoQueue[Any] = queue.LifoQueue(maxsize=size)

    def _open(self) -> Any:
        import psycopg

        try:
            conn = psycopg.connect(self.url, connect_timeout=max(1, round(self.timeout_s)))
        except psycopg.Error as err:
            raise DatabaseUnavailable(_why(err)) from None
        try:
            from pgvector.psycopg import register_vector

            register_vector(conn)
        except psycopg.ProgrammingError:  # no vector extension yet: `rag db migrate` creates it
            conn.rollback()
        except psycopg.Error as err:
            conn.close()
            raise DatabaseUnavailable(_why(err)) from None
        return conn

    def _checkout(self) -> Any:
        """A pooled connection (one idle for over PING_AFTER_S answers a ping first: the server may have
        restarted meanwhile), else a new one."""
        import psycopg

        while True:
            try:
                conn, since = self._idle.get_nowait()
            except queue.Empty:
                return self._open()
            if time.monotonic() - since < PING_AFTER_S:
                return conn
            try:
                conn.execute("SELECT 1")
                conn.rollback()
                return conn
            except psycopg.Error:
                conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A connection inside one transaction: committed when the block ends, rolled back on an error."""
        import psycopg

        conn = self._checkout()
        try:
            yield conn
            conn.commit()
        except psycopg.OperationalError as err:  # connection lost, server shutting down, timeouts
            conn.close()
            self.close()  # the server likely restarted: every pooled connection is as dead as this one
            raise DatabaseUnavailable(_why(err)) from None
        except psycopg.errors.UndefinedTable as err:
            conn.close()
            raise DatabaseUnavailable(f"{_why(err)}; run `rag db migrate`") from None
        except BaseException:
            if conn.closed:
                raise
            try:
                conn.rollback()
            except psycopg.Error:
                conn.close()
            raise
        finally:
            if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                try:
                    self._idle.put_nowait((conn, time.monotonic()))
                except queue.Full:
                    conn.close()
            elif not conn.closed:
                conn.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait()[0].close()
            except queue.Empty:
                return


@lru_cache(maxsize=8)
def _database(url: str, timeout_s: float, size: int) -> Database:
    return Database(url, timeout_s=timeout_s, size=size)


def database(settings: Settings) -> Database:
    """The process's pool for settings.database_url (one per URL)."""
    if not settings.database_url:
        raise DatabaseUnavailable("RAG_DATABASE_URL is not set")
    return _database(settings.database_url, settings.db_connect_timeout_s, settings.db_pool_size)
