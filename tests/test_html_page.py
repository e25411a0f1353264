"""leaderboard.html as a visitor sees it: built from a small grid, opened in headless Chromium.

The grid mixes real and written records: three models on parity over two seeds (two tied),
a tagging task, a failed run, a task no installed plugin provides, and a model whose name is
hostile HTML. Playwright drives the distribution's Chromium (``executable_path``; no browser
is downloaded). Without Chromium the browser tests skip, or fail when ``CI`` is set.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from seqbench.boards.render import build
from seqbench.core.record import RunRecord, write_result

EVIL = '<script>alert("x")</script>|a\nb'
TABLE = "table-task-parity"


def record(task: str, model: str, seed: int, accuracy: float, **changes) -> RunRecord:
    values = dict(task=task, model=model, seed=seed, status="ok", primary_metric="accuracy", higher_is_better=True,
                  kind="many_to_one", task_params={"length": 8}, model_params={"hidden_size": 16},
                  trainer_params={"steps": 200, "batch_size": 8, "lr": 0.003}, n_params=1234, train_seconds=1.5,
                  metrics={"test": {"accuracy": accuracy}},
                  intervals={"test": {"accuracy": [accuracy - 0.02, accuracy + 0.02]}},
                  baselines={"test": {"chance": {"accuracy": 0.5}}}, git_commit="0123456789abcdef0123",
                  created="2026-11-26T10:00:00+00:00", device="cpu",
                  versions={"torch": "2.13.0", "machine": "x86_64, 2 CPUs"},
                  history=[{"step": 10, "train_loss": 0.7, "val_accuracy": 0.6},
                           {"step": 15, "train_loss": 0.6, "val_accuracy": 0.7},
                           {"step": 20, "train_loss": 0.5, "val_accuracy": accuracy}],
                  config_hash=f"{task}-{model}-{seed}-{accuracy}")
    values.update(changes)
    return RunRecord(**values)


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Path:
    from seqbench.runs.experiment import run_experiment

    runs = tmp_path_factory.mktemp("runs")
    for model, accuracy in {"lstm": 0.955, "gru": 0.945, "rnn_tanh": 0.705}.items():
        for seed in (0, 1):
            write_result(runs / f"parity-{model}-{seed}", record("parity", model, seed, accuracy))
    write_result(runs / "evil", record("parity", "lstm", 0, 0.2, model_label=EVIL))
    for model, accuracy in {"lstm": 0.3, "gru": 0.5, "rnn_tanh": 0.4}.items():
        write_result(runs / f"tag-{model}", record("pos_tagging", model, 0, accuracy, kind="tagging", task_params={}))
    write_result(runs / "failed", record("reverse", "gru", 0, 0.2, status="failed", error="boom <b>x</b>",
                                         kind="seq2seq", task_params={"length": 5}))
    write_result(runs / "plugin", record("not_installed", "gru", 0, 0.9, task_params={"size": 3}))
    run_experiment({"name": "copy", "length": 3}, {"name": "gru", "hidden_size": 8},
                   {"steps": 2, "eval_every": 1, "eval_size": 16, "val_size": 16, "batch_size": 8},
                   seed=0, out_dir=runs / "real")
    out = tmp_path_factory.mktemp("board")
    build([str(runs)], str(out))
    return out / "leaderboard.html"


# ------------------------------------------------------------------ the HTML itself
@pytest.mark.slow
def test_page_escapes_record_text_and_marks_ties_baselines_and_header(board):
    page = board.read_text()
    assert page.count("<script") == 1  # the page's own script; the hostile name is text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;|a\nb" in page
    assert "boom &lt;b&gt;x&lt;/b&gt;" in page
    assert "**" not in page
    ties = re.findall(r'<td class="best"><strong>([^<]+)</strong> <span class="badge">tied</span>', page)
    assert len(ties) == 2, ties  # lstm and gru overlap; rnn_tanh and the hostile model do not
    assert re.search(r'<tr class="baseline pinned"><th scope="row" data-sort="baseline: chance">baseline: chance', page)
    for fact in ("0123456789ab", "2026-11-26", "x86_64, 2 CPUs", "device cpu", "steps 2 or 200"):
        assert fact in page, fact
    assert "not available here" in page and "size" in page  # a task this install cannot build keeps its params
    assert "<pre class=\"example\">input:" in page  # a rendered example of a task that can be built


@pytest.mark.slow
def test_each_rows_command_reproduces_it(board):
    """The command shown for a model row is accepted by ``seqbench run``'s full check, seeds and all."""
    import html

    from seqbench.cli.preflight import preflight
    from seqbench.cli.run import register_configs

    page = board.read_text()
    shown = [html.unescape(c) for c in re.findall(r"<code>(seqbench run [^<]*)</code>", page)]
    real = next(c for c in shown if "task=copy" in c)
    assert "model.hidden_size=8" in real and "trainer.steps=2" in real and "seed=0" in real
    register_configs()
    assert preflight(shlex.split(real)[2:]).n_jobs == 1
    parity = next(c for c in shown if "task=parity" in c and "model=gru" in c)
    assert "-m" in shlex.split(parity) and "seed=0,1" in parity
    assert preflight(shlex.split(parity)[2:]).n_jobs == 2


