"""The style and script inlined into ``leaderboard.html`` (see :mod:`seqbench.boards.page`).

The script is plain JavaScript without libraries. Clicking a header of a ``table.sortable``
sorts its body rows by that column (numerically on a cell's leading number, as text
otherwise; a second click reverses), keeping ``tr.pinned`` rows (baselines, the mean rank)
last. The model box hides rows and columns whose ``data-model`` does not contain its text;
the task-family list hides sections, contents entries and overview rows of other kinds; the
overview's score list shows one of its views (``div.view``) and hides the others, each keeping
its own sort. Without JavaScript the controls stay hidden, the overview shows its first view and
the tables read as they are.

>>> "addEventListener" in SCRIPT and "table.sortable" in STYLE
True
"""

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:1em 2em;max-width:1500px;
color:#1d1d1f;line-height:1.4}
h1{margin:.2em 0}h2{margin-top:1.8em;border-bottom:2px solid #ddd;padding-bottom:.2em}h3{margin:1.2em 0 .4em}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0 1em}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
dl.facts{display:flex;flex-wrap:wrap;gap:.2em 1.5em;margin:.3em 0}dl.facts dt{font-weight:600}
dl.facts dt::after{content:":"}dl.facts dd{margin:0 0 0 -1.2em}
.controls{position:sticky;top:0;background:#fff;padding:.6em 0;border-bottom:1px solid #ddd;z-index:2}
.controls input,.controls select{font:inherit;padding:.15em .4em}
nav#contents ol{columns:3 18em;padding-left:1.5em}nav#contents small{color:#666}
.scroll{overflow-x:auto}
table.board{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9em}
table.board th,table.board td{padding:3px 8px;border-bottom:1px solid #e3e3e3;text-align:right;white-space:nowrap;
vertical-align:top}
table.board thead th{background:#f3f3f5;position:sticky;top:0}
table.board th[scope=row],table.board thead th:first-child{text-align:left;font-weight:normal}
table.board thead th:first-child{font-weight:bold}
table.sortable thead th{cursor:pointer;user-select:none}
table.sortable thead th::after{content:" \\2195";color:#aaa;font-size:.8em}
table.sortable thead th[aria-sort=ascending]::after{content:" \\2191";color:#333}
table.sortable thead th[aria-sort=descending]::after{content:" \\2193";color:#333}
tr.baseline{font-style:italic;color:#555;background:#fafafa}tr.baseline th,tr.baseline td{border-bottom-style:dashed}
tr.summary th,tr.summary td{font-weight:600;border-top:2px solid #999}
td.best strong{font-weight:700}.badge{display:inline-block;font-size:.72em;font-style:normal;font-weight:600;
padding:0 .45em;border-radius:.7em;background:#1b7837;color:#fff;vertical-align:1px}
td.na{color:#888;background:#f0f0f0}.rank{opacity:.85;font-size:.85em}
details summary{cursor:pointer;color:#555;font-size:.85em}details code{display:block;white-space:pre-wrap;
word-break:break-all;font-size:.8em;background:#f5f5f5;padding:.3em;margin:.2em 0;max-width:60em;text-align:left}
table.knobs{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.knobs th,table.knobs td{padding:2px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
pre.example{background:#f6f8fa;padding:.6em;overflow-x:auto;white-space:pre;font-size:.85em;max-height:14em}
.figures{display:flex;flex-wrap:wrap;gap:1em}figure{margin:.5em 0;flex:1 1 520px;max-width:700px}
figure img{width:100%;border:1px solid #eee}figcaption{font-size:.8em;color:#666}
#table-overview thead th{white-space:normal;overflow-wrap:anywhere;min-width:6em;max-width:10em;vertical-align:bottom}
#table-overview th[scope=row]{position:sticky;left:0;background:#fff;z-index:1}
#table-overview tr.summary th{white-space:normal;min-width:12em;max-width:16em}
#table-overview td{line-height:1.25}.ci{font-size:.78em;opacity:.85}
p.lead{font-weight:600;margin:.4em 0}p.views{margin:.4em 0}p.views select{font:inherit;padding:.15em .4em}
a.anchor{color:#bbb;text-decoration:none;font-size:.8em}p.hint{color:#555;font-size:.9em}p.top{font-size:.85em}
section{scroll-margin-top:3.5em}[hidden]{display:none!important}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell) {
    var text = (cell.getAttribute("data-sort") || cell.textContent).trim();
    var number = parseFloat(text.replace(/,/g, ""));
    return isNaN(number) ? text.toLowerCase() : number;
  }
  function compare(a, b, sign) {
    var numbers = typeof a === "number", other = typeof b === "number";
    if (numbers !== other) return numbers ? -1 : 1;  /* numbers before n/a, whatever the direction */
    return (a < b ? -1 : a > b ? 1 : 0) * sign;
  }
  function sortBy(th) {
    var table = th.closest("table"), body = table.tBodies[0], column = th.cellIndex;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    var moving = rows.filter(function (r) { return !r.classList.contains("pinned"); });
    var pinned = rows.filter(function (r) { return r.classList.contains("pinned"); });
    moving.sort(function (a, b) {
      return compare(key(a.cells[column]), key(b.cells[column]), ascending ? 1 : -1);
    });
    moving.concat(pinned).forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.sortable thead th").forEach(function (th) {
    th.tabIndex = 0;
    th.title = "sort by this column";
    th.addEventListener("click", function () { sortBy(th); });
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(th); });
  });
  var box = document.getElementById("filter-model"), family = document.getElementById("filter-kind");
  var count = document.getElementById("filter-count");
  function filter() {
    var text = box.value.trim().toLowerCase(), kind = family.value;
    document.querySelectorAll("[data-model]").forEach(function (el) {
      el.hidden = text !== "" && el.getAttribute("data-model").toLowerCase().indexOf(text) < 0;
    });
    document.querySelectorAll("[data-kind]").forEach(function (el) {
      el.hidden = kind !== "" && el.getAttribute("data-kind") !== kind;
    });
    var shown = document.querySelectorAll("section.task:not([hidden])").length;
    count.textContent = shown + " of " + document.querySelectorAll("section.task").length + " tasks shown";
  }
  var view = document.getElementById("overview-view");
  function switchView() {
    document.querySelectorAll("#overview div.view").forEach(function (el) {
      el.hidden = el.getAttribute("data-view") !== view.value;
    });
  }
  if (view) {
    document.getElementById("overview-views").hidden = false;
    view.addEventListener("change", switchView);
    switchView();
  }
  if (box && family) {
    document.getElementById("controls").hidden = false;
    box.addEventListener("input", filter);
    family.addEventListener("change", filter);
    filter();
  }
})();
"""
