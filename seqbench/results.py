"""Result records: one ``result.json`` per run, written atomically, read back defensively.

A record is a plain JSON object (see :data:`REQUIRED`); numbers that are not finite are
stored as ``null``. :func:`write_result` writes to a temporary name in the same folder and
renames it into place, so a run killed at any moment leaves either the complete previous
file, the complete new one, or none. :func:`load_results` never raises on a bad file: it
returns it among the skipped, with the reason.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "bad").mkdir(), (folder / "bad" / "result.json").write_text('{"schema": 1, "tas')
>>> records, skipped = load_results([folder])
>>> records, [reason.split(":")[0] for _, reason in skipped]
([], ['not valid JSON'])
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

SCHEMA = 2
#: What each schema version added; :func:`migrate` brings older records up to date.
SCHEMA_HISTORY = {
    1: "first version",
    2: "peak_rss_mb, peak_rss_scope and config_hash (for resume)",
}
RESULT_FILE = "result.json"
STATUSES = ("ok", "diverged", "failed", "not_applicable")

#: Keys every record has, with their JSON types.
REQUIRED: dict[str, type | tuple[type, ...]] = {
    "schema": int,
    "task": str,
    "model": str,
    "seed": int,
    "status": str,
    "metrics": dict,
}


def sanitize(value: Any) -> Any:
    """Replace non-finite floats by None, recursively (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    return value


def write_result(folder: str | os.PathLike, record: dict[str, Any]) -> Path:
    """Write ``record`` as ``folder/result.json`` atomically; return the path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RESULT_FILE
    temporary = folder / f".{RESULT_FILE}.{os.getpid()}.tmp"
    text = json.dumps(sanitize(record), indent=2, sort_keys=True, allow_nan=False)
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    try:  # make the rename itself durable
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return path


def read_result(path: str | os.PathLike) -> dict[str, Any]:
    """Read and check one record; raise ValueError with the reason when it is unusable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"unreadable: {exc}") from None
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object but {type(record).__name__}")
    for key, kind in REQUIRED.items():
        if key not in record:
            raise ValueError(f"missing key '{key}'")
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            raise ValueError(f"key '{key}' has type {type(record[key]).__name__}")
    if record["schema"] > SCHEMA or record["schema"] < 1:
        raise ValueError(f"unknown schema {record['schema']} (this seqbench reads 1 to {SCHEMA})")
    record = migrate(record)
    if record["status"] not in STATUSES:
        raise ValueError(f"unknown status {record['status']!r}")
    for split, values in record["metrics"].items():
        if not isinstance(values, dict) or not all(
            v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values.values()
        ):
            raise ValueError(f"metrics of split '{split}' are not a mapping of numbers")
    record.setdefault("path", str(path))
    return record


def migrate(record: dict[str, Any]) -> dict[str, Any]:
    """Bring a record of an older schema up to :data:`SCHEMA` (fields it lacked become None)."""
    if record["schema"] < 2:
        for key in ("peak_rss_mb", "peak_rss_scope", "config_hash"):
            record.setdefault(key, None)
    record["schema_read_as"] = SCHEMA
    return record


def find_result_files(folders: Iterable[str | os.PathLike]) -> list[Path]:
    """Every ``result.json`` below the given folders (or the files themselves), sorted."""
    found: set[Path] = set()
    for folder in folders:
        folder = Path(folder)
        if folder.is_file():
            found.add(folder)
        else:
            found.update(folder.rglob(RESULT_FILE))
    return sorted(found)


def load_results(folders: Iterable[str | os.PathLike]) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(records that load, [(path, reason) for every file skipped])."""
    records, skipped = [], []
    for path in find_result_files(folders):
        try:
            records.append(read_result(path))
        except ValueError as exc:
            skipped.append((str(path), str(exc)))
    return records, skipped
