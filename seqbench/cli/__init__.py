"""The ``seqbench`` command. Only this layer (and :mod:`seqbench.cli.run`) knows about Hydra.

``seqbench run ...`` hands its arguments to Hydra; the other commands use argparse.
A user error (unknown name, bad value, missing file) prints one line and exits with 2;
``--debug`` or ``HYDRA_FULL_ERROR=1`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys

from seqbench.core.errors import SeqbenchError

USAGE = """usage: seqbench COMMAND [ARGS]

commands:
  run [-m] KEY=VALUE ...     train one configuration, or a grid with -m (Hydra overrides)
  tasks [--tag TAG] [--json] list the registered tasks (--tag chomsky: those tagged chomsky)
  models [--json]            list the registered models and their options
  check TASK ...             run the conformance checks on tasks (default: all)
  check --model NAME         run the conformance checks on a model (every kind)
  leaderboard DIR... [--out DIR] [--score SPLIT/METRIC] [--best-seed]
                             tables from every result.json below DIR
  claims DIR... [--json]     check every claim in DIR/claims.yaml against the results below DIR
  claims DIR... --as-if-seeds N
                             the claims whose verdict N seeds of the same spread would change
  generate TASK [KEY=VALUE ...] --split S --n N --seed S --out FILE
                             export a dataset (.jsonl, .parquet or .npz) and its card
  gradflow KEY=VALUE ...     gradient norms per time step (vanishing / exploding gradients)
  features --height H --width W --channels C ...
                             input-feature and parameter counts of image inputs

Run 'seqbench COMMAND --help' for a command's options.
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("HYDRA_FULL_ERROR") == "1"
    argv = [a for a in argv if a != "--debug"]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = argv[0], argv[1:]
    try:
        if command == "run":
            from seqbench.cli.run import run

            return run(rest)
        if command == "gradflow":
            from seqbench.cli.gradflow import main as gradflow

            return gradflow(rest)
        from seqbench.cli import commands

        handler = commands.COMMANDS.get(command)
        if handler is None:
            from seqbench.core.errors import unknown_name_message

            known = ["run", "gradflow", *commands.COMMANDS]
            raise SeqbenchError(unknown_name_message("command", command, known))
        return handler(rest)
    except SeqbenchError as exc:
        if debug:
            raise
        print(f"seqbench: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("seqbench: interrupted", file=sys.stderr)
        return 130


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away (`seqbench leaderboard DIR | head`): not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush at exit
        code = 0
    sys.exit(code)
