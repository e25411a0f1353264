"""Image-size scaling: parameters, memory and time against resolution, measured and calculated.

Reads the ``result.json`` files of ``experiment=image_scaling_mlp`` and
``experiment=image_scaling_lstm`` (tasks ``shapes`` and ``shapes_rows``), puts next to every
run the calculator's parameter count and training-state memory (:mod:`seqbench.analysis.features`),
extrapolates both to a 1080p colour frame, and writes ``scaling.md``, ``scaling.csv`` and
``scaling.png`` (log-log, with this machine's memory drawn as a line)::

    python -m seqbench.analysis.scaling leaderboards/image_scaling/raw --out leaderboards/image_scaling

>>> calculated("lstm", {"hidden_size": 64, "num_layers": 1, "bidirectional": False},
...            "shapes_rows", height=1080, width=1920, channels=3)["n_params_calc"]
1491716
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import pandas as pd

from seqbench.analysis.features import (
    ADAM_COPIES,
    BYTES,
    PRESETS,
    input_features,
    largest_dense_square,
    machine_memory,
    mlp_parameters,
    recurrent_parameters,
)
from seqbench.core.atomic import write_atomic
from seqbench.core.record import load_results

TASKS = ("shapes", "shapes_rows")
CLASSES = 4  # shapes' classes: circle, square, triangle, cross
CELLS = {"rnn_tanh": "tanh", "rnn_relu": "relu", "rnn_sigmoid": "sigmoid", "lstm": "lstm", "gru": "gru"}
MIB = 2**20
EXTRAPOLATE = "1080p"


def calculated(model: str, options: dict[str, Any], task: str, height: int, width: int,
               channels: int) -> dict[str, float | None]:
    """The calculator's parameters and Adam training state (MiB) for one model on one view."""
    features = input_features(height, width, channels)
    if model == "mlp":
        params = mlp_parameters(features, options["hidden_size"], options["num_layers"], CLASSES)
    elif model in CELLS:
        step = width * channels if task == "shapes_rows" else features  # rows, or the whole image as one step
        params = recurrent_parameters(CELLS[model], step, options["hidden_size"], options["num_layers"],
                                        options["bidirectional"], outputs=CLASSES)
    else:
        return {"n_params_calc": None, "train_state_mib_calc": None}
    return {"n_params_calc": params, "train_state_mib_calc": ADAM_COPIES * BYTES["fp32"] * params / MIB}


