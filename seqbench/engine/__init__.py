"""One training run: the training loop, steps, evaluation and its intervals,
convergence, the optimiser and loggers. Builds on :mod:`seqbench.core` and :mod:`seqbench.models`.

- :mod:`seqbench.engine.convergence`
- :mod:`seqbench.engine.evaluation`
- :mod:`seqbench.engine.exact_intervals`
- :mod:`seqbench.engine.intervals`
- :mod:`seqbench.engine.loggers`
- :mod:`seqbench.engine.optim`
- :mod:`seqbench.engine.steps`
- :mod:`seqbench.engine.train`
- :mod:`seqbench.engine.trainer_options`
- :mod:`seqbench.engine.training_state`
"""
