"""pgvector behind the interfaces rag.retrieve.Retriever already uses for FAISS and numpy.

PgIndex.search(q[None, :], n) returns (scores, rows) like faiss.Index.search (inner products, best first, row
numbers into the retriever's chunk or paragraph list, -1 padding); PgVectors[rows] returns those rows' vectors
like a numpy matrix. Rows the loaded version does not know (a newer publish, not yet reloaded) are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rag.store.db import Database

TABLES = {("chunks", "embedding"), ("paragraphs", "embedding"), ("paragraphs", "multilingual")}


def hnsw_index_sql(table: str, column: str, dim: int) -> str:
    """The HNSW index of one vector column (an expression index: the column itself has no fixed dimension)."""
    return (
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_hnsw_{dim} ON {table} "
        f"USING hnsw (({column}::vector({dim})) vector_ip_ops)"
    )


@dataclass
class PgIndex:
    """Nearest rows by inner product (the vectors are unit length: cosine), exact scan or HNSW."""

    db: Database
    table: str
    column: str
    ids: list[str]  # row order of the retriever's list
    dim: int
    hnsw: bool = False
    ef_search: int = 200
    _row: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        assert (self.table, self.column) in TABLES
        self._row = {pid: i for i, pid in enumerate(self.ids)}

    @property
    def ntotal(self) -> int:
        return len(self.ids)

    def search(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries[0], dtype=np.float32)
        expr = f"{self.column}::vector({self.dim})" if self.hnsw else self.column
        sql = (
            f"SELECT id, -({expr} <#> %(q)s::vector({self.dim})) FROM {self.table} "
            f"WHERE {self.column} IS NOT NULL ORDER BY {expr} <#> %(q)s::vector({self.dim}) LIMIT %(n)s"
        )
        with self.db.transaction() as conn:
            if self.hnsw:
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(max(self.ef_search, n))}")
            found = conn.execute(sql, {"q": q, "n": n}).fetchall()
        rows = [(self._row[i], s) for i, s in found if i in self._row]
        scores = np.full((1, n), -np.inf, np.float32)
        out = np.full((1, n), -1, np.int64)
        for j, (row, score) in enumerate(rows):
            out[0, j], scores[0, j] = row, score
        return scores, out


@dataclass
class PgVectors:
    """Stored vectors by row number: `vectors[[3, 7]]` is a (2, dim) array, as from a numpy matrix."""

    db: Database
    column: str  # of the paragraphs table
    ids: list[str]
    dim: int

    def __getitem__(self, rows: list[int]) -> np.ndarray:
        wanted = [self.ids[r] for r in rows]
        with self.db.transaction() as conn:
            found = dict(
                conn.execute(f"SELECT id, {self.column} FROM paragraphs WHERE id = ANY(%s)", (wanted,)).fetchall()
            )
        out = np.zeros((len(wanted), self.dim), np.float32)
        for j, pid in enumerate(wanted):
            vector = found.get(pid)
            if vector is not None:
                out[j] = vector.to_numpy() if hasattr(vector, "to_numpy") else np.asarray(vector, np.float32)
        return out

    def __len__(self) -> int:
        return len(self.ids)
