"""``hydra/sweeper=select``: a grid that selects each cell's learning rate on ``val`` first.

Hydra finds sweepers only in the ``hydra_plugins`` package, so this module holds the plugin
class; what it does is :mod:`seqbench.cli.stages` (which jobs run in which stage) and
:func:`seqbench.boards.selection.choose` (which rate wins), the function the leaderboard applies to
the same records. The grid is the basic sweeper's cartesian product; stage 1 runs the first
seed at every ``trainer.lr``, stage 2 the other seeds at each cell's selected rate. The
choices are written to ``<sweep dir>/lr_selection.json`` (for people; tables re-derive them).
With ``resume=true`` finished jobs of either stage are skipped, so a killed grid resumes.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

SELECTION_FILE = "lr_selection.json"


@dataclass
class SelectSweeperConf:
    _target_: str = "hydra_plugins.seqbench_select_sweeper.select_sweeper.SelectSweeper"
    max_batch_size: Optional[int] = None  # accepted like the basic sweeper's; each stage is one batch
    params: Optional[Dict[str, str]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="select", node=SelectSweeperConf, provider="seqbench")


class SelectSweeper(Sweeper):
    """The basic sweeper's grid in two stages: rate selection on the first seed, then the rest.

    (Not a subclass of Hydra's ``BasicSweeper``: Hydra re-imports plugin modules when it scans
    them, and a subclass of the class object of an earlier import fails ``super()``.)
    """

    def __init__(self, max_batch_size: Optional[int] = None, params: Optional[Dict[str, str]] = None) -> None:
        super().__init__()
        self.params = dict(params or {})
        self.hydra_context: Optional[HydraContext] = None
        self.config: Optional[DictConfig] = None
        self.launcher: Optional[Launcher] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.hydra_context, self.config = hydra_context, config
        self.launcher = Plugins.instance().instantiate_launcher(hydra_context=hydra_context,
                                                                task_function=task_function, config=config)

    def sweep(self, arguments: List[str]) -> Any:
        from seqbench.core.atomic import write_atomic
        from seqbench.cli.hydra_internals import expand_grid
        from seqbench.cli.stages import cell_of, second_stage, split_stages

        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        overrides = parser.parse_overrides([*(f"{k}={v}" for k, v in self.params.items()), *arguments])
        jobs = expand_grid(overrides)  # the cartesian grid, as Hydra's basic sweeper expands it
        sweep_dir = Path(self.config.hydra.sweep.dir)
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / "multirun.yaml")

        first, rest = split_stages(jobs)
        returns = [self._launch(first, 0)]
        choices, rates = _choose(first, returns[0], cell_of)
        write_atomic(sweep_dir / SELECTION_FILE, json.dumps(choices, indent=1) + "\n")  # whole or not at all
        returns.append(self._launch(second_stage(rest, rates), len(first)))
        return returns

    def _launch(self, batch: Sequence[Sequence[str]], first_index: int) -> Sequence[JobReturn]:
        if not batch:
            return []
        self.validate_batch_is_legal(batch)
        return self.launcher.launch(batch, initial_job_idx=first_index)


def _choose(jobs: Sequence[Sequence[str]], results: Sequence[JobReturn], cell_of: Any) -> tuple[list, dict]:
    """Each cell's selected rate from its stage-1 records: (the choices as JSON, cell -> rate override value)."""
    from seqbench.cli.stages import RATE_KEY, _value
    from seqbench.core.record import read_result
    from seqbench.boards.selection import choose, rate_of

    cells: dict[tuple[str, ...], list] = {}
    for job, result in zip(jobs, results):
        folder = Path(result.hydra_cfg.hydra.runtime.output_dir)
        try:
            record = read_result(folder / "result.json")
        except (OSError, ValueError) as exc:  # the job left no readable record: it cannot win
            print(f"[seqbench] select: {folder / 'result.json'}: unreadable ({exc}); that rate cannot be chosen",
                  file=sys.stderr, flush=True)
            continue
        cells.setdefault(cell_of(job), []).append((job, record))
    for cell in dict.fromkeys(cell_of(job) for job in jobs):
        if cell not in cells:
            print(f"[seqbench] select: no stage-1 result for {' '.join(cell)}: its other seeds are not run",
                  file=sys.stderr, flush=True)
    choices, rates = [], {}
    for cell, pairs in cells.items():
        choice = choose([record for _, record in pairs])
        if choice is not None:
            choices.append(choice.as_dict())
        for job, record in pairs:  # one rate in the grid: nothing to choose, the other seeds run at it
            if choice is None or rate_of(record) == choice.chosen:
                rates[cell] = _value(job, RATE_KEY)  # ``trainer.lr=``, ``+trainer.lr=`` or ``++trainer.lr=``
    return choices, rates