# ------------------------------------------------------------------ in the browser
CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def browser() -> Browser:
    """The distribution's Chromium, headless, under Playwright; without one a test skips, or fails
    in CI (``CI`` set). While it is open Playwright's event loop counts as running in this thread
    (``asyncio.run`` refuses), so fixtures that do real work come before it in a test's arguments."""
    executable = next(filter(None, map(shutil.which, CHROMIUM)), None)
    if executable is None:
        message = "no Chromium found (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Visit:
    """One page opened in a fresh browser context (its own cache), and what it logged and requested."""

    page: Page
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser):
    """``visit(url, javascript=True)``: the page loaded in a new 1400x2000 context, closed after the test."""
    contexts = []

    def open_page(url: str, javascript: bool = True) -> Visit:
        context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1400, "height": 2000})
        contexts.append(context)
        seen = Visit(context.new_page())
        seen.page.on("console", lambda m: m.type in ("error", "assert")
                     and seen.errors.append(f"console.{m.type}: {m.text} {m.location.get('url', '')}"))
        seen.page.on("pageerror", lambda e: seen.errors.append(f"exception: {e}"))
        seen.page.on("requestfailed", lambda r: seen.errors.append(f"failed: {r.url} {r.failure}"))
        seen.page.on("request", lambda r: seen.requests.append(r.url))
        seen.page.goto(url)
        return seen

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def fresh(board, visit) -> Visit:
    """The page in a fresh context: no sort or filter left by another test."""
    return visit(board.as_uri())


def column(page: Page, table: str, index: int, rows: str = "tbody tr") -> list[str]:
    """The trimmed text of cell ``index`` in each visible row."""
    return page.locator(f"#{table} {rows}").filter(visible=True).evaluate_all(
        "(rows, i) => rows.map(r => r.cells[i].textContent.trim())", index)


@pytest.mark.slow
def test_page_loads_without_console_errors_or_network(fresh, board):
    page = fresh.page
    assert page.title() == "seqbench leaderboard"
    assert fresh.errors == []
    assert board.as_uri() in fresh.requests
    assert all(url.startswith(("file:", "data:")) for url in fresh.requests), fresh.requests
    assert any(url.endswith("curves_parity.png") for url in fresh.requests)
    assert page.locator("img").evaluate_all("images => images.every(i => i.complete && i.naturalWidth > 0)")


def test_clicking_a_header_sorts_rows_with_baselines_last(fresh):
    def numbers(values):
        return [float(v.split()[0]) for v in values]

    page = fresh.page
    header = page.locator(f"#{TABLE} thead th")
    assert header.nth(1).text_content().startswith("accuracy")
    before = column(page, TABLE, 0)
    header.nth(1).click()
    models = column(page, TABLE, 1, "tbody tr:not(.pinned)")
    assert numbers(models) == sorted(numbers(models)) and numbers(models)[0] == 0.2
    assert column(page, TABLE, 0)[-1].startswith("baseline: chance")
    assert column(page, TABLE, 0) != before
    header.nth(1).click()  # again: descending, the baseline still last
    models = column(page, TABLE, 1, "tbody tr:not(.pinned)")
    assert numbers(models) == sorted(numbers(models), reverse=True)
    assert column(page, TABLE, 0)[-1].startswith("baseline: chance")
    assert header.nth(1).get_attribute("aria-sort") == "descending"
    header.nth(0).click()  # text column: by model name
    names = page.locator(f"#{TABLE} tbody tr:not(.pinned) th").evaluate_all("cells => cells.map(c => c.dataset.sort)")
    assert len(names) == 4 and names == sorted(names, key=str.lower)
    assert fresh.errors == []