def runs_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per shapes run: resolution, status, accuracy, measured and calculated cost."""
    rows = []
    for r in records:
        if r.get("task") not in TASKS:
            continue
        knobs = r.get("task_params") or {}
        h, c = knobs.get("height"), knobs.get("channels")
        w = knobs.get("width") or h
        steps = r.get("steps") or 0
        row = {
            "model": r["model"], "task": r["task"], "height": h, "width": w, "channels": c,
            "pixels": h * w, "features": h * w * c, "status": r["status"],
            "accuracy": ((r.get("metrics") or {}).get("test") or {}).get("accuracy"),
            "chance": (((r.get("baselines") or {}).get("test") or {}).get("chance") or {}).get("accuracy"),
            "n_params": r.get("n_params"), "train_seconds": r.get("train_seconds"),
            "seconds_per_step": r["train_seconds"] / steps if steps else None,
            "peak_rss_mib": r.get("peak_rss_mb"), "error": r.get("error"), "source": "measured",
            "model_options": r.get("model_params") or {},
        }
        row.update(calculated(r["model"], r.get("model_params") or {}, r["task"], h, w, c))
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.sort_values(["model", "pixels"]).reset_index(drop=True) if rows else frame


def extrapolated(frame: pd.DataFrame, preset: str = EXTRAPOLATE) -> pd.DataFrame:
    """The calculator's numbers for each model of the sweep at ``preset`` (options as in the sweep)."""
    p = PRESETS[preset]
    rows = []
    for (model, task), runs in frame.groupby(["model", "task"]):
        options = runs["model_options"].iloc[0]
        row = {"model": model, "task": task, "height": p.height, "width": p.width, "channels": p.channels,
               "pixels": p.height * p.width, "features": p.height * p.width * p.channels,
               "status": f"calculated ({preset})", "source": "calculated", "preset": preset}
        row.update(calculated(model, options, task, p.height, p.width, p.channels))
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(value: Any, spec: str) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def markdown(frame: pd.DataFrame, extra: pd.DataFrame, memory: dict[str, int | None]) -> str:
    """The scaling table and what it shows, as markdown."""
    table = pd.concat([frame, extra], ignore_index=True)
    shown = pd.DataFrame({
        "model": table["model"], "task": table["task"],
        "image": [f"{w}x{h}x{c}" for h, w, c in zip(table["height"], table["width"], table["channels"])],
        "input features": [_fmt(v, ",") for v in table["features"]],
        "status": table["status"],
        "test accuracy": [_fmt(v, ".3f") for v in table["accuracy"]],
        "params (measured)": [_fmt(v, ",.0f") for v in table["n_params"]],
        "params (calculated)": [_fmt(v, ",.0f") for v in table["n_params_calc"]],
        "train s": [_fmt(v, ".1f") if s == "ok" else "" for v, s in zip(table["train_seconds"], table["status"])],
        "s / step": [_fmt(v, ".4f") for v in table["seconds_per_step"]],
        "peak RSS MiB": [_fmt(v, ",.0f") for v in table["peak_rss_mib"]],
        "Adam state MiB (calculated)": [_fmt(v, ",.1f") for v in table["train_state_mib_calc"]],
    })
    lines = ["# Image-size scaling: fully connected vs row-reading recurrent model", "",
             shown.to_markdown(index=False), ""]
    total, available = memory.get("total"), memory.get("available")
    if total:
        lines.append(f"- This machine: {total / 1e9:.1f} GB of memory, {available / 1e9:.1f} GB available when "
                     "this report was written.")
    for model, runs in frame.groupby("model"):
        ok = runs[runs["status"] == "ok"]
        if len(ok):
            top = ok.loc[ok["pixels"].idxmax()]
            lines.append(f"- `{model}` trained up to {top['width']}x{top['height']} pixels "
                         f"({top['features']:,} input features, {int(top['n_params']):,} parameters, "
                         f"test accuracy {top['accuracy']:.3f}; chance {top['chance']:.3f}).")
        if model == "mlp" and total:
            hidden, channels = runs.iloc[0]["model_options"]["hidden_size"], int(runs.iloc[0]["channels"])
            sides = [largest_dense_square(hidden, channels, m) for m in (total, available or total)]
            lines.append(f"- `mlp` (hidden_size {hidden}): the largest square image whose first layer could be "
                         f"trained is {sides[0]}x{sides[0]} pixels in all {total / 1e9:.1f} GB of this machine's "
                         f"memory, {sides[1]}x{sides[1]} in the {(available or total) / 1e9:.1f} GB available now "
                         "(calculated).")
        for _, run in runs[runs["status"] != "ok"].iterrows():
            lines.append(f"- `{model}` at {run['width']}x{run['height']}: {run['status']}: {run['error']}")
    for _, row in extra.iterrows():
        verdict = ""
        if total:
            need = row["train_state_mib_calc"] * MIB
            verdict = (f" ({'fits within' if need <= total else 'exceeds'} this machine's memory; "
                       f"{'fits within' if need <= (available or total) else 'exceeds'} what is available now)")
        lines.append(f"- `{row['model']}` at {row['preset']} ({row['width']}x{row['height']}"
                     f"x{row['channels']}): {int(row['n_params_calc']):,} parameters, "
                     f"{row['train_state_mib_calc'] * MIB / 1e9:.2f} GB of fp32 weights, gradients and Adam "
                     f"moments{verdict}.")
    lines += ["", "Measured: `n_params`, `train_seconds` and `peak_rss_mb` of each `result.json` (peak resident "
              "memory of the whole run: data, baselines and evaluation included). Calculated: "
              "`seqbench.analysis.features` (16 bytes per parameter for fp32 weights, gradients and two Adam moments).", ""]
    return "\n".join(lines)


