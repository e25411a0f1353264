"""``markov_lm`` (lm): text from a random order-k Markov source with a known entropy rate."""

from __future__ import annotations

import math

import numpy as np

from seqbench.core.entropy import entropy_rate, stationary, stream_floor
from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, power
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import Task, to_batch

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class MarkovLM(Task):
    """Predict the next character of a stream drawn from a fixed random Markov source.

    The source (an order-``order`` transition table with Dirichlet(``concentration``) rows,
    drawn once from ``source_seed``) is part of the task; samples start from its stationary
    distribution. The task computes the exact entropy floor of its streams, so bits per
    character has a known lower bound that no model can beat on average.

    >>> import numpy as np
    >>> task = MarkovLM(length=8, vocab_size=3, order=1)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  c a a c c c c b
    target: a a c c c c b c
    mask:   1 1 1 1 1 1 1 1
    >>> round(task.analytic_baselines("test")["entropy_floor"]["bits_per_char"], 4)
    1.2915
    """

    name = "markov_lm"
    reference_baseline = "true_source"
    version = 1
    description = "character stream from a random order-k Markov source (known entropy floor)"
    tags = frozenset({"language"})
    partition = "none"
    partition_reason = ("an unbounded known source: vocab_size ** length streams, of which a run draws a tiny "
                        "fraction, so a test stream recurs in training only by chance (measured: none "
                        "of the 2,500 val and test streams occurs among 160,000 training streams)")
    knobs = (
        Knob("length", 64, low=1, high=1_000_000, help="characters per training stream"),
        Knob("ood_length", None, low=2, high=2_000_000, type=int, optional=True,
             help="characters per test_ood stream (default: 2 x length)"),
        Knob("vocab_size", 4, low=2, high=len(LETTERS), help="alphabet size"),
        Knob("order", 2, low=0, high=6, help="how many previous characters the source looks at"),
        Knob("concentration", 0.5, low=1e-3, high=1e3, help="Dirichlet concentration: small = more predictable"),
        Knob("source_seed", 0, low=0, high=2**31 - 1, help="seed of the source's transition table"),
    )

    def check_params(self) -> None:
        if self.vocab_size**self.order > 100_000:
            raise ConfigError(f"task.order={self.order}: vocab_size ** order = {self.vocab_size ** self.order} "
                              f"contexts; must be <= 100000")
        self.resolve_longer("ood_length", "length", 2 * self.length)
        if self.length + 1 < self.order:
            raise ConfigError(f"task.length={self.length}: must be >= task.order - 1 = {self.order - 1}")
        rng = np.random.default_rng(self.source_seed)
        self.transitions = rng.dirichlet(np.full(self.vocab_size, self.concentration),
                                         size=self.vocab_size**self.order)  # (V**k, V)
        self.start = stationary(self.transitions, self.order)  # (V**k,)

    def input_space(self) -> InputSpace:
        """Every stream of ``length`` symbols the source can emit (all of them when no transition is 0)."""
        possible = bool((self.transitions > 0).all() and (self.start > 0).all())
        return InputSpace({self.length: power(self.vocab_size, self.length)},
                          bound="exact" if possible else "at most")

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="lm", input=Tokens(("<pad>",) + tuple(LETTERS[: self.vocab_size])),
                        output=Tokens(("<pad>",) + tuple(LETTERS[: self.vocab_size])),
                        primary_metric="bits_per_char",
                        lengths=(self.length, self.length), ood_lengths=(self.ood_length, self.ood_length))

    def generate(self, rng: np.random.Generator, n: int, split: str):
        steps = self.lengths_for(split)[0] + 1  # T inputs and T targets from T + 1 symbols
        V, k = self.vocab_size, self.order
        n_ctx = V**k
        stream = np.empty((n, max(steps, k)), dtype=np.int64)
        context = rng.choice(n_ctx, size=n, p=self.start)  # (n,) stationary start
        for j in range(k):  # the first k symbols are the digits of the start context
            stream[:, j] = (context // V ** (k - 1 - j)) % V
        cdf = np.cumsum(self.transitions, axis=1)  # (n_ctx, V)
        cdf[:, -1] = 1.0
        uniform = rng.random((n, max(steps - k, 0)))
        for j, t in enumerate(range(k, steps)):  # one vectorised step per position
            symbol = (uniform[:, j, None] > cdf[context]).sum(axis=1)  # (n,)
            stream[:, t] = symbol
            context = (context * V + symbol) % n_ctx
        ids = stream[:, :steps] + 1  # symbol ids after <pad>
        T = steps - 1
        return to_batch(ids[:, :-1], ids[:, 1:], np.full(n, T), np.ones((n, T), dtype=bool))

    def true_log_probs(self, inputs: np.ndarray) -> np.ndarray:
        """The source's own log P(next symbol | prefix) for input ids (n, T): (n, T, vocab).

        Inside the first ``order`` symbols (the stationary start context) the next symbol's
        probability is the stationary marginal given the prefix; after that, the transition
        row of the last ``order`` symbols.
        """
        V, k = self.vocab_size, self.order
        symbols = np.asarray(inputs, dtype=np.int64) - 1  # (n, T) s_0 .. s_{T-1}
        n, T = symbols.shape
        probs = np.empty((n, T, V))
        for t in range(T):  # position t predicts s_{t+1} from s_0 .. s_t
            if t + 1 < k:
                joint = self.start.reshape(V ** (t + 2), -1).sum(1).reshape(V ** (t + 1), V)  # P(s_0..s_t, s_{t+1})
                prefix = (symbols[:, : t + 1] * V ** np.arange(t, -1, -1)).sum(1)
                rows = joint[prefix]
                probs[:, t] = rows / rows.sum(1, keepdims=True)
            else:
                context = (symbols[:, t + 1 - k: t + 1] * V ** np.arange(k - 1, -1, -1)).sum(1) if k else 0
                probs[:, t] = self.transitions[context]
        with np.errstate(divide="ignore"):
            logp = np.log(probs)
        return np.concatenate([np.full((n, T, 1), -np.inf), logp], axis=2)  # <pad> is never next

    def reference_outputs(self, batch, split: str) -> dict:
        """The true source, scored on the very evaluation sample (models' excess is measured against it)."""
        import torch

        return {"true_source": torch.from_numpy(self.true_log_probs(batch.inputs.numpy())).float()}

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        """The entropy floor of this split's streams, and the source's entropy rate."""
        T = self.lengths_for(split)[0]
        floor = stream_floor(self.transitions, self.order, T)
        rate = entropy_rate(self.transitions, self.order)
        return {
            "entropy_floor": {"cross_entropy": floor, "bits_per_char": floor / math.log(2),
                              "perplexity": math.exp(floor)},
            "entropy_rate": {"cross_entropy": rate, "bits_per_char": rate / math.log(2),
                             "perplexity": math.exp(rate)},
        }
