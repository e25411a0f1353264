"""Runs as units of work: plans checked before any work starts, execution into a record,
checkpoints, resources and dataset export.

- :mod:`seqbench.runs.checkpoint`
- :mod:`seqbench.runs.experiment`
- :mod:`seqbench.runs.export`
- :mod:`seqbench.runs.plan`
- :mod:`seqbench.runs.resources`
- :mod:`seqbench.runs.task_facts`
"""
