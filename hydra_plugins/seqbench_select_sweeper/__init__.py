"""seqbench's Hydra plugin: ``hydra/sweeper=select`` (see :mod:`.select_sweeper`)."""
