"""The checks every task and every model must pass: ``seqbench check TASK`` and
``seqbench check --model NAME``.

- :mod:`seqbench.conformance.model_checks`
- :mod:`seqbench.conformance.task_checks`
"""
