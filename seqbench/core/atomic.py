"""Files written whole or not at all, and write failures told in one line.

Every file seqbench writes (a run's ``result.json`` and ``model.pt``, a leaderboard's pages,
CSV and plots, an exported data set and its card) goes through :func:`write_with`: the data
goes to a temporary file in the same folder, is flushed to the disk (``fsync``), then renamed
over the target (``os.replace``, atomic on POSIX). A kill or a full disk therefore leaves
either the previous file or the new one, never a truncated file, and no temporary file is
left behind when the write fails.

Any ``OSError`` on the way (``ENOSPC``, ``EROFS``, ``EFBIG``, ``EACCES``...) becomes a
:class:`WriteError`: a :class:`~seqbench.core.errors.SeqbenchError` (the command line prints it on
one line, without a traceback) that is still an ``OSError`` (code that catches those goes on
working), naming the file and the errno:

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(folder / "a.txt", "hello\\n").read_text()
'hello\\n'
>>> [p.name for p in folder.iterdir()]  # no temporary file left
['a.txt']
>>> print(WriteError("outputs/x/result.json", 28, "No space left on device"))
cannot write outputs/x/result.json: [ENOSPC] No space left on device
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from seqbench.core.errors import SeqbenchError

T = TypeVar("T")


class WriteError(SeqbenchError, OSError):
    """A file or folder seqbench could not write: its path, the errno and the system's message.

    >>> error = WriteError("board/leaderboard.md", errno.EROFS, "Read-only file system")
    >>> str(error), error.errno, isinstance(error, OSError)
    ('cannot write board/leaderboard.md: [EROFS] Read-only file system', 30, True)
    """

    def __init__(self, path: str | os.PathLike, code: int | None, message: str) -> None:
        super().__init__(code, message, str(path))

    def __str__(self) -> str:
        name = errno.errorcode.get(self.errno, f"errno {self.errno}") if self.errno is not None else None
        return f"cannot write {self.filename}: " + (f"[{name}] {self.strerror}" if name else f"{self.strerror}")

    def __reduce__(self):  # pickled by launcher workers: rebuilt from the same three values
        return type(self), (self.filename, self.errno, self.strerror)


def cannot_write(path: str | os.PathLike, exc: OSError) -> WriteError:
    """The :class:`WriteError` for ``exc`` raised while writing ``path`` (``exc`` itself if it is one).

    >>> str(cannot_write("out/results.csv", OSError(errno.EFBIG, "File too large")))
    'cannot write out/results.csv: [EFBIG] File too large'
    >>> str(cannot_write("out/a.png", OSError("disk on fire")))
    'cannot write out/a.png: disk on fire'
    """
    if isinstance(exc, WriteError):
        return exc
    return WriteError(path, exc.errno, exc.strerror or str(exc))


def current_umask() -> int:
    """This process's umask, read without changing it where Linux allows (``/proc/self/status``).

    >>> 0 <= current_umask() <= 0o777
    True
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def make_folder(path: str | os.PathLike) -> Path:
    """Create ``path`` and its parents (nothing if it is a folder already); a failure is a :class:`WriteError`.

    >>> import tempfile, pathlib
    >>> make_folder(pathlib.Path(tempfile.mkdtemp()) / "a" / "b").is_dir()
    True
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file (or a link to one) where the folder should be
        raise WriteError(path, errno.ENOTDIR, "a file is in the way (not a folder)") from None
    except OSError as exc:
        raise cannot_write(path, exc) from None
    return path


def sync_folder(folder: str | os.PathLike) -> None:
    """Make the renames inside ``folder`` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_with(path: str | os.PathLike, write: Callable[[IO[bytes]], T]) -> T:
    """Call ``write(handle)`` on a temporary file beside ``path``, sync it, rename it to ``path``;
    return what ``write`` returned.

    The file gets the permissions of a plain ``open()`` under the user's umask. On any error the
    temporary file is removed and ``path`` is left as it was; an ``OSError`` is raised as a
    :class:`WriteError` naming ``path``.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "numbers.bin"
    >>> write_with(target, lambda handle: handle.write(bytes(range(4))))
    4
    >>> target.read_bytes()
    b'\\x00\\x01\\x02\\x03'
    """
    path = Path(path)
    make_folder(path.parent)
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name[:200]}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~current_umask())  # mkstemp gives 0600; a plain open() would not
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise cannot_write(path, exc) from exc
    finally:
        if temporary is not None:
            _remove(temporary)
    sync_folder(path.parent)
    return result


def write_atomic(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8) to ``path`` whole or not at all (:func:`write_with`); return the path.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "note.txt"
    >>> write_atomic(target, "réussi").read_bytes()
    b'r\\xc3\\xa9ussi'
    """
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    write_with(path, lambda handle: handle.write(payload))
    return Path(path)


def _remove(path: str | os.PathLike) -> None:
    """Remove a temporary file; one that cannot be removed is left (the error being reported matters more)."""
    try:
        os.unlink(path)
    except OSError:
        pass


def describe(exc: BaseException) -> str:
    """One line for an ``OSError`` (``[ENOSPC] No space left on device: 'x'``), else ``str(exc)``.

    >>> describe(OSError(errno.EACCES, "Permission denied", "x"))
    "[EACCES] Permission denied: 'x'"
    """
    if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, WriteError):
        name = errno.errorcode.get(exc.errno, f"errno {exc.errno}")
        where = f": {exc.filename!r}" if exc.filename is not None else ""
        return f"[{name}] {exc.strerror}{where}"
    return str(exc)
