"""Time to add one document vs a full index build (real embedder), on a private copy of corpus/.

Run: PYTHONPATH=$PWD python bench/bench_ingest.py [PATH_TO_TEXT] [--id ID] [--large-mb 2]
Prints: full build seconds (empty cache), add seconds (parse + embed the new document + rebuild FAISS/BM25
from cached vectors + atomic registry write), and how many texts each embedded. `--large-mb N` adds a text of
about N MB instead: the corpus's own task lines, numbered afresh, repeated until the size is reached (a long
municipal plan), with its peak memory.
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import tempfile
import time
from pathlib import Path

from rag.core.settings import ROOT, Settings
from rag.ingest import embedders, manage
from rag.ingest.index import ensure_index


def large_text(path: Path, mb: float) -> Path:
    """A plan of about `mb` MB: a title, then the corpus's numbered task lines renumbered 1, 2, 3 ... in turn."""
    lines = [
        re.sub(r"^\d+\.\s*", "", line.strip())
        for f in sorted((ROOT / "corpus").glob("*.txt"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if re.match(r"^\d+\.\s+\S", line.strip())
    ]
    out, n = ["Work Plan of Beijing Municipality for a Large Test", "", "I. Main Tasks"], 0
    while sum(len(x) + 1 for x in out) < mb * 1e6:
        n += 1
        out.append(f"{n}. {lines[n % len(lines)]}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path", nargs="?", default=str(ROOT / "tests" / "data" / "gh-2015-81_excerpt.txt"))
    ap.add_argument("--id", default="gh-2015-81")
    ap.add_argument("--large-mb", type=float, help="add a synthetic text of about this many MB instead of PATH")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        shutil.copytree(ROOT / "corpus", work / "corpus")
        if args.large_mb:
            args.path, args.id = str(large_text(work / "large.txt", args.large_mb)), "bj-large"
        settings = Settings(corpus_dir=work / "corpus", index_root=work / "index")
        counted: dict[str, int] = {}
        loader = embedders.get_embedder

        def counting_loader(name: str, threads: int = 1):
            real = loader(name, threads)

            def counting(texts: list[str], batch_size: int = 32):
                counted[name] = counted.get(name, 0) + len(texts)
                return real(texts, batch_size)

            return counting

        import rag.ingest.index as index

        index.get_embedder = counting_loader  # type: ignore[assignment]
        for name in (settings.embedder, settings.multilingual_embedder):
            loader(name, settings.embed_threads)(["warm up"])
        t0 = time.perf_counter()
        ensure_index(settings)
        full, full_texts = time.perf_counter() - t0, dict(counted)
        counted.clear()
        t0 = time.perf_counter()
        level = "municipal" if args.large_mb else None  # the synthetic plan names no issuer
        change = manage.prepare_add(settings, Path(args.path), args.id, level=level)
        manage.commit(settings, change, accept_relations=True)
        added = time.perf_counter() - t0
        print(f"full build (5 seeds, empty cache): {full:.1f} s, texts embedded per model: {full_texts}")
        size = Path(args.path).stat().st_size / 1e6
        print(
            f"add {args.id} ({size:.1f} MB, {len(change.paragraphs)} paragraphs): {added:.1f} s, "
            f"texts embedded per model: {counted}"
        )
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
