"""The GPU host's results that the docs print are computed from the committed records.

A lent GPU host ran ``bench/device/issue25.sh`` and ``bench/device/chomsky_calibration.sh`` once;
their records are in ``bench/results/``. The tables in ``docs/models.md`` and ``bench/README.md``
must be exactly what ``bench/device/tables.py`` and ``bench/modern.py`` make of them, and the
sentences beside them must hold for those records. Nothing here needs a GPU.
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict

import pytest

from conftest import ROOT

RESULTS = ROOT / "bench" / "results"
PARITY = RESULTS / "2026-12-04-h200-parity.csv"
CALIBRATION = RESULTS / "2026-12-04-h200-chomsky-calibration.csv"
MODERN = RESULTS / "2026-12-04-h200-modern_scans.json"


@pytest.fixture(scope="module")
def bench_modules():
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "bench" / "device")]
    try:
        import modern
        import tables

        yield modern, tables
    finally:
        del sys.path[:2]


def _ood_by_model(path) -> dict[str, list[float]]:
    cells: dict[str, list[float]] = defaultdict(list)
    with open(path, newline="") as handle:
        for record in csv.DictReader(handle):
            cells[record["model_label"]].append(float(record["test_ood/accuracy"]))
    return cells


def test_the_parity_table_in_the_docs_is_the_records(bench_modules):
    _, tables = bench_modules
    text = (ROOT / "docs" / "models.md").read_text()
    assert tables.HEADER in text
    for row in tables.rows(PARITY):
        assert row in text, row


def test_the_parity_sentences_hold_for_the_records():
    """docs/models.md: the signed Mamba, sLSTM, LSTM and tanh RNN solve parity (maximum over seeds
    at least 0.99); the positive Mamba, minGRU, minLSTM and LRU stay at chance (at most 0.556)."""
    ood = _ood_by_model(PARITY)
    assert {len(seeds) for seeds in ood.values()} == {3}
    for model in ("mamba_signed", "slstm", "lstm", "rnn_tanh"):
        assert max(ood[model]) >= 0.99, (model, ood[model])
    for model in ("mamba", "mingru", "minlstm", "lru"):
        assert max(ood[model]) <= 0.556, (model, ood[model])
    assert sorted(ood["rnn_tanh"])[0] < 0.6  # "one tanh RNN seed of three stayed at chance"


def test_the_calibration_table_and_gpu_figures_in_bench_readme_are_the_records(bench_modules):
    modern, tables = bench_modules
    text = (ROOT / "bench" / "README.md").read_text()
    for row in tables.rows(CALIBRATION):
        assert row in text, row
    figures = json.loads(MODERN.read_text())["figures"]["modern_scans"]
    for row in modern.modern_table(figures):
        if row.startswith("| ") and "---" not in row and not row.startswith("| family"):
            assert row in text, row
    ratio = {family: f["lengths"]["500"]["parallel_vs_sequential"]["median"]
             for family, f in figures["families"].items() if "parallel_vs_sequential" in f["lengths"]["500"]}
    assert [family for family, r in ratio.items() if r >= 5] == ["lru"]  # "met by the LRU only"
