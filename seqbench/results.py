"""The run record: one typed definition of ``result.json``, written atomically, read tolerantly.

:class:`RunRecord` is the only shape a result has. :mod:`seqbench.experiment` and the
gradient-flow probe build it (:func:`seqbench.experiment.describe_run`), :func:`write_result`
writes it, and every reader (resume, the sweep's exit status, the leaderboard, the claims)
goes through :func:`load_results`, which never raises on a file: a file that is not a
readable record is returned among the skipped, with a one-line reason.

Schema history (:data:`SCHEMA_HISTORY`); :func:`migrate` brings older records up to date:

* 1: first version.
* 2: ``peak_rss_mb``, ``peak_rss_scope`` and ``config_hash`` (for resume).
* 3: ``record_type`` (``run`` or ``gradflow``; gradflow probes wrote it since version 2
  without it being declared), ``model_label`` (the preset name, e.g. ``bilstm``), a
  ``config_hash`` that covers everything that changes a run's result or outputs (file
  contents, ``save_model``, the label); the evaluation protocol: ``intervals``,
  ``baseline_intervals``, ``reference_baseline``, ``not_applicable_splits``, per-length
  intervals and counts, evaluation sets shared by every seed; ``converged``, ``stop_reason`` and
  ``steps_to`` (the stopping rule and sample efficiency). Records of version 1 and 2
  read as ``record_type`` ``run`` unless they say otherwise, with ``model_label`` equal to
  ``model`` and no intervals.
* 4: ``split_sizes`` (split -> examples scored: small or uniform splits get exact intervals,
  :mod:`seqbench.exact_intervals`) and ``task_facts`` (the task's description, level, what its
  ``test_ood`` shifts, its knobs and one rendered test example, :mod:`seqbench.task_facts`),
  ``budget_limited`` (stopped at the step cap while still improving,
  :func:`seqbench.convergence.budget_limited` judges older records from their curves).

A record is data, never a path: where a record was found is :attr:`RunRecord.source`, set by
the reader from the file system, never from the file's contents.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = write_result(folder / "a", RunRecord(task="parity", model="lstm", seed=0, status="ok"))
>>> _ = (folder / "b").mkdir(), (folder / "b" / "result.json").write_text('{"schema": 3, "tas')
>>> loaded = load_results([folder])
>>> [(r.task, r.model_label) for r in loaded.records], [reason.split(":")[0] for _, reason in loaded.skipped]
([('parity', 'lstm')], ['not valid JSON'])
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from seqbench.atomic import write_atomic
from seqbench.record_schema import check_field

SCHEMA = 4
SCHEMA_HISTORY = {
    1: "first version",
    2: "peak_rss_mb, peak_rss_scope and config_hash (for resume)",
    3: "record_type and model_label declared; config_hash covers file contents, save_model and the label; "
       "intervals, baseline_intervals, reference_baseline, not_applicable_splits; shared evaluation sets",
    4: "split_sizes (examples scored per split, for exact intervals), task_facts (what the page shows of "
       "the task, so a board renders from its records alone) and budget_limited (stopped at the cap while "
       "still improving)",
}
RESULT_FILE = "result.json"
STATUSES = ("ok", "diverged", "failed", "not_applicable")
RECORD_TYPES = ("run", "gradflow")
MAX_BYTES = 16 * 1024 * 1024  #: larger files are skipped unread (a run's record is ~50 kB)
MAX_DEPTH = 32  #: deeper JSON nesting is skipped (records nest five levels)


@dataclass
class RunRecord:
    """Everything one run (or one gradient-flow probe) produced; ``result.json`` is its JSON.

    ``metrics``: split -> metric -> value (None where not finite) and ``intervals``: split ->
    metric -> [low, high] (95 %, bootstrap over the evaluation examples); ``by_length``: split ->
    ``{"metric": name, "values": {length: value}, "intervals": {length: [low, high]},
    "counts": {length: n}}``; ``baselines``: split -> baseline -> metric -> value (scored on the
    same examples; ``baseline_intervals`` alike); ``reference_baseline`` names the one that
    ``excess_<metric>`` is measured against; ``not_applicable_splits``: split -> why the model
    was not scored there; ``history``: one ``{"step", "train_loss", "val_<metric>"...}`` per evaluation.
    """

    task: str
    model: str
    seed: int
    status: str = "failed"
    schema: int = SCHEMA
    record_type: str = "run"
    model_label: str | None = None
    task_version: int | None = None
    kind: str | None = None
    task_params: dict[str, Any] = field(default_factory=dict)
    model_params: dict[str, Any] = field(default_factory=dict)
    trainer_params: dict[str, Any] | None = None
    config_hash: str | None = None
    error: str | None = None
    traceback: str | None = None
    primary_metric: str | None = None
    higher_is_better: bool | None = None
    lengths: list[int] | None = None
    ood_lengths: list[int] | None = None
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)
    intervals: dict[str, dict[str, list[float | None]]] = field(default_factory=dict)
    not_applicable_splits: dict[str, str] = field(default_factory=dict)
    by_length: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    baseline_intervals: dict[str, dict[str, dict[str, list[float | None]]]] = field(default_factory=dict)
    reference_baseline: str | None = None
    split_sizes: dict[str, int] = field(default_factory=dict)  #: split -> examples scored
    task_facts: dict[str, Any] | None = None  #: what the page shows of the task (seqbench.task_facts)
    n_params: int | None = None
    steps: int = 0
    best_step: int | None = None
    converged: bool | None = None  #: stopped by the plateau rule or the target (None: older records)
    budget_limited: bool | None = None  #: stopped by the step cap while still improving (None: older records)
    stop_reason: str | None = None
    steps_to: dict[str, int] = field(default_factory=dict)  #: "0.9" -> first step with 90 % of the improvement
    train_seconds: float = 0.0
    tokens_per_second: float = 0.0
    history: list[dict[str, float | None]] = field(default_factory=list)
    dataset_fingerprint: dict[str, str] = field(default_factory=dict)
    created: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    device: str | None = None
    peak_rss_mb: float | None = None
    peak_rss_scope: str | None = None
    weights: str | None = None
    gradflow: dict[str, Any] | None = None
    #: where the reader found this record (never stored in, nor read from, the file)
    source: Path | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.model_label is None:
            self.model_label = self.model

    @property
    def identity(self) -> str:
        """What the run ran: its configuration hash (the seed is part of it).

        Records without one (schema 1) fall back to a hash of their configuration fields.
        """
        if self.config_hash:
            return self.config_hash
        import hashlib

        blob = json.dumps([self.record_type, self.task, self.task_params, self.model, self.model_params,
                           self.trainer_params, self.seed, self.device], sort_keys=True, default=str)
        return "legacy-" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    def primary(self, split: str = "test") -> float | None:
        """The task's primary metric on ``split`` (None when absent)."""
        return self.metrics.get(split, {}).get(self.primary_metric) if self.primary_metric else None

    def __getitem__(self, key: str) -> Any:
        """Read access by field name (``record["status"]``) for scripts that treat records as JSON."""
        if key == "source" or key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON object (non-finite numbers become null)."""
        return sanitize({f.name: getattr(self, f.name) for f in fields(self) if f.name != "source"})

    @classmethod
    def from_json(cls, data: Any) -> RunRecord:
        """Check every field's type and build the record; raise ValueError naming the first bad field."""
        if not isinstance(data, dict):
            raise ValueError(f"not a JSON object but {type(data).__name__}")
        schema = data.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise ValueError("missing or non-integer 'schema'")
        if not 1 <= schema <= SCHEMA:
            raise ValueError(f"unknown schema {schema} (this seqbench reads 1 to {SCHEMA})")
        data = migrate(dict(data))
        known = {f.name for f in fields(cls)} - {"source"}
        values = {}
        for name in known:
            if name not in data:
                continue
            problem = check_field(name, data[name])
            if problem:
                raise ValueError(f"field '{name}' {problem}")
            values[name] = data[name]
        for name in ("task", "model", "seed", "status"):
            if name not in values:
                raise ValueError(f"missing key '{name}'")
        if values["status"] not in STATUSES:
            raise ValueError(f"unknown status {values['status']!r} (one of {', '.join(STATUSES)})")
        if values.get("record_type", "run") not in RECORD_TYPES:
            raise ValueError(f"unknown record_type {values['record_type']!r}")
        return cls(**values)


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a JSON record of an older schema up to :data:`SCHEMA`."""
    if data["schema"] < 3:
        data.setdefault("record_type", "run")
        data.setdefault("model_label", data.get("model"))
    data["schema"] = SCHEMA
    return data


def sanitize(value: Any) -> Any:
    """Replace non-finite floats by None, recursively (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_result(folder: str | os.PathLike, record: RunRecord) -> Path:
    """Write ``record`` as ``folder/result.json`` atomically; return the path.

    The file gets the permissions of a plain ``open()`` under the user's umask. A write that
    fails (a full disk, a read-only folder) leaves the previous file, no temporary file, and
    raises :class:`seqbench.atomic.WriteError` (an ``OSError``) naming the file and the errno.
    """
    text = json.dumps(record.to_json(), indent=2, sort_keys=True, allow_nan=False)
    return write_atomic(Path(folder) / RESULT_FILE, text + "\n")


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-finite number {name} (seqbench writes null)")


def read_result(path: str | os.PathLike) -> RunRecord:
    """Read one record; raise ValueError with a one-line reason when it is unusable.

    Only a regular file is read (never a FIFO, device or symbolic link; it is opened without
    blocking or following links), at most :data:`MAX_BYTES`, nested at most :data:`MAX_DEPTH`.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if path.is_symlink():
            raise ValueError("a symbolic link (seqbench reads only regular files)") from None
        raise ValueError(f"unreadable: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file (a FIFO, device or folder)")
        if info.st_size > MAX_BYTES:
            raise ValueError(f"{info.st_size:,} bytes, over the {MAX_BYTES:,}-byte limit for a record")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("unreadable: not UTF-8 text") from None
    if _depth(text) > MAX_DEPTH:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    record = RunRecord.from_json(data)
    record.source = path
    return record


def _depth(text: str) -> int:
    """The deepest bracket nesting of a JSON text (strings skipped), without parsing it."""
    deepest = depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def find_result_files(folders: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = ()) -> list[Path]:
    """Every file named ``result.json`` below the folders (or the files themselves), sorted; a file
    reached through two of the folders is listed twice (the reader counts it once).

    Symbolic links to folders are not followed, so the search never leaves the given trees;
    a folder in ``exclude`` strictly inside a given folder (say the leaderboard's own ``--out``)
    is not searched.
    """
    excluded = {Path(e).resolve() for e in exclude}
    found: list[Path] = []
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            found.append(folder)
            continue
        root = folder.resolve()
        skip = {e for e in excluded if e != root and root in e.parents}
        for current, dirs, files in os.walk(folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if (Path(current) / d).resolve() not in skip)
            if RESULT_FILE in files:
                found.append(Path(current) / RESULT_FILE)
    return sorted(found)


class Loaded(NamedTuple):
    """What :func:`load_results` found: usable records, skipped files with reasons, duplicates dropped."""

    records: list[RunRecord]
    skipped: list[tuple[str, str]]
    duplicates: int


def load_results(folders: Iterable[str | os.PathLike], exclude: Iterable[str | os.PathLike] = (),
                 record_type: str | None = None) -> Loaded:
    """Read every record below ``folders`` through :func:`read_result`; never raises on a file.

    A run counts once: records with the same :attr:`RunRecord.identity` (a ``raw/`` copy, the
    same folder given twice, a copied sweep) are kept once (the newest, then the first path)
    and counted in ``duplicates``. ``record_type`` keeps only that type; others are skipped
    with the reason.
    """
    records: dict[str, RunRecord] = {}
    skipped: list[tuple[str, str]] = []
    duplicates = 0
    seen: set[Path] = set()
    for path in find_result_files(folders, exclude):
        real = path.parent.resolve() / path.name
        if real in seen:  # the very same file reached twice
            duplicates += 1
            continue
        seen.add(real)
        try:
            record = read_result(path)
        except (ValueError, RecursionError) as exc:
            skipped.append((str(path), str(exc) if isinstance(exc, ValueError) else "nested too deeply"))
            continue
        if record_type is not None and record.record_type != record_type:
            skipped.append((str(path), f"not a training run ({record.record_type} record)"))
            continue
        kept = records.get(record.identity)
        if kept is not None:
            duplicates += 1
            if (record.created or "") <= (kept.created or ""):
                continue
        records[record.identity] = record
    ordered = sorted(records.values(), key=lambda r: str(r.source))
    return Loaded(ordered, skipped, duplicates)
