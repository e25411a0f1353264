"""``leaderboard.html``: the leaderboard as one page a reader can share, sort and filter.

The page is plain HTML with its style and a few lines of JavaScript inline (no network, no
framework); its plots are the PNG files :mod:`seqbench.boards.render` writes beside it. It shows a
header (budget, commit, machine, date), a table of contents, the overview matrix coloured by
rank (every model tied with the task's best in the best colour), one view per score (test, and
test_ood where the runs have it) with a list to switch between them, and one section per task:
what separates its models, description, kind, knobs, one example, the table (ties in bold with
a badge, baselines in italics), the plots, and the command that reproduces each row.
Everything taken from a record is escaped. With JavaScript off the tables are all there and the
overview shows its first view; with it, clicking a header sorts the rows (baselines stay last),
two controls filter models and task families, and the overview's list switches views.

>>> from seqbench.core.record import RunRecord
>>> record = RunRecord(task="text_lm", model="lstm", model_label="bilstm", seed=2,
...                    task_params={"path": "my data.txt"}, trainer_params={"steps": 10})
>>> print(reproduce_command([record]))
seqbench run task=text_lm model=bilstm seed=2 "task.path='my data.txt'" trainer.steps=10
"""

from __future__ import annotations

import html
import re
import shlex
from typing import Any

from seqbench.boards.tables import cell, mean_rank_label
from seqbench.boards.page_assets import SCRIPT, STYLE
from seqbench.core.record import RunRecord
from seqbench.runs.task_facts import facts_for

CAPTIONS = {"length": "The primary metric by input length (training and longer test_ood lengths), 95 % bands",
            "curves": "Learning curves: training loss and the validation metric per evaluation"}


def esc(text: object) -> str:
    """Text safe in HTML content and in quoted attributes."""
    return html.escape(str(text), quote=True)


