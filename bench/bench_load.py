"""Load on `rag serve`: 1, 4 and 16 concurrent clients, (a) model in process, (b) model behind llama.cpp's server.

    .venv/bin/python bench/bench_load.py [--model smollm2|local] [--levels 1,4,16] [--requests 4]
                                         [--max-answer-tokens 64] [--setups inproc,server] [--budget-s 2400]

(a) `rag serve` with RAG_BACKEND=<model>: one in-process llama.cpp model, requests queue for it.
(b) `python -m llama_cpp.server` with the same GGUF, and `rag serve` with RAG_BACKEND=openai pointing at it
    (llama-cpp-python's server generates one answer at a time: it has no parallel slots).
Each level sends max(--requests, N) POST /v1/answers from N client threads, each request a different answerable
question of eval/questions.jsonl. Printed per level: throughput, p50/p95 latency, errors, and crossed
answers: a response whose `question` is not the one sent, or that cites a paragraph outside the tasks
retrieval finds for its own question (GET /v1/search, k = evidence_chunks). Also: how many answers came
from the extractive fallback because the small model's draft failed the citation check, and how many
because the model failed (error or RAG_LLM_TIMEOUT_S).
Only 127.0.0.1; every server is started here and stopped at the end; the run stops itself at --budget-s.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from eval.data import QUESTIONS_FILE, load_questions
from rag.answer import model_files
from rag.core.settings import get_settings
from rag.core.text import percentile
from rag.interfaces.http.process import free_port, llama_server_command, rag_serve_command, running


def _model_path(name: str) -> Path:
    settings = get_settings()
    return model_files.smollm2_path(settings) if name == "smollm2" else model_files.ensure_model(settings)


def _level(base: str, questions: list[str], allowed: dict[str, set[str]], clients: int, n: int, deadline: float):
    """n requests from `clients` threads; returns the row of figures."""

    def one(i: int) -> tuple[float, str | None, bool, str]:
        q = questions[i % len(questions)]
        left = deadline - time.monotonic()
        if left <= 0:
            return 0.0, "budget spent", False, ""
        t0 = time.perf_counter()
        try:
            r = httpx.post(f"{base}/v1/answers", json={"question": q}, timeout=left)
        except httpx.HTTPError as err:
            return time.perf_counter() - t0, type(err).__name__, False, ""
        took = time.perf_counter() - t0
        if r.status_code != 200:
            return took, f"HTTP {r.status_code}: {r.text[:120]}", False, ""
        data = r.json()
        crossed = data["question"] != q or not {c["paragraph_id"] for c in data["citations"]} <= allowed[q]
        failed = "language model failed" in (data.get("notice") or "")
        return took, None, crossed, "failed" if failed else ("unverified" if data["backend"] == "extractive" else "")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    ok = [r[0] for r in results if r[1] is None]
    errors = [r[1] for r in results if r[1] is not None]
    return {
        "clients": clients,
        "requests": n,
        "wall_s": wall,
        "req_per_s": len(ok) / wall if wall else 0.0,
        "p50_s": percentile(ok, 50) if ok else float("nan"),
        "p95_s": percentile(ok, 95) if ok else float("nan"),
        "errors": len(errors),
        "crossed": sum(r[2] for r in results),
        "fallback": sum(r[3] == "unverified" for r in results),
        "model_failed": sum(r[3] == "failed" for r in results),
        "first_error": errors[0] if errors else "",
    }


def _run_setup(name: str, base: str, questions, levels, n, deadline) -> list[dict]:
    k = get_settings().evidence_chunks
    allowed = {}
    for q in questions:
        hits = httpx.get(f"{base}/v1/search", params={"q": q, "k": k}, timeout=120).json()["hits"]
        allowed[q] = {pid for h in hits for pid in h["paragraph_ids"]}
    httpx.post(f"{base}/v1/answers", json={"question": questions[0]}, timeout=600)  # warm: load the model
    rows = []
    for clients in levels:
        row = _level(base, questions, allowed, clients, max(n, clients), deadline) | {"setup": name}
        rows.append(row)
        print(
            f"{name:8} {row['clients']:>3} clients {row['requests']:>3} req  {row['wall_s']:7.1f} s  "
            f"{row['req_per_s']:5.2f} req/s  p50 {row['p50_s']:6.1f} s  p95 {row['p95_s']:6.1f} s  "
            f"errors {row['errors']}  crossed {row['crossed']}  fallback {row['fallback']} (model failed "
            f"{row['model_failed']})  {row['first_error']}",
            flush=True,
        )
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["smollm2", "local"], default="smollm2", help="GGUF for both setups")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients per level")
    ap.add_argument("--requests", type=int, default=4, help="requests per level (at least one per client)")
    ap.add_argument("--max-answer-tokens", type=int, default=64, help="RAG_MAX_ANSWER_TOKENS for the run")
    ap.add_argument("--setups", default="inproc,server", help="inproc and/or server")
    ap.add_argument("--budget-s", type=float, default=2400, help="stop sending requests after this long")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the servers (the finally blocks) on kill too
    levels = [int(x) for x in args.levels.split(",")]
    deadline = time.monotonic() + args.budget_s
    answerable = [q["question"] for q in load_questions(QUESTIONS_FILE) if not q["refuse"]]
    questions = answerable[: max(args.requests, max(levels))]
    model = _model_path(args.model)
    common = {"RAG_MAX_ANSWER_TOKENS": str(args.max_answer_tokens), "RAG_API_KEY": "", "RAG_APP_URL": ""}
    print(f"model {model.name}, max_answer_tokens {args.max_answer_tokens}, {len(questions)} distinct questions")
    tmp = Path(tempfile.mkdtemp(prefix="bench_load_"))
    common["RAG_FEEDBACK_DB"] = str(tmp / "feedback.sqlite3")
    rows: list[dict] = []
    if "inproc" in args.setups:
        port = free_port()
        env = common | {"RAG_BACKEND": args.model}
        with running(rag_serve_command(port), f"http://127.0.0.1:{port}/healthz", tmp / "inproc.log", env):
            rows += _run_setup("inproc", f"http://127.0.0.1:{port}", questions, levels, args.requests, deadline)
    if "server" in args.setups:
        model_port, port = free_port(), free_port()
        model_url = f"http://127.0.0.1:{model_port}/v1"
        env = common | {"RAG_BACKEND": "openai", "RAG_OPENAI_BASE_URL": model_url, "RAG_LLM_TIMEOUT_S": "600"}
        with (
            running(llama_server_command(model, model_port), f"{model_url}/models", tmp / "llama.log"),
            running(rag_serve_command(port), f"http://127.0.0.1:{port}/healthz", tmp / "server.log", env),
        ):
            rows += _run_setup("server", f"http://127.0.0.1:{port}", questions, levels, args.requests, deadline)
    print(f"logs in {tmp}")
    return 1 if any(r["errors"] or r["crossed"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
