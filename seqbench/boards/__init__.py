"""From run records to boards: cells and their seeds, aggregation and intervals across
seeds, learning-rate selection on val, tables, the page and executable claims.

- :mod:`seqbench.boards.aggregate`
- :mod:`seqbench.boards.cells`
- :mod:`seqbench.boards.claims`
- :mod:`seqbench.boards.coverage`
- :mod:`seqbench.boards.csv_safe`
- :mod:`seqbench.boards.files`
- :mod:`seqbench.boards.lookup`
- :mod:`seqbench.boards.page`
- :mod:`seqbench.boards.page_assets`
- :mod:`seqbench.boards.render`
- :mod:`seqbench.boards.selection`
- :mod:`seqbench.boards.tables`
"""
