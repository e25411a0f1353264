"""Every use of Hydra beyond its public API, in one place, checked against the installed Hydra.

seqbench drives Hydra through its public API (``hydra.main``, ``initialize_config_module``,
``Sweeper``, ``Launcher``, the override parser) except where Hydra offers none:

* the basic sweeper's grid expansion (``BasicSweeper.split_arguments``), which the preflight and
  the select sweeper (``hydra/sweeper=select``) reuse so that their grid is Hydra's own;
* one shared config cache for the preflight's compositions of every job of a sweep (Hydra builds
  a fresh caching repository for each composition: most of the preflight's time);
* skipping the sweepers' second composition of every job (``Sweeper.validate_batch_is_legal``)
  after the preflight composed and checked them all.

:data:`PRIVATE_NAMES` lists what this module reaches into; ``tests/test_hydra_internals.py``
imports each of them on the installed Hydra and fails, naming the missing one, on a version that
moved it. :data:`SUPPORTED` is the Hydra range this is tested on (CI installs it from
``pyproject.toml``, which pins the same range).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: The Hydra versions seqbench supports (the same range as pyproject.toml's dependency).
SUPPORTED = (">=1.3.8", "<1.4")
#: Hydra's basic sweeper, as a config ``_target_`` names it.
BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"
#: (module, attribute) of every non-public name used here.
PRIVATE_NAMES = (
    ("hydra._internal.core_plugins.basic_sweeper", "BasicSweeper"),
    ("hydra._internal.config_repository", "CachingConfigRepository"),
    ("hydra._internal.config_loader_impl", "ConfigLoaderImpl"),
)
#: Private methods of the config loader that :func:`share_repository` calls or replaces.
LOADER_METHODS = ("_process_config_searchpath", "_parse_overrides_and_create_caching_repo")


def hydra_version_supported(version: str) -> bool:
    """Whether ``version`` is in :data:`SUPPORTED`.

    >>> hydra_version_supported("1.3.2"), hydra_version_supported("1.3.8"), hydra_version_supported("1.4.0")
    (False, True, False)
    """
    from packaging.version import Version

    low, high = (Version(bound.lstrip("<>=")) for bound in SUPPORTED)
    return low <= Version(version) < high


def expand_grid(parsed_overrides: list[Any]) -> list[list[str]]:
    """The jobs of a sweep's parsed overrides, as Hydra's basic sweeper expands them (cartesian)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper

    return BasicSweeper.split_arguments(parsed_overrides, None)[0]


def share_repository(loader: Any) -> None:
    """Let this (preflight-only) config loader compose every job of a sweep from one config cache.

    The jobs of one sweep share their search path, so one cache per search path, handing out
    copies, gives the same configs (``tests/test_integrity_cli.py`` compares them with Hydra's own
    composition) at a fraction of the cost.
    """
    from hydra._internal.config_repository import CachingConfigRepository
    from hydra.core.override_parser.overrides_parser import OverridesParser

    class CopyingCache(CachingConfigRepository):
        """Hydra's per-composition cache, kept across compositions: each load hands out a copy of
        the cached config, since composing a job merges into the configs it loaded."""

        def load_config(self, config_path: str) -> Any:
            return copy.deepcopy(super().load_config(config_path))

    shared: dict[tuple, Any] = {}

    def parse_and_cache(config_name: str | None, overrides: list[str]) -> tuple[list, Any]:
        parsed = OverridesParser.create().parse_overrides(overrides=overrides)
        key = (config_name, tuple(str(o.input_line) for o in parsed if o.key_or_group.startswith("hydra.searchpath")))
        if key not in shared:
            repository = CopyingCache(loader.repository)
            loader._process_config_searchpath(config_name, parsed, repository)
            shared[key] = repository
        return parsed, shared[key]

    loader._parse_overrides_and_create_caching_repo = parse_and_cache


@contextmanager
def skip_batch_validation() -> Iterator[None]:
    """Within the block, sweepers do not compose every job a second time before launching it."""
    from hydra.plugins.sweeper import Sweeper

    original = Sweeper.validate_batch_is_legal
    Sweeper.validate_batch_is_legal = lambda self, batch: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Sweeper.validate_batch_is_legal = original  # type: ignore[method-assign]
