"""``captioning`` (one_to_many): a scene as one feature vector in, its caption out, word by word."""

from __future__ import annotations

import math

import numpy as np

from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, capped, power
from seqbench.core.spec import EOS, TaskSpec, Tokens, Vector
from seqbench.core.task import Task, padding_mask, to_batch

SHAPES = ("circle", "square", "triangle", "star", "cross", "heart", "diamond", "hexagon")
PLURALS = ("circles", "squares", "triangles", "stars", "crosses", "hearts", "diamonds", "hexagons")
COLOURS = ("red", "blue", "green", "yellow", "purple", "black", "white", "grey")
SIZES = ("", "small", "large", "tiny", "huge")  # size 0 is the ordinary size and is not spoken
COUNTS = ("", "a", "two", "three", "four", "five", "six", "seven", "eight", "nine")
WORDS_PER_GROUP = 5  # separator, count, size, colour, shape (some left out)


class Captioning(Task):
    """A scene of object groups in; its caption out, one word per step, then ``<eos>``.

    A scene holds ``min_objects`` to ``max_objects`` groups of objects. A group is a kind of
    object (shape, colour, size) and how many of it there are (1 to ``max_count``); the kinds
    in a scene are distinct. The scene is one feature vector: for every kind, in the order
    ``(shape * n_colours + colour) * n_sizes + size``, a one-hot count over 1..``max_count``
    (all zeros when the kind is absent), so the input has ``n_shapes * n_colours * n_sizes *
    max_count`` features. The caption lists the groups in that same canonical order, as
    words: count ("a" for one), size (the first size is ordinary and left out), colour, shape
    (plural from two on); groups are joined by "," and a final "and".

    >>> task = Captioning(n_shapes=2, n_colours=2, n_sizes=2, max_count=2)  # 16 features
    >>> batch = task.sample(task.rng(1, "train"), 3)
    >>> print(task.show(batch, 1))  # feature 0: one red circle; 10: one small red square
    input:  1 0 0 0 0 0 0 0 0 0 1 0 0 0 0 0
    target: a red circle and a small red square <eos> _ _ _
    mask:   1 1 1 1 1 1 1 1 1 0 0 0
    >>> print(task.show(batch, 2))
    input:  0 1 0 0 1 0 0 0 0 0 0 0 1 0 0 0
    target: two red circles , a blue circle and a blue square <eos>
    mask:   1 1 1 1 1 1 1 1 1 1 1 1
    """

    name = "captioning"
    version = 2  # 2: val and test inputs are never trained on (a hash partition of the input space)
    description = "scene of object groups (one feature vector) -> caption words in canonical order"
    tags = frozenset({"language"})
    knobs = (
        Knob("min_objects", 1, low=1, high=8, help="fewest object groups in a scene"),
        Knob("max_objects", 3, low=1, high=8, help="most object groups in a scene"),
        Knob("max_count", 3, low=1, high=len(COUNTS) - 1, help="most objects in a group"),
        Knob("n_shapes", 4, low=1, high=len(SHAPES), help="number of shapes"),
        Knob("n_colours", 4, low=1, high=len(COLOURS), help="number of colours"),
        Knob("n_sizes", 3, low=1, high=len(SIZES), help="number of sizes (the first is not spoken)"),
    )

    @property
    def n_kinds(self) -> int:
        """Distinct (shape, colour, size) combinations."""
        return self.n_shapes * self.n_colours * self.n_sizes

    def check_params(self) -> None:
        if self.min_objects > self.max_objects:
            raise ConfigError(f"task.min_objects={self.min_objects}: must be <= task.max_objects={self.max_objects}")
        if self.max_objects > self.n_kinds:
            raise ConfigError(f"task.max_objects={self.max_objects}: must be <= n_shapes * n_colours * n_sizes "
                              f"= {self.n_kinds} (the groups of a scene are distinct kinds)")
        words = ["and"] * (self.max_objects >= 2) + [","] * (self.max_objects >= 3)
        words += list(COUNTS[1 : self.max_count + 1]) + list(SIZES[1 : self.n_sizes])
        words += list(COLOURS[: self.n_colours]) + list(SHAPES[: self.n_shapes])
        words += list(PLURALS[: self.n_shapes]) * (self.max_count >= 2)
        self.vocabulary = ("<pad>", "<eos>") + tuple(words)
        index = {w: i for i, w in enumerate(self.vocabulary)}

        def ids(names):  # word ids of a table of words; -1 for words that are never said
            return np.array([index.get(w, -1) for w in names], dtype=np.int64)

        self._count_ids, self._size_ids = ids(COUNTS[: self.max_count + 1]), ids(SIZES[: self.n_sizes])
        self._colour_ids, self._shape_ids = ids(COLOURS[: self.n_colours]), ids(SHAPES[: self.n_shapes])
        self._plural_ids, self._and, self._comma = ids(PLURALS[: self.n_shapes]), index.get("and"), index.get(",")

    def longest_output(self) -> int:
        """Longest caption (EOS included): every group has 3 words, sized ones 4, plus separators."""
        sized = min(self.max_objects, self.n_shapes * self.n_colours * (self.n_sizes - 1))
        return 3 * self.max_objects + sized + (self.max_objects - 1) + 1

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="one_to_many", input=Vector(self.n_kinds * self.max_count),
                        output=Tokens(self.vocabulary), primary_metric="token_accuracy",
                        max_output_length=self.longest_output())

    def input_space(self) -> InputSpace:
        """Scenes (no length): a set of ``min_objects`` to ``max_objects`` distinct kinds, each with a
        count in 1..max_count; every scene is a distinct feature vector."""
        return InputSpace({None: capped(sum(math.comb(self.n_kinds, g) * power(self.max_count, g)
                                             for g in range(self.min_objects, self.max_objects + 1)))})

    def generate(self, rng: np.random.Generator, n: int, split: str):
        G = self.max_objects
        groups = rng.integers(self.min_objects, G + 1, size=n)  # (n,) groups per scene
        present = padding_mask(groups, G)  # (n, G)
        kinds = np.argsort(rng.random((n, self.n_kinds)), axis=1)[:, :G]  # distinct kinds, random
        kinds = np.sort(np.where(present, kinds, self.n_kinds), axis=1)  # canonical order, absent last
        counts = rng.integers(1, self.max_count + 1, size=(n, G))  # (n, G)
        features = np.zeros((n, self.n_kinds * self.max_count), dtype=np.float32)
        rows, slots = np.nonzero(present)
        features[rows, kinds[rows, slots] * self.max_count + counts[rows, slots] - 1] = 1.0

        kinds = np.where(present, kinds, 0)
        size = kinds % self.n_sizes
        colour = (kinds // self.n_sizes) % self.n_colours
        shape = kinds // (self.n_sizes * self.n_colours)
        slot = np.arange(G)[None, :]
        last = slot == groups[:, None] - 1
        words = np.stack([  # (n, G, 5) candidate words of each group, in caption order
            np.where(last, self._and if self._and is not None else 0, self._comma if self._comma is not None else 0),
            self._count_ids[counts],
            self._size_ids[size],
            self._colour_ids[colour],
            np.where(counts == 1, self._shape_ids[shape], self._plural_ids[shape]),
        ], axis=2)
        said = np.stack([present & (slot > 0), present, present & (size > 0), present, present], axis=2)
        words, said = words.reshape(n, -1), said.reshape(n, -1)  # (n, G * 5)
        order = np.argsort(~said, axis=1, kind="stable")  # said words first, in caption order
        words = np.take_along_axis(np.where(said, words, 0), order, axis=1)
        n_words = said.sum(axis=1)  # (n,)
        width = int(n_words.max()) + 1
        targets = np.zeros((n, width), dtype=np.int64)
        targets[:, : min(width, words.shape[1])] = words[:, :width]
        targets[np.arange(n), n_words] = EOS
        return to_batch(features, targets, None, padding_mask(n_words + 1, width))
