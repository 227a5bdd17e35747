"""`rag eval`: the command (registered with the CLI through the `rag.commands` entry point)."""

from __future__ import annotations

import argparse
import json
import time
import traceback
from pathlib import Path

import eval.conversation  # noqa: F401 — registers the conversation and multilingual metric groups
from eval.data import BASELINE_FILE, EVAL_DIR, QUESTIONS_FILE, SPLITS, TYPES, gold_of, load_questions
from eval.gate import baseline_json, check, thresholds
from eval.report import bar_chart, report_markdown
from eval.runner import METRIC_GROUPS, Run, SkipGroup, aggregate, breakdowns, check_groups
from rag.core.errors import EvalDataError
from rag.core.settings import get_settings
from rag.ingest.documents import write_atomic
from rag.interfaces.cli import command, load_retriever, log
from rag.retrieve import MODES


# --- command --------------------------------------------------------------------------
def _eval_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--questions", type=Path, default=QUESTIONS_FILE, help="questions JSONL (default: eval/questions.jsonl)"
    )
    p.add_argument(
        "--backend",
        action="append",
        help="answer backend, repeatable (default: extractive and settings.backend); 'none' for retrieval only",
    )
    p.add_argument("--mode", choices=list(MODES), help="retrieval mode (default: settings.retrieval_mode)")
    p.add_argument("--compare-modes", action="store_true", help="retrieval metrics for dense, bm25 and hybrid")
    p.add_argument("--limit", type=int, help="first N questions (after --type)")
    p.add_argument(
        "--subset",
        type=int,
        help="model backends answer N questions of each split, stratified by type (default: all; with --check settings.eval_llm_subset)",
    )
    p.add_argument("--type", choices=TYPES, help="only questions of this type")
    p.add_argument(
        "--split",
        choices=SPLITS,
        help="only this split of every eval file (default: both, reported side by side; tune on dev only)",
    )
    p.add_argument(
        "--traps",
        action="store_true",
        help="only the polarity traps of every eval file (with --subset 0: every trap through the model)",
    )
    p.add_argument("--check", action="store_true", help="fail on a threshold breach or a drop vs eval/baseline.json")
    p.add_argument("--write-baseline", action="store_true", help="write eval/baseline.json from this run")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


@command("eval", _eval_args)
def cmd_eval(args: argparse.Namespace) -> int:
    """Measure retrieval, answers and governance on the eval questions; --check gates CI."""
    settings = get_settings()
    questions = load_questions(args.questions, args.split)
    if args.type:
        questions = [q for q in questions if q["type"] == args.type]
    if args.traps:
        questions = [q for q in questions if q.get("trap")]
    questions = questions[: args.limit] if args.limit else questions
    if not questions:
        raise EvalDataError("No questions left after --type/--traps/--limit.")
    backends = args.backend or ["extractive", settings.backend]
    backends = list(dict.fromkeys(b for b in backends if b != "none"))
    modes = list(MODES) if args.compare_modes else [args.mode or settings.retrieval_mode]
    retriever = load_retriever()
    gold = {q["id"]: gold_of(q, retriever.corpus) for q in questions}
    subset = args.subset if args.subset is not None else (settings.eval_llm_subset if args.check else 0)
    run = Run(
        settings,
        retriever,
        questions,
        gold,
        modes,
        backends,
        progress=not args.no_progress,
        llm_subset=subset,
        split=args.split,
        traps=args.traps,
    )
    started = time.perf_counter()
    for name, group in METRIC_GROUPS.items():
        try:
            group(run)
        except SkipGroup as why:
            run.notes.append(f"{name}: {why}")
        except Exception as err:
            run.problems.append(f"metric group {name} crashed: {type(err).__name__}: {err}")
            log(traceback.format_exc())
    run.figures["eval_wall_s"] = time.perf_counter() - started

    metrics = aggregate(run.values)
    parts = breakdowns(run)
    failures = None
    if args.check:
        baseline = json.loads(BASELINE_FILE.read_text(encoding="utf-8")) if BASELINE_FILE.exists() else None
        if baseline is None:
            run.notes.append(f"No {BASELINE_FILE.name}: only thresholds checked (write one with --write-baseline).")
        limits = thresholds(settings, modes, backends)
        failures = check(run.values, baseline, limits, settings.eval_max_drop, check_groups(run))
    report = report_markdown(run, metrics, parts, failures)
    out_dir = Path(settings.eval_results_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "report.md", report.encode("utf-8"))
    write_atomic(
        out_dir / "eval.json",
        json.dumps(
            {
                "metrics": metrics,
                "figures": run.figures,
                "by_type": parts["type"],
                "by_doc": parts["doc"],
                "by_split": parts["split"],
                "notes": run.notes,
                "questions": {
                    q["id"]: {
                        "question": q["question"],
                        "type": q["type"],
                        "split": run.splits[q["id"]],
                        "gold": {"tasks": q["gold_tasks"], "paragraphs": [sorted(g) for g in gold[q["id"]].paragraphs]},
                        "values": run.values.get(q["id"], {}),
                        **run.details.get(q["id"], {}),
                    }
                    for q in questions
                },
            },
            ensure_ascii=False,
            indent=1,
        ).encode("utf-8"),
    )
    bar_chart(parts, run, out_dir / "by_type.png")
    print(report)
    log(
        f"eval: {len(questions)} questions in {run.figures['eval_wall_s']:.0f} s; report in {out_dir}/report.md, "
        "eval.json, by_type.png"
    )
    if args.write_baseline:
        write_atomic(BASELINE_FILE, baseline_json(run, metrics).encode("utf-8"))
        write_atomic(EVAL_DIR / "report.md", report.encode("utf-8"))  # the report that goes with the baseline
        log(f"eval: wrote {BASELINE_FILE} and {EVAL_DIR / 'report.md'}")
    for line in [str(f) for f in failures or []] + [f"PROBLEM {p}" for p in run.problems]:
        log(line)
    return 1 if failures or run.problems else 0
