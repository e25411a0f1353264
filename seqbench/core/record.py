"""The run record: one typed definition of ``result.json``, written atomically, read tolerantly.

:class:`RunRecord` is the only shape a result has. Training runs and gradient-flow probes build it
in one place (:func:`seqbench.runs.experiment.build_record`), :func:`write_result`
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
  :mod:`seqbench.engine.exact_intervals`) and ``task_facts`` (the task's description, level, what its
  ``test_ood`` shifts, its knobs and one rendered test example, :mod:`seqbench.runs.task_facts`),
  ``budget_limited`` (stopped at the step cap while still improving,
  :func:`seqbench.engine.convergence.budget_limited` judges older records from their curves).

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

import gc
import json
import math
import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from seqbench.core.atomic import write_atomic
from seqbench.core.record_schema import MAX_DEPTH, check_field, field_fits

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
#: the evaluation splits a record scores, in the order boards show them
SPLITS = ("val", "test", "test_ood")
RESULT_FILE = "result.json"
STATUSES = ("ok", "diverged", "failed", "not_applicable")
RECORD_TYPES = ("run", "gradflow")
MAX_BYTES = 16 * 1024 * 1024  #: larger files are skipped unread (a run's record is ~50 kB)


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
    task_facts: dict[str, Any] | None = None  #: what the page shows of the task (seqbench.runs.task_facts)
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
    #: a record kept under a later rule that gives the same run: its identity before, and why (seqbench.runs.replacement)
    adopted: dict[str, Any] | None = None
    #: the saved states the run went on from, in order: the step, the file (partial.pt: killed; state.pt: a larger
    #: cap) and the commit of the code that trained up to it (seqbench.engine.training_state); None: trained in one go
    resumed: list[dict[str, Any]] | None = None
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
        built = cls.many_from_json([data])[0]
        if isinstance(built, ValueError):
            raise built
        return built

    @classmethod
    def many_from_json(cls, items: list[Any]) -> list[RunRecord | ValueError]:
        """:meth:`from_json` of many records at once, a ValueError in place of each unusable one.

        Each field is checked for every record in one bulk pass
        (:func:`seqbench.core.record_schema.field_fits`), and only a field that fails it is checked
        record by record to say which and why: a board of thousands of records reads quickly.
        """
        out: list[Any] = []
        for data in items:
            try:
                out.append(_with_schema(data))
            except ValueError as exc:
                out.append(exc)
        problems = _field_problems({i: data for i, data in enumerate(out) if isinstance(data, dict)})
        known = frozenset(f.name for f in fields(cls)) - {"source"}
        for i, data in enumerate(out):
            if isinstance(data, dict):
                try:
                    if i in problems:
                        raise ValueError(problems[i])
                    out[i] = cls._build(data, known)
                except ValueError as exc:
                    out[i] = exc
        return out

    @classmethod
    def _build(cls, data: dict[str, Any], known: frozenset[str]) -> RunRecord:
        """The record of checked fields, brought up to date (:func:`migrate`; unknown fields dropped);
        ValueError for a missing key or an unknown status or record type."""
        values = migrate({name: value for name, value in data.items() if name in known})
        for name in ("task", "model", "seed", "status"):
            if name not in values:
                raise ValueError(f"missing key '{name}'")
        if values["status"] not in STATUSES:
            raise ValueError(f"unknown status {values['status']!r} (one of {', '.join(STATUSES)})")
        if values.get("record_type", "run") not in RECORD_TYPES:
            raise ValueError(f"unknown record_type {values['record_type']!r}")
        return cls(**values)


def _with_schema(data: Any) -> dict[str, Any]:
    """``data`` when it is a JSON object with a schema this seqbench reads; else ValueError."""
    if not isinstance(data, dict):
        raise ValueError(f"not a JSON object but {type(data).__name__}")
    schema = data.get("schema")
    if not isinstance(schema, int) or isinstance(schema, bool):
        raise ValueError("missing or non-integer 'schema'")
    if not 1 <= schema <= SCHEMA:
        raise ValueError(f"unknown schema {schema} (this seqbench reads 1 to {SCHEMA})")
    return data


def _field_problems(records: dict[int, dict[str, Any]]) -> dict[int, str]:
    """Index -> ``field 'NAME' PROBLEM`` of each record with a bad field (the first in its file's
    order); unknown fields are checked too (for nesting), then dropped by the caller."""
    names = dict.fromkeys(name for data in records.values() for name in data)
    bad: dict[int, dict[str, str]] = {}
    for name in names:
        holders = [i for i, data in records.items() if name in data]
        values = [records[i][name] for i in holders]
        if field_fits(name, values):
            continue
        for i, value in zip(holders, values):
            problem = check_field(name, value)
            if problem:
                bad.setdefault(i, {})[name] = problem
    return {i: next(f"field '{name}' {found[name]}" for name in records[i] if name in found)
            for i, found in bad.items()}


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
    raises :class:`seqbench.core.atomic.WriteError` (an ``OSError``) naming the file and the errno.
    """
    text = json.dumps(record.to_json(), indent=2, sort_keys=True, allow_nan=False)
    return write_atomic(Path(folder) / RESULT_FILE, text + "\n")


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-finite number {name} (seqbench writes null)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  #: one for every file (``json.loads`` makes one a call)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: parsed JSON holds no reference cycles, and the
    collector's passes over thousands of freshly parsed records are pure cost (about 15 % of
    reading 5,000 of them). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_result(path: str | os.PathLike) -> RunRecord:
    """Read one record; raise ValueError with a one-line reason when it is unusable.

    Only a regular file is read (never a FIFO, device or symbolic link; it is opened without
    blocking or following links), at most :data:`MAX_BYTES`; its free-form fields may nest at
    most :data:`MAX_DEPTH` levels.
    """
    record = RunRecord.from_json(read_json(path))
    record.source = Path(path)
    return record


