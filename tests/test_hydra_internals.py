"""Hydra beyond its public API lives in one module, and fails loudly on a Hydra that moved it."""

import importlib
from pathlib import Path

import pytest

from conftest import ROOT
from seqbench.cli import hydra_internals


def test_the_installed_hydra_is_in_the_supported_range():
    import hydra

    assert hydra_internals.hydra_version_supported(hydra.__version__), (
        f"hydra-core {hydra.__version__} is outside seqbench's supported range {hydra_internals.SUPPORTED}")


@pytest.mark.parametrize("module, name", hydra_internals.PRIVATE_NAMES)
def test_every_private_name_seqbench_uses_exists_in_this_hydra(module, name):
    assert hasattr(importlib.import_module(module), name), f"{module}.{name} is gone: update seqbench.cli.hydra_internals"


@pytest.mark.parametrize("method", hydra_internals.LOADER_METHODS)
def test_the_config_loader_methods_it_patches_exist(method):
    from hydra._internal.config_loader_impl import ConfigLoaderImpl

    assert callable(getattr(ConfigLoaderImpl, method, None)), f"ConfigLoaderImpl.{method} is gone"


def test_no_other_module_reaches_into_hydra_internals():
    owner = Path(hydra_internals.__file__).resolve()
    sources = [*ROOT.joinpath("seqbench").rglob("*.py"), *ROOT.joinpath("hydra_plugins").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in sources
                 if p.resolve() != owner and ("hydra._internal" in p.read_text() or "validate_batch_is_legal =" in p.read_text())]
    assert not offenders, offenders
