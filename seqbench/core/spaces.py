"""How large a task's input space is, per input length, and how much of it each split covers.

A task declares its space with :meth:`seqbench.core.task.Task.input_space`: an :class:`InputSpace`
mapping each training input length (``None`` for inputs without a length) to the number of
distinct inputs its generator can draw. The numbers are computed from the task's definition
(``2 ** L`` bit strings, a grammar's count), never typed in. :func:`space_report` adds the share
of each length's inputs that ``train``, ``val`` and ``test`` own (:mod:`seqbench.core.partition`),
exact where the length was enumerated; the dataset card and the README's table show it.

>>> InputSpace({1: 2, 2: 4, 3: 8}).describe()
'14 inputs (2 to 8 per length, lengths 1-3)'
>>> count_text(power(2, 64)), count_text(power(26, 10_000))
('1.8e19', 'more than 1e308')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seqbench.core.task import Task

HUGE_BITS = 1000  #: counts above 2**HUGE_BITS are kept as infinity: no split of them can be small


def power(base: int, exponent: int) -> int | float:
    """``base ** exponent`` as an exact integer, or ``math.inf`` beyond 2**HUGE_BITS.

    >>> power(3, 4), power(2, 2000)
    (81, inf)
    """
    if base <= 1 or exponent * math.log2(base) <= HUGE_BITS:
        return base**exponent
    return math.inf


def capped(value: int | float) -> int | float:
    """An exact count, or infinity once it passes 2**HUGE_BITS (sums and products of counts)."""
    return value if value < 2**HUGE_BITS else math.inf


def count_text(value: int | float) -> str:
    """A count for people: ``131,070``, ``1.8e19``, ``more than 1e308``."""
    if value == math.inf:
        return "more than 1e308"
    if value < 10**15:
        return f"{int(value):,}"
    exponent = int(math.log10(value))
    return f"{value / 10**exponent:.1f}e{exponent}"


def count_json(value: int | float) -> int | str:
    """A count for a JSON file: an integer below 2**63, else its text (``1.8e19``)."""
    return int(value) if value < 2**63 else count_text(value)


@dataclass(frozen=True)
class InputSpace:
    """Distinct inputs per training input length (``None``: inputs without a length).

    ``bound`` says what each number is: ``exact``, ``at least`` (a lower bound: the space is too
    intricate to count, and larger) or ``at most``. ``unit`` names what is counted (``inputs``,
    ``windows``). ``shares`` gives, for a task that splits its space itself (a fixed data set, a
    text cut into portions), the share each split owns.
    """

    sizes: dict[int | None, int | float]
    bound: str = "exact"
    unit: str = "inputs"
    shares: dict[str, float] | None = field(default=None)

    @property
    def exact(self) -> bool:
        return self.bound == "exact"

    @property
    def total(self) -> int | float:
        return capped(sum(self.sizes.values()))

    def lengths_text(self) -> str:
        lengths = [length for length in self.sizes if length is not None]
        if not lengths:
            return ""
        low, high = min(lengths), max(lengths)
        return f"length {low}" if low == high else f"lengths {low}-{high}"

    def describe(self) -> str:
        """``14 inputs (2 to 8 per length, lengths 1-3)``, with ``at least`` where it is a bound."""
        prefix = {"exact": "", "at least": "at least ", "at most": "at most "}[self.bound]
        where = self.lengths_text()
        sizes = list(self.sizes.values())
        if len(sizes) > 1:
            detail = f"{count_text(min(sizes))} to {count_text(max(sizes))} per length, {where}"
        else:
            detail = where
        return f"{prefix}{count_text(self.total)} {self.unit}" + (f" ({detail})" if detail else "")


def _share(part: int, whole: int | float) -> float:
    return part / whole if whole and whole != math.inf else 0.0


def space_report(task: Task) -> dict[str, Any]:
    """The task's input space and the share of it each split covers, computed (for cards and the README).

    ``lengths`` lists, per training length, the number of inputs and the share ``train``, ``val``
    and ``test`` own: counted (``counted``, with the numbers of inputs ``val`` and ``test`` hold)
    where the partition enumerated the length, else the partition's nominal shares (a hash spreads
    a large space evenly). ``small`` lists the lengths with too few distinct inputs for both sides at
    the nominal shares: train only (fewer than 3 inputs), or val and test holding one input or so each.
    """
    from seqbench.core.partition import FEWEST, partition_of

    space = task.input_space()
    out: dict[str, Any] = {"partition": task.partition, "reason": task.partition_reason or None,
                           "test_ood": ood_text(task), "space": None, "lengths": None, "small": []}
    if task.partition == "hash":
        val, test = task.eval_shares
        out["shares"] = {"train": round(1 - val - test, 6), "val": val, "test": test}
    if space is None:
        return out
    table = partition_of(task) if task.partition == "hash" else None
    rows = []
    for length in sorted(space.sizes, key=lambda k: -1 if k is None else k):
        size = space.sizes[length]
        row: dict[str, Any] = {"length": length, space.unit: count_json(size)}
        counts = table.counts.get(length) if table is not None else None
        if counts is not None:
            row.update({s: round(_share(c, size), 6) for s, c in zip(("train", "val", "test"), counts)},
                       counted=True, held_out={"val": counts[1], "test": counts[2]})
            if size * min(task.eval_shares) < 1:
                out["small"].append({"length": length, "inputs": int(size), "val": counts[1], "test": counts[2]})
        elif table is not None:
            row.update(out["shares"], counted=False)
        elif space.shares is not None:
            row.update({s: round(v, 6) for s, v in space.shares.items()}, counted=True)
        rows.append(row)
    out.update(space={"total": count_json(space.total), "bound": space.bound, "unit": space.unit,
                      "text": space.describe()}, lengths=rows, fewest=FEWEST)
    if table is not None and table.problems:
        out["problems"] = list(table.problems)
    return out


def ood_text(task: Task) -> str | None:
    """What keeps ``test_ood`` apart from training, in words (None where the task has no test_ood)."""
    if "test_ood" not in task.splits:
        return None
    if task.spec.ood_shift:
        return task.spec.ood_shift
    space = task.input_space()
    if hasattr(task, "split_string_lengths"):  # the Chomsky tasks: lengths of the input string, not of steps
        ood, longest = task.split_string_lengths("test_ood"), int(task.split_string_lengths("train").max())
        low, high = int(ood.min()), int(ood.max())
    else:
        (low, high), longest = task.spec.ood_lengths, task.spec.lengths[1]
        if space is not None and all(length is not None for length in space.sizes):
            longest = max(space.sizes)  # in the task's own length (addition: characters of "a+b")
    span = f"{low}-{high}" if low != high else f"{low}"
    return f"longer inputs (length {span}; training: at most {longest})"


def shares_text(report: dict[str, Any]) -> str:
    """``5 % / 5 % / 90 %`` (val / test / train) of every length, or of the text or data set."""
    if report["partition"] == "hash":
        shares = report["shares"]
        return f"{_percent(shares['val'])} / {_percent(shares['test'])} / {_percent(shares['train'])}"
    rows = report["lengths"] or []
    if rows and rows[0].get("counted"):
        return " / ".join(_percent(rows[0][s]) for s in ("val", "test", "train"))
    return "every split draws from all of it"


def small_text(report: dict[str, Any]) -> str:
    """The lengths too small for both sides: train only, or one val and one test input or so each."""
    if report["partition"] != "hash":
        return "-"
    parts = []
    for item in report["small"]:
        held = "train only" if item["val"] == 0 else f"{item['val']} + {item['test']} held out"
        parts.append(f"L={item['length']}: {item['inputs']:,} ({held})" if item["length"] is not None
                     else f"{item['inputs']:,} ({held})")
    return "; ".join(parts) if parts else "none"


def space_text(report: dict[str, Any], outside: bool = False) -> str:
    """The space in words; ``outside``: the data come from outside the code (a text), sized elsewhere."""
    if report["space"] is None:
        return "continuous" if report["partition"] == "none" else "not stated"
    if outside:
        return f"{report['space']['unit']} of the text (its size: see `text_lm` below)"
    return report["space"]["text"]


def summary(task: Task, report: dict[str, Any] | None = None) -> str:
    """One paragraph for the dataset card: the space, the shares, the lengths too small to split."""
    report = report or space_report(task)
    if report["partition"] == "none":
        text = f"not partitioned: {report['reason']}"
        if report["space"] is not None:
            text += f"; {space_text(report)} ({shares_text(report)} val / test / train)"
    else:
        text = (f"hash partition of {space_text(report)}: val / test / train own {shares_text(report)} of every "
                f"length (counted exactly where a length was enumerated: at most 256 inputs)")
        if report["small"]:
            text += f"; too few inputs for both sides at {small_text(report)}"
    if report["test_ood"]:
        text += f"; test_ood: {report['test_ood']}"
    return text


README_BEGIN, README_END = "<!-- input spaces: begin (tests/test_test_sets.py) -->", "<!-- input spaces: end -->"


def readme_table(tasks: list[Task]) -> str:
    """The README's table of every task's input space and test sets, and why some are not partitioned."""
    lines = ["| task | partition | input space (training lengths) | val / test / train | too few inputs "
             "for both sides (L=length: inputs) | test_ood |", "|---|---|---|---|---|---|"]
    reasons = []
    for task in tasks:
        report = space_report(task)
        space = space_text(report, outside=bool(task.data_digest()))
        lines.append(f"| `{task.name}` | {report['partition']} | {space} | {shares_text(report)} | "
                     f"{small_text(report)} | {report['test_ood'] or '-'} |")
        if report["partition"] == "none":
            reasons.append(f"- `{task.name}`: {report['reason']}")
    return "\n".join(lines + ["", "Not partitioned, and why:", ""] + reasons)


def _percent(value: float) -> str:
    return f"{100 * value:.3g} %"
