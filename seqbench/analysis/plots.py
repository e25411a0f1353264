"""Leaderboard figures, drawn with matplotlib on the Agg canvas (headless; no backend is switched).

* :func:`overview_heatmap`: task x model on each task's primary metric, coloured by rank
  within the task (so tasks with different metrics share one colour scale); each cell's text
  is black or white, whichever reads better on that cell's colour (:func:`text_colour`).
* :func:`length_curves`: the metric by input length, training lengths and ``test_ood`` lengths
  on one axis with the training maximum marked, one line per model, an interval band where
  one is given, the task's baselines as horizontal lines, the legend outside the axes, and
  no line across a gap between two ranges of lengths (:func:`segments`).

Figures are ``matplotlib.figure.Figure`` objects with their own Agg canvas, so importing this
module neither imports ``matplotlib.pyplot`` nor changes the backend of a notebook that uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: Line styles of the baseline lines, in the order the baselines are given.
BASELINE_STYLES = (":", "-.", (0, (5, 2, 1, 2)), (0, (1, 3)))


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A figure on its own Agg canvas (no pyplot state, nothing to close)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Lay out and write a figure (parent folders created, legends outside the axes kept); return its path.

    The file is written whole or not at all (:func:`seqbench.core.atomic.write_with`), in the format its
    suffix names; a failed write raises :class:`seqbench.core.atomic.WriteError` and leaves no temporary file.

    >>> import tempfile
    >>> fig = new_figure((1, 1))
    >>> save_figure(fig, Path(tempfile.mkdtemp()) / "empty.png").read_bytes()[:4]
    b'\x89PNG'
    """
    from seqbench.core.atomic import write_with

    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    write_with(path, lambda handle: fig.savefig(handle, format=fmt, dpi=110, bbox_inches="tight"))
    return path


def relative_luminance(rgba: tuple[float, ...]) -> float:
    """WCAG relative luminance of an sRGB colour (components in [0, 1]): 0 black .. 1 white.

    >>> relative_luminance((1, 1, 1)), relative_luminance((0, 0, 0))
    (1.0, 0.0)
    """
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(float(c)) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: tuple[float, ...]) -> str:
    """``"black"`` or ``"white"``: whichever contrasts more with ``background`` (WCAG contrast ratio).

    Black on a colour of luminance L has contrast (L + 0.05) / 0.05, white 1.05 / (L + 0.05);
    they are equal at L = 0.179.

    >>> text_colour((0.99, 0.91, 0.14)), text_colour((0.27, 0.0, 0.33))  # viridis' yellow end, its purple end
    ('black', 'white')
    """
    return "black" if relative_luminance(background) > 0.179 else "white"


def overview_heatmap(values: pd.DataFrame, ranks: pd.DataFrame, path: Path) -> Path:
    """Heatmap of ``ranks`` (task x model, 1 = best) annotated with ``values``."""
    fig = new_figure((1.3 + 1.1 * len(values.columns), 1.0 + 0.45 * len(values.index)))
    ax = fig.subplots()
    shown = np.ma.masked_invalid(ranks.to_numpy(dtype=float))
    image = ax.imshow(shown, cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(len(values.columns)), values.columns, rotation=45, ha="right")
    ax.set_yticks(range(len(values.index)), values.index)
    background = ax.get_facecolor()  # what a masked (missing) cell shows
    for i in range(len(values.index)):
        for j in range(len(values.columns)):
            v, rank = values.iat[i, j], ranks.iat[i, j]
            text = "n/a" if pd.isna(v) else f"{v:.3g}"
            cell = background if pd.isna(rank) else image.cmap(image.norm(float(rank)))
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=text_colour(cell))
    fig.colorbar(image, ax=ax, label="rank within task (1 = best)")
    ax.set_title("Primary metric on the test split (colour: rank)")
    return save_figure(fig, path)


LINE_STYLES = ("-", "--", ":", "-.")  #: a second, third, fourth set of ten models after matplotlib's ten colours


def model_style(index: int) -> dict[str, str]:
    """The colour and line style of the ``index``-th model of a figure: ten colours, then the same
    ten dashed, so that up to 40 models on one figure never share both.

    >>> model_style(0), model_style(11)
    ({'color': 'C0', 'linestyle': '-'}, {'color': 'C1', 'linestyle': '--'})
    """
    return {"color": f"C{index % 10}", "linestyle": LINE_STYLES[index // 10 % len(LINE_STYLES)]}


def segments(lengths: list[int], boundary: int | None) -> list[list[int]]:
    """Runs of ``lengths`` (sorted) to join with one line each.

    Points on the same side of ``boundary`` (the longest training length) are joined; the
    training and the longer-than-training points are joined only where they are adjacent
    lengths (``boundary`` and ``boundary + 1``), so no line claims values over a gap nobody
    measured.

    >>> segments([2, 4, 6, 20, 24], boundary=6)  # 7..19 never measured: two lines
    [[2, 4, 6], [20, 24]]
    >>> segments([5, 6, 7, 8], boundary=6)  # 6 and 7 are adjacent: one line
    [[5, 6, 7, 8]]
    >>> segments([8, 16], boundary=8)  # two isolated lengths: two points, no line
    [[8], [16]]
    """
    lengths = sorted(lengths)
    if boundary is None:
        return [lengths] if lengths else []
    inside = [L for L in lengths if L <= boundary]
    beyond = [L for L in lengths if L > boundary]
    if inside and beyond and inside[-1] == boundary and beyond[0] == boundary + 1:
        return [inside + beyond]
    return [part for part in (inside, beyond) if part]


def length_curves(curves: Mapping[str, Mapping[int, float]], metric: str, train_max: int | None, title: str,
                  path: Path, bands: Mapping[str, Mapping[int, tuple[float, float]]] | None = None,
                  baselines: Mapping[str, float] | None = None) -> Path:
    """One line per model: ``curves[model][length] = mean score`` of ``metric``.

    ``bands[model][length] = (low, high)`` shades an interval around a line where one exists;
    ``baselines[name] = value`` draws each baseline of ``metric`` on the test split as a
    horizontal line. The legend sits to the right of the axes, never over the data.
    """
    fig = new_figure((7.8, 3.8))
    ax = fig.subplots()
    for index, (model, points) in enumerate(sorted(curves.items())):
        style = model_style(index)
        colour = style["color"]
        interval = (bands or {}).get(model) or {}
        for n, part in enumerate(segments([int(L) for L in points], train_max)):
            ax.plot(part, [points[L] for L in part], marker="o" if len(part) == 1 else ".", **style,
                    label=model if n == 0 else None)
            shaded = [L for L in part if L in interval]
            if shaded:
                ax.fill_between(shaded, [interval[L][0] for L in shaded], [interval[L][1] for L in shaded],
                                color=colour, alpha=0.2, linewidth=0, label=f"{model} interval" if n == 0 else None)
    for style, (name, value) in zip(BASELINE_STYLES, sorted((baselines or {}).items())):
        ax.axhline(value, color="grey", linestyle=style, linewidth=1, label=f"baseline: {name} ({value:.3g})")
    if train_max is not None:
        ax.axvline(train_max + 0.5, color="grey", linestyle="--", linewidth=1)
        ax.text(train_max + 0.5, 1.0, " longer than training", transform=ax.get_xaxis_transform(), va="bottom",
                fontsize=8, color="grey")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("input length")
    ax.set_ylabel(metric)
    ax.set_title(title, pad=14)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    return save_figure(fig, path)
