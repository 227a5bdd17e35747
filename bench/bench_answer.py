"""Latency, tokens and memory of the answering path, per question and as p50/p95.

    .venv/bin/python bench/bench_answer.py eval/questions.jsonl [--backend local] [--limit 10] [--json out.json]

Times are from the question to: retrieval done, first token, checked answer.
Prompt tok/s = prompt tokens / (first token - retrieval); generation tok/s =
tokens after the first / (last token - first token). Model and index loading
are timed separately, before the first question. p50/p95 are nearest-rank
(rag.core.text.percentile), as in bench_retrieval.py and the eval report.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.answer.backends import get_backend
from rag.answer.pipeline import answer
from rag.core.errors import RagError
from rag.core.settings import get_settings
from rag.core.text import percentile
from rag.interfaces.inputs import read_questions
from rag.retrieve import Retriever


class Timed:
    """A backend wrapper that notes when its first and last pieces arrive."""

    def __init__(self, backend):
        self.backend, self.name, self.model = backend, backend.name, backend.model
        self.first = self.last = 0.0

    @property
    def usage(self) -> dict[str, int]:
        return self.backend.usage

    def warm(self) -> None:
        self.backend.warm()

    def stream(self, question, evidence):
        self.first = self.last = 0.0
        for piece in self.backend.stream(question, evidence):
            self.last = time.perf_counter()
            self.first = self.first or self.last
            yield piece


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", help='JSONL file of {"id": ..., "question": ...} lines ("-" for stdin)')
    parser.add_argument("--backend", default="local", help="answer backend by registry name (default: local)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--json", dest="json_out", help="also write rows and summary to this file")
    args = parser.parse_args(argv)
    settings = get_settings()

    t = time.perf_counter()
    retriever = Retriever.load(settings)
    load_index_s = time.perf_counter() - t
    backend = Timed(get_backend(args.backend, settings))
    t = time.perf_counter()
    backend.warm()
    load_model_s = time.perf_counter() - t
    print(f"backend {backend.name} ({backend.model}); index load {load_index_s:.1f} s, model load {load_model_s:.1f} s")
    print(
        f"{'id':<8}{'retr ms':>9}{'1st tok ms':>12}{'total ms':>10}{'prompt tok':>11}{'ans tok':>8}"
        f"{'prompt t/s':>11}{'gen t/s':>8}{'RSS MB':>8}  result"
    )

    questions = list(read_questions(args.questions))
    rows = []
    for item in questions[: args.limit or None]:
        try:
            a = answer(item.get("question"), retriever, backend=backend, settings=settings)  # None: an unusable line
        except RagError as err:
            print(f"{item['id']:<8}error: {err}")
            rows.append({"id": item["id"], "error": str(err)})
            continue
        t = a.timings
        row = {
            "id": item["id"],
            **{k: round(v, 1) for k, v in t.items()},
            "backend": a.backend,
            "refused": a.refused,
            "rss_mb": round(peak_rss_mb()),
        }
        if a.backend == backend.name and backend.usage:  # a model ran: its token counts apply
            n_in, n_out = backend.usage.get("input_tokens", 0), backend.usage.get("output_tokens", 0)
            reading, writing = (t["first_token_ms"] - t["retrieve_ms"]) / 1000, backend.last - backend.first
            row.update(
                prompt_tokens=n_in,
                answer_tokens=n_out,
                prompt_tps=round(n_in / reading, 1) if reading > 0 else None,
                # the first token's time belongs to reading the prompt
                gen_tps=round((n_out - 1) / writing, 1) if writing > 0 else None,
            )
        rows.append(row)
        result = "refused" if a.refused else f"{len(a.citations)} citations"
        if a.backend != backend.name:
            result += f" (answered by {a.backend})"
        print(
            f"{row['id']:<8}{row['retrieve_ms']:>9.0f}{row.get('first_token_ms', float('nan')):>12.0f}"
            f"{row['total_ms']:>10.0f}{row.get('prompt_tokens', '-'):>11}{row.get('answer_tokens', '-'):>8}"
            f"{row.get('prompt_tps') or '-':>11}{row.get('gen_tps') or '-':>8}{row['rss_mb']:>8}  {result}",
            flush=True,
        )

    summary: dict[str, object] = {
        "backend": backend.name,
        "model": backend.model,
        "questions": len(rows),
        "index_load_s": round(load_index_s, 1),
        "model_load_s": round(load_model_s, 1),
        "peak_rss_mb": round(peak_rss_mb()),
    }
    for key in ("retrieve_ms", "first_token_ms", "total_ms", "prompt_tps", "gen_tps", "prompt_tokens", "answer_tokens"):
        values = [r[key] for r in rows if r.get(key) is not None]
        if values:
            summary[key] = {"p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1)}
    print(json.dumps(summary, indent=2))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({"summary": summary, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