def test_overview_sorts_tasks_by_a_models_column_keeping_the_mean_rank_last(fresh):
    page = fresh.page
    header = page.locator("#table-overview thead th")
    gru = header.evaluate_all("cells => cells.findIndex(th => th.textContent.trim().startsWith('gru'))")
    header.nth(gru).click()
    values = column(page, "table-overview", gru, "tbody tr:not(.pinned)")
    leading = [float(v.split()[0]) for v in values if v != "n/a"]
    assert leading == sorted(leading) and values[len(leading):] == ["n/a"] * (len(values) - len(leading))
    assert column(page, "table-overview", 0)[-1].startswith("mean rank")


def test_filters_hide_other_models_and_task_families(fresh):
    page = fresh.page
    page.locator("#filter-model").fill("gru")
    shown = page.locator("section.task table.board tbody tr").filter(visible=True).evaluate_all(
        "rows => rows.map(r => r.dataset.model || r.className)")
    assert shown and all(s == "gru" or "baseline" in s for s in shown), shown
    models = page.locator("#table-overview thead th[data-model]").filter(visible=True).all_text_contents()
    assert [m.strip() for m in models] == ["gru"]
    page.locator("#filter-kind").select_option("tagging")
    assert page.locator("section.task").filter(visible=True).evaluate_all("s => s.map(x => x.id)") == ["task-pos_tagging"]
    assert page.locator("#contents li").filter(visible=True).all_text_contents() == [
        "Overview", "Headroom", "pos_tagging tagging"]
    assert column(page, "table-overview", 0) == ["pos_tagging", column(page, "table-overview", 0)[-1]]
    assert page.locator("#filter-count").text_content().startswith("1 of 5")


