"""The argparse commands: tasks, models, check, leaderboard."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from tabulate import tabulate

from seqbench.registry import MODELS, TASKS


def _warn(problems: list[str]) -> None:
    for problem in problems:
        print(f"seqbench: warning: {problem}", file=sys.stderr)


def tasks(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seqbench tasks", description="List the registered tasks.")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    args = parser.parse_args(argv)
    loaded, problems = TASKS.load_all()
    _warn(problems)
    described = []
    for name, cls in loaded.items():
        try:
            described.append(cls().describe())
        except Exception as exc:  # noqa: BLE001 - a plugin whose defaults do not build is reported
            _warn([f"task plugin '{name}' cannot be built with its defaults: {type(exc).__name__}: {exc}"])
    if args.json:
        print(json.dumps(described, indent=2))
        return 0
    rows = [(d["name"], d["kind"], d["version"], d["primary_metric"], d["description"]) for d in described]
    print(tabulate(rows, headers=["task", "kind", "version", "primary metric", "description"]))
    return 0


def models(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seqbench models", description="List the registered models.")
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
    parser = argparse.ArgumentParser(prog="seqbench check", description="Run the conformance checks on tasks.")
    parser.add_argument("tasks", nargs="*", help="task names (default: every registered task)")
    args = parser.parse_args(argv)
    from seqbench.checks import check_task

    names = args.tasks or TASKS.names()
    failed = 0
    for name in names:
        try:
            task = TASKS.get(name)()
        except Exception as exc:  # noqa: BLE001 - report and go on to the next task
            from seqbench.errors import UnknownNameError

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


def leaderboard(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="seqbench leaderboard",
                                     description="Tables from every result.json below the given folders.")
    parser.add_argument("folders", nargs="+", help="folders holding result.json files (searched recursively)")
    parser.add_argument("--out", help="write leaderboard.md, .html, results.csv and plots into this folder")
    parser.add_argument("--raw", action="store_true",
                        help="also copy every result.json read into OUT/raw/, so the tables can be rebuilt")
    args = parser.parse_args(argv)
    from seqbench.errors import SeqbenchError
    from seqbench.report import build

    from pathlib import Path

    missing = [f for f in args.folders if not Path(f).exists()]
    if missing:
        raise SeqbenchError(f"no such folder: {missing[0]}")
    if args.raw and not args.out:
        raise SeqbenchError("--raw needs --out: the raw results are copied into OUT/raw/")
    markdown, frame, skipped = build(args.folders, args.out, copy_raw=args.raw)
    print(markdown)
    for path, reason in skipped:
        print(f"seqbench: warning: skipped {path}: {reason}", file=sys.stderr)
    return 0


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
}
