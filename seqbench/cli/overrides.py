"""Check command-line overrides against the registered names before Hydra composes them.

Hydra reports an unknown config option as "Could not find 'task/partiy'" and an unknown key
as "Key 'lenght' is not in struct"; seqbench catches both before Hydra does and says which
names or keys are valid, with the closest match.
"""

from __future__ import annotations

from seqbench.core.errors import ConfigError, SeqbenchError, unknown_name_message, closest
from seqbench.core.registry import MODELS, TASKS

_SWEEP_FUNCTIONS = ("glob(", "range(", "choice(", "interval(", "tag(", "sort(", "shuffle(")


def _values(value: str) -> list[str]:
    if value.startswith(_SWEEP_FUNCTIONS) or value.startswith("["):
        return []  # sweep expressions are expanded by Hydra; its own errors apply
    return [v.strip() for v in value.split(",") if v.strip()]


def check_overrides(argv: list[str]) -> None:
    """Raise ConfigError for an unknown task or model name, or an unknown task/model/trainer key."""
    from seqbench.engine.trainer_options import TRAINER_OPTIONS

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
            did_you_mean = f"; did you mean '{group}.{hint}'?" if hint else ";"
            raise ConfigError(f"{key}: unknown key{did_you_mean} Valid keys of {group}: {', '.join(valid)}. "
                              f"Hydra says: {_hydra_message(arg)}")
    for arg in argv:
        if arg.startswith(("-", "+", "~")) or "=" not in arg:
            continue
        key = arg.split("=", 1)[0]
        if "." not in key and "/" not in key and key not in TOP_LEVEL:
            hint = closest(key, TOP_LEVEL)
            did_you_mean = f"; did you mean '{hint}'?" if hint else ";"
            raise ConfigError(f"{key}: unknown key{did_you_mean} Valid top-level keys: {', '.join(TOP_LEVEL)}. "
                              f"Hydra says: {_hydra_message(arg)}")


TOP_LEVEL = ("task", "model", "trainer", "experiment", "hparams_search", "seed", "device", "resume", "save_model",
             "logger", "hydra")


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


# -- one job, one folder ---------------------------------------------------------------------

#: Characters kept as they are in a job's folder name; every other character is %-escaped.
SAFE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.,=+@")
#: The longest folder name a job gets, in bytes (file systems allow 255).
MAX_DIRNAME_BYTES = 200


def job_dirname(override_dirname: str) -> str:
    """One safe folder name for a job's overrides (the resolver ``seqbench.dirname``).

    Short, plain names stay readable; any other character is %-escaped as its UTF-8 bytes
    (``/`` becomes ``%2F``, so a name is never a path, ``.`` or ``..``); a name over
    :data:`MAX_DIRNAME_BYTES` keeps its start and ends in ``~`` and 16 hex digits of the
    SHA-256 of the whole name. Different overrides give different names.

    >>> job_dirname("model=lstm,task=parity")
    'model=lstm,task=parity'
    >>> job_dirname("task.path=../a b/ü.txt")
    'task.path=..%2Fa%20b%2F%C3%BC.txt'
    >>> job_dirname("..")
    '%2E.'
    >>> long = job_dirname("task.path=" + "x" * 300)
    >>> len(long), long[-17:-16]
    (200, '~')
    >>> job_dirname("")
    'defaults'
    """
    import hashlib

    if not override_dirname:
        return "defaults"  # a sweep without overrides: still one folder of its own
    out = "".join(c if c in SAFE_CHARACTERS else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
                  for c in override_dirname)
    if out[0] in ".-":  # never hidden, never '.' or '..', never read as an option
        out = f"%{ord(out[0]):02X}{out[1:]}"
    if len(out) > MAX_DIRNAME_BYTES:
        digest = hashlib.sha256(override_dirname.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        head = out[:MAX_DIRNAME_BYTES - 17]
        cut = head.rfind("%", len(head) - 2)
        head = head[:cut] if cut >= 0 else head  # no half escape before the digest
        out = f"{head}~{digest}"
    return out


# -- tasks chosen by tag in a grid ---------------------------------------------------------------


def tagged_tasks(*tags: str) -> str:
    """The tasks that hold every one of ``tags``, as a sweep's comma-separated list (the resolver
    ``seqbench.tagged``: ``task: ${seqbench.tagged:chomsky}`` in a sweeper's params).

    Each job is still ``task=NAME``, so its folder is named as if the list had been written out.

    >>> tagged_tasks("chomsky", "regular")
    'cycle_navigation,even_pairs,modular_arithmetic,parity_check'
    """
    from seqbench.core.tags import select

    return ",".join(select(TASKS, [str(t) for t in tags]))


def untagged_tasks(*tags: str) -> str:
    """Every task that holds none of ``tags``, as a sweep's comma-separated list (the resolver
    ``seqbench.untagged``: ``task: ${seqbench.untagged:chomsky}``, every task but the Chomsky family).

    >>> "parity" in untagged_tasks("chomsky").split(","), "parity_check" in untagged_tasks("chomsky").split(",")
    (True, False)
    """
    from seqbench.core.tags import select

    return ",".join(select(TASKS, without=[str(t) for t in tags]))


# -- Hydra's own errors, as one line -----------------------------------------------------------

_GRAMMAR = "see https://hydra.cc/docs/advanced/override_grammar/basic/"


def hydra_error_message(exc: BaseException, overrides: list[str]) -> str:
    """Hydra's composition or parse error as seqbench's one line, with a suggestion.

    Handles a missing group option (``trainer=banana``, ``task=``), an override Hydra cannot
    parse, and any other composition error (its first line and its cause's first line).
    """
    from hydra.errors import MissingConfigException, OverrideParseException

    if isinstance(exc, MissingConfigException) and exc.missing_cfg_file and exc.options is not None:
        group, _, name = exc.missing_cfg_file.rpartition("/")
        known = [o for o in exc.options if o]
        if not name:
            return f"{group}=: empty value; choose one of: {', '.join(known)}"
        return f"{group}={name}: " + unknown_name_message(group, name, known)
    if isinstance(exc, OverrideParseException):
        bad = _unparsable(overrides)
        return f"{bad}: cannot be parsed as an override ({_first_line(exc)}); {_GRAMMAR}"
    from omegaconf.errors import InterpolationResolutionError

    refused = _seqbench_cause(exc) if isinstance(exc, InterpolationResolutionError) else None
    if refused is not None:  # a resolver of seqbench's refused its arguments (${seqbench.tagged:...})
        key = getattr(exc, "full_key", None)
        return f"{key}: {refused}" if key else str(refused)
    text = _first_line(exc)
    if exc.__cause__ is not None:
        text = f"{text} ({_first_line(exc.__cause__)})"
    if text.startswith("Ambiguous value for argument"):
        text += "; to run one job per value, sweep with 'seqbench run -m'"
    elif text.startswith("Could not append to config"):
        text += " Set an existing key without '+' (KEY=VALUE)"
    return text


def _seqbench_cause(exc: BaseException) -> SeqbenchError | None:
    """The SeqbenchError behind ``exc`` (OmegaConf wraps a resolver's error, and keeps it only as
    the context of its own), or None."""
    seen: list[BaseException] = []
    while exc is not None and all(exc is not other for other in seen):
        if isinstance(exc, SeqbenchError):
            return exc
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _unparsable(overrides: list[str]) -> str:
    """The first override Hydra's grammar rejects (quoted), else all of them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for override in overrides:
        try:
            parser.parse_override(override)
        except Exception:  # noqa: BLE001 - any parse failure names this override
            return repr(override)
    return " ".join(repr(o) for o in overrides)
