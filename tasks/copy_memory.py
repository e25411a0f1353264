"""``copy_memory`` (tagging): the copy-memory task of Arjovsky, Shah and Bengio (2016)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from seqbench.core.batch import Batch
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, power
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import Task, to_batch

if TYPE_CHECKING:  # torch is imported where tensors are made: listing tasks never loads it
    import torch

LETTERS = "abcdefghijklmnopqrstuvwxyz"
BLANK, MARKER = "-", ":"


class CopyMemory(Task):
    """Remember ``copy_length`` symbols across ``delay`` blanks; write them out after a marker.

    Input (length T + 20 for T = ``delay`` and the default 10 symbols from an alphabet of 8):
    the 10 symbols, T - 1 blanks, the marker ``:``, then 10 blanks. Target, aligned: T + 10
    blanks, then the 10 symbols. Every position is scored. The memoryless strategy (blank for
    the first T + 10 outputs, uniform over the alphabet for the last 10) has cross-entropy
    ``10 ln 8 / (T + 20)`` (0.1733 at T = 100); ``analytic_baselines`` obtains it by scoring that
    predictor with the task's own metric code. A model beats it only by carrying the symbols
    across the delay. The primary metric is that cross-entropy (lower is better): accuracy says
    little here, since the memoryless strategy already expects (T + 11.25) / (T + 20) of it.

    Lengths are fixed per split: ``train``, ``val`` and ``test`` use ``delay``; ``test_ood``
    uses the longer ``ood_delay`` (default 2 x ``delay``), which asks the model to hold the
    symbols for longer than it ever had to in training.

    >>> import numpy as np
    >>> task = CopyMemory(delay=4, copy_length=3, alphabet=4)
    >>> batch = task.sample(np.random.default_rng(0), 1)
    >>> print(task.show(batch, 0))
    input:  d c c - - - : - - -
    target: - - - - - - - d c c
    mask:   1 1 1 1 1 1 1 1 1 1
    >>> round(task.analytic_baselines("test")["memoryless"]["cross_entropy"], 4)  # 3 ln 4 / 10
    0.4159
    """

    name = "copy_memory"
    reference_baseline = "memoryless"
    version = 2  # 2: val and test inputs are never trained on (a hash partition of the input space)
    description = "symbols, a long delay, a marker -> the symbols again (Arjovsky et al. 2016)"
    tags = frozenset({"memory"})
    knobs = (
        Knob("delay", 100, low=1, high=100_000, help="T: blanks between the symbols and the end of the marker"),
        Knob("ood_delay", None, low=2, high=200_000, type=int, optional=True,
             help="T of the test_ood split (default: 2 x delay)"),
        Knob("copy_length", 10, low=1, high=1000, help="symbols to remember"),
        Knob("alphabet", 8, low=2, high=len(LETTERS), help="distinct symbols"),
    )

    def check_params(self) -> None:
        self.resolve_longer("ood_delay", "delay", 2 * self.delay)

    def build_spec(self) -> TaskSpec:
        letters = tuple(LETTERS[: self.alphabet])
        span = 2 * self.copy_length
        return TaskSpec(kind="tagging", input=Tokens(("<pad>",) + letters + (BLANK, MARKER)),
                        output=Tokens(("<pad>", BLANK) + letters),
                        primary_metric="cross_entropy",
                        lengths=(self.delay + span, self.delay + span),
                        ood_lengths=(self.ood_delay + span, self.ood_delay + span))

    def input_space(self) -> InputSpace:
        """One length (delay + 2 x copy_length): every string of ``copy_length`` symbols to remember."""
        return InputSpace({self.delay + 2 * self.copy_length: power(self.alphabet, self.copy_length)})

    def generate(self, rng: np.random.Generator, n: int, split: str):
        K, A = self.copy_length, self.alphabet
        T = self.lengths_for(split)[0] - 2 * K  # the delay of this split
        width = T + 2 * K
        symbols = rng.integers(0, A, size=(n, K))  # (n, K) symbol indices
        inputs = np.full((n, width), A + 1)  # blank
        inputs[:, :K] = symbols + 1
        inputs[:, K + T - 1] = A + 2  # marker
        targets = np.full((n, width), 1)  # blank
        targets[:, T + K:] = symbols + 2
        return to_batch(inputs, targets, np.full(n, width), np.ones((n, width), dtype=bool))

    def memoryless_logits(self, batch: Batch) -> torch.Tensor:
        """Log-probabilities (B, T + 2K, V) of the memoryless strategy on ``batch``.

        Blank with certainty up to the K outputs after the marker, then uniform over the alphabet.
        """
        width, vocab, K = batch.inputs.shape[1], self.spec.output.size, self.copy_length
        import torch

        logits = torch.full((batch.size, width, vocab), -torch.inf)
        logits[:, : width - K, 1] = 0.0  # log 1 for the blank
        logits[:, width - K :, 2:] = -torch.log(torch.tensor(float(self.alphabet)))
        return logits

    def reference_outputs(self, batch: Batch, split: str) -> dict[str, torch.Tensor]:
        """The memoryless strategy on the very evaluation sample (models' excess is measured against it)."""
        return {"memoryless": self.memoryless_logits(batch)}

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        """The memoryless strategy scored with the task's metric code on one batch of ``split``.

        Its cross-entropy is the same for every example (``K ln A / (T + 2K)``), so one batch
        gives it exactly. Its accuracy is the expected one: the probability the strategy gives
        its own top guess, averaged over positions (the symbols are uniform, so that is exact).
        """
        batch = self.sample(self.rng(0, split), 2, split)
        logits = self.memoryless_logits(batch)
        scored = self.summarize(self.score(logits, batch))
        expected_accuracy = float(logits.exp().amax(-1)[batch.target_mask].mean())
        return {"memoryless": {"cross_entropy": scored["cross_entropy"], "accuracy": expected_accuracy}}
