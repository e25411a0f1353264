"""``digits`` (one_to_one): scikit-learn's 8x8 handwritten digits, flattened.

``test_ood`` is the test images again under Gaussian pixel noise (``ood_noise``): how gracefully
each model's function degrades off the images it was fitted to.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import Classes, TaskSpec, Vector
from seqbench.core.task import Task, to_batch

SPLIT_SEED = 20251028  # fixed: the split is part of the task's definition, not of a run


@lru_cache(maxsize=1)
def _load() -> tuple[np.ndarray, np.ndarray]:
    """Pixels (1797, 64) scaled to [0, 1] and labels (1797,): the file scikit-learn ships and its
    ``load_digits`` reads (rows of 64 pixel counts 0..16 and the label), read here without
    importing scikit-learn (2 s of imports, with scipy, in every process that trains on digits);
    where that file is missing or not as expected, ``load_digits`` itself.
    ``tests/test_tasks.py`` checks it against ``load_digits`` value for value."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")  # finds the package; runs none of its code
    shipped = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz" if spec else None
    if shipped is not None and shipped.is_file():
        table = np.loadtxt(shipped, delimiter=",")  # (1797, 65); numpy reads .gz itself
        pixels, labels = table[:, :-1], table[:, -1]
        if table.shape == (1797, 65) and np.isin(labels, np.arange(10)).all() and np.isin(pixels, np.arange(17)).all():
            return (pixels / 16.0).astype(np.float32), labels.astype(np.int64)
    from sklearn.datasets import load_digits  # ships with scikit-learn; nothing is downloaded

    data = load_digits()
    return (data.data / 16.0).astype(np.float32), data.target.astype(np.int64)


@lru_cache(maxsize=1)
def _split_indices() -> dict[str, np.ndarray]:
    """The fixed 60/20/20 split of the images' indices (computed once, not per draw)."""
    n = len(_load()[1])
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    cut1, cut2 = int(0.6 * n), int(0.8 * n)
    return {"train": order[:cut1], "val": order[cut1:cut2], "test": order[cut2:]}


class Digits(Task):
    """64 pixel intensities in [0, 1] in, the digit 0-9 out (1,797 images in all).

    The images are split once, by a fixed permutation, into train (60 %), val and test
    (20 % each); training batches are drawn from the train part with replacement and
    optional Gaussian pixel noise.

    >>> import numpy as np
    >>> task = Digits()
    >>> batch = task.sample(np.random.default_rng(0), 2, "test")
    >>> tuple(batch.inputs.shape), batch.targets.tolist()
    ((2, 64), [7, 3])
    """

    name = "digits"
    version = 2  # 2: test_ood, the test images under pixel noise
    description = "8x8 digit image (flattened) -> digit class"
    tags = frozenset({"image"})
    partition = "none"
    partition_reason = ("a fixed data set split once: train, val and test are disjoint sets of images "
                        "(no image occurs twice in the data); test_ood is the test images under noise")
    knobs = (
        Knob("noise", 0.0, low=0.0, high=10.0, help="std of Gaussian noise added to training pixels"),
        Knob("ood_noise", 0.25, low=0.0, high=10.0, help="std of the Gaussian pixel noise of test_ood's test images "
             "(0: no test_ood)"),
    )

    def build_spec(self) -> TaskSpec:
        shift = f"the test images with Gaussian pixel noise of std {self.ood_noise:g}" if self.ood_noise > 0 else None
        return TaskSpec(kind="one_to_one", input=Vector(64), output=Classes(10), primary_metric="accuracy",
                        ood_shift=shift)

    def _indices(self, split: str) -> np.ndarray:
        return _split_indices()["test" if split == "test_ood" else split]

    def split_size(self, split: str) -> int | None:
        return len(self._indices(split))

    def input_space(self) -> InputSpace:
        """The 1,797 images (no length), and the share of them each split holds."""
        sizes = {split: len(index) for split, index in _split_indices().items()}
        total = sum(sizes.values())
        return InputSpace({None: total}, unit="images", shares={s: n / total for s, n in sizes.items()})

    def generate(self, rng: np.random.Generator, n: int, split: str):
        images, labels = _load()
        pool = self._indices(split)
        chosen = rng.choice(pool, size=n, replace=(split == "train"))  # eval splits: distinct images
        x = images[chosen]
        if split == "train" and self.noise > 0:
            x = x + rng.normal(0.0, self.noise, size=x.shape).astype(np.float32)
        if split == "test_ood":
            x = x + rng.normal(0.0, self.ood_noise, size=x.shape).astype(np.float32)
        return to_batch(x, labels[chosen])
