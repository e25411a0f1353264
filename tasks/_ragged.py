"""Vectorised assembly of rows made of variable-length segments (phrases, clauses, fillers).

Several tasks build each example from pieces whose lengths differ from row to row. Instead of
concatenating Python lists per example, :func:`segment_positions` tells every output position
which segment it belongs to and where inside that segment it sits; the caller then looks the
token up with fancy indexing.

>>> import numpy as np
>>> segment, offset, lengths = segment_positions(np.array([[2, 0, 1], [1, 2, 0]]))
>>> segment.tolist(), offset.tolist(), lengths.tolist()
([[0, 0, 2], [0, 1, 1]], [[0, 1, 0], [0, 0, 1]], [3, 3])
"""

from __future__ import annotations

import numpy as np


def segment_positions(seg_lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows made of consecutive segments: the segment and offset at every position.

    ``seg_lengths`` (n, S) holds each row's segment lengths (0 for an absent segment). Returns
    ``segment`` (n, W) and ``offset`` (n, W), the segment index and the position inside it, and
    ``lengths`` (n,), each row's total, with W the longest total. Positions past a row's length
    point at its last segment with an offset beyond it; mask them with ``padding_mask``.
    """
    seg_lengths = np.asarray(seg_lengths, dtype=np.int64)
    ends = np.cumsum(seg_lengths, axis=1)  # (n, S)
    lengths = ends[:, -1]
    width = max(int(lengths.max()), 1)
    t = np.arange(width)
    segment = (t[None, :, None] >= ends[:, None, :]).sum(-1)  # (n, W): first segment ending after t
    segment = np.minimum(segment, seg_lengths.shape[1] - 1)
    starts = ends - seg_lengths
    offset = t[None, :] - np.take_along_axis(starts, segment, axis=1)
    return segment, offset, lengths


def pick(rng: np.random.Generator, allowed: np.ndarray) -> np.ndarray:
    """One column index per row, uniform among the True entries of ``allowed`` (n, K).

    Every row must allow at least one column.

    >>> pick(np.random.default_rng(0), np.array([[False, True, False], [True, False, False]])).tolist()
    [1, 0]
    """
    scores = np.where(allowed, rng.random(allowed.shape), -1.0)
    return scores.argmax(axis=1)
