"""What the evaluation protocol costs: shared evaluation sets (built once per process) and the
final scoring with bootstrap intervals, against the training they accompany.

For each task: the seconds to build its evaluation sets the first time (2,000 test and
test_ood examples, 500 val) and from the in-process cache, the seconds of the final scoring
of a default lstm (every split, every metric with its interval, per length, baselines), and
the seconds of ``steps`` training steps at the leaderboard's batch size, all in this process.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import torch

from seqbench import fit, make_model, make_task
from seqbench.engine.evaluation import baseline_scores, clear_caches, make_eval_sets, score_splits

TASKS = ("parity", "reverse", "pos_tagging", "markov_lm", "copy_memory", "sentiment")


def _seconds(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def evaluation_cost(steps: int = 200, tasks: tuple[str, ...] = TASKS, test_size: int = 2000,
                    val_size: int = 500) -> dict[str, Any]:
    rows = {}
    for name in tasks:
        clear_caches()
        task = make_task(name)
        cold = _seconds(lambda: make_eval_sets(task, test_size, val_size))
        warm = _seconds(lambda: make_eval_sets(task, test_size, val_size))
        sets = make_eval_sets(task, test_size, val_size)
        torch.manual_seed(0)
        model = make_model("lstm", task.spec)
        train = fit(model, task, seed=0, steps=steps, eval_every=steps, batch_size=32, eval_sets=sets).train_seconds
        scoring = _seconds(lambda: score_splits(model, task, sets, "cpu"))
        baselines = _seconds(lambda: baseline_scores(task, sets))  # cached after the first scoring
        rows[name] = {"eval_sets_cold_s": round(cold, 3), "eval_sets_cached_s": round(warm, 6),
                      "scoring_s": round(scoring, 2), "baselines_cached_s": round(baselines, 3),
                      "train_s": round(train, 2), "eval_sets_share_of_training": round(cold / train, 3),
                      "scoring_share_of_training": round(scoring / train, 3)}
    return {"steps": steps, "test_size": test_size, "val_size": val_size, "tasks": rows,
            "median_eval_sets_share": statistics.median(r["eval_sets_share_of_training"] for r in rows.values()),
            "median_scoring_share": statistics.median(r["scoring_share_of_training"] for r in rows.values())}


def evaluation_table(figure: dict[str, Any] | None) -> list[str]:
    if not figure:
        return []
    rows = ["", f"evaluation cost: sets of {figure['test_size']} test/test_ood and {figure['val_size']} val examples, "
                f"final scoring with intervals, against {figure['steps']} training steps (lstm, batch 32)", "",
            "| task | sets, first build s | sets, cached s | scoring s | training s | sets / training | "
            "scoring / training |", "|---|---|---|---|---|---|---|"]
    for name, r in figure["tasks"].items():
        rows.append(f"| {name} | {r['eval_sets_cold_s']} | {r['eval_sets_cached_s']} | {r['scoring_s']} | "
                    f"{r['train_s']} | {r['eval_sets_share_of_training']:.1%} | {r['scoring_share_of_training']:.1%} |")
    return rows
