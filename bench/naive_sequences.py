"""Per-example references of the symbol-sequence tasks (see :mod:`naive`)."""

from __future__ import annotations

import numpy as np

from naive import draw_index, draw_length, mask_of, pad, reference, with_eos
from seqbench.core.task import to_batch


@reference("parity")
def parity(task, rng, n, split):
    inputs, labels, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        bits = [1 if rng.random() < task.p_one else 0 for _ in range(length)]
        inputs.append([b + 1 for b in bits])
        labels.append(sum(bits) % 2)
        lengths.append(length)
    return to_batch(pad(inputs), np.array(labels), np.array(lengths))


@reference("reverse", "copy", "sort")
def string_transform(task, rng, n, split):
    """reverse, copy and sort: random symbols in, the transformed symbols and EOS out."""
    order = {"reverse": lambda s: s[::-1], "copy": list, "sort": sorted}[task.name]
    inputs, outputs, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        symbols = [int(rng.integers(task.vocab_size)) + 1 for _ in range(length)]
        inputs.append(symbols)
        outputs.append([s + 1 for s in order(symbols)])  # output ids: symbol + 1 (EOS is 1)
        lengths.append(length)
    targets, mask = with_eos(outputs)
    return to_batch(pad(inputs), targets, np.array(lengths), mask)


@reference("bracket_depth")
def bracket_depth(task, rng, n, split):
    inputs, depths, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        walk, depth, brackets, tags = 0, 0, [], []
        for _ in range(length):
            walk += 1 if rng.random() < 0.5 else -1
            new = task.max_depth - abs(walk % (2 * task.max_depth) - task.max_depth)
            brackets.append(1 if new > depth else 2)  # 1 = "(", 2 = ")"
            tags.append(new)
            depth = new
        inputs.append(brackets)
        depths.append(tags)
        lengths.append(length)
    return to_batch(pad(inputs), pad(depths), np.array(lengths), mask_of(lengths))


@reference("addition")
def addition(task, rng, n, split):
    low, high = task.digit_range(split)
    plus = 11  # input ids: 1..10 the digits, 11 '+'
    inputs, outputs, lengths = [], [], []
    for _ in range(n):
        a, b = (_operand(rng, int(rng.integers(low, high + 1))) for _ in range(2))
        tokens = [int(d) + 1 for d in str(a)] + [plus] + [int(d) + 1 for d in str(b)]
        inputs.append(tokens)
        outputs.append([int(d) + 2 for d in str(a + b)])  # output ids: digit + 2
        lengths.append(len(tokens))
    targets, mask = with_eos(outputs)
    return to_batch(pad(inputs), targets, np.array(lengths), mask)


def _operand(rng, digits: int) -> int:
    smallest = 0 if digits == 1 else 10 ** (digits - 1)
    return int(rng.integers(smallest, 10**digits))


@reference("adding")
def adding(task, rng, n, split):
    steps, targets, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        values = [rng.random() for _ in range(length)]
        half = length // 2
        first = int(rng.random() * half)
        second = half + int(rng.random() * (length - half))
        steps.append([[v, 1.0 if t in (first, second) else 0.0] for t, v in enumerate(values)])
        targets.append(values[first] + values[second])
        lengths.append(length)
    return to_batch(pad(steps, fill=[0.0, 0.0]).astype(np.float64), np.array(targets), np.array(lengths))


@reference("copy_memory")
def copy_memory(task, rng, n, split):
    K, A = task.copy_length, task.alphabet
    delay = task.lengths_for(split)[0] - 2 * K
    blank_in, marker, blank_out = A + 1, A + 2, 1
    inputs, targets = [], []
    for _ in range(n):
        symbols = [int(rng.integers(A)) for _ in range(K)]
        inputs.append([s + 1 for s in symbols] + [blank_in] * (delay - 1) + [marker] + [blank_in] * K)
        targets.append([blank_out] * (delay + K) + [s + 2 for s in symbols])
    width = delay + 2 * K
    return to_batch(np.array(inputs), np.array(targets), np.full(n, width), np.ones((n, width), dtype=bool))


@reference("markov_lm")
def markov_lm(task, rng, n, split):
    steps = task.lengths_for(split)[0] + 1
    V, k = task.vocab_size, task.order
    start, table = task.start.tolist(), task.transitions.tolist()
    streams = []
    for _ in range(n):
        context = draw_index(start, rng.random())
        stream = [(context // V ** (k - 1 - j)) % V for j in range(k)]
        while len(stream) < steps:
            symbol = draw_index(table[context], rng.random())
            stream.append(symbol)
            context = (context * V + symbol) % V**k
        streams.append([s + 1 for s in stream[:steps]])
    return _lm_batch(streams)


def _lm_batch(streams: list[list[int]]):
    """Streams of T + 1 ids -> inputs (first T), targets (last T), every position scored."""
    ids = np.array(streams)
    n, T = ids.shape[0], ids.shape[1] - 1
    return to_batch(ids[:, :-1], ids[:, 1:], np.full(n, T), np.ones((n, T), dtype=bool))