def test_contents_links_reach_their_sections(fresh):
    page = fresh.page
    links = page.locator("#contents a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert len(links) == 7  # overview, headroom and five tasks
    for link in links:
        target = page.locator(f"id={link[1:]}")
        assert target.count() == 1, link
        page.locator(f'#contents a[href="{link}"]').click()
        top = target.evaluate("el => el.getBoundingClientRect().top")
        assert page.evaluate("location.hash") == link
        at_bottom = page.evaluate("scrollY + innerHeight >= document.documentElement.scrollHeight - 2")
        assert -2 <= top <= 80 or (at_bottom and 0 <= top < page.evaluate("innerHeight")), (link, top)


def test_no_stray_empty_column_and_no_markdown(fresh):
    page = fresh.page
    shapes = page.locator("table").evaluate_all("""tables => tables.map(t => {
        const width = t.tHead.rows[0].cells.length;
        const rows = Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.textContent.trim()));
        const empty = [...Array(width).keys()].filter(i => rows.every(r => r[i] === ''));
        return {id: t.id, width, widths: [...new Set(rows.map(r => r.length))], empty};
    })""")
    assert len(shapes) >= 6
    for shape in shapes:
        assert shape["widths"] == [shape["width"]] and shape["empty"] == [], shape
    text = page.locator("body").inner_text()
    assert "**" not in text and "model_label" not in text
    assert '<script>alert("x")</script>|a b' in text  # the hostile name shown as text


def test_tables_are_all_there_with_javascript_off(board, visit):
    page = visit(board.as_uri(), javascript=False).page
    assert page.locator("#controls").get_attribute("hidden") is not None  # the filters need JavaScript
    assert page.locator("table").count() == board.read_text().count("<table")
    assert page.locator("#table-task-parity tbody tr").count() == 5
    assert page.locator("#table-task-parity thead th").first.get_attribute("title") is None


def test_screenshot(fresh, tmp_path):
    shot = tmp_path / "leaderboard.png"
    fresh.page.screenshot(path=shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


@pytest.mark.slow
@pytest.mark.parametrize("name", ["main_rebuild", "main"])
def test_the_committed_boards_page_as_a_visitor_sees_it(visit, name):
    """leaderboards/<board>/leaderboard.html: loads cleanly, no stray column or markdown, sorts, and
    every task is reached from the contents."""
    from conftest import ROOT

    committed = ROOT / "leaderboards" / name / "leaderboard.html"
    if 'id="table-overview"' not in committed.read_text():
        pytest.fail(f"leaderboards/{name}/leaderboard.html predates the page: run seqbench leaderboard "
                    f"leaderboards/{name}/raw --out leaderboards/{name} and commit it")
    seen = visit(committed.as_uri())
    page = seen.page
    assert seen.errors == [] and all(u.startswith(("file:", "data:")) for u in seen.requests)
    assert "**" not in page.locator("body").inner_text()
    empty = page.locator("table").evaluate_all("""tables => tables.filter(t => {
        const rows = Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.textContent.trim()));
        const width = t.tHead.rows[0].cells.length;
        return rows.some(r => r.length !== width) || [...Array(width).keys()].some(i => rows.every(r => !r[i]));
    }).map(t => t.id)""")
    assert empty == []
    sections = page.locator("section.task").evaluate_all("s => s.map(x => x.id)")
    links = page.locator("#contents a").evaluate_all("links => links.map(a => a.hash.slice(1))")
    assert sections and set(sections) <= set(links)
    table = f"table-{sections[0]}"
    page.locator(f"#{table} thead th").nth(1).click()
    values = [v.split()[0] for v in column(page, table, 1, "tbody tr:not(.pinned)")]
    numbers = [float(v) for v in values if v != "n/a"]
    assert numbers == sorted(numbers)


@pytest.mark.slow
def test_the_board_of_records_page_shows_both_views_with_their_mean_ranks(visit):
    """leaderboards/main_rebuild/leaderboard.html, as its README reads it: on test the transformer has
    the lowest mean rank; switched to test_ood/length_mean it has the highest and the mlp, with no
    weights for longer inputs, is not a column."""
    from conftest import ROOT

    seen = visit((ROOT / "leaderboards" / "main_rebuild" / "leaderboard.html").as_uri())
    page = seen.page

    def mean_ranks(table: str) -> dict[str, float]:
        heads = [h.strip().split()[0] for h in page.locator(f"#{table} thead th").all_text_contents()]
        row = [c.strip() for c in page.locator(f"#{table} tr.summary th, #{table} tr.summary td").all_text_contents()]
        return {model: float(re.match(r"[0-9.]+", cell).group()) for model, cell in zip(heads[1:], row[1:])}

    on_test = mean_ranks("table-overview")
    assert min(on_test, key=on_test.get) == "transformer" and "mlp" in on_test
    page.locator("#overview-view").select_option(label="test_ood/length_mean")
    table = page.locator("#overview div.view").filter(visible=True).locator("table").get_attribute("id")
    longer = mean_ranks(table)
    assert max(longer, key=longer.get) == "transformer" and min(longer, key=longer.get) == "gru"
    assert "mlp" not in longer and len(longer) == len(on_test) - 1
    assert seen.errors == []


# ------------------------------------------------------------------ the overview's views
@pytest.fixture(scope="module")
def views_board(tmp_path_factory) -> Path:
    """A board with test_ood: parity tied at the ceiling on test and separated on test_ood, sort without test_ood."""
    runs = tmp_path_factory.mktemp("view-runs")
    ood = {"lstm": 0.99, "gru": 0.8, "rnn_tanh": 0.5}
    for model in ood:
        for seed in (0, 1):
            value = ood[model] + 0.01 * seed
            write_result(runs / f"parity-{model}-{seed}", record(
                "parity", model, seed, 1.0, intervals={"test": {"accuracy": [0.998, 1.0]}},
                metrics={"test": {"accuracy": 1.0}, "test_ood": {"accuracy": value, "length_mean": value}},
                config_hash=f"parity-{model}-{seed}"))
    for model, accuracy in {"lstm": 0.9, "gru": 0.7, "rnn_tanh": 0.6}.items():
        write_result(runs / f"sort-{model}", record("sort", model, 0, accuracy, kind="seq2seq", task_params={}))
    out = tmp_path_factory.mktemp("view-board")
    build([str(runs)], str(out))
    return out / "leaderboard.html"


@pytest.mark.slow
def test_the_overview_switches_between_test_and_test_ood_views(views_board, visit):
    """The list picks the view; each view sorts and filters as the first does; nothing else moves."""
    seen = visit(views_board.as_uri())
    page = seen.page
    views = page.locator("#overview div.view")
    assert views.count() == 3
    assert page.locator("#overview-view option").all_text_contents() == [
        "test/primary metric", "test_ood/primary metric", "test_ood/length_mean"]
    assert page.locator("#overview div.view").filter(visible=True).evaluate_all("v => v.map(x => x.id)") == [
        "view-overview"]
    assert column(page, "table-overview", 0, "tbody tr:not(.pinned)") == ["parity", "sort"]
    page.locator("#overview-view").select_option(label="test_ood/length_mean")
    shown = page.locator("#overview div.view").filter(visible=True)
    assert shown.count() == 1 and shown.locator("h3").text_content().startswith("Overview: test_ood/length_mean")
    table = shown.locator("table").get_attribute("id")
    assert table != "table-overview" and column(page, table, 0, "tbody tr:not(.pinned)") == ["parity"]  # no sort ood
    heads = [h.strip() for h in page.locator(f"#{table} thead th").all_text_contents()]
    assert column(page, table, heads.index("lstm"), "tbody tr:not(.pinned)")[0].startswith("0.995")
    assert "#3" in column(page, table, heads.index("rnn_tanh"), "tbody tr:not(.pinned)")[0]  # separated on test_ood
    page.locator(f"#{table} thead th").nth(0).click()  # sorting works on this view
    assert page.locator(f"#{table} thead th").nth(0).get_attribute("aria-sort") == "ascending"
    page.locator("#filter-model").fill("gru")  # and the model filter
    models = page.locator(f"#{table} thead th[data-model]").filter(visible=True).all_text_contents()
    assert [m.strip() for m in models] == ["gru"]
    page.locator("#overview-view").select_option(label="test/primary metric")
    assert page.locator("#table-overview").is_visible() and not page.locator(f"#{table}").is_visible()
    assert seen.errors == []


def test_at_the_ceiling_no_model_is_painted_worst_and_each_task_leads_with_what_separates(views_board, visit):
    """On test every model is at 1.0: each cell in the best colour, rank 1; the task's section opens
    with the line that says nothing separates them there, and what does on test_ood."""
    from seqbench.boards.page import colour

    page = visit(views_board.as_uri()).page
    backgrounds = page.locator("#table-overview tbody tr:not(.pinned)").first.locator("td").evaluate_all(
        "cells => cells.map(c => c.style.background)")
    best = colour(0.0)[0]
    assert backgrounds == [f"rgb({int(best[1:3], 16)}, {int(best[3:5], 16)}, {int(best[5:7], 16)})"] * 3
    ranks = page.locator("#table-overview tbody tr:not(.pinned)").first.locator(".rank").all_text_contents()
    assert ranks == ["#1"] * 3
    lead = page.locator("#task-parity p.lead").all_text_contents()
    assert lead[0] == "test (accuracy ↑): no model separates from the others beyond the margin (0.005 accuracy)."
    assert lead[1].startswith("test_ood (accuracy ↑): best lstm 0.995;")
    first = page.locator("#task-parity > *").nth(1)  # right under the heading
    assert first.get_attribute("class") == "lead"


def test_without_javascript_the_overview_shows_its_first_view(views_board, visit):
    page = visit(views_board.as_uri(), javascript=False).page
    assert page.locator("#overview-views").get_attribute("hidden") is not None  # the list needs JavaScript
    assert page.locator("#overview div.view").filter(visible=True).evaluate_all("v => v.map(x => x.id)") == [
        "view-overview"]
    assert page.locator("#overview div.view table").count() == 3  # the others are in the page, hidden