def plot(frame: pd.DataFrame, extra: pd.DataFrame, memory: dict[str, int | None], path: Path) -> Path:
    """Log-log: parameters, memory and seconds per step against pixels per image."""
    import numpy as np

    from seqbench.analysis.plots import new_figure, save_figure

    fig = new_figure((15, 6.4))
    axes = fig.subplots(1, 3)
    colours = {m: f"C{i}" for i, m in enumerate(sorted(frame["model"].unique()))}
    sides = np.unique(np.geomspace(4, 2 * max(frame["height"].max(), 2048), 60).astype(int))
    for (model, task), runs in frame.groupby(["model", "task"]):
        colour, ok = colours[model], runs[runs["status"] == "ok"]
        refused = runs[runs["status"] != "ok"]
        label = f"{model} on {task}"
        options_row = extra[(extra["model"] == model) & (extra["task"] == task)].iloc[0]
        curve = [_square(runs, model, task, s) for s in sides]
        axes[0].plot(sides**2, [c["n_params_calc"] for c in curve], "--", color=colour, lw=1,
                     label=f"{label}: calculated (square)")
        axes[0].plot(ok["pixels"], ok["n_params"], "o", color=colour, label=f"{label}: measured")
        axes[0].plot(options_row["pixels"], options_row["n_params_calc"], "*", ms=14, color=colour,
                     label=f"{label}: {EXTRAPOLATE} (calculated)")
        axes[1].plot(sides**2, [c["train_state_mib_calc"] for c in curve], "--", color=colour, lw=1,
                     label=f"{label}: Adam training state (calculated)")
        axes[1].plot(ok["pixels"], ok["peak_rss_mib"], "o", color=colour, label=f"{label}: peak RSS (measured)")
        axes[1].plot(options_row["pixels"], options_row["train_state_mib_calc"], "*", ms=14, color=colour)
        if len(refused):
            axes[1].plot(refused["pixels"], refused["train_state_mib_calc"], "x", ms=10, mew=2, color=colour,
                         label=f"{label}: refused (does not fit)")
        axes[2].plot(ok["pixels"], ok["seconds_per_step"], "o-", color=colour, label=label)
    if memory.get("total"):
        axes[1].axhline(memory["total"] / MIB, color="k", lw=1.2,
                        label=f"this machine's memory ({memory['total'] / 1e9:.1f} GB)")
    if memory.get("available"):
        axes[1].axhline(memory["available"] / MIB, color="k", lw=1, ls=":",
                        label=f"available when plotted ({memory['available'] / 1e9:.1f} GB)")
    titles = ("parameters", "memory (MiB)", "seconds per training step (1 thread)")
    for ax, title in zip(axes, titles):
        x0, y0, x1, y1 = ax.dataLim.extents
        if np.isfinite([x0, y0, x1, y1]).all() and min(x0, y0) > 0:  # an empty panel (no run ok) stays linear
            ax.set_xscale("log")
            ax.set_yscale("log")
        else:
            ax.text(0.5, 0.5, "no finished run", transform=ax.transAxes, ha="center", color="grey")
        ax.set_xlabel("pixels per image (height x width)")
        ax.set_title(title)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.suptitle(f"Image-size scaling on `shapes` (stars: {EXTRAPOLATE}, 1920x1080x3, from the calculator)")
    return save_figure(fig, path)


def _square(runs: pd.DataFrame, model: str, task: str, side: int) -> dict[str, float | None]:
    """The calculator at a square ``side`` for a model configured as in ``runs``."""
    first = runs.iloc[0]
    return calculated(model, first["model_options"], task, int(side), int(side), int(first["channels"]))


def build(folders: list[str | Path], out: str | Path) -> str:
    """Write scaling.md, scaling.csv and scaling.png into ``out``; return the markdown."""
    records = [r for r in load_results(folders).records if r.get("task") in TASKS]
    if not records:
        from seqbench.core.errors import SeqbenchError

        raise SeqbenchError(f"no shapes or shapes_rows result.json below {', '.join(map(str, folders))}")
    frame = runs_frame(records)
    extra = extrapolated(frame)
    memory = machine_memory()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    text = markdown(frame, extra, memory)
    write_atomic(out / "scaling.md", text)  # whole or not at all (seqbench.core.atomic)
    table = pd.concat([frame.drop(columns=["model_options"]), extra], ignore_index=True)
    write_atomic(out / "scaling.csv", table.to_csv(index=False))
    plot(frame, extra, memory, out / "scaling.png")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqbench.analysis.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", help="folders holding result.json files of the scaling sweeps")
    parser.add_argument("--out", required=True, help="where to write scaling.md, scaling.csv and scaling.png")
    args = parser.parse_args(argv)
    print(build(args.folders, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
