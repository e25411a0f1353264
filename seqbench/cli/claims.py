"""``seqbench claims DIR...``: judge each board's claims.yaml over its result files (no torch)."""

from __future__ import annotations

import argparse
import json
import textwrap

from tabulate import tabulate

from seqbench.cli.parsing import Parser


def main(argv: list[str]) -> int:
    parser = Parser(
        prog="seqbench claims",
        description="Check every claim a board's README makes (DIR/claims.yaml) against the result.json files below DIR.",
        epilog="Exit status: 0 when every claim passes, 1 when any fails, 2 for a bad folder or claims file. "
               "With --as-if-seeds: 0 when no claim's verdict rests on the seed count, 1 when any does.")
    parser.add_argument("folders", nargs="+", metavar="DIR", help="board folders, each with a claims.yaml")
    parser.add_argument("--claims", metavar="FILE", help="read the claims from FILE instead of DIR/claims.yaml")
    parser.add_argument("--json", action="store_true", help="print a JSON list of outcomes instead of a table")
    parser.add_argument("--as-if-seeds", type=_seed_count, metavar="N",
                        help="list only the claims whose verdict changes if every cell with fewer than N seeds had "
                             "N of the same mean and spread: the claims that rest on the seed count")
    args = parser.parse_args(argv)
    from seqbench.boards.claims import check_board

    if args.as_if_seeds is not None:
        return _seed_report(args)

    judged = [(folder, outcome) for folder in args.folders for outcome in check_board(folder, args.claims)]
    failed = sum(not o.passed for _, o in judged)
    if args.json:
        print(json.dumps([{"board": f, "id": o.id, "says": o.says, "kind": o.kind, "passed": o.passed,
                           "numbers": o.numbers} for f, o in judged], indent=2))
        return 1 if failed else 0
    rows = [(f"{o.id}\n({o.kind})", textwrap.fill(o.says, 50), "\n".join(textwrap.fill(n, 90) for n in o.numbers),
             "PASS" if o.passed else "FAIL") for _, o in judged]
    for folder in args.folders:
        print(f"claims of {folder}")
        print(tabulate([r for (f, _), r in zip(judged, rows) if f == folder],
                       headers=["claim", "says", "numbers (mean [95 % interval], n seeds)", "result"], tablefmt="grid"))
    print(f"{len(judged) - failed} of {len(judged)} claims pass" + (f"; {failed} FAIL" if failed else ""))
    return 1 if failed else 0


def _seed_count(text: str) -> int:
    """``--as-if-seeds``: a whole number of at least 2 (a spread needs two seeds)."""
    if not text.isdigit() or int(text) < 2:
        raise argparse.ArgumentTypeError(f"{text!r}: must be a whole number of at least 2 (a cell's spread needs 2 seeds)")
    return int(text)


def _seed_report(args) -> int:
    """The claims whose verdict rests on the seed count (:func:`seqbench.boards.claims.seed_dependent`)."""
    from seqbench.boards.seed_needs import seed_dependent

    n = args.as_if_seeds
    changed = [(folder, now, then) for folder in args.folders for now, then in seed_dependent(folder, n, args.claims)]
    if args.json:
        print(json.dumps([{"board": f, "id": a.id, "says": a.says, "kind": a.kind, "passed": a.passed,
                           f"passed_as_if_{n}_seeds": b.passed, "numbers": a.numbers,
                           f"numbers_as_if_{n}_seeds": b.numbers} for f, a, b in changed], indent=2))
        return 1 if changed else 0
    for folder in args.folders:
        rows = [(f"{a.id}\n({a.kind})", textwrap.fill(a.says, 40),
                 "\n".join(textwrap.fill(x, 70) for x in a.numbers), "\n".join(textwrap.fill(x, 70) for x in b.numbers),
                 f"{'PASS' if a.passed else 'FAIL'} -> {'PASS' if b.passed else 'FAIL'}")
                for f, a, b in changed if f == folder]
        print(f"claims of {folder} whose verdict rests on the seed count (as if every cell had at least {n} seeds "
              f"of the same mean and spread)")
        print(tabulate(rows, headers=["claim", "says", "numbers", f"as if {n} seeds", "result"], tablefmt="grid")
              if rows else "none")
    print(f"{len(changed)} claim{'' if len(changed) == 1 else 's'} change{'s' if len(changed) == 1 else ''} "
          f"verdict as if every cell had at least {n} seeds")
    return 1 if changed else 0
