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


def stationary(P: np.ndarray, order: int, tolerance: float = 1e-15, max_steps: int = 100_000) -> np.ndarray:
    """The stationary distribution over contexts (V**k,), solving pi M = pi, sum(pi) = 1.

    Small chains are solved directly; large ones (up to 100,000 contexts) by power iteration on
    the sparse context chain (each context has only V successors), never forming a dense matrix.
    """
    n_ctx, V = P.shape
    if order == 0:
        return np.ones(1)
    if n_ctx <= 512:
        return stationary_distribution(context_transitions(P, order))
    successors = ((np.arange(n_ctx)[:, None] * V + np.arange(V)[None, :]) % n_ctx).reshape(-1)  # (n_ctx*V,)
    pi = np.full(n_ctx, 1.0 / n_ctx)
    for _ in range(max_steps):
        new = np.bincount(successors, weights=(pi[:, None] * P).reshape(-1), minlength=n_ctx)
        if np.abs(new - pi).max() < tolerance:
            return new / new.sum()
        pi = new
    raise ValueError("the context chain did not converge to a stationary distribution")


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


# --------------------------------------------------------------------------------------------
# Probabilistic deterministic automata (PDFA): sources whose state is a function of the past.
#
# ``emit`` (S, C) holds P(next symbol | state); ``next_state`` (S, C) the state reached after
# emitting a symbol (entries with zero probability are ignored). Because the state after
# x_0..x_{t-1} is a function of those symbols, H(X_t | X_<t) = sum_s P(S_t = s) H(emit[s]),
# and propagating the state distribution gives the optimum over a stream exactly.


def automaton_step(p: np.ndarray, emit: np.ndarray, next_state: np.ndarray) -> np.ndarray:
    """The state distribution one symbol later: p'(s') = sum_{s, c: next(s, c) = s'} p(s) emit(s, c)."""
    weights = p[:, None] * emit  # (S, C)
    return np.bincount(np.where(emit > 0, next_state, 0).reshape(-1), weights=weights.reshape(-1),
                       minlength=emit.shape[0])


def stationary_distribution(M: np.ndarray) -> np.ndarray:
    """The stationary distribution of a row-stochastic matrix M (one recurrent class assumed)."""
    n = M.shape[0]
    A = np.vstack([M.T - np.eye(n), np.ones((1, n))])
    b = np.zeros(n + 1)
    b[-1] = 1.0
    pi, *_ = np.linalg.lstsq(A, b, rcond=None)
    pi = np.clip(pi, 0.0, None)
    return pi / pi.sum()


def automaton_entropy_rate(emit: np.ndarray, next_state: np.ndarray) -> float:
    """Entropy rate (nats per symbol) of an automaton's stationary state chain.

    >>> emit = np.array([[0.5, 0.5], [1.0, 0.0]])       # state 0: 'a' or 'b'; state 1: 'a'
    >>> nxt = np.array([[0, 1], [0, 0]])                 # 'b' leads to state 1, 'a' back to 0
    >>> round(automaton_entropy_rate(emit, nxt) / float(np.log(2)), 4)  # pi = (2/3, 1/3): 2/3 bit
    0.6667
    """
    S = emit.shape[0]
    M = np.zeros((S, S))
    np.add.at(M, (np.repeat(np.arange(S), emit.shape[1]), np.where(emit > 0, next_state, 0).reshape(-1)),
              emit.reshape(-1))
    return float(stationary_distribution(M) @ entropy(emit))


def automaton_stream_floor(emit: np.ndarray, next_state: np.ndarray, start: int, targets: int) -> float:
    """Best possible mean cross-entropy (nats) over a stream's ``targets`` predictions.

    The stream x_0..x_T starts in state ``start``; a model reads x_0..x_{T-1} and predicts
    x_1..x_T, so the optimum is (1/T) sum_{t=1..T} sum_s P(S_t = s) H(emit[s]). The sum is
    accumulated step by step; once the state distribution is a fixed point (to the last bit
    of a float64) every remaining term is equal and is added at once.

    >>> emit = np.array([[0.5, 0.5], [1.0, 0.0]]); nxt = np.array([[0, 1], [0, 0]])
    >>> round(automaton_stream_floor(emit, nxt, start=0, targets=1) / float(np.log(2)), 4)  # after 'a' or 'b'
    0.5
    """
    if targets < 1:
        raise ValueError(f"targets={targets}: must be >= 1")
    h = entropy(emit)  # (S,)
    p = np.zeros(emit.shape[0])
    p[start] = 1.0
    p = automaton_step(p, emit, next_state)  # the state after x_0, from which x_1 is predicted
    total = 0.0
    for t in range(1, targets + 1):
        total += float(p @ h)
        if t == targets:
            break
        new = automaton_step(p, emit, next_state)
        if np.array_equal(new, p):  # a fixed point: the remaining terms all equal p @ h
            total += (targets - t) * float(p @ h)
            break
        p = new
    return total / targets
