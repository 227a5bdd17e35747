"""Answer latency: p50/p95, first checked sentence on screen, idle and beside a competing CPU-bound process.

    .venv/bin/python bench/bench_answer.py [--backend local] [--questions 12] [--threads 0,1,2] [--batch 512]
        [--no-load] [--json out.json]

The questions are a fixed stratified set of eval/questions.jsonl (the first of each type, round-robin).
For each thread count (and batch size) the set is answered idle, then again while one `while True: pass`
process competes for a core; the ratio of the two p50s is the robustness figure (target <= 1.5).
Times are from the question to: evidence shown (retrieve_ms), first checked sentence on screen
(first_token_ms), the checked answer (total_ms). Model and index loading are timed separately.
A figure measured while other jobs load the machine says so: the 1-minute load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.data import QUESTIONS_FILE, llm_subset, load_questions
from rag.answer.backends import get_backend
from rag.answer.pipeline import answer
from rag.core.errors import RagError
from rag.core.settings import Settings, get_settings
from rag.core.text import percentile
from rag.retrieve import Retriever

BUSY = [sys.executable, "-c", "while True: pass"]


def run_set(questions: list[dict], retriever: Retriever, settings: Settings, backend_name: str) -> dict:
    backend = get_backend(backend_name, settings)
    t = time.perf_counter()
    backend.warm()
    load_s = time.perf_counter() - t
    rows = []
    for q in questions:
        try:
            a = answer(q["question"], retriever, backend=backend, settings=settings)
        except RagError as err:
            print(f"  {q['id']}: error {err}", flush=True)
            continue
        row = {"id": q["id"], **{k: round(v) for k, v in a.timings.items()}, "refused": a.refused, "by": a.backend}
        row["lead_tokens"] = backend.usage.get("output_tokens") if a.backend == backend.name else None
        rows.append(row)
        print(
            f"  {q['id']:<6} evidence {row['retrieve_ms']:>6} ms  first sentence {row.get('first_token_ms', 0):>7} ms"
            f"  total {row['total_ms']:>7} ms  {'refused' if a.refused else a.backend}",
            flush=True,
        )
    out: dict = {"model_load_s": round(load_s, 1), "rows": rows, "load_avg_1m": os.getloadavg()[0]}
    for key in ("retrieve_ms", "first_token_ms", "total_ms"):
        values = [r[key] / 1000 for r in rows if r.get(key) is not None]
        if values:
            out[key.replace("_ms", "_s")] = {
                "p50": round(percentile(values, 50), 2),
                "p95": round(percentile(values, 95), 2),
            }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="local", help="answer backend by registry name (default: local)")
    parser.add_argument("--questions", type=int, default=12, help="size of the fixed stratified question set")
    parser.add_argument(
        "--threads",
        default=None,
        help="llama.cpp thread counts to compare, e.g. 0,1,2 (0: every core other processes leave free, per call)",
    )
    parser.add_argument("--batch", type=int, default=None, help="llama.cpp n_batch (default: settings.n_batch)")
    parser.add_argument("--no-load", action="store_true", help="idle runs only (no competing process)")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    args = parser.parse_args(argv)
    base = get_settings()
    questions = llm_subset(load_questions(QUESTIONS_FILE), args.questions)
    t = time.perf_counter()
    retriever = Retriever.load(base)
    print(f"index load {time.perf_counter() - t:.1f} s; {len(questions)} questions; load average {os.getloadavg()}")
    results = {}
    for threads in [int(n) for n in args.threads.split(",")] if args.threads else [base.n_threads]:
        settings = base.model_copy(update={"n_threads": threads, "n_batch": args.batch or base.n_batch})
        name = f"threads={threads} batch={settings.n_batch}"
        print(f"{name}, idle:")
        idle = run_set(questions, retriever, settings, args.backend)
        results[name] = {"idle": idle}
        if not args.no_load:
            print(f"{name}, one competing CPU-bound process:")
            busy = subprocess.Popen(BUSY)
            try:
                loaded = run_set(questions, retriever, settings, args.backend)
            finally:
                busy.kill()
                busy.wait()
            results[name]["loaded"] = loaded
            if "total_s" in idle and "total_s" in loaded:
                results[name]["load_ratio_p50"] = round(loaded["total_s"]["p50"] / idle["total_s"]["p50"], 2)
    summary = {
        name: {
            phase: {k: v for k, v in r.items() if k not in ("rows",)} if isinstance(r, dict) else r
            for phase, r in res.items()
        }
        for name, res in results.items()
    }
    print(json.dumps(summary, indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
