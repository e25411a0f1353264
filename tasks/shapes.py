"""``shapes`` (one_to_one) and ``shapes_rows`` (many_to_one): synthetic images of simple shapes.

One generator draws colour images of a circle, square, triangle or cross at any resolution,
with knobs for the shape's size, how far it may sit from the centre, and pixel noise. Two
views of the same images are registered, because a task's kind is fixed per class:

* ``shapes`` gives each image as one flat vector of height x width x channels numbers, for
  one_to_one models (a fully connected ``mlp`` pays one weight per number per hidden unit);
* ``shapes_rows`` gives it as a sequence of ``height`` rows of width x channels numbers, for
  recurrent models that read one row per step (their weights do not depend on the height).

Both views draw from the same seed streams, so the same seed gives the same images in both.
"""

from __future__ import annotations

import math
import zlib
from typing import ClassVar

import numpy as np

from seqbench.core.batch import Batch
from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spec import Classes, TaskSpec, Vector
from seqbench.core.task import SPLITS, Task, to_batch

CLASSES = ("circle", "square", "triangle", "cross")

# Every shape is drawn with the area of the unit disc (pi r^2), so neither the number of lit
# pixels nor the brightness tells the classes apart, only the outline. In units of r:
SQUARE_HALF = math.sqrt(math.pi) / 2  # half side: (2 a)^2 = pi
TRIANGLE_SIDE = math.sqrt(4 * math.pi / math.sqrt(3))  # equilateral: s^2 sqrt(3) / 4 = pi
TRIANGLE_HEIGHT = TRIANGLE_SIDE * math.sqrt(3) / 2
CROSS_ARM = math.sqrt(9 * math.pi / 20)  # half length b of each arm; half width b / 3: 20 b^2 / 9 = pi
#: Largest distance from the centre to the edge of any shape's bounding box (the triangle's
#: apex, at 2/3 of its height above the centroid); placement uses it for every class alike.
REACH = 2 * TRIANGLE_HEIGHT / 3

KNOBS: tuple[Knob, ...] = (
    Knob("height", 16, low=4, high=8192, help="image height in pixels (rows)"),
    Knob("width", None, low=4, high=8192, type=int, optional=True, help="image width in pixels (default: = height)"),
    Knob("channels", 3, low=1, high=4, help="numbers per pixel (3: colour)"),
    Knob("min_size", 0.5, low=0.05, high=1.0, help="smallest shape, as a fraction of the shorter side"),
    Knob("max_size", 0.9, low=0.05, high=1.0, help="largest shape, as a fraction of the shorter side"),
    Knob("position", 1.0, low=0.0, high=1.0,
         help="how far from the centre a shape may sit: 0 always centred, 1 anywhere it fits"),
    Knob("noise", 0.1, low=0.0, high=10.0, help="std of Gaussian noise added to every pixel"),
)


