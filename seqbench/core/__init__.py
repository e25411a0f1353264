"""The vocabulary every layer speaks: tasks, their specs and batches, metrics and baselines, options,
model definitions, the registry of tasks and models, and the run record. Imports nothing above it.

- :mod:`seqbench.core.atomic`
- :mod:`seqbench.core.baselines`
- :mod:`seqbench.core.batch`
- :mod:`seqbench.core.budget`
- :mod:`seqbench.core.decoding`
- :mod:`seqbench.core.entropy`
- :mod:`seqbench.core.errors`
- :mod:`seqbench.core.memory`
- :mod:`seqbench.core.metrics`
- :mod:`seqbench.core.model_def`
- :mod:`seqbench.core.options`
- :mod:`seqbench.core.partition`
- :mod:`seqbench.core.pdfa`
- :mod:`seqbench.core.record`
- :mod:`seqbench.core.record_schema`
- :mod:`seqbench.core.registry`
- :mod:`seqbench.core.spaces`
- :mod:`seqbench.core.spec`
- :mod:`seqbench.core.tags`
- :mod:`seqbench.core.task`
"""
