"""Check command-line overrides against the registered names before Hydra composes them.

Hydra reports an unknown config option as "Could not find 'task/partiy'" and an unknown key
as "Key 'lenght' is not in struct"; seqbench catches both before Hydra does and says which
names or keys are valid, with the closest match.
"""

from __future__ import annotations

from seqbench.errors import ConfigError, unknown_name_message, closest
from seqbench.registry import MODELS, TASKS

_SWEEP_FUNCTIONS = ("glob(", "range(", "choice(", "interval(", "tag(", "sort(", "shuffle(")


def _values(value: str) -> list[str]:
    if value.startswith(_SWEEP_FUNCTIONS) or value.startswith("["):
        return []  # sweep expressions are expanded by Hydra; its own errors apply
    return [v.strip() for v in value.split(",") if v.strip()]


def check_overrides(argv: list[str]) -> None:
    """Raise ConfigError for an unknown task or model name, or an unknown task/model/trainer key."""
    from seqbench.train import TRAINER_OPTIONS

    chosen: dict[str, list[str]] = {"task": [], "model": []}
    for arg in argv:
        if arg.startswith("-") or "=" not in arg:
            continue
        key, value = arg.split("=", 1)
        key = key.lstrip("+~")
        if key in ("task", "model"):
            registry = TASKS if key == "task" else MODELS
            for name in _values(value):
                if name not in registry and name not in _yaml_options(key):
                    raise ConfigError(f"{key}={name}: " + unknown_name_message(key, name, registry.names() + _yaml_options(key)))
                chosen[key].append(name)
    for arg in argv:
        if arg.startswith(("-", "+", "~")) or "=" not in arg:
            continue
        key = arg.split("=", 1)[0]
        group, _, sub = key.partition(".")
        if not sub or "." in sub or group not in ("task", "model", "trainer"):
            continue
        if group == "trainer":
            valid = [k.name for k in TRAINER_OPTIONS]
        else:
            registry = TASKS if group == "task" else MODELS
            if not chosen[group] and any(a.startswith(("experiment=", "hparams_search=")) for a in argv):
                continue  # the experiment may choose another task or model than the default
            names = chosen[group] or ([_default(group)] if _default(group) else [])
            valid = sorted({k.name for n in names if n in registry
                            for k in (registry.get(n).knobs if group == "task" else registry.get(n).options)})
            if not valid:
                continue
        if sub not in valid:
            hint = closest(sub, valid)
            did_you_mean = f"; did you mean '{group}.{hint}'?" if hint else ""
            raise ConfigError(f"{key}: unknown key{did_you_mean} Valid keys of {group}: {', '.join(valid)}. "
                              f"Hydra says: {_hydra_message(arg)}")
    for arg in argv:
        if arg.startswith(("-", "+", "~")) or "=" not in arg:
            continue
        key = arg.split("=", 1)[0]
        if "." not in key and "/" not in key and key not in TOP_LEVEL:
            hint = closest(key, TOP_LEVEL)
            did_you_mean = f"; did you mean '{hint}'?" if hint else ""
            raise ConfigError(f"{key}: unknown key{did_you_mean} Valid top-level keys: {', '.join(TOP_LEVEL)}. "
                              f"Hydra says: {_hydra_message(arg)}")


TOP_LEVEL = ("task", "model", "trainer", "experiment", "hparams_search", "seed", "device", "resume", "save_model",
             "hydra")


def _hydra_message(override: str) -> str:
    """The first line of what Hydra itself reports for a single bad override."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    try:
        with initialize_config_module(config_module="seqbench.conf", version_base="1.3"):
            compose(config_name="config", overrides=[override])
    except Exception as exc:  # noqa: BLE001 - we only want its message
        first = str(exc).splitlines()[0].strip()
        cause = str(exc.__cause__).splitlines()[0].strip() if exc.__cause__ else ""
        return f"{first} {cause}".strip()
    finally:
        GlobalHydra.instance().clear()
    return "(no error from Hydra)"


def _yaml_options(group: str) -> list[str]:
    """Preset configs shipped as YAML in conf/<group>/ (stacked_lstm, bilstm, ...)."""
    from importlib.resources import files

    folder = files("seqbench.conf") / group
    try:
        return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _default(group: str) -> str | None:
    from importlib.resources import files

    import yaml

    config = yaml.safe_load((files("seqbench.conf") / "config.yaml").read_text())
    for entry in config.get("defaults", []):
        if isinstance(entry, dict) and group in entry:
            return entry[group]
    return None
