"""``cycle_navigation`` (regular, many_to_one): where does a walk on a cycle end?"""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import ClassificationTask, chomsky_knobs, uniform_symbols

MOVES = np.array([-1, 0, 1])  #: the step of each action: L, S, R


class CycleNavigation(ClassificationTask):
    """Actions L (one step back), S (stay), R (one step forward) on a cycle of ``cycle_length``
    positions, starting at 0; the label is the final position (sum of steps mod cycle length).

    The exact label distribution of each length comes from convolving the step distribution;
    it is not uniform for short walks, so ``majority_exact`` (always answering position 0) beats
    chance on training lengths.

    >>> import numpy as np
    >>> task = CycleNavigation(length=6)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  S S L L L L
    target: 1
    >>> print(task.show(batch, 1))
    input:  L L R S R S
    target: 0
    """

    name = "cycle_navigation"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "regular"
    description = "[regular] actions L/S/R on a cycle of 5 -> final position (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("cycle_length", 5, low=2, high=1000, help="positions on the cycle (classes)"))
    symbols = ("L", "S", "R")

    def n_classes(self) -> int:
        return self.cycle_length

    def class_names(self) -> tuple[str, ...]:
        return tuple(str(i) for i in range(self.cycle_length))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        actions = uniform_symbols(rng, lengths, 3)  # (n, W)
        inside = np.arange(actions.shape[1])[None, :] < lengths[:, None]
        return actions, (MOVES[actions] * inside).sum(1) % self.cycle_length

    def label_probabilities(self, length: int) -> np.ndarray:
        position = np.zeros(self.cycle_length)
        position[0] = 1.0
        for _ in range(length):  # one step: the mean of the three shifted distributions
            position = sum(np.roll(position, m) for m in MOVES) / 3
        return position
