"""``text_lm`` (lm): the next character of a text, in random windows of contiguous portions.

The default text is the English prose that ships with every Python: the documentation topics of
``pydoc_data.topics`` (what ``help("assert")`` prints; about 465 KB, under the PSF License
Agreement). Some topics repeat others word for word (``compound`` holds ``try``, ``with``,
``while``...; ``specialnames`` holds ``customization``...), so each paragraph is kept only where
it first occurs, in the order of the topics' names: 373,216 characters in Python 3.11.7, cut
76/12/12 % so that ``val`` and ``test`` are 44,786 characters of contiguous text each (a file of
one's own, ``path``, and the lecture excerpt are cut 80/10/10 %). The text varies a little
between Python releases (the raw topics are 458,917 characters in 3.10.13, 464,970 in 3.11.7,
492,155 in 3.12.1), so a run records its SHA-256 (``data_digest``) and the Python version.
``corpus=lecture`` is the 6.5 KB lecture excerpt shipped with seqbench; ``path`` any UTF-8 file.
"""

from __future__ import annotations

import hashlib
import platform
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import Task, to_batch

LECTURE = "data/lecture.txt"  #: shipped with the package: an excerpt of seqbench's lecture notes (corpus=lecture)
CORPORA = ("pydoc", "lecture")  #: pydoc: Python's own documentation topics (pydoc_data.topics), in every Python
PORTIONS = {"train": (0.0, 0.8), "val": (0.8, 0.9), "test": (0.9, 1.0), "test_ood": (0.9, 1.0)}
#: the documentation topics: 12 % each for val and test, so that each is over 40 KB of text
PYDOC_PORTIONS = {"train": (0.0, 0.76), "val": (0.76, 0.88), "test": (0.88, 1.0), "test_ood": (0.88, 1.0)}
VISIBLE = {" ": "␣", "\n": "⏎", "\t": "⇥"}


def pydoc_topics() -> str:
    """The documentation topics of this Python's standard library (``pydoc_data.topics``, PSF License
    Agreement) in the order of their names, one blank line between topics, each paragraph kept only
    where it first occurs (a topic that repeats another's text would put training text into val and
    test): English prose about Python's statements and types, with some grammar and code."""
    from pydoc_data.topics import topics

    seen: set[str] = set()
    kept = []
    for name in sorted(topics):
        paragraphs = []
        for paragraph in topics[name].split("\n\n"):
            if paragraph.strip() and paragraph.strip() in seen:
                continue
            seen.add(paragraph.strip())
            paragraphs.append(paragraph)
        kept.append("\n\n".join(paragraphs))
    return "\n".join(kept)


