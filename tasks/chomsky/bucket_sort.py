"""``bucket_sort`` (context-sensitive, output-aligned): sort a string over a small alphabet."""

from __future__ import annotations

import numpy as np

from seqbench.core.options import Knob
from seqbench.tasks.chomsky._common import StringTransduction, chomsky_knobs, uniform_symbols


class BucketSort(StringTransduction):
    """A string over ``0..vocab_size-1`` (5 symbols in the paper) in; the same symbols sorted in
    increasing order out, in the output-aligned format (``n`` blank steps, output length ``n``).

    Closed form (``position_prior_exact``): the best predictor that knows the string's length and
    the output position but not the string answers the most likely value of that order statistic;
    the ``j``-th smallest of ``n`` uniform symbols is ``<= v`` when at least ``j`` of them are,
    a binomial tail. Its accuracy, pooled over scored positions as ``accuracy`` is, is computed
    for the split's lengths; long sorted strings are nearly determined by the position alone (about
    0.92 on the default test_ood grid, 0.72 on training lengths), so compare models with it,
    not with chance. By length it rises from 0.78 at 41 symbols to 0.94 at 500, 0.894 averaged
    over the 8 lengths (the paper's score, ``length_mean``):

    >>> grid = [int(n) for n in BucketSort().split_string_lengths("test_ood")]
    >>> grid
    [41, 107, 172, 238, 303, 369, 434, 500]
    >>> by_length = [_order_statistic_hits(n, 5) / n for n in grid]
    >>> round(by_length[0], 2), round(by_length[-1], 2), round(float(np.mean(by_length)), 3)
    (0.78, 0.94, 0.894)

    >>> import numpy as np
    >>> task = BucketSort(length=5)
    >>> batch = task.sample(np.random.default_rng(0), 2)
    >>> print(task.show(batch, 0))
    input:  0 0 0 4 3 ? ? ? ? ?
    target: _ _ _ _ _ 0 0 0 3 4
    mask:   0 0 0 0 0 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  4 2 3 4 3 ? ? ? ? ?
    target: _ _ _ _ _ 2 3 3 4 4
    mask:   0 0 0 0 0 1 1 1 1 1
    """

    name = "bucket_sort"
    version = 3  # 3: a training batch has one string length (the paper's protocol; batch_lengths=mixed: each example its own)
    # 2: val and test inputs are never trained on (a hash partition of the input space)
    level = "context-sensitive"
    description = "[context-sensitive] string over 5 symbols -> the symbols sorted, output-aligned (Deletang et al. 2023)"
    knobs = chomsky_knobs(1, Knob("vocab_size", 5, low=2, high=10, help="distinct symbols (5 in the paper)"))

    def examples(self, rng: np.random.Generator, lengths: np.ndarray):
        symbols = uniform_symbols(rng, lengths, self.vocab_size)  # (n, W)
        width = symbols.shape[1]
        inside = np.arange(width)[None, :] < lengths[:, None]
        counts = np.stack([((symbols == v) & inside).sum(1) for v in range(self.vocab_size)], 1)  # (n, V)
        ends = np.cumsum(counts, axis=1)  # (n, V): output positions before which each value ends
        j = np.arange(width)[None, :, None]
        return symbols, np.minimum((ends[:, None, :] <= j).sum(-1), self.vocab_size - 1), None

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        return self.position_prior_exact(split, lambda n: _order_statistic_hits(n, self.vocab_size))


def _order_statistic_hits(n: int, k: int) -> float:
    """Expected right answers, over the ``n`` sorted positions, of guessing at each position the
    most likely value of that order statistic of ``n`` uniform symbols out of ``k``.

    >>> round(_order_statistic_hits(2, 2), 4)  # 00, 01, 10, 11 sort to 00, 01, 01, 11: 3/4 + 3/4
    1.5
    """
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])
    count = np.arange(n + 1)  # how many of the n symbols are <= v
    at_most = np.zeros((n, k))  # P(the j-th smallest <= v) = P(count >= j)
    for v in range(k):
        p = (v + 1) / k
        if p >= 1.0:
            at_most[:, v] = 1.0
            continue
        log_pmf = log_fact[n] - log_fact[count] - log_fact[n - count] + count * np.log(p) + (n - count) * np.log1p(-p)
        tail = np.cumsum(np.exp(log_pmf)[::-1])[::-1]  # (n + 1,): P(count >= c)
        at_most[:, v] = tail[1:]
    exact = np.diff(at_most, axis=1, prepend=0.0)  # P(the j-th smallest = v): (n, k)
    return float(exact.max(1).sum())
