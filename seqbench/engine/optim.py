"""Adam, as ``torch.optim.Adam`` computes it, without the import that costs a second per process.

``torch.optim.Optimizer`` wraps ``__init__``, ``zero_grad`` and ``step`` in torch.compile
guards whose first call imports ``torch._dynamo``: 1.6 s of CPU on the 2-core machine, as much
as importing torch itself, paid again by every process that trains (each launcher worker, each
``seqbench run``). seqbench never compiles, so :class:`Adam` keeps the optimizer state itself
and calls torch's own update, ``torch.optim.adam.adam``, with the defaults ``torch.optim.Adam``
uses (betas 0.9 and 0.999, eps 1e-8, no weight decay, no amsgrad), always through the foreach
kernels: ``torch.optim.Adam`` takes them on CUDA and a per-tensor Python loop on CPU, and on CPU
the foreach kernels do the same arithmetic in the same order in less time (``bench/optimizer.py``:
1.7 to 2.3 x the updates per second at the main board's size, median of 5 repeats under load).
The parameters it produces are identical, bit for bit, to ``torch.optim.Adam``'s on either path
(``tests/test_train.py`` checks both).

>>> import torch
>>> weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
>>> opt = Adam([weight], lr=0.1)
>>> (weight ** 2).sum().backward()
>>> opt.step()
>>> [round(w, 6) for w in weight.detach().tolist()]  # each moves by lr against its gradient's sign
[0.9, -1.9]
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim.adam import adam


class Adam:
    """Adam over ``params`` at learning rate ``lr``: ``zero_grad()`` then ``step()``, as torch's."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr, self.betas, self.eps = float(lr), betas, eps
        self.exp_avgs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.exp_avg_sqs = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        # 0-d step counters on the CPU, as torch's (float64 when that is the default dtype, as torch's)
        dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
        self.steps = [torch.tensor(0.0, dtype=dtype, device="cpu") for _ in self.params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        """One update of every parameter that has a gradient (the others keep their state)."""
        chosen = [i for i, p in enumerate(self.params) if p.grad is not None]
        if not chosen:
            return
        params = [self.params[i] for i in chosen]
        adam(params, [p.grad for p in params], [self.exp_avgs[i] for i in chosen],
             [self.exp_avg_sqs[i] for i in chosen], [], [self.steps[i] for i in chosen],
             foreach=True, amsgrad=False, beta1=self.betas[0], beta2=self.betas[1],
             lr=self.lr, weight_decay=0.0, eps=self.eps, maximize=False,
             has_complex=any(torch.is_complex(p) for p in params))

    def state_dict(self) -> dict[str, list[torch.Tensor]]:
        """The moments and step counters (copies), to continue a run later (:mod:`seqbench.engine.training_state`)."""
        return {"exp_avgs": [t.clone() for t in self.exp_avgs], "exp_avg_sqs": [t.clone() for t in self.exp_avg_sqs],
                "steps": [t.clone() for t in self.steps]}

    def load_state_dict(self, state: dict[str, list[torch.Tensor]]) -> None:
        """Restore what :meth:`state_dict` returned, onto the parameters' devices."""
        for name in ("exp_avgs", "exp_avg_sqs"):
            setattr(self, name, [t.to(p.device) for t, p in zip(state[name], self.params)])
        self.steps = [t.clone() for t in state["steps"]]
