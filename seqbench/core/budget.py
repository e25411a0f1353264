"""Equal-size comparisons: pick ``hidden_size`` so a model has about N parameters.

The Long Range Arena rule: compare architectures at (nearly) the same parameter count, not
at the same hidden size. ``param_budget=N`` is an option of every model family that has a
``hidden_size``; :func:`choose_hidden_size` searches the hidden size whose *real, built*
model (the task's embeddings and heads included) has the parameter count closest to N.
Candidate models are built on torch's ``meta`` device, so the search allocates no weights
and draws no random numbers: a seeded build gives the same weights with or without a budget.

>>> from seqbench import make_model, make_task
>>> from seqbench.models import count_parameters
>>> model = make_model("lstm", make_task("parity").spec, param_budget=10_000)
>>> model.build_options["hidden_size"], count_parameters(model)
(35, 9828)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from seqbench.core.options import Knob

if TYPE_CHECKING:
    from torch import nn

#: The option every family with a ``hidden_size`` gets (added by :class:`~seqbench.core.model_def.ModelDef`).
BUDGET_KNOB = Knob("param_budget", None, low=1, high=10**11, type=int, optional=True,
                   help="choose hidden_size so the parameter count is as close as possible to N "
                        "(overrides hidden_size)")


def count_built(build: Callable[[], nn.Module]) -> int:
    """Trainable parameters of the module ``build()`` returns, built without allocating weights."""
    import torch

    try:
        with torch.device("meta"):
            module = build()
    except (RuntimeError, NotImplementedError):  # a builder that needs real tensors (a plugin, say)
        module = build()
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def choose_hidden_size(count: Callable[[int], int], budget: int, low: int = 1, high: int = 16_384,
                       step: int = 1) -> tuple[int, int]:
    """The hidden size in ``[low, high]`` (a multiple of ``step``) whose count is closest to ``budget``.

    ``count(h)`` must grow with h (it does for every family: more units, more weights).
    Returns ``(hidden_size, count)``; ties go to the smaller model. The search doubles
    until it passes the budget, then bisects, so it builds O(log h) models.

    >>> choose_hidden_size(lambda h: h * h, 50)  # 7 * 7 = 49 is closest to 50
    (7, 49)
    >>> choose_hidden_size(lambda h: 10 * h, 1_000, step=4)  # multiples of 4: 100 -> 1000
    (100, 1000)
    """
    first = max(step, -(-int(low) // step) * step)  # smallest allowed multiple of step
    last = int(high) // step * step
    if first > last:
        raise ValueError(f"no multiple of {step} in [{low}, {high}]")
    counted: dict[int, int] = {}

    def n(h: int) -> int:
        if h not in counted:
            counted[h] = count(h)
        return counted[h]

    below, above = first, first  # invariant: n(below) <= budget unless below == first
    while above < last and n(above) < budget:
        below, above = above, min(last, above * 2 // step * step)
    if n(above) <= budget:
        return above, n(above)
    while above - below > step:  # n(below) <= budget < n(above), or below == first
        middle = (below + above) // 2 // step * step
        if n(middle) <= budget:
            below = middle
        else:
            above = middle
    best = min((below, above), key=lambda h: (abs(n(h) - budget), h))
    return best, n(best)


def resolve_budget(options: dict[str, Any], build: Callable[[dict[str, Any]], nn.Module],
                   hidden: Knob, step: int = 1, low: int | None = None) -> dict[str, Any]:
    """``options`` with ``hidden_size`` chosen for ``options["param_budget"]`` (unchanged if None),
    at least ``low`` (default: the knob's lower bound)."""
    budget = options.get("param_budget")
    if budget is None:
        return options
    size, _ = choose_hidden_size(lambda h: count_built(lambda: build({**options, "hidden_size": h})),
                                 budget, low=max(low or 1, hidden.low or 1), high=hidden.high or 16_384, step=step)
    return {**options, "hidden_size": size}
