"""The 15 tasks of Deletang et al. (2023), "Neural Networks and the Chomsky Hierarchy", one module each.

Written from the paper's definitions (its appendix and task descriptions), grouped by the level
of the Chomsky hierarchy that solves them; :mod:`seqbench.tasks.chomsky._common` holds the
length protocol and the output-aligned format they share. They register through the
``seqbench.tasks`` entry points like every built-in task.
"""
