"""Every use of Hydra beyond its public API, in one place, checked against the installed Hydra.

seqbench drives Hydra through its public API (``hydra.main``, ``initialize_config_module``,
``Sweeper``, ``Launcher``, the override parser) except where Hydra offers none:

* the basic sweeper's grid expansion (``BasicSweeper.split_arguments``), which the preflight and
  the select sweeper (``hydra/sweeper=select``) reuse so that their grid is Hydra's own;
* one shared config cache for the preflight's compositions of every job of a sweep (Hydra builds
  a fresh caching repository for each composition), and one defaults list and merged config per
  distinct set of config-group choices (jobs that differ only in values, such as seeds and
  learning rates, share them): together most of the preflight's time;
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
    ("hydra._internal.config_loader_impl", "create_defaults_list"),
    ("hydra._internal.defaults_list", "DefaultsList"),
)
#: Private methods of the config loader that :func:`share_repository` and :func:`compose_once_per_choice`
#: call or replace.
LOADER_METHODS = ("_process_config_searchpath", "_parse_overrides_and_create_caching_repo",
                  "_compose_config_from_defaults_list")


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
def compose_once_per_choice(loader: Any) -> Iterator[None]:
    """Within the block, ``loader`` builds the defaults list and merges the configs of each distinct
    set of config-group choices once, and hands each job a copy with its own value overrides applied.

    A composition is Hydra's defaults list (which config of each group: ``task=sort``,
    ``model=gru``, ``hydra/sweeper=select``), the merge of those configs, then the value overrides
    (``seed=3``, ``trainer.lr=0.01``, ``task.length=5``), which Hydra applies to the merged config
    afterwards and which cannot change the list. A grid's jobs mostly differ in values: the
    leaderboard's 5,760 jobs have 288 choice sets. Hydra's own steps run for the first job of each
    set; the others start from a deep copy of its merged config (``tests/test_integrity_cli.py``
    compares every job with Hydra's own composition). The preflight's loader only, with
    :func:`share_repository`'s one repository: the cache is keyed by the repository, so loaders
    with a fresh repository per composition (Hydra's own) share nothing, and Hydra's launches
    compose as Hydra does. Not re-entrant.
    """
    from hydra._internal import config_loader_impl
    from hydra._internal.defaults_list import DefaultsList

    original_create = config_loader_impl.create_defaults_list
    original_compose = loader._compose_config_from_defaults_list
    lists: dict[tuple, Any] = {}
    merged: dict[int, Any] = {}

    def create(repo: Any, config_name: str | None, overrides_list: list, prepend_hydra: bool,
               skip_missing: bool) -> Any:
        # a value override, as Hydra's defaults list sorts them: a dict value, or a key that is no group
        values = [o for o in overrides_list if not o.is_sweep_override()
                  and (isinstance(o.value(), dict) or not repo.group_exists(o.key_or_group))]
        value_ids = {id(o) for o in values}
        choices = [o for o in overrides_list if id(o) not in value_ids]
        key = (id(repo), config_name, tuple(o.input_line for o in choices), prepend_hydra, skip_missing)
        if key not in lists:
            made = original_create(repo, config_name, choices, prepend_hydra, skip_missing)
            if made.config_overrides:  # Hydra sorted one of them otherwise: compose this job as Hydra does
                return original_create(repo, config_name, overrides_list, prepend_hydra, skip_missing)
            lists[key] = (repo, made)  # the repository kept alive: its id stays this key's
        shared = lists[key][1]
        return DefaultsList(defaults=shared.defaults, defaults_tree=shared.defaults_tree,
                            overrides=shared.overrides, config_overrides=values)

    def compose(defaults: list, repo: Any) -> Any:
        key = id(defaults)  # the list ``create`` shares between the jobs of one choice set
        if key not in merged:
            merged[key] = (defaults, original_compose(defaults=defaults, repo=repo))
        return copy.deepcopy(merged[key][1])

    had_own = "_compose_config_from_defaults_list" in vars(loader)
    config_loader_impl.create_defaults_list = create
    loader._compose_config_from_defaults_list = compose
    try:
        yield
    finally:
        config_loader_impl.create_defaults_list = original_create
        if had_own:
            loader._compose_config_from_defaults_list = original_compose
        else:
            del loader._compose_config_from_defaults_list  # the class's method again


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
