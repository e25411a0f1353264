"""Leaderboard figures, drawn with matplotlib (headless: the Agg backend).

* :func:`overview_heatmap`: task x model on each task's primary metric, coloured by rank
  within the task (so tasks with different metrics share one colour scale).
* :func:`length_curves`: the primary metric by input length, training lengths and
  ``test_ood`` lengths on one axis with the training maximum marked, one line per model.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def save_figure(fig, path: str | Path) -> Path:
    """Lay out, write (parent folders created) and close a figure; return its path."""
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def overview_heatmap(values: pd.DataFrame, ranks: pd.DataFrame, path: Path) -> Path:
    """Heatmap of ``ranks`` (task x model, 1 = best) annotated with ``values``."""
    fig, ax = plt.subplots(figsize=(1.3 + 1.1 * len(values.columns), 1.0 + 0.45 * len(values.index)))
    shown = np.ma.masked_invalid(ranks.to_numpy(dtype=float))
    image = ax.imshow(shown, cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(values.columns)), values.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(values.index)), values.index)
    for i in range(len(values.index)):
        for j in range(len(values.columns)):
            v = values.iat[i, j]
            text = "n/a" if pd.isna(v) else f"{v:.3g}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="white" if not pd.isna(ranks.iat[i, j]) and ranks.iat[i, j] <= 1.5 else "black")
    fig.colorbar(image, ax=ax, label="rank within task (1 = best)")
    ax.set_title("Primary metric on the test split (colour: rank)")
    return save_figure(fig, path)


def length_curves(curves: dict[str, dict[int, float]], metric: str, train_max: int | None, title: str,
                  path: Path) -> Path:
    """One line per model: ``curves[model][length] = mean score``."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for model, points in sorted(curves.items()):
        lengths = sorted(points)
        ax.plot(lengths, [points[L] for L in lengths], marker=".", label=model)
    if train_max is not None:
        ax.axvline(train_max + 0.5, color="grey", linestyle="--", linewidth=1)
        ax.text(train_max + 0.5, ax.get_ylim()[1], " longer than training", va="top", fontsize=8, color="grey")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("input length")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
