"""``seqbench generate TASK [KEY=VALUE ...] --split S --n N --seed S --out FILE``: export a dataset.

The file's suffix picks the format (``.jsonl``, ``.parquet`` or ``.npz``); the card goes to
``FILE.card.json``. Knob overrides are written as in ``seqbench run`` (``length=20`` or
``task.length=20``). The library side is :mod:`seqbench.runs.export`.
"""

from __future__ import annotations

from typing import Any

from seqbench.cli.parsing import Parser
from seqbench.core.errors import ConfigError, UnknownNameError
from seqbench.core.options import check_seed
from seqbench.runs.resources import ResourceError


def parse_value(text: str) -> Any:
    """A command-line value as a Python value: null, true/false, int, float, else the string.

    >>> [parse_value(v) for v in ("20", "0.5", "1e-3", "true", "null", "notes.txt", "'42'")]
    [20, 0.5, 0.001, True, None, 'notes.txt', '42']
    """
    lowered = text.strip().lower()
    if lowered in ("null", "none", "~"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["length=20", "task.vocab_size=5"]`` -> ``{"length": 20, "vocab_size": 5}``."""
    knobs: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{item!r}: knob overrides are KEY=VALUE (for example length=20)")
        key = key.removeprefix("task.")
        if key in knobs:
            raise ConfigError(f"task.{key}: given twice")
        knobs[key] = parse_value(value)
    return knobs


def check_output_file(out: str) -> None:
    """Refuse an output file that is a folder, lies below a file, or whose folder is not writable."""
    from pathlib import Path

    from seqbench.cli.preflight import check_output_dir
    from seqbench.runs.export import card_path

    for path in (Path(out), card_path(out)):
        if path.is_dir():
            raise ConfigError(f"--out={out}: {path} is a folder; give a file name such as {path / 'data.jsonl'}")
    check_output_dir(str(Path(out).parent), "--out folder")


def longest_example(task: Any, split: str) -> int:
    """Steps of the longest example of ``split``: its longest input plus the longest target."""
    spec = task.spec
    lengths = spec.ood_lengths if split == "test_ood" and spec.ood_lengths else spec.lengths
    return (lengths[1] if lengths else 1) + (spec.max_output_length or 0)


def check_fits(task: Any, split: str, n: int) -> None:
    """Refuse, before drawing anything, an unknown split or ``n`` examples that cannot fit in memory
    (the check ``seqbench run`` makes, :func:`seqbench.runs.resources.check_examples_fit`)."""
    from seqbench.runs.resources import check_examples_fit

    task._check_split(split)
    check_examples_fit(task.spec, n, longest_example(task, split))


def main(argv: list[str]) -> int:
    parser = Parser(
        prog="seqbench generate",
        description="Write N examples of one split of a task to FILE (.jsonl, .parquet or .npz) "
                    "and a dataset card to FILE.card.json.")
    parser.add_argument("task", help="registered task name")
    parser.add_argument("knobs", nargs="*", metavar="KEY=VALUE", help="task knob overrides, e.g. length=20")
    parser.add_argument("--split", default="test", help="train, val, test or test_ood (default: test)")
    parser.add_argument("--n", default="1000", help="number of examples (default: 1000)")
    parser.add_argument("--seed", default="0", help="seed of the split's stream, in [0, 2**32 - 1] (default: 0)")
    parser.add_argument("--out", required=True, help="output file; its suffix picks the format")
    args = parser.parse_intermixed_args(argv)

    from seqbench.runs.export import card_path, export, file_format
    from seqbench.core.registry import TASKS

    file_format(args.out)  # an unknown suffix, a bad seed or output path fail before any work
    seed = check_seed(parse_value(args.seed), "--seed")
    n = parse_value(args.n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"--n={args.n}: must be an integer >= 1")
    check_output_file(args.out)
    knobs = parse_overrides(args.knobs)
    try:
        cls = TASKS.get(args.task)
    except UnknownNameError as exc:
        raise ConfigError(str(exc)) from None
    task = cls(**knobs)
    check_fits(task, args.split, n)
    try:
        card = export(task, args.split, n, seed, args.out)
    except MemoryError:  # the estimate passed, the machine did not: the same refusal, late
        raise ResourceError(f"does not fit in memory: {n:,} examples of {args.split} ran out of memory; "
                            "try a smaller --n (or a shorter task)") from None
    print(f"wrote {card['n']} examples of {card['task']} v{card['version']} ({card['split']}, seed {card['seed']}, "
          f"fingerprint {card['fingerprint']}) to {args.out} and {card_path(args.out)}")
    return 0
