"""Retrieval benchmark: cold index build, query latency per mode, peak memory.

    .venv/bin/python bench/bench_retrieval.py [--modes dense bm25 hybrid] [--warmup 5] [-k 5]

The build goes into a temporary index_root (forced, so nothing cached is
reused). Latency is per `Retriever.search` call over the eval questions after
a warm-up, query embedding included; p50/p95 are nearest-rank
(rag.core.text.percentile), as in bench_answer.py and the eval report. Embedding
runs on settings.embed_threads torch threads (RAG_EMBED_THREADS, default 1);
`--torch-threads N` overrides it for this run: on a busy machine more threads can
make query embedding many times slower (threads wait on each other). Peak RSS is
the process maximum (resource.getrusage), i.e. embedder + index + everything above.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.data import QUESTIONS_FILE, load_questions
from rag.core.settings import get_settings
from rag.core.text import percentile
from rag.ingest.embedders import get_embedder
from rag.ingest.index import ensure_index
from rag.retrieve import MODES, Retriever


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=Path, default=QUESTIONS_FILE)
    p.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    p.add_argument("--warmup", type=int, default=5, help="untimed queries per mode first")
    p.add_argument("-k", type=int, default=None, help="hits per query (default settings.top_k)")
    p.add_argument("--torch-threads", type=int, help="torch threads for embedding (default: settings.embed_threads)")
    args = p.parse_args(argv)

    questions = [q["question"] for q in load_questions(args.questions)]
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        update: dict[str, object] = {"index_root": Path(tmp)}
        if args.torch_threads:
            update["embed_threads"] = args.torch_threads
        settings = get_settings().model_copy(update=update)
        t0 = time.perf_counter()
        # The same arguments as the index build and the retriever: the model loads once, with these threads.
        get_embedder(settings.embedder, settings.embed_threads)
        print(f"embedder load ({settings.embedder}): {time.perf_counter() - t0:.1f} s")
        import torch

        print(
            f"cpu cores: {os.cpu_count()}, torch threads: {torch.get_num_threads()}, "
            f"load average: {os.getloadavg()[0]:.1f}, questions: {len(questions)}"
        )
        t0 = time.perf_counter()
        corpus, data, _ = ensure_index(settings, force=True)
        print(
            f"index build, cold (parse + chunk + embed + FAISS + BM25 + write + load): "
            f"{time.perf_counter() - t0:.1f} s — {len(data.chunks)} chunks, {len(data.paragraph_ids)} paragraphs"
        )
        retriever = Retriever(settings, corpus, data)
        print(f"{'mode':<7} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
        for mode in args.modes:
            for q in questions[: args.warmup]:
                retriever.search(q, args.k, mode=mode)
            times = []
            for q in questions:
                t0 = time.perf_counter()
                retriever.search(q, args.k, mode=mode)
                times.append((time.perf_counter() - t0) * 1000)
            print(f"{mode:<7} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {statistics.fmean(times):8.1f}")
    print(f"peak RSS: {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
