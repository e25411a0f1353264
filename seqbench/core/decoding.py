"""What a task author needs for decoder kinds (``seq2seq``, ``one_to_many``): EOS and its vocabulary.

A decoder generates one token at a time and stops at ``<eos>``. Its output vocabulary is a
:class:`~seqbench.core.spec.Tokens` with ``<pad>`` at index :data:`PAD` (0) and ``<eos>`` at
index :data:`EOS` (1), then the task's own symbols; every target ends in EOS and the mask
covers the symbols and the EOS, not the padding after it. The task also declares
``max_output_length`` (the longest target, EOS included) in its spec, which models such as the
``mlp`` need to size their output. ``seqbench check TASK`` checks all three.

>>> import numpy as np
>>> vocab = decoder_vocabulary(("a", "b"))
>>> vocab.symbols
('<pad>', '<eos>', 'a', 'b')
>>> symbols = np.array([[2, 3, 3], [3, 0, 0]])  # "abb" and "b", padded with 0
>>> targets, mask = with_eos(symbols, np.array([3, 1]))
>>> targets.tolist(), mask.astype(int).tolist()
([[2, 3, 3, 1], [3, 1, 0, 0]], [[1, 1, 1, 1], [1, 1, 0, 0]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqbench.core.spec import EOS, PAD, Tokens

__all__ = ["EOS", "EOS_SYMBOL", "PAD", "PAD_SYMBOL", "decoder_vocabulary", "with_eos"]

PAD_SYMBOL = "<pad>"  #: the symbol at index PAD of every token space
EOS_SYMBOL = "<eos>"  #: the symbol at index EOS of every vocabulary a decoder generates


def decoder_vocabulary(symbols: Sequence[str]) -> Tokens:
    """The output space of a decoder task: ``<pad>``, ``<eos>``, then ``symbols`` (ids 2, 3, ...)."""
    symbols = tuple(symbols)
    reserved = {PAD_SYMBOL, EOS_SYMBOL} & set(symbols)
    if reserved:
        raise ValueError(f"symbols={symbols!r}: {', '.join(sorted(reserved))} are reserved (ids {PAD} and {EOS})")
    return Tokens((PAD_SYMBOL, EOS_SYMBOL, *symbols))


def with_eos(symbols: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Targets (n, width + 1) with EOS after each row's last symbol, and their mask (n, width + 1).

    ``symbols`` (n, width) holds output ids (already shifted past PAD and EOS), padded with 0
    after ``lengths`` (n,); the mask is True on the symbols and the EOS.
    """
    symbols = np.asarray(symbols)
    lengths = np.asarray(lengths)
    n, width = symbols.shape
    targets = np.concatenate([symbols, np.zeros((n, 1), dtype=symbols.dtype)], axis=1)  # (n, width + 1)
    targets[np.arange(n), lengths] = EOS
    mask = np.arange(width + 1)[None, :] < (lengths + 1)[:, None]  # (n, width + 1)
    return targets, mask
