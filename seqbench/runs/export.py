"""Write a task's examples to a file other tools can read, with a dataset card beside it.

:func:`export` draws ``n`` examples of one split with one seed (exactly the examples
``task.sample(task.rng(seed, split), n, split)`` gives) and writes them as

* ``.jsonl``: one JSON object per example, plain lists, padding removed;
* ``.parquet``: the same columns as list columns (needs ``pyarrow``);
* ``.npz``: the padded arrays of the batch (``inputs``, ``targets``, ``lengths``,
  ``target_mask``), readable with ``numpy.load`` without pickle;

plus ``FILE.card.json``: the task, its version and knobs, split, seed, number of examples,
the vocabularies, what every field holds, the batch's content fingerprint and the file's
SHA-256, and how the splits are kept apart (``test_sets``, ``input_space``: the size of the
task's input space per length and the share of it each split covers, computed by
:func:`seqbench.core.spaces.space_report`). Nothing that varies between runs (times, paths of the
machine) goes into either file, so the same command writes byte-identical files.

>>> import json, tempfile
>>> from pathlib import Path
>>> from seqbench import make_task
>>> out = Path(tempfile.mkdtemp()) / "parity.jsonl"
>>> card = export(make_task("parity", length=4), "test", 2, seed=0, out=out)
>>> card["n"], card["fields"]["targets"]
(2, 'class label (int)')
>>> sorted(json.loads(out.read_text().splitlines()[0]))
['index', 'inputs', 'length', 'targets']
"""

from __future__ import annotations

import hashlib
import io
import json
import shlex
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.core.atomic import current_umask, write_with  # noqa: F401 - current_umask: re-exported
from seqbench.core.batch import Batch
from seqbench.core.errors import ConfigError
from seqbench.core.spaces import space_report, summary
from seqbench.core.spec import EOS, PAD, Classes, Real, Tokens
from seqbench.core.task import Task, padding_mask

CARD_SUFFIX = ".card.json"
CARD_VERSION = 2  #: 2: test_sets and input_space (how evaluation inputs are kept out of training)


@dataclass
class Column:
    """One field of every example: scalars (n,), or ragged rows stored as values + offsets."""

    values: np.ndarray  # (n,) scalars, or (sum of widths, ...) concatenated rows
    offsets: np.ndarray | None = None  # (n + 1,): row i is values[offsets[i]:offsets[i + 1]]

    def row(self, i: int) -> Any:
        if self.offsets is None:
            return self.values[i].item()
        return self.values[self.offsets[i] : self.offsets[i + 1]].tolist()


def card_path(out: str | Path) -> Path:
    """Where the card of a data file goes: ``FILE.card.json``."""
    out = Path(out)
    return out.with_name(out.name + CARD_SUFFIX)


def file_format(out: str | Path) -> str:
    """The format a file name asks for, by its suffix; ConfigError for any other suffix."""
    suffix = Path(out).suffix.lower()
    if suffix not in WRITERS:
        known = ", ".join(sorted(WRITERS))
        raise ConfigError(f"--out {out}: unknown suffix {suffix or '(none)'!r}; use one of {known}")
    return suffix


def _ragged(padded: np.ndarray, widths: np.ndarray) -> Column:
    """Rows ``padded[i, :widths[i]]`` concatenated (vectorised), with their offsets."""
    keep = padding_mask(widths, padded.shape[1])  # (n, W)
    return Column(padded[keep], np.concatenate([[0], np.cumsum(widths)]).astype(np.int64))


def columns(task: Task, batch: Batch) -> dict[str, Column]:
    """The batch as per-example fields without padding: index, inputs, length, targets, target_mask.

    Sequence inputs keep their first ``length`` steps. Aligned targets (tagging, lm) keep
    ``length`` steps; decoded targets keep everything up to and including ``<eos>``.
    ``target_mask`` is kept only when some kept target is masked out.
    """
    data, spec = batch.numpy(), task.spec
    n = batch.size
    out = {"index": Column(np.arange(n, dtype=np.int64))}
    lengths = data.get("lengths")
    inputs = data["inputs"]
    if spec.is_sequence_input:
        out["inputs"] = _ragged(inputs, lengths)
    else:
        out["inputs"] = _ragged(inputs, np.full(n, inputs.shape[1]))
    if lengths is not None:
        out["length"] = Column(lengths.astype(np.int64))
    mask = data.get("target_mask")
    if mask is None:
        out["targets"] = Column(data["targets"])
        return out
    if spec.aligned_output:
        widths = lengths
    else:  # up to the last scored position (the <eos>)
        widths = np.where(mask.any(1), mask.shape[1] - np.argmax(mask[:, ::-1], axis=1), 0)
    out["targets"] = _ragged(data["targets"], widths)
    kept = _ragged(mask, widths)
    if not kept.values.all():
        out["target_mask"] = kept
    return out


