"""``seqbench claims DIR...``: judge each board's claims.yaml over its result files (no torch)."""

from __future__ import annotations

import json
import textwrap

from tabulate import tabulate

from seqbench.cli.parsing import Parser


def main(argv: list[str]) -> int:
    parser = Parser(
        prog="seqbench claims",
        description="Check every claim a board's README makes (DIR/claims.yaml) against the result.json files below DIR.",
        epilog="Exit status: 0 when every claim passes, 1 when any fails, 2 for a bad folder or claims file.")
    parser.add_argument("folders", nargs="+", metavar="DIR", help="board folders, each with a claims.yaml")
    parser.add_argument("--claims", metavar="FILE", help="read the claims from FILE instead of DIR/claims.yaml")
    parser.add_argument("--json", action="store_true", help="print a JSON list of outcomes instead of a table")
    args = parser.parse_args(argv)
    from seqbench.boards.claims import check_board

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
