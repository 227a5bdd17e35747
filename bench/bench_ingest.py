"""Time to add one document vs a full index build (real embedder), on a private copy of corpus/.

Run: PYTHONPATH=$PWD python bench/bench_ingest.py [PATH_TO_TEXT] [--id ID]
Prints: full build seconds (empty cache), add seconds (parse + embed the new document + rebuild FAISS/BM25
from cached vectors + atomic registry write), and how many texts each embedded.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from rag.core.settings import ROOT, Settings
from rag.ingest import embedders, manage
from rag.ingest.index import ensure_index


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(ROOT / "tests" / "data" / "gh-2015-81_excerpt.txt"))
    ap.add_argument("--id", default="gh-2015-81")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        shutil.copytree(ROOT / "corpus", work / "corpus")
        settings = Settings(corpus_dir=work / "corpus", index_root=work / "index")
        real = embedders.get_embedder(settings.embedder, settings.embed_threads)
        counted: list[int] = []

        def counting(texts: list[str], batch_size: int = 32):
            counted.append(len(texts))
            return real(texts, batch_size)

        embedders.get_embedder = lambda *_: counting  # type: ignore[assignment]
        import rag.ingest.index as index

        index.get_embedder = embedders.get_embedder
        real(["warm up"])
        t0 = time.perf_counter()
        ensure_index(settings)
        full, full_texts = time.perf_counter() - t0, sum(counted)
        counted.clear()
        t0 = time.perf_counter()
        change = manage.prepare_add(settings, Path(args.path), args.id)
        manage.commit(settings, change, accept_relations=True)
        added = time.perf_counter() - t0
        print(f"full build (5 seeds, empty cache): {full:.1f} s, {full_texts} texts embedded")
        print(f"add {args.id} ({len(change.paragraphs)} paragraphs): {added:.1f} s, {sum(counted)} texts embedded")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
