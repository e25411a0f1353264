"""Curves from result records: learning curves per model, and gradient norms per time step.

:func:`plot_learning_curves` reads the ``history`` of ``result.json`` records (training
loss and validation metrics at every evaluation) and draws one line per model variant (mean
over seeds, the range shaded), labelled by the model options that differ between the runs
(``gru (teacher_forcing=0.0)``). :func:`curve_table` puts the same curves into numbers.
:func:`plot_gradient_profiles` draws ``||dLoss/dh_t||`` against t on a log scale.

Command line (no Hydra needed)::

    python -m seqbench.analysis.curves multirun/teacher_forcing --out curves.png
    python -m seqbench.analysis.curves outputs/gradflow --gradflow --out gradflow.png  # every probe, one plot

>>> records = [{"task": "reverse", "model": "gru", "seed": 0, "status": "ok", "primary_metric": "token_accuracy",
...             "model_params": {"teacher_forcing": tf},
...             "history": [{"step": 50, "train_loss": 1.0, "val_token_accuracy": a},
...                         {"step": 100, "train_loss": 0.5, "val_token_accuracy": b}]}
...            for tf, a, b in [(1.0, 0.6, 0.9), (0.0, 0.3, 0.5)]]
>>> curve_table(records)[0]
{'task': 'reverse', 'model': 'gru (teacher_forcing=0.0)', 'seeds': 1, 'metric': 'token_accuracy', 'first': 0.3, 'last': 0.5, 'mean_over_evaluations': 0.4}
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.analysis.plots import model_style, new_figure, save_figure


def label_runs(records: list[dict[str, Any]]) -> list[str]:
    """One label per record: the model name and the options whose values differ between runs."""
    from seqbench.core.setup import run_label, varying_keys

    names = [r.get("model_label") or r["model"] for r in records]
    varying = varying_keys([(name, r.get("model_params") or {}) for name, r in zip(names, records)])
    return [run_label(name, r.get("model_params") or {}, varying.get(name, [])) for name, r in zip(names, records)]


def _groups(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(task, label) -> the records with a history, in order of first appearance."""
    usable = [r for r in records if r.get("history")]
    groups: dict[tuple[str, str], list[dict]] = {}
    for record, label in zip(usable, label_runs(usable)):
        groups.setdefault((record["task"], label), []).append(record)
    return groups


