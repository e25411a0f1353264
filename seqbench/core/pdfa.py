"""Probabilistic deterministic finite automata that emit characters: sources with exact entropies.

A :class:`Automaton` has states, a distribution over the next symbol in each state (``emit``,
shape (S, C)) and, for each (state, symbol), exactly one next state (``next_state``). Its
streams start in a known state, so the state after any prefix is a function of the prefix and
the best possible cross-entropy of a stream is computed exactly
(:func:`seqbench.core.entropy.automaton_stream_floor`).

:func:`from_word_graph` builds one from a graph whose edges are strings: node -> [(string,
probability, next node)]. Each node's strings become a trie of character states, so the
automaton stays deterministic as long as no string of a node is a prefix of another string of
the same node (end words with their separator: "cat " and "cats ").

>>> graph = {"S": [("ab ", 0.5, "S"), ("b. ", 0.5, "S")]}
>>> auto = from_word_graph(graph, "S")
>>> auto.symbols, auto.n_states
((' ', '.', 'a', 'b'), 5)
>>> "".join(auto.symbols[c] for c in auto.sample(np.random.default_rng(0), 1, 9)[0])
'b. ab b. '
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from seqbench.core.entropy import automaton_entropy_rate, automaton_stream_floor

Edge = tuple[str, float, str]


@dataclass(frozen=True, eq=False)
class Automaton:
    """A probabilistic deterministic automaton over ``symbols``, starting in state ``start``."""

    symbols: tuple[str, ...]
    emit: np.ndarray  # (S, C) float64: P(next symbol | state)
    next_state: np.ndarray  # (S, C) int64: the state after emitting each symbol (where emit > 0)
    start: int = 0

    @property
    def n_states(self) -> int:
        return int(self.emit.shape[0])

    def sample(self, rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
        """``n`` streams of ``steps`` symbol indices (n, steps), each from the start state.

        One vectorised step per position: the process is sequential in time, not in examples.
        """
        cdf = np.cumsum(self.emit, axis=1)  # (S, C)
        last = self.emit.shape[1] - 1 - np.argmax(self.emit[:, ::-1] > 0, axis=1)  # last possible symbol
        uniform = rng.random((n, steps))
        out = np.empty((n, steps), dtype=np.int64)
        state = np.full(n, self.start, dtype=np.int64)
        for t in range(steps):
            symbol = np.minimum((uniform[:, t, None] >= cdf[state]).sum(axis=1), last[state])  # (n,)
            out[:, t] = symbol
            state = self.next_state[state, symbol]
        return out

    def states(self, symbols: np.ndarray) -> np.ndarray:
        """The state before each symbol of streams (n, T) that start in ``start``: (n, T + 1)."""
        n, T = symbols.shape
        out = np.empty((n, T + 1), dtype=np.int64)
        out[:, 0] = self.start
        for t in range(T):
            out[:, t + 1] = self.next_state[out[:, t], symbols[:, t]]
        return out

    def next_log_probs(self, symbols: np.ndarray) -> np.ndarray:
        """log P(x_{t+1} = c | x_0..x_t) for every position of streams (n, T): (n, T, C)."""
        with np.errstate(divide="ignore"):
            return np.log(self.emit)[self.states(symbols)[:, 1:]]

    def stream_floor(self, targets: int) -> float:
        """Best mean cross-entropy (nats) over ``targets`` predictions of a stream from ``start``."""
        return automaton_stream_floor(self.emit, self.next_state, self.start, targets)

    def entropy_rate(self) -> float:
        """Entropy rate (nats per symbol) of the automaton's stationary state chain."""
        return automaton_entropy_rate(self.emit, self.next_state)


def from_word_graph(graph: Mapping[str, Sequence[Edge]], start: str) -> Automaton:
    """The character automaton of a graph whose edges emit whole strings.

    ``graph[node]`` lists ``(string, probability, next_node)``; a node's probabilities are
    normalised. Character states are (node, prefix read so far); they are numbered in the order
    a breadth-first walk from ``(start, "")`` meets them, so the numbering is deterministic.
    Raises ValueError when a node's strings are not prefix-free (the automaton would not be
    deterministic) or an edge leads to an unknown node.
    """
    for node, edges in graph.items():
        total = sum(p for _, p, _ in edges)
        if not edges or total <= 0:
            raise ValueError(f"node {node!r} has no edge with positive probability")
        strings = {}
        for string, p, target in edges:
            if target not in graph:
                raise ValueError(f"node {node!r}: edge {string!r} leads to unknown node {target!r}")
            if not string:
                raise ValueError(f"node {node!r}: empty string")
            if strings.setdefault(string, target) != target:
                raise ValueError(f"node {node!r}: string {string!r} leads to two nodes")
        for a in strings:
            for b in strings:
                if a != b and b.startswith(a):
                    raise ValueError(f"node {node!r}: {a!r} is a prefix of {b!r}; end strings with a separator")
    symbols = tuple(sorted({c for edges in graph.values() for s, _, _ in edges for c in s}))
    index = {c: i for i, c in enumerate(symbols)}
    numbered: dict[tuple[str, str], int] = {(start, ""): 0}
    queue = [(start, "")]
    rows: list[dict[int, tuple[float, tuple[str, str]]]] = []
    while len(rows) < len(queue):
        node, prefix = queue[len(rows)]
        row: dict[int, tuple[float, tuple[str, str]]] = {}
        for string, p, target in graph[node]:
            if not string.startswith(prefix) or p <= 0:
                continue
            c = string[len(prefix)]
            after = (target, "") if len(string) == len(prefix) + 1 else (node, prefix + c)
            mass, _ = row.get(index[c], (0.0, after))
            row[index[c]] = (mass + p, after)
        for c in sorted(row):
            after = row[c][1]
            if after not in numbered:
                numbered[after] = len(queue)
                queue.append(after)
        rows.append(row)
    emit = np.zeros((len(rows), len(symbols)))
    next_state = np.zeros((len(rows), len(symbols)), dtype=np.int64)
    for s, row in enumerate(rows):
        for c, (mass, after) in row.items():
            emit[s, c] = mass
            next_state[s, c] = numbered[after]
    emit /= emit.sum(axis=1, keepdims=True)
    return Automaton(symbols, emit, next_state, start=0)