def hydra_value(value: Any) -> str:
    """A value written the way a Hydra override reads it back.

    >>> hydra_value(None), hydra_value(True), hydra_value(0.003), hydra_value("a b'"), hydra_value([1, "x"])
    ('null', 'true', '0.003', "'a b\\\\''", '[1,x]')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(hydra_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{hydra_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if re.fullmatch(r"[A-Za-z_][\w.\-/]*", text) and text.lower() not in ("null", "true", "false", "nan", "inf"):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def reproduce_command(records: list[RunRecord]) -> str:
    """The ``seqbench run`` command that reruns ``records`` (one configuration, its seeds)."""
    first = records[0]
    seeds = sorted({r.seed for r in records})
    words = ["seqbench", "run", *(["-m"] if len(seeds) > 1 else []), f"task={hydra_value(first.task)}",
             f"model={hydra_value(first.model_label)}", f"seed={','.join(str(s) for s in seeds)}"]
    model = dict(first.model_params or {})
    if model.get("param_budget") is not None:
        model.pop("hidden_size", None)  # chosen by the budget
    for group, params in (("task", first.task_params), ("model", model), ("trainer", first.trainer_params)):
        words += [f"{group}.{key}={hydra_value(value)}" for key, value in sorted((params or {}).items())]
    if first.device and first.device.startswith("cuda"):
        words.append("device=cuda")
    return " ".join(shell_word(w) for w in words)


def shell_word(word: str) -> str:
    """``word`` quoted for a POSIX shell, in double quotes where that reads better.

    >>> print(shell_word("seed=0,1"), shell_word("task.path='a b'"), shell_word("x=$HOME"))
    seed=0,1 "task.path='a b'" 'x=$HOME'
    """
    if re.fullmatch(r"[\w@%+=:,./-]+", word):
        return word
    if not re.search(r'["$`\\!]', word):
        return f'"{word}"'
    return shlex.quote(word)


def commands(records: list[RunRecord]) -> list[str]:
    """One command per configuration among ``records`` (seeds of one configuration share one)."""
    groups: dict[str, list[RunRecord]] = {}
    for r in sorted(records, key=lambda r: r.seed):
        groups.setdefault(reproduce_command([r]).rsplit(" seed=", 1)[0] + repr(sorted((r.task_params or {}).items()))
                          + repr(r.model_params) + repr(r.trainer_params), []).append(r)
    return [reproduce_command(group) for group in groups.values()]


# ---------------------------------------------------------------------------------- colours
BEST, MIDDLE, WORST = (27, 120, 55), (247, 247, 247), (118, 42, 131)  # ColorBrewer PRGn ends


def colour(position: float) -> tuple[str, str]:
    """(background, text) CSS colours for a position in [0, 1] (0 = best); the text colour is
    whichever of near-black and white contrasts more with the background.

    >>> colour(0.0), colour(0.5)
    (('#1b7837', '#ffffff'), ('#f7f7f7', '#111111'))
    """
    position = min(max(position, 0.0), 1.0)
    a, b, t = (BEST, MIDDLE, position * 2) if position <= 0.5 else (MIDDLE, WORST, position * 2 - 1)
    rgb = [round(x + (y - x) * t) for x, y in zip(a, b)]

    def luminance(c: list[int]) -> float:
        lin = [(v / 255) / 12.92 if v <= 10 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    light = luminance(rgb)
    dark_text = (light + 0.05) / (luminance([17, 17, 17]) + 0.05) >= 1.05 / (light + 0.05)
    return "#" + "".join(f"{v:02x}" for v in rgb), "#111111" if dark_text else "#ffffff"


def _position(value: float, low: float, high: float) -> float:
    return 0.0 if high <= low else (value - low) / (high - low)


# ---------------------------------------------------------------------------------- page parts
def header(records: list[RunRecord], budget: str) -> str:
    """The budget, the commit(s), the machine and the date the runs were made."""
    commits = sorted({r.git_commit[:12] + ("+dirty" if r.git_commit.endswith("+dirty") else "")
                      for r in records if r.git_commit})
    devices = sorted({r.device for r in records if r.device})
    versions: dict[str, set] = {}
    for r in records:
        for key, value in (r.versions or {}).items():
            versions.setdefault(key, set()).add(str(value))
    dates = sorted({r.created[:10] for r in records if r.created})
    machine = " / ".join(sorted(versions.pop("machine", set()))) or "not recorded"
    software = "; ".join(f"{k} {' or '.join(sorted(v))}" for k, v in sorted(versions.items()))
    rows = [("Budget", budget.removeprefix("Budget: ") or "not recorded"),
            ("Commit", ", ".join(commits) or "not recorded"),
            ("Machine", f"{machine}; device {', '.join(devices) or 'not recorded'}"),
            ("Software", software or "not recorded"),
            ("Date", " to ".join(dict.fromkeys([dates[0], dates[-1]])) if dates else "not recorded")]
    return '<dl class="meta">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows) + "</dl>"


def _kind(kind: str | None) -> str:
    """The ``data-kind`` attribute the family filter reads (none for parts of every family)."""
    return f' data-kind="{esc(kind)}"' if kind else ""


def contents(parts: list[dict]) -> str:
    items = []
    for p in parts:
        family = f" <small>{esc(p['kind'])}</small>" if p.get("kind") else ""
        items.append(f'<li{_kind(p.get("kind"))}><a href="#{esc(p["id"])}">{esc(p.get("title", p["heading"]))}</a>'
                     f"{family}</li>")
    return f'<nav id="contents" aria-label="Contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def overview_section(part: dict) -> str:
    """The task x model matrices, one per score in ``part["views"]`` (the first shown; a list
    switches between them where there are several), each cell coloured by the model's rank on
    that task."""
    views = part.get("views") or [part]
    choices = "".join(f'<option value="{esc(v["id"])}">{esc(v["label"])}</option>' for v in views)
    switch = ('<p class="views" id="overview-views" hidden><label>Score <select id="overview-view">'
              f"{choices}</select></label></p>") if len(views) > 1 else ""
    shown = "".join(f'<div class="view" id="view-{esc(v["id"])}" data-view="{esc(v["id"])}"{" hidden" if i else ""}>'
                    f'<h3>{esc(v["heading"])}</h3>'
                    + overview_matrix(v["overview"], part["task_ids"], part["kinds"],
                                      "table-overview" if not i else f"table-{v['id']}")
                    + "".join(f'<p class="note">{esc(n)}</p>' for n in v.get("notes", [])) + "</div>"
                    for i, v in enumerate(views))
    return ('<section id="overview"><h2>Overview</h2>'
            f'{switch}<p class="hint">Colour: the rank on the task (green best, purple worst); every model tied with '
            "the best, within the metric's equivalence margin or the intervals, is green whatever its rank, and tied "
            f'models share a rank. Click a header to sort.</p>{shown}</section>')


def overview_matrix(view: Any, ids: dict[str, str], kinds: dict[str, str], table_id: str) -> str:
    """One overview table: task x model, coloured by rank, tied with the best as the best."""
    models = list(view.values.columns)
    head = "".join(f'<th scope="col" data-model="{esc(m)}">{esc(m)}</th>' for m in models)
    rows = []
    for task in view.values.index:
        ranks = view.ranks.loc[task]
        worst = ranks.max() if ranks.notna().any() else 1.0
        tied = view.tied.loc[task] if view.tied is not None else ranks == 1
        cells = []
        for m in models:
            text = cell(view.values.loc[task, m], view.lows.loc[task, m], view.highs.loc[task, m])
            rank = ranks[m]
            if text == "n/a":
                cells.append(f'<td class="na" data-model="{esc(m)}">n/a</td>')
                continue
            if rank != rank:  # a board that ranks nothing: the value alone, uncoloured
                cells.append(f'<td data-model="{esc(m)}">{esc(text)}</td>')
                continue
            back, fore = colour(0.0 if bool(tied[m]) else _position(rank, 1.0, worst))  # tied: the best's colour
            value, _, interval = text.partition(" [")
            interval = f'<br><span class="ci">[{esc(interval)}</span>' if interval else ""
            cells.append(f'<td data-model="{esc(m)}" style="background:{back};color:{fore}">{esc(value)} '
                         f'<span class="rank">#{rank:.0f}</span>{interval}</td>')
        kind = kinds.get(task, "")
        rows.append(f'<tr{_kind(kind)}><th scope="row" data-sort="{esc(task)}"><a href="#{esc(ids[task])}">'
                    f'{esc(task)}</a></th>{"".join(cells)}</tr>')
    means = view.mean_rank
    known = means.dropna()
    summary = []
    for m in models:
        value = means.get(m)
        if value is None or value != value:
            summary.append(f'<td class="na" data-model="{esc(m)}">n/a</td>')
            continue
        back, fore = colour(_position(value, known.min(), known.max()))
        band = (f'<br><span class="ci">[{view.rank_low[m]:.2f}, {view.rank_high[m]:.2f}]</span>'
                if view.rank_low is not None else "")
        summary.append(f'<td data-model="{esc(m)}" style="background:{back};color:{fore}">{value:.2f}{band}</td>')
    label = mean_rank_label(view)
    if len(known):  # a board that ranks nothing has no mean rank row
        rows.append(f'<tr class="pinned summary"><th scope="row">{esc(label)}</th>{"".join(summary)}</tr>')
    return (f'<div class="scroll"><table class="board sortable" id="{esc(table_id)}">'
            f'<thead><tr><th scope="col">task</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def knob_table(knobs: dict[str, dict]) -> str:
    if not knobs:
        return "<p>No knobs.</p>"
    rows = "".join(f"<tr><th scope=\"row\"><code>{esc(name)}</code></th><td>{esc(hydra_value(info.get('value')))}</td>"
                   f"<td>{esc(hydra_value(info['default'])) if 'default' in info else ''}</td>"
                   f"<td class=\"text\">{esc(info.get('help', ''))}</td></tr>" for name, info in knobs.items())
    return ('<table class="knobs"><thead><tr><th scope="col">knob</th><th scope="col">value</th>'
            f'<th scope="col">default</th><th scope="col">meaning</th></tr></thead><tbody>{rows}</tbody></table>')


def results_table(part: dict, table_id: str) -> str:
    """A task's table: ties in bold with a badge, baselines pinned below in italics, and each
    model's reproducing command."""
    table = part["table"]
    columns = [c for c in table.columns if c != "_best"]
    best = table["_best"].astype(bool) if "_best" in table else None
    n_best = int(best.sum()) if best is not None else 0
    emphasis = table.attrs.get("emphasis")
    by_model: dict[str, list[RunRecord]] = {}
    for record, label in part.get("runs", []):
        by_model.setdefault(label, []).append(record)
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    rows = []
    for index, row in table.iterrows():
        baseline = "n" in table and row.get("n") != row.get("n")  # baseline rows have no run count
        label = str(row["model"])
        cells = []
        for c in columns:
            value = row[c]
            text = "" if value is None or value != value else esc(value)
            if c == "model":
                runs = by_model.get(label, [])
                shown = "<br>".join(f"<code>{esc(cmd)}</code>" for cmd in commands(runs)) if runs else ""
                details = f"<details><summary>command</summary>{shown}</details>" if shown else ""
                cells.append(f'<th scope="row" data-sort="{esc(label)}">{text}{details}</th>')
            elif c == emphasis and best is not None and bool(best[index]):
                badge = "tied" if n_best > 1 else "best"
                cells.append(f'<td class="best"><strong>{text}</strong> <span class="badge">{badge}</span></td>')
            else:
                cells.append(f"<td>{text}</td>")
        attrs = ' class="baseline pinned"' if baseline else f' data-model="{esc(label)}"'
        rows.append(f"<tr{attrs}>{''.join(cells)}</tr>")
    return (f'<div class="scroll"><table class="board sortable" id="{esc(table_id)}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def task_section(part: dict) -> str:
    facts = facts_for(part["runs"][0][0])  # the task as its runs recorded it
    example = (f'<h3>An example (test split)</h3><pre class="example">{esc(facts["example"])}</pre>'
               if facts["example"] else "")
    notes = "<ul class=\"notes\">" + "".join(f"<li>{esc(n)}</li>" for n in part["notes"]) + "</ul>" if part["notes"] else ""
    figures = "".join(f'<figure><img src="{esc(f)}" alt="{esc(f)}"><figcaption>{esc(CAPTIONS.get(f.split("_")[0], f))}'
                      "</figcaption></figure>" for f in part["figures"])
    version = f" version {esc(facts['version'])}" if facts.get("version") is not None else ""
    facts_list = (f'<dl class="facts"><dt>kind</dt><dd>{esc(part.get("kind", "?"))}</dd><dt>primary metric</dt>'
                  f'<dd>{esc(part.get("primary", "?"))}</dd><dt>task</dt><dd><code>{esc(part["task"])}</code>'
                  f"{version}</dd></dl>")
    lead = "".join(f'<p class="lead">{esc(line)}</p>' for line in part.get("lead", []))
    return (f'<section id="{esc(part["id"])}" class="task" data-kind="{esc(part.get("kind", ""))}">'
            f'<h2>{esc(part["heading"])} <a class="anchor" href="#{esc(part["id"])}" aria-label="link">#</a></h2>'
            f'{lead}<p class="description">{esc(facts["description"])}</p>{facts_list}'
            f'<details class="knobs"><summary>Knobs</summary>{knob_table(facts["knobs"])}</details>{example}'
            f'<h3>Results (test split)</h3>{results_table(part, "table-" + part["id"])}{notes}'
            f'<div class="figures">{figures}</div><p class="top"><a href="#contents">contents</a></p></section>')


def plain_table(table: Any, table_id: str) -> str:
    """A sortable table of text cells (headroom, best seed, learning-rate selection)."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{esc('' if v != v else v)}</td>" for v in row) + "</tr>"
                   for row in table.itertuples(index=False))
    return (f'<div class="scroll"><table class="board sortable" id="{esc(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>")


def plain_section(part: dict) -> str:
    """A section of notes, with its table where it has one."""
    items = "".join(f"<li>{esc(n)}</li>" for n in part["notes"])
    table = plain_table(part["table"], "table-" + part["id"]) if part.get("table") is not None else ""
    return (f'<section id="{esc(part["id"])}"><h2>{esc(part["heading"])}</h2>{table}'
            f'<ul class="notes">{items}</ul></section>')


def render(parts: list[dict], budget: str, intro: str, records: list[RunRecord]) -> str:
    """The whole page from :func:`seqbench.boards.render.sections` (with their ``role`` and ids)."""
    body = [f"<header><h1>seqbench leaderboard</h1>{header(records, budget)}<p>{esc(intro)}</p></header>"]
    kinds = sorted({p["kind"] for p in parts if p.get("kind")})
    options = "".join(f'<option value="{esc(k)}">{esc(k)}</option>' for k in kinds)
    body.append('<div class="controls" id="controls" hidden><label>Model <input id="filter-model" type="search" '
                'placeholder="e.g. lstm"></label> <label>Task family <select id="filter-kind"><option value="">'
                f'all</option>{options}</select></label> <span id="filter-count"></span></div>')
    if not parts:
        body.append("<p>No results found.</p>")
    body.append(contents(parts))
    for part in parts:
        role = part.get("role")
        body.append(overview_section(part) if role == "overview" else task_section(part) if role == "task"
                    else plain_section(part))
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>seqbench leaderboard</title><style>{STYLE}</style></head>\n<body>{''.join(body)}"
            f"<script>{SCRIPT}</script></body></html>\n")
