"""Lecture analyses beside the core: they read models, tasks and result files; nothing in the core reads them.

============================  ===================================================================
module                        what it answers
============================  ===================================================================
:mod:`.features`              how many input features an image or video has, and what each kind of
                              model pays for them (``seqbench features``)
:mod:`.scaling`               parameters, memory and time against image size, measured and
                              calculated (``python -m seqbench.analysis.scaling``)
:mod:`.gradflow`              gradient norm per time step: vanishing and exploding gradients
                              (``seqbench gradflow``)
:mod:`.curves`                learning curves and gradient profiles from result files
                              (``python -m seqbench.analysis.curves``)
:mod:`.plots`                 the leaderboard's figures (overview heatmap, metric by length)
============================  ===================================================================

Importing this package imports none of them (and so neither torch nor matplotlib); import the
module you need. Plotting modules draw on a ``matplotlib.figure.Figure`` with the Agg canvas
and never switch the process's backend.
"""
