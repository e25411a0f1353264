"""Per-example references of the image tasks (see :mod:`naive`): one image at a time."""

from __future__ import annotations

import numpy as np

from naive import reference
from seqbench.core.task import to_batch


@reference("digits")
def digits(task, rng, n, split):
    from seqbench.tasks.digits import _load

    images, labels = _load()
    pool = list(task._indices(split))
    rows, targets = [], []
    for _ in range(n):
        if split == "train":
            index = pool[int(rng.integers(len(pool)))]
        else:  # evaluation splits: distinct images
            index = pool.pop(int(rng.integers(len(pool))))
        pixels = images[index].copy()
        if split == "train" and task.noise > 0:
            pixels += rng.normal(0.0, task.noise, size=pixels.shape).astype(np.float32)
        rows.append(pixels)
        targets.append(int(labels[index]))
    return to_batch(np.stack(rows), np.array(targets))


@reference("shapes", "shapes_rows")
def shapes(task, rng, n, split):
    """Draw each image on its own pixel grid; ``shapes_rows`` keeps the rows as steps."""
    from seqbench.tasks.shapes import CLASSES, REACH, shape_masks

    h, w, c = task.height, task.width, task.channels
    rows, cols = np.arange(h) + 0.5, np.arange(w) + 0.5  # pixel centres
    pictures, labels = [], []
    for _ in range(n):
        label = int(rng.integers(len(CLASSES)))
        size = rng.uniform(task.min_size, task.max_size)
        dy, dx = rng.uniform(-1.0, 1.0, size=2) * task.position
        colour = rng.uniform(0.5, 1.0, size=c).astype(np.float32)
        r = size * min(h, w) / (2 * REACH)
        cy = h / 2 + dy * max(h / 2 - REACH * r, 0.0)
        cx = w / 2 + dx * max(w / 2 - REACH * r, 0.0)
        v = ((rows - cy) / r)[None, :, None]  # (1, H, 1)
        u = ((cols - cx) / r)[None, None, :]  # (1, 1, W)
        picture = shape_masks(np.array([label]), u, v)[0][..., None] * colour  # (H, W, C)
        if task.noise > 0:
            picture += task.noise * rng.standard_normal(picture.shape, dtype=np.float32)
        pictures.append(picture)
        labels.append(label)
    images = np.stack(pictures)
    if task.name == "shapes_rows":
        return to_batch(images.reshape(n, h, -1), np.array(labels), np.full(n, h))
    return to_batch(images.reshape(n, -1), np.array(labels))