def shape_masks(labels: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Which pixels each shape covers, from coordinates in units of its size (vectorised).

    ``u`` (n, 1, W) and ``v`` (n, H, 1) are each pixel centre's offsets from the shape's centre,
    divided by its size r (v grows downwards); the result is a bool mask (n, H, W).

    >>> u = np.array([-1.2, 0.0, 1.2])[None, None, :]
    >>> v = np.array([-1.2, 0.0, 1.2])[None, :, None]
    >>> shape_masks(np.array([3]), u, v)[0].astype(int).tolist()  # a cross
    [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    """
    masks = np.zeros((labels.shape[0], v.shape[1], u.shape[2]), dtype=bool)
    for k, _ in enumerate(CLASSES):
        idx = np.flatnonzero(labels == k)
        if idx.size == 0:
            continue
        x, y = u[idx], v[idx]  # (m, 1, W), (m, H, 1)
        ax, ay = np.abs(x), np.abs(y)
        if k == 0:  # circle
            masks[idx] = x * x + y * y <= 1.0
        elif k == 1:  # square
            masks[idx] = (ax <= SQUARE_HALF) & (ay <= SQUARE_HALF)
        elif k == 2:  # triangle, apex up, centroid at the centre
            top = -2 * TRIANGLE_HEIGHT / 3
            rise = (y - top) / TRIANGLE_HEIGHT  # 0 at the apex, 1 at the base
            masks[idx] = (rise >= 0) & (rise <= 1) & (ax <= rise * TRIANGLE_SIDE / 2)
        else:  # cross (plus sign)
            arm = CROSS_ARM / 3
            masks[idx] = ((ax <= arm) & (ay <= CROSS_ARM)) | ((ay <= arm) & (ax <= CROSS_ARM))
    return masks


class _ShapeImages(Task):
    """Shared knobs, generator and seed streams of the two views."""

    knobs = KNOBS
    version = 1
    partition = "none"
    partition_reason = ("continuous inputs: every image has a real-valued size, place and colour (and pixel "
                        "noise), so an input recurs with probability 0")
    class_names: ClassVar[tuple[str, ...]] = CLASSES
    STREAM: ClassVar[str] = "shapes"  # both views draw from the streams of this name

    def check_params(self) -> None:
        if self.min_size > self.max_size:
            raise ConfigError(f"task.min_size={self.min_size}: must be <= task.max_size={self.max_size}")
        if self.width is None:
            self.width = self.params["width"] = self.height

    def rng(self, seed: int, split: str) -> np.random.Generator:
        """Streams per (seed, split) shared by ``shapes`` and ``shapes_rows``: same seed, same images."""
        self._check_split(split)
        return np.random.default_rng([seed, SPLITS.index(split), zlib.crc32(self.STREAM.encode())])

    def images(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` images (n, H, W, C) float32 and their labels (n,) int64."""
        h, w, c = self.height, self.width, self.channels
        labels = rng.integers(len(CLASSES), size=n)
        size = rng.uniform(self.min_size, self.max_size, size=n)  # fraction of the shorter side
        offset = rng.uniform(-1.0, 1.0, size=(n, 2)) * self.position  # (dy, dx) in [-1, 1]
        colour = rng.uniform(0.5, 1.0, size=(n, c)).astype(np.float32)
        r = size * min(h, w) / (2 * REACH)  # (n,) pixels per unit of shape size
        cy = h / 2 + offset[:, 0] * np.maximum(h / 2 - REACH * r, 0.0)
        cx = w / 2 + offset[:, 1] * np.maximum(w / 2 - REACH * r, 0.0)
        rows, cols = np.arange(h) + 0.5, np.arange(w) + 0.5  # pixel centres
        v = ((rows[None, :] - cy[:, None]) / r[:, None])[:, :, None]  # (n, H, 1)
        u = ((cols[None, :] - cx[:, None]) / r[:, None])[:, None, :]  # (n, 1, W)
        masks = shape_masks(labels, u, v)  # (n, H, W)
        pictures = masks[..., None] * colour[:, None, None, :]  # (n, H, W, C) float32
        if self.noise > 0:
            pictures += self.noise * rng.standard_normal(pictures.shape, dtype=np.float32)
        return pictures, labels

    def picture(self, batch: Batch, i: int = 0) -> str:
        """Example ``i`` as text: ``#`` (else ``·``) where the pixel's mean over channels exceeds 0.25."""
        image = batch.inputs[i].numpy().reshape(self.height, self.width, self.channels).mean(-1)
        return "\n".join("".join("#" if p > 0.25 else "·" for p in row) for row in image)

    def show(self, batch: Batch, i: int = 0) -> str:
        return f"{self.picture(batch, i)}\ntarget: {CLASSES[int(batch.targets[i])]}"


class Shapes(_ShapeImages):
    """An image of a shape, flattened to height x width x channels numbers -> its class.

    Circle, square, triangle and cross all have the same area; size, position, colour and
    noise vary. Chance is 25 %.

    >>> import numpy as np
    >>> task = Shapes(height=8, width=10, channels=1, noise=0.0)
    >>> batch = task.sample(task.rng(0, "train"), 2)
    >>> tuple(batch.inputs.shape)  # 8 x 10 x 1 numbers per image
    (2, 80)
    >>> print(task.show(batch, 0))
    ··········
    ·····#····
    ·····##···
    ····####··
    ····####··
    ···######·
    ··········
    ··········
    target: triangle
    """

    name = "shapes"
    description = "image of a shape (flattened pixels) -> circle, square, triangle or cross"
    tags = frozenset({"image"})

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="one_to_one", input=Vector(self.height * self.width * self.channels),
                        output=Classes(len(CLASSES), CLASSES), primary_metric="accuracy")

    def generate(self, rng: np.random.Generator, n: int, split: str) -> Batch:
        pictures, labels = self.images(rng, n)
        return to_batch(pictures.reshape(n, -1), labels)  # (n, H*W*C)


class ShapesRows(_ShapeImages):
    """The same images as ``shapes``, read as a sequence of rows -> the shape's class.

    Each of the ``height`` steps is one row of width x channels numbers, so a recurrent
    model's weights depend on the width but not on the height.

    >>> import numpy as np
    >>> rows = ShapesRows(height=8, width=10, channels=1, noise=0.0)
    >>> batch = rows.sample(rows.rng(0, "train"), 2)
    >>> tuple(batch.inputs.shape), batch.lengths.tolist()  # (B, T = height, width x channels)
    ((2, 8, 10), [8, 8])
    >>> flat = Shapes(height=8, width=10, channels=1, noise=0.0)
    >>> bool((batch.inputs.reshape(2, -1) == flat.sample(flat.rng(0, "train"), 2).inputs).all())
    True
    """

    name = "shapes_rows"
    description = "image of a shape, one row per step -> circle, square, triangle or cross"
    tags = frozenset({"image"})

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="many_to_one", input=Vector(self.width * self.channels),
                        output=Classes(len(CLASSES), CLASSES), primary_metric="accuracy",
                        lengths=(self.height, self.height))

    def generate(self, rng: np.random.Generator, n: int, split: str) -> Batch:
        pictures, labels = self.images(rng, n)
        return to_batch(pictures.reshape(n, self.height, -1), labels, np.full(n, self.height))  # (n, H, W*C)
