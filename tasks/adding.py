"""``adding`` (many_to_one, regression): the adding problem of Hochreiter and Schmidhuber (1997)."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spec import Real, TaskSpec, Vector
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch

VALUE_LOW, VALUE_HIGH = 0.0, 1.0  #: values are uniform on [VALUE_LOW, VALUE_HIGH)
MARKED = 2  #: how many steps carry the marker


class Adding(SequenceTask):
    """Steps of (value, marker) in; the sum of the two marked values out.

    Each step is a :class:`~seqbench.core.spec.Vector` of two features: a value uniform in [0, 1)
    and a marker that is 1 at exactly two steps and 0 elsewhere. One marker falls uniformly in
    the first half of the sequence (``[0, L // 2)``), the other in the second half, so the
    model must hold the first value for up to ``L`` steps. Padding steps are all zeros. The
    target is the sum of the two marked values; the primary metric is the mean squared error
    (lower is better). Always predicting 1 (the mean of the target) scores 1/6, the variance
    of the sum of two independent U(0, 1) values: ``analytic_baselines`` derives it.

    Below, marked values are in brackets and padding is ``·``:

    >>> import numpy as np
    >>> task = Adding(length=6, min_length=4)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  [0.27] 0.04 0.02 [0.81] 0.91 0.61
    target: 1.083
    >>> print(task.show(batch, 1))
    input:  0.73 [0.54] 0.94 0.82 [0.00] ·
    target: 0.546
    >>> round(task.analytic_baselines("test")["constant_1"]["mse"], 6)
    0.166667
    """

    name = "adding"
    reference_baseline = "constant_1"
    version = 2  # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "(value, marker) steps -> sum of the two marked values (regression)"
    tags = frozenset({"memory"})
    partition = "none"
    partition_reason = "continuous inputs: every value is a uniform real number, so an input recurs with probability 0"
    knobs = (Knob("min_length", 2, low=MARKED, high=100_000, help="shortest training sequence"),) \
        + length_knobs(length=50)[1:]

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="many_to_one", input=Vector(2), output=Real(), primary_metric="mse",
                        lengths=(self.min_length, self.length),
                        ood_lengths=(self.length + 1, self.ood_length))

    def generate(self, rng: np.random.Generator, n: int, split: str):
        lengths = self.sample_lengths(rng, n, split)  # (n,)
        width = int(lengths.max())
        mask = padding_mask(lengths, width)  # (n, width)
        values = VALUE_LOW + (VALUE_HIGH - VALUE_LOW) * rng.random((n, width))
        half = lengths // 2
        first = (rng.random(n) * half).astype(np.int64)  # uniform in [0, L // 2)
        second = half + (rng.random(n) * (lengths - half)).astype(np.int64)  # uniform in [L // 2, L)
        rows = np.arange(n)
        markers = np.zeros((n, width))
        markers[rows, first] = 1.0
        markers[rows, second] = 1.0
        inputs = np.stack([values, markers], axis=-1) * mask[:, :, None]  # (n, width, 2)
        targets = values[rows, first] + values[rows, second]
        return to_batch(inputs, targets, lengths)

    def reference_outputs(self, batch, split: str) -> dict:
        """Always predicting 1, on the very evaluation sample (models' excess is measured against it)."""
        import torch

        return {"constant_1": torch.ones(batch.size)}

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        """Always predicting 1: its MSE from the value distribution, not typed in.

        The target is a sum of MARKED independent U(a, b) values, so its mean is
        ``MARKED (a + b) / 2`` and its variance ``MARKED (b - a)**2 / 12``; a constant c scores
        ``variance + (mean - c)**2``. For U(0, 1) and two markers: 2/12 + 0 = 1/6.
        """
        mean = MARKED * (VALUE_LOW + VALUE_HIGH) / 2
        variance = MARKED * (VALUE_HIGH - VALUE_LOW) ** 2 / 12
        constant = 1.0
        return {"constant_1": {"mse": variance + (mean - constant) ** 2}}

    def show(self, batch, i: int = 0) -> str:
        """One example: values with the marked ones in brackets, padding as ``·``."""
        steps = batch.inputs[i].numpy()  # (width, 2)
        length = int(batch.lengths[i])
        shown = [f"[{v:.2f}]" if m else f"{v:.2f}" for v, m in steps[:length]] + ["·"] * (len(steps) - length)
        return f"input:  {' '.join(shown)}\ntarget: {float(batch.targets[i]):.3f}"
