"""``text_lm`` (lm): the next character of any UTF-8 text file, in random windows."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.errors import ConfigError
from seqbench.knobs import Knob
from seqbench.spec import TaskSpec, Tokens
from seqbench.task import Task, to_batch

DEFAULT_TEXT = "data/lecture.txt"  #: shipped with the package: an excerpt of seqbench's lecture notes
PORTIONS = {"train": (0.0, 0.8), "val": (0.8, 0.9), "test": (0.9, 1.0), "test_ood": (0.9, 1.0)}
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def read_text(path: str | None, max_bytes: int) -> tuple[str, str]:
    """The text of ``path`` (or of the shipped default when None) and a name for it.

    Reads at most ``max_bytes + 1`` bytes of exactly that file, decodes them as strict UTF-8
    (a leading byte-order mark is dropped) and raises :class:`ConfigError` naming the path
    when the file is missing, not a file, unreadable, empty, larger than ``max_bytes`` or not
    UTF-8. Nothing is ever unpickled or executed.
    """
    if path is None:
        source = files("seqbench.tasks").joinpath(DEFAULT_TEXT)
        data, where = source.read_bytes(), f"seqbench.tasks/{DEFAULT_TEXT}"
    else:
        where = path
        file = Path(path).expanduser()
        if not file.exists():
            raise ConfigError(f"task.path={path!r}: no such file")
        if not file.is_file():
            raise ConfigError(f"task.path={path!r}: not a regular file")
        size = file.stat().st_size
        if size > max_bytes:
            raise ConfigError(f"task.path={path!r}: {size} bytes is more than task.max_bytes={max_bytes} "
                              f"(raise task.max_bytes to use it)")
        try:
            with file.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ConfigError(f"task.path={path!r}: cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:  # the file grew since stat(), or the default text is over the limit
        raise ConfigError(f"task.path={where!r}: more than task.max_bytes={max_bytes} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"task.path={where!r}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    if not text:
        raise ConfigError(f"task.path={where!r}: the file is empty")
    return text, where


class TextLM(Task):
    """Predict the next character of a text file (``path``; default: a lecture excerpt shipped
    with seqbench).

    The vocabulary is the file's characters, sorted by code point. The text is cut into
    contiguous portions, the first 80 % for ``train``, the next 10 % for ``val`` and the last
    10 % for ``test``; an example is a random window of ``length + 1`` characters inside its
    split's portion (inputs: the first ``length``, targets: the last ``length``). ``test_ood``
    draws longer windows, of ``ood_length`` inputs, from the test portion. By default
    ``ood_length`` is ``2 x length``, or as long as the test portion allows; when it allows
    nothing longer than ``length`` the task has no ``test_ood`` split (an ``ood_length`` set
    explicitly must fit, or the task refuses it). Spaces and newlines are shown as ``␣``/``⏎``.

    >>> task = TextLM(length=16)
    >>> batch = task.sample(task.rng(0, "train"), 2)
    >>> print(task.show(batch, 0))
    input:  ␣ s h a r e d ␣ w e i g h t s .
    target: s h a r e d ␣ w e i g h t s . ␣
    mask:   1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    >>> task.splits, task.spec.ood_lengths
    (('train', 'val', 'test', 'test_ood'), (32, 32))
    """

    name = "text_lm"
    version = 1
    description = "next character of a UTF-8 text file (task.path; default: a lecture excerpt)"
    knobs = (
        Knob("path", None, type=str, optional=True, help="UTF-8 text file (default: the shipped lecture excerpt)"),
        Knob("length", 64, low=1, high=1_000_000, help="characters per training window"),
        Knob("ood_length", None, low=2, high=2_000_000, type=int, optional=True,
             help="characters per test_ood window (default: 2 x length, if the test portion allows)"),
        Knob("max_bytes", 10_000_000, low=1, high=10_000_000_000, help="largest file accepted, in bytes"),
    )

    def check_params(self) -> None:
        text, self.source = read_text(self.path, self.max_bytes)
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # one code point per character
        seen = np.zeros(0x110000, dtype=bool)  # every Unicode code point: a linear-time vocabulary
        seen[codes] = True
        self.symbols = tuple(chr(int(c)) for c in np.flatnonzero(seen))  # sorted by code point
        self.ids = np.cumsum(seen, dtype=np.int32)[codes]  # (N,) ids after <pad>: rank among those seen
        N = len(self.ids)
        self.bounds = {split: (int(N * a), int(N * b)) for split, (a, b) in PORTIONS.items()}
        for split in ("train", "val", "test"):
            low, high = self.bounds[split]
            if high - low < self.length + 1:
                raise ConfigError(f"task.length={self.length}: the {split} portion of {self.source!r} has "
                                  f"{high - low} characters; windows need length + 1 (use a shorter length or "
                                  f"a longer text of {N} characters now)")
        room = self.bounds["test"][1] - self.bounds["test"][0] - 1  # the longest window the test portion fits
        if self.ood_length is None:
            longest = min(2 * self.length, room)
            self.ood_length = self.params["ood_length"] = longest if longest > self.length else None
        elif self.ood_length <= self.length:
            raise ConfigError(f"task.ood_length={self.ood_length}: must be > task.length={self.length}")
        elif self.ood_length > room:
            raise ConfigError(f"task.ood_length={self.ood_length}: the test portion of {self.source!r} fits "
                              f"windows of at most {room} characters")

    def data_digest(self) -> dict[str, str]:
        where = str(Path(self.path).expanduser().resolve()) if self.path else f"shipped:{DEFAULT_TEXT}"
        return {"path": where, "sha256": self.sha256}

    def build_spec(self) -> TaskSpec:
        symbols = ("<pad>",) + self.symbols
        ood = None if self.ood_length is None else (self.ood_length, self.ood_length)
        return TaskSpec(kind="lm", input=Tokens(symbols), output=Tokens(symbols), primary_metric="bits_per_char",
                        lengths=(self.length, self.length), ood_lengths=ood)

    def generate(self, rng: np.random.Generator, n: int, split: str):
        T = self.lengths_for(split)[0]
        low, high = self.bounds[split]
        starts = rng.integers(low, high - T, size=n)  # windows of T + 1 characters inside the portion
        window = self.ids[starts[:, None] + np.arange(T + 1)[None, :]]  # (n, T + 1)
        return to_batch(window[:, :-1], window[:, 1:], np.full(n, T), np.ones((n, T), dtype=bool))

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        out["text"] = {"source": self.source, "characters": int(len(self.ids)), "sha256": self.sha256,
                       "portions": {s: list(b) for s, b in self.bounds.items()}}
        return out

    @staticmethod
    def _render(space, values, mask=None) -> str:
        if isinstance(space, Tokens):
            space = Tokens(tuple(VISIBLE.get(s, s if s.isprintable() else repr(s)[1:-1]) for s in space.symbols))
        return Task._render(space, values, mask)
