"""Exact entropies of stationary Markov sources, for the entropy floors of language models.

A source of order k over an alphabet of V symbols is a row-stochastic matrix ``P`` of shape
(V**k, V): row c is the distribution of the next symbol after context c (the last k
symbols, read as a base-V number, oldest first).

>>> import numpy as np
>>> P = np.full((1, 4), 0.25)          # order 0, uniform over 4 symbols
>>> bool(abs(entropy_rate(P, order=0) - np.log(4)) < 1e-12)
True
"""

from __future__ import annotations

import numpy as np


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats along ``axis`` (0 log 0 = 0)."""
    p = np.asarray(p, dtype=np.float64)
    logs = np.log(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(axis=axis)


def context_transitions(P: np.ndarray, order: int) -> np.ndarray:
    """The (V**k, V**k) transition matrix of the chain of contexts."""
    n_ctx, V = P.shape
    M = np.zeros((n_ctx, n_ctx))
    if order == 0:
        return np.ones((1, 1))
    nxt = (np.arange(n_ctx)[:, None] * V + np.arange(V)[None, :]) % n_ctx  # (n_ctx, V)
    np.add.at(M, (np.repeat(np.arange(n_ctx), V), nxt.reshape(-1)), P.reshape(-1))
    return M


def stationary(P: np.ndarray, order: int) -> np.ndarray:
    """The stationary distribution over contexts (V**k,), solving pi M = pi, sum(pi) = 1."""
    M = context_transitions(P, order)
    n = M.shape[0]
    A = np.vstack([M.T - np.eye(n), np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(A, b, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def entropy_rate(P: np.ndarray, order: int) -> float:
    """H(X_t | X_{t-k..t-1}) under the stationary distribution, in nats per symbol."""
    return float(stationary(P, order) @ entropy(P))


def stream_floor(P: np.ndarray, order: int, targets: int) -> float:
    """The best possible mean cross-entropy (nats) over a stationary stream's ``targets`` predictions.

    A model reads x_0..x_{T-1} and predicts x_1..x_T. The optimum is the mean conditional
    entropy (H(X_0..X_T) - H(X_0)) / T, and for a stationary source of order k (T + 1 >= k)
    H(X_0..X_T) = H(X_0..X_{k-1}) + (T + 1 - k) * rate.
    """
    n_ctx, V = P.shape
    if targets + 1 < order:
        raise ValueError(f"targets={targets}: need at least order - 1 = {order - 1}")
    pi = stationary(P, order)
    rate = float(pi @ entropy(P))
    if order == 0:
        return rate
    block = float(entropy(pi))  # H(X_0..X_{k-1})
    first = pi.reshape(V, -1).sum(axis=1)  # marginal of the oldest symbol in the context
    return (block + (targets + 1 - order) * rate - float(entropy(first))) / targets