def read_json(path: str | os.PathLike) -> Any:
    """The parsed JSON of a record file, not yet checked (:func:`read_result` without
    :meth:`RunRecord.from_json`); ValueError with a one-line reason when it cannot be read."""
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
    try:  # orjson: 2.5 x faster than json on records; anything it refuses is diagnosed by json below
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("unreadable: not UTF-8 text") from None
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    except RecursionError:  # deeper than the parser goes; RunRecord.from_json refuses anything over MAX_DEPTH
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    return data


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
            dirs[:] = sorted(d for d in dirs if not skip or (Path(current) / d).resolve() not in skip)
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
    """Read every record below ``folders`` as :func:`read_result` does (the files one by one, their
    fields checked all together: :meth:`RunRecord.many_from_json`); never raises on a file.

    A run counts once: records with the same :attr:`RunRecord.identity` (a ``raw/`` copy, the
    same folder given twice, a copied sweep) are kept once (the newest, then the first path)
    and counted in ``duplicates``. ``record_type`` keeps only that type; others are skipped
    with the reason.
    """
    records: dict[str, RunRecord] = {}
    skipped: list[tuple[str, str]] = []
    with _without_cycle_collection():
        read, duplicates = _read_once(find_result_files(folders, exclude))
        built = iter(RunRecord.many_from_json([data for _, data in read if not isinstance(data, ValueError)]))
    for path, data in read:  # in path order
        record = data if isinstance(data, ValueError) else next(built)
        if isinstance(record, ValueError):
            skipped.append((str(path), str(record)))
            continue
        record.source = path
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


def _read_once(paths: list[Path]) -> tuple[list[tuple[Path, Any]], int]:
    """(path, parsed JSON, or the ValueError saying why it cannot be read) of each file, the very
    same file reached twice (by two of the folders, say) read once; and how many were reached again."""
    read: list[tuple[Path, Any]] = []
    seen: set[tuple[int, int]] = set()
    again = 0
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError as exc:  # gone since it was listed
            read.append((path, ValueError(f"unreadable: {exc.strerror}")))
            continue
        if (info.st_dev, info.st_ino) in seen:
            again += 1
            continue
        seen.add((info.st_dev, info.st_ino))
        try:
            read.append((path, read_json(path)))
        except ValueError as exc:
            read.append((path, exc))
        except RecursionError:
            read.append((path, ValueError("nested too deeply")))
    return read, again