def read_text(path: str | None, max_bytes: int, corpus: str = "pydoc") -> tuple[str, str]:
    """The text of ``path`` (or of the built-in ``corpus`` when None) and a name for it.

    Reads at most ``max_bytes + 1`` bytes of exactly that file, decodes them as strict UTF-8
    (a leading byte-order mark is dropped) and raises :class:`ConfigError` naming the path
    when the file is missing, not a file, unreadable, empty, larger than ``max_bytes`` or not
    UTF-8. Nothing is ever unpickled or executed.
    """
    if path is None and corpus == "pydoc":
        data, where = pydoc_topics().encode("utf-8"), f"pydoc_data.topics (Python {platform.python_version()})"
    elif path is None:
        source = files("seqbench.tasks").joinpath(LECTURE)
        data, where = source.read_bytes(), f"seqbench.tasks/{LECTURE}"
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
    """Predict the next character of a text (default: Python's documentation topics; ``corpus`` or
    ``path`` choose another).

    The vocabulary is the text's characters, sorted by code point. The text is cut into
    contiguous portions, the first 80 % for ``train``, the next 10 % for ``val`` and the last
    10 % for ``test`` (76, 12 and 12 % of the documentation topics); an example is a random
    window of ``length + 1`` characters inside its split's portion (inputs: the first
    ``length``, targets: the last ``length``), so no window crosses from one portion into
    another. ``test_ood`` draws longer windows, of ``ood_length`` inputs, from the test portion. By default ``ood_length`` is ``2 x length``, or as long as the
    test portion allows; when it allows nothing longer than ``length`` the task has no
    ``test_ood`` split (an ``ood_length`` set explicitly must fit, or the task refuses it). Spaces
    and newlines are shown as ``␣``/``⏎``.

    >>> task = TextLM(length=16, corpus="lecture")
    >>> batch = task.sample(task.rng(0, "train"), 2)
    >>> print(task.show(batch, 0))
    input:  ␣ s h a r e d ␣ w e i g h t s .
    target: s h a r e d ␣ w e i g h t s . ␣
    mask:   1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    >>> task.splits, task.spec.ood_lengths
    (('train', 'val', 'test', 'test_ood'), (32, 32))
    >>> sizes = TextLM().describe()["text"]["portions"]
    >>> all(high - low >= 40_000 for low, high in (sizes["val"], sizes["test"]))  # 40 KB and more each
    True
    """

    name = "text_lm"
    version = 2  # 2: the default text is Python's documentation topics (pydoc_data.topics), not the lecture excerpt
    description = "next character of a text (default: Python's pydoc topics, ~465 KB; corpus=lecture, task.path)"
    tags = frozenset({"language"})
    partition = "none"
    partition_reason = ("train, val and test are contiguous, disjoint portions of the text (80, 10 and 10 %; "
                        "76, 12 and 12 % of the documentation topics, whose repeated paragraphs are dropped), and "
                        "no window crosses from one portion into another")
    knobs = (
        Knob("corpus", "pydoc", choices=CORPORA, help="built-in text: pydoc (Python's documentation topics, "
             "~465 KB, PSF License) or lecture (a 6.5 KB excerpt of the lecture notes); task.path overrides it"),
        Knob("path", None, type=str, optional=True, help="UTF-8 text file (default: the corpus knob's text)"),
        Knob("length", 64, low=1, high=1_000_000, help="characters per training window"),
        Knob("ood_length", None, low=2, high=2_000_000, type=int, optional=True,
             help="characters per test_ood window (default: 2 x length, if the test portion allows)"),
        Knob("max_bytes", 10_000_000, low=1, high=10_000_000_000, help="largest file accepted, in bytes"),
    )

    def check_params(self) -> None:
        text, self.source = read_text(self.path, self.max_bytes, self.corpus)
        self.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)  # one code point per character
        seen = np.zeros(0x110000, dtype=bool)  # every Unicode code point: a linear-time vocabulary
        seen[codes] = True
        self.symbols = tuple(chr(int(c)) for c in np.flatnonzero(seen))  # sorted by code point
        self.ids = np.cumsum(seen, dtype=np.int32)[codes]  # (N,) ids after <pad>: rank among those seen
        N = len(self.ids)
        portions = PYDOC_PORTIONS if self.path is None and self.corpus == "pydoc" else PORTIONS
        self.bounds = {split: (int(N * a), int(N * b)) for split, (a, b) in portions.items()}
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
        if self.path:
            where = str(Path(self.path).expanduser().resolve())
        else:
            where = f"shipped:{LECTURE}" if self.corpus == "lecture" else f"stdlib:{self.source}"
        return {"path": where, "sha256": self.sha256}

    def input_space(self) -> InputSpace:
        """The windows of ``length + 1`` characters inside a portion (start positions; repeated
        passages make some windows alike), and the share of the text each split's portion holds."""
        windows = {split: max(high - low - self.length, 0) for split, (low, high) in self.bounds.items()
                   if split != "test_ood"}
        portions = PYDOC_PORTIONS if self.path is None and self.corpus == "pydoc" else PORTIONS
        return InputSpace({self.length: sum(windows.values())}, bound="at most", unit="windows",
                          shares={split: b - a for split, (a, b) in portions.items() if split != "test_ood"})

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
