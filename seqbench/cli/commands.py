"""The argparse commands: tasks, models, check, leaderboard."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable

from tabulate import tabulate

from seqbench.cli.parsing import Parser
from seqbench.core.errors import SeqbenchError, UnknownNameError
from seqbench.core.registry import MODELS, TASKS


def _warn(problems: list[str]) -> None:
    for problem in problems:
        print(f"seqbench: warning: {problem}", file=sys.stderr)


def tasks(argv: list[str]) -> int:
    parser = Parser(prog="seqbench tasks", description="List the registered tasks.")
    parser.add_argument("--tag", action="append", default=[], metavar="TAG",
                        help="only the tasks that hold TAG (a family such as chomsky, a level, a kind); "
                             "repeat it to require several")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = parser.parse_args(argv)
    loaded, problems = TASKS.load_all()
    described, broken = [], []
    for name, cls in loaded.items():
        try:
            described.append(cls().describe())
        except Exception as exc:  # noqa: BLE001 - a plugin whose defaults do not build is reported
            broken.append(f"task plugin '{name}' cannot be built with its defaults: {type(exc).__name__}: {exc}")
    if args.tag:  # an unknown tag is refused before anything is printed
        from seqbench.core.tags import check_known

        check_known(args.tag, {tag for d in described for tag in d["tags"]})
        described = [d for d in described if set(args.tag) <= set(d["tags"])]
    _warn(problems + broken)
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    rows = [(d["name"], d["kind"], ", ".join(t for t in d["tags"] if t != d["kind"]), d["version"],
             d["primary_metric"], d["description"]) for d in described]
    print(tabulate(rows, headers=["task", "kind", "tags", "version", "primary metric", "description"]))
    return 0


def models(argv: list[str]) -> int:
    parser = Parser(prog="seqbench models", description="List the registered models.")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = parser.parse_args(argv)
    loaded, problems = MODELS.load_all()
    _warn(problems)
    described = [d.describe() for d in loaded.values()]
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    rows = [(d["name"], d["description"], ", ".join(f"{k}={v['default']}" for k, v in d["options"].items()))
            for d in described]
    print(tabulate(rows, headers=["model", "description", "options (defaults)"]))
    return 0


def check(argv: list[str]) -> int:
    parser = Parser(
        prog="seqbench check", description="Run the conformance checks on tasks, or with --model on models.",
        epilog="Exit status: 0 when everything conforms, 1 when a check failed.")
    parser.add_argument("tasks", nargs="*", help="task names (default: every registered task)")
    parser.add_argument("--model", action="append", default=[], metavar="NAME",
                        help="check model NAME instead (repeatable): built for a small task of every kind, "
                             "its output shapes, meta-device build and parameter count, a few training steps, "
                             "seeding and hooks")
    args = parser.parse_args(argv)
    if args.model:
        if args.tasks:
            raise SeqbenchError(f"check: give task names or --model, not both (got {' '.join(args.tasks)!r} "
                                f"and --model {' '.join(args.model)})")
        return check_models(args.model)
    from seqbench.conformance.task_checks import check_task

    names = args.tasks or TASKS.names()
    failed = 0
    for name in names:
        try:
            task = TASKS.get(name)()
        except Exception as exc:  # noqa: BLE001 - report and go on to the next task
            if isinstance(exc, UnknownNameError):
                raise
            print(f"FAIL {name}: cannot be built: {type(exc).__name__}: {exc}")
            failed += 1
            continue
        problems = check_task(task)
        print(f"{'FAIL' if problems else 'ok  '} {name}")
        for problem in problems:
            print(f"     - {problem}")
        failed += bool(problems)
    return 1 if failed else 0


def check_models(names: list[str]) -> int:
    """``seqbench check --model NAME``: one line per kind, the reasons for not_applicable, every failure."""
    for name in names:
        MODELS.get(name)  # an unknown name is a one-line error before any work
    from seqbench.conformance.model_checks import check_model

    failed = 0
    for name in names:
        report = check_model(name)
        print(f"model {name}")
        for case, task in report.tasks.items():
            if case in report.not_applicable:
                print(f"  n/a  {case} ({task}): {report.not_applicable[case]}")
                continue
            problems = report.results.get(case, [])
            print(f"  {'FAIL' if problems else 'ok  '} {case} ({task})")
            for problem in problems:
                print(f"       - {problem}")
        failed += not report.ok
    return 1 if failed else 0


def leaderboard(argv: list[str]) -> int:
    parser = Parser(prog="seqbench leaderboard",
                    description="Tables from every result.json below the given folders.")
    parser.add_argument("folders", nargs="+", help="folders holding result.json files (searched recursively)")
    parser.add_argument("--out", help="write leaderboard.md, .html, results.csv and plots into this folder "
                                      "(then the files written are listed instead of the markdown)")
    parser.add_argument("--raw", action="store_true",
                        help="also copy every result.json read into OUT/raw/, so the tables can be rebuilt")
    parser.add_argument("--score", default="test/primary",
                        help="what the overview ranks, SPLIT/METRIC (default test/primary; the Chomsky table: "
                             "test_ood/length_mean)")
    parser.add_argument("--best-seed", action="store_true",
                        help="also show the maximum over seeds (as the Chomsky-hierarchy paper reports)")
    parser.add_argument("--solved", type=float, metavar="THRESHOLD",
                        help="mark the models whose score reaches THRESHOLD (best seed and mean; the "
                             "Chomsky-hierarchy paper's 0.9) and flag tasks no model beats the "
                             "input-ignoring baselines on")
    parser.add_argument("--published", metavar="CSV",
                        help="published numbers to show beside the board's (columns task, model, published, "
                             "statistic, source)")
    args = parser.parse_args(argv)
    from seqbench.boards.render import build

    from pathlib import Path

    missing = [f for f in args.folders if not Path(f).exists()]
    if missing:
        raise SeqbenchError(f"no such folder: {missing[0]}")
    if args.raw and not args.out:
        raise SeqbenchError("--raw needs --out: the raw results are copied into OUT/raw/")
    split, _, metric = args.score.partition("/")
    if split not in ("val", "test", "test_ood") or not metric:
        from seqbench.core.errors import closest

        hint = closest(split, ["val", "test", "test_ood"])
        raise SeqbenchError(f"--score={args.score}: must be SPLIT/METRIC with SPLIT val, test or test_ood"
                            + (f"; did you mean '{hint}/{metric or 'primary'}'?" if hint else ""))
    if args.solved is not None and not math.isfinite(args.solved):
        raise SeqbenchError(f"--solved={args.solved}: must be a finite number (a score, e.g. 0.9)")
    if args.published is not None:
        if not Path(args.published).is_file():
            what = "is a folder" if Path(args.published).is_dir() else "no such file"
            raise SeqbenchError(f"--published {args.published}: {what} (a CSV of published numbers)")
        from seqbench.boards.published import read_published

        args.published = read_published(args.published)  # checked before anything is read or written
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise SeqbenchError(f"--out {args.out}: is a file, not a folder (the leaderboard is a folder of files)")
    markdown, frame, skipped = _build_locked(args, build)
    if args.out is None:
        print(markdown)
    else:  # the files written, one a line (the markdown is one of them)
        print("\n".join(str(path) for path in frame.attrs.get("files", [])))
        if args.raw:
            print(f"{Path(args.out) / 'raw'}/ (a copy of every result.json read)")
    for path, reason in skipped:
        print(f"seqbench: warning: skipped {path}: {reason}", file=sys.stderr)
    return 0


def _build_locked(args: argparse.Namespace, build: Callable) -> tuple:
    """``build`` the board, holding the lock on ``--out`` throughout (:func:`seqbench.boards.files.board_lock`).

    A second ``seqbench leaderboard`` writing the same folder is refused with one line, and so is
    any file-system error (``[ENOSPC] No space left on device``...), with the path it concerns.
    """
    from contextlib import nullcontext

    from seqbench.core.atomic import describe
    from seqbench.boards.files import board_lock

    try:
        with board_lock(args.out) if args.out is not None else nullcontext():
            return build(args.folders, args.out, copy_raw=args.raw, score=args.score, best_seed=args.best_seed,
                         solved=args.solved, published=args.published)
    except OSError as exc:
        if isinstance(exc, SeqbenchError):  # a WriteError: already one line naming the file
            raise
        raise SeqbenchError(f"leaderboard: {describe(exc)}") from None


def _lazy(module: str) -> Callable[[list[str]], int]:
    """A command whose code lives in seqbench.cli.<module> and is imported only when used."""

    def command(argv: list[str]) -> int:
        from importlib import import_module

        return import_module(f"seqbench.cli.{module}").main(argv)

    return command


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "tasks": tasks,
    "models": models,
    "check": check,
    "leaderboard": leaderboard,
    "generate": _lazy("generate"),
    "features": _lazy("features"),
    "claims": _lazy("claims"),
}
