"""The teacher-forcing ratio of a decoder over training: constant, or decaying (scheduled sampling).

A decoder trained with teacher forcing reads the true previous token; with ratio r it reads the
true one with probability r and its own greedy guess otherwise. Scheduled sampling (Bengio et
al. 2015) lowers r over training, so the decoder learns to recover from its own mistakes as it
must at evaluation. The decoders (:mod:`seqbench.models.adapters`) ask :meth:`TeacherForcing.ratio`
in their ``begin_step`` hook. Plain Python: the model list needs it without torch.
"""

from __future__ import annotations


class TeacherForcing:
    """The teacher-forcing ratio over training: constant, or decaying (scheduled sampling).

    >>> TeacherForcing(1.0, "linear").ratio(0.25)
    0.75
    """

    SCHEDULES = ("constant", "linear", "exponential")

    def __init__(self, start: float, schedule: str = "constant") -> None:
        self.start, self.schedule = start, schedule

    def ratio(self, progress: float) -> float:
        """The ratio at ``progress`` in [0, 1] of the training steps.

        ``linear`` decays to 0 at the end; ``exponential`` to 1 % of the start.
        """
        if self.schedule == "linear":
            return self.start * (1.0 - progress)
        if self.schedule == "exponential":
            return self.start * 0.01**progress
        return self.start