def _curve(runs: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Steps (S,) and values (seeds, S) of ``key``, over the steps every run evaluated."""
    steps = sorted(set.intersection(*[{h["step"] for h in r["history"] if h.get(key) is not None} for r in runs]))
    table = [{h["step"]: h[key] for h in r["history"]} for r in runs]
    return np.array(steps), np.array([[row[s] for s in steps] for row in table], dtype=float)


def curve_table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (task, model variant): the primary validation metric at the first and last evaluation
    and its mean over all evaluations (a learning-speed figure: higher when learnt sooner)."""
    rows = []
    for (task, label), runs in _groups(records).items():
        metric = runs[0]["primary_metric"]
        steps, values = _curve(runs, f"val_{metric}")
        if not len(steps):
            continue
        mean = values.mean(0)
        rows.append({"task": task, "model": label, "seeds": len(runs), "metric": metric,
                     "first": round(float(mean[0]), 4), "last": round(float(mean[-1]), 4),
                     "mean_over_evaluations": round(float(mean.mean()), 4)})
    return sorted(rows, key=lambda r: (r["task"], r["model"]))


def plot_learning_curves(records: list[dict[str, Any]], path: str | Path) -> Path:
    """Training loss and validation primary metric against steps; one row of panels per task."""
    groups = _groups(records)
    tasks = sorted({task for task, _ in groups})
    if not tasks:
        raise ValueError("no record has a learning curve (history)")
    fig = new_figure((10, 3.6 * len(tasks)))
    axes = fig.subplots(len(tasks), 2, squeeze=False)
    for row, task in enumerate(tasks):
        mine = sorted((label, runs) for (group_task, label), runs in groups.items() if group_task == task)
        for index, (label, runs) in enumerate(mine):
            metric = runs[0]["primary_metric"]
            for ax, key in zip(axes[row], ("train_loss", f"val_{metric}")):
                steps, values = _curve(runs, key)
                line, = ax.plot(steps, values.mean(0), marker=".", label=f"{label}, n={len(runs)}", **model_style(index))
                if len(runs) > 1:
                    ax.fill_between(steps, values.min(0), values.max(0), color=line.get_color(), alpha=0.2)
                ax.set_title(f"{task}: {key.replace('_', ' ')}")
                ax.set_xlabel("training step")
        axes[row][0].set_yscale("log")
        axes[row][1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # beside the data
    return save_figure(fig, path)


def plot_gradient_profiles(profiles: dict[str, list[float]], path: str | Path, title: str,
                           quantity: str = "h_t") -> Path:
    """``profiles[label][t - 1] = ||dLoss/d quantity||`` (``h_t`` or ``x_t``), on a log scale (exact zeros left out)."""
    fig = new_figure((7, 4))
    ax = fig.subplots()
    for label, norms in profiles.items():
        values = np.array(norms, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), np.where(values > 0, values, np.nan), label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time step t (the loss is computed after the last step)")
    ax.set_ylabel(f"||dLoss / d{quantity}||")
    ax.set_title(title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def gradflow_profiles(records: list[dict[str, Any]], when: str = "init", of: str = "state") -> dict[str, list[float]]:
    """``label -> ||dLoss/dh_t||`` (``of="state"``, the classic cells) or ``||dLoss/dx_t||``
    (``of="input"``, every recurrent model) of every ``seqbench gradflow`` record, at ``init`` or ``trained``.

    >>> record = {"model": "rnn_relu", "gradflow": {"recurrent_scale": 4.0, "init": {"step_norms": [9.0, 1.0]}}}
    >>> gradflow_profiles([record])
    {'rnn_relu (W_hh x 4)': [9.0, 1.0]}
    """
    key = {"state": "step_norms", "input": "input_norms"}[of]
    out = {}
    for r in records:
        section = r.get("gradflow") or {}
        if section.get(when, {}).get(key):
            scale = section.get("recurrent_scale", 1.0)
            label = r.get("model_label") or r["model"]
            out[label + (f" (W_hh x {scale:g})" if scale != 1 else "")] = section[when][key]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqbench.analysis.curves",
                                     description="Learning curves of every result.json below the folders.")
    parser.add_argument("folders", nargs="+", help="folders holding result.json files (searched recursively)")
    parser.add_argument("--out", default="learning_curves.png", help="the PNG to write")
    parser.add_argument("--gradflow", action="store_true",
                        help="plot the gradient profiles of `seqbench gradflow` records instead")
    parser.add_argument("--of", choices=("state", "input"), default="state",
                        help="with --gradflow: ||dLoss/dh_t|| (classic cells) or ||dLoss/dx_t|| (every recurrent model)")
    args = parser.parse_args(argv)
    from tabulate import tabulate

    from seqbench.core.record import load_results

    loaded = load_results(args.folders)
    records = loaded.records
    for path, reason in loaded.skipped:
        print(f"warning: skipped {path}: {reason}")
    if args.gradflow:
        for when in ("init", "trained"):
            profiles = gradflow_profiles(records, when, args.of)
            if profiles:
                out = Path(args.out)
                path = out if when == "init" else out.with_name(f"{out.stem}_trained{out.suffix}")
                quantity = "h_t" if args.of == "state" else "x_t"
                print(f"wrote {plot_gradient_profiles(profiles, path, f'gradient norm per step ({when})', quantity)}")
        return 0
    print(tabulate(curve_table(records), headers="keys", floatfmt=".4f"))
    print(f"wrote {plot_learning_curves(records, args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
