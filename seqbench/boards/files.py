"""A leaderboard folder written as a whole: locked, staged inside it, then swapped in.

:func:`write_board` writes every file of a board (pages, CSV, plots) into a temporary folder
inside ``OUT`` first, each file synced to the disk; only once all of them are complete are
they renamed into ``OUT`` (plots first, the pages last, so a page never names a plot that is
not there yet), and plots of the previous board that the new one no longer draws are removed.
A kill or a full disk while the files are written leaves the previous board whole and no
temporary file; a failure is one :class:`~seqbench.core.atomic.WriteError` line naming the file.

:func:`board_lock` holds a lock on ``OUT`` (``flock`` on ``OUT/.seqbench-leaderboard.lock``,
which holds the writer's process id and is removed when it is done) while a board is written:
a second writer of the same folder is refused at once with :class:`BoardBusyError`.

>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> [p.name for p in write_board(out, {"results.csv": "a\\n1\\n", "leaderboard.md": "# board\\n"})]
['results.csv', 'leaderboard.md']
>>> sorted(p.name for p in out.iterdir())  # no lock, no staging folder left
['leaderboard.md', 'results.csv']
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from seqbench.core.atomic import WriteError, cannot_write, make_folder, sync_folder, write_atomic
from seqbench.core.errors import SeqbenchError

try:
    import fcntl
except ImportError:  # no flock on this platform: boards are written unlocked
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".seqbench-leaderboard.lock"
STAGING_PREFIX = ".seqbench-board-"
_held: dict[Path, int] = {}  # folders this process has locked -> nesting depth (the lock is re-entrant)


class BoardBusyError(SeqbenchError):
    """Another process is writing the same leaderboard folder."""


@contextmanager
def board_lock(out: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock on the board folder ``out`` (created if missing) for the ``with`` block.

    Re-entrant within one process. Another process that holds it makes this raise
    :class:`BoardBusyError` at once (never waits). A folder this call created and that is empty
    at the end (the command failed before writing anything) is removed again. A staging folder
    left by a writer that was killed is removed once the lock is held.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "board"
    >>> with board_lock(out):
    ...     (out / LOCK_FILE).read_text().strip() == str(os.getpid())
    True
    >>> out.exists()  # created for the block, empty after it: removed
    False
    """
    out = Path(out)
    key = out.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield out
        finally:
            _held[key] -= 1
        return
    if out.exists() and not out.is_dir():
        raise WriteError(out, errno.ENOTDIR, "a file, not a folder")
    created = not out.exists()
    make_folder(out)
    fd = _acquire(out)
    _held[key] = 1
    try:
        _remove_staging(out)
        yield out
    finally:
        del _held[key]
        _release(out, fd)
        if created:
            try:
                out.rmdir()  # only succeeds if nothing was written
            except OSError:
                pass


def _acquire(out: Path) -> int | None:
    """Lock ``out/LOCK_FILE`` (non-blocking) and write this process's id into it; return its descriptor."""
    if fcntl is None:
        return None
    path = out / LOCK_FILE
    for _ in range(100):  # a holder that releases unlinks the file: lock the one that is in place
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        except OSError as exc:
            raise cannot_write(path, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise BoardBusyError(f"another seqbench leaderboard is writing {out} (pid {pid})") from None
        except OSError:  # a file system without locks (some network mounts): write unlocked
            pass
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if same:
            break
        os.close(fd)
    else:
        raise BoardBusyError(f"another seqbench leaderboard is writing {out} (its lock keeps changing)")
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError as exc:
        _release(out, fd)
        raise cannot_write(path, exc) from None
    return fd


def _read_pid(fd: int) -> str:
    """The process id a lock file holds (``unknown`` while its holder has not written it yet)."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return text if text.isdigit() else "unknown"


def _release(out: Path, fd: int | None) -> None:
    """Remove the lock file (while still holding it), then let go of the lock."""
    if fd is None:
        return
    try:
        os.unlink(out / LOCK_FILE)
    except OSError:
        pass
    os.close(fd)  # closing the last descriptor releases the flock


def _remove_staging(out: Path) -> None:
    """Remove staging folders of writers that were killed (only called with the lock held)."""
    try:
        leftovers = [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX) and p.is_dir()]
    except OSError:
        return
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)


def write_board(out: str | os.PathLike, files: dict[str, str | bytes], draw: Callable[[Path], object] | None = None,
                figures: Iterable[str] = ()) -> list[Path]:
    """Write a board into ``out`` as a whole; return the paths written, in the order they were swapped in.

    ``files`` maps file names to their contents; ``draw(folder)`` writes the plots into
    ``folder`` (through :func:`seqbench.analysis.plots.save_figure`). When ``draw`` is given,
    files in ``out`` matching a glob of ``figures`` that it did not draw this time (plots of
    tasks no longer in the board) are removed; without it, the plots already there are kept.
    The swap order is: the plots (sorted), then ``files`` in the order given.
    """
    out = Path(out)
    with board_lock(out):
        try:
            staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=out))
        except OSError as exc:
            raise cannot_write(out, exc) from None
        try:
            try:
                for name, data in files.items():
                    write_atomic(staging / name, data)
                if draw is not None:
                    draw(staging)
            except WriteError as exc:
                raise _moved(exc, staging, out) from None
            drawn = sorted(p.name for p in staging.iterdir() if p.name not in files)
            written = [_swap(staging / name, out / name) for name in [*drawn, *files]]
            sync_folder(out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if draw is not None:
            _remove_stale(out, figures, keep={p.name for p in written})
    return written


def _swap(source: Path, target: Path) -> Path:
    """Rename a finished file from the staging folder over its place in the board."""
    try:
        os.replace(source, target)
    except OSError as exc:
        raise cannot_write(target, exc) from None
    return target


def _moved(exc: WriteError, staging: Path, out: Path) -> WriteError:
    """The same error, naming the file's place in the board instead of its place in the staging folder.

    >>> str(_moved(WriteError("b/.seqbench-board-x/a.png", 28, "No space left on device"),
    ...            Path("b/.seqbench-board-x"), Path("b")))
    'cannot write b/a.png: [ENOSPC] No space left on device'
    """
    try:
        inside = Path(exc.filename).relative_to(staging)
    except ValueError:
        return exc
    return WriteError(out / inside, exc.errno, exc.strerror)


def _remove_stale(out: Path, patterns: Iterable[str], keep: set[str]) -> None:
    """Remove plots of an earlier board (files matching ``patterns``) that the new board did not draw."""
    for pattern in patterns:
        for path in out.glob(pattern):
            if path.name not in keep and path.is_file() and not path.is_symlink():
                try:
                    path.unlink()
                except OSError:
                    pass