def describe_fields(task: Task, fields: list[str], fmt: str) -> dict[str, str]:
    """What each field of the exported file holds, in words (for the card)."""
    spec = task.spec

    def space(s) -> str:
        if isinstance(s, Tokens):
            return "token ids (int) into {}_symbols"
        if isinstance(s, Classes):
            return "class label (int)"
        if isinstance(s, Real):
            return "real value (float)"
        return f"{s.size} features (float32)"

    inputs = space(spec.input).format("input")
    targets = space(spec.output).format("output")
    if fmt == ".npz":
        if not spec.is_sequence_input:
            shape = "(n, F)"
        else:
            shape = "(n, T)" if isinstance(spec.input, Tokens) else "(n, T, F)"
        out = {
            "inputs": f"{shape} {inputs}" + (f", padded with {PAD} past each length" if spec.is_sequence_input else ""),
            "targets": f"(n, T_out) {targets}, padded with {PAD}" if spec.is_sequence_output else f"(n,) {targets}",
            "lengths": "(n,) input length of each example",
            "target_mask": "(n, T_out) bool: true where a target is scored",
        }
        return {k: v for k, v in out.items() if k in fields}
    out = {
        "index": "example number, 0 .. n-1, in sampling order",
        "inputs": (f"list of {inputs}, one per input step, padding removed" if spec.is_sequence_input
                   else f"list of {inputs}"),
        "length": "number of input steps",
        "targets": targets,
        "target_mask": "list of bool, one per target: true where the target is scored",
    }
    if spec.aligned_output:
        nxt = " (the next input symbol)" if spec.kind == "lm" else ""
        out["targets"] = f"list of {targets}, one per input step{nxt}"
    elif spec.is_decoder_output:
        out["targets"] = f"list of {targets}, ending with <eos> (id {EOS})"
    return {k: v for k, v in out.items() if k in fields}


# ------------------------------------------------------------------------------ writers
def _write_jsonl(task: Task, batch: Batch, handle) -> list[str]:
    cols = columns(task, batch)
    for i in range(batch.size):
        row = {name: col.row(i) for name, col in cols.items()}
        handle.write((json.dumps(row, separators=(",", ":")) + "\n").encode())
    return list(cols)


def _write_parquet(task: Task, batch: Batch, handle) -> list[str]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("writing .parquet needs pyarrow: pip install 'seqbench[export]'") from None

    def arrow(col: Column):
        if col.offsets is None:
            return pa.array(col.values)
        values = col.values
        inner = pa.array(values.reshape(-1))
        if values.ndim == 2:  # vector steps: a fixed-size list per step
            inner = pa.FixedSizeListArray.from_arrays(inner, values.shape[1])
        big = col.offsets[-1] >= 2**31
        offsets = pa.array(col.offsets.astype(np.int64 if big else np.int32))
        return (pa.LargeListArray if big else pa.ListArray).from_arrays(offsets, inner)

    cols = columns(task, batch)
    table = pa.table({name: arrow(col) for name, col in cols.items()})
    # fixed options: no statistics or dictionaries whose defaults might drift between versions
    pq.write_table(table, handle, compression="zstd", use_dictionary=False, write_statistics=False,
                   version="2.6", data_page_version="1.0")
    return list(cols)


def _write_npz(task: Task, batch: Batch, handle) -> list[str]:
    """numpy's own savez stamps the current time into the zip; this writes a fixed date."""
    arrays = batch.numpy()
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever the platform
            info.external_attr = 0o644 << 16
            archive.writestr(info, buffer.getvalue())
    return sorted(arrays)


WRITERS: dict[str, Callable[[Task, Batch, Any], list[str]]] = {
    ".jsonl": _write_jsonl, ".parquet": _write_parquet, ".npz": _write_npz,
}


def _atomic_write(path: Path, write: Callable[[Any], Any]) -> Any:
    """Write through a temporary file in the same folder, then rename it into place (:func:`seqbench.core.atomic.write_with`)."""
    return write_with(path, write)


def command_line(task: Task, split: str, n: int, seed: int, out: Path) -> str:
    """The ``seqbench generate`` command that writes this file again (knobs that differ from defaults)."""
    overrides = [f"{k.name}={'null' if v is None else json.dumps(v) if isinstance(v, bool) else v}"
                 for k in task.knobs if (v := task.params.get(k.name)) != k.default]
    words = ["seqbench", "generate", task.name, *overrides, "--split", split, "--n", str(n), "--seed", str(seed),
             "--out", out.name]
    return " ".join(shlex.quote(w) for w in words)


def export(task: Task, split: str, n: int, seed: int, out: str | Path) -> dict[str, Any]:
    """Write ``n`` examples of ``split`` drawn with ``seed`` to ``out`` and its card; return the card."""
    out = Path(out)
    fmt = file_format(out)
    batch = task.sample(task.rng(seed, split), n, split)
    fields = _atomic_write(out, lambda handle: WRITERS[fmt](task, batch, handle))
    from seqbench import __version__

    report = space_report(task)
    card = {
        "card_version": CARD_VERSION,
        "task": task.name,
        "version": task.version,
        "kind": task.kind,
        "description": task.description,
        "knobs": task.params,
        "split": split,
        "seed": seed,
        "n": batch.size,
        "file": out.name,
        "format": fmt[1:],
        "fields": describe_fields(task, fields, fmt),
        "input_symbols": list(task.spec.input.symbols) if isinstance(task.spec.input, Tokens) else None,
        "output_symbols": list(task.spec.output.symbols) if isinstance(task.spec.output, Tokens) else None,
        "spec": task.spec.describe(),
        "test_sets": summary(task, report),
        "input_space": report,
        "fingerprint": batch.fingerprint(),
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "command": command_line(task, split, n, seed, out),
        "seqbench_version": __version__,
    }
    text = json.dumps(card, indent=2, ensure_ascii=False, default=str) + "\n"
    _atomic_write(card_path(out), lambda handle: handle.write(text.encode("utf-8")))
    return card
