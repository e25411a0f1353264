"""seqbench's built-in tasks, one module each.

They register through the ``seqbench.tasks`` entry-point group in ``pyproject.toml``,
exactly as a third-party plugin does; this package is installed as ``seqbench.tasks``.
"""
