"""Training-speed figures: seqbench's ``fit`` against a bare loop, the sigmoid cell against
torch's fused RNN, cuDNN and mixed precision on GPUs, and how a step's cost grows.

The case (from the issue): ``reverse`` with every input 50 symbols long
(``min_length = length = 50``), ``lstm`` with 128 hidden units (other options default),
64 examples per batch, Adam (lr 1e-3) and global-norm clipping at 1.0.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch

from reference import plain_sigmoid_rnn
from timing import ratio_figure, seconds_per_call, stats, sync
from seqbench import fit, make_model, make_task
from seqbench.core.batch import count_tokens
from seqbench.models.cores import RecurrentCore

CASE = {"task": "reverse", "length": 50, "model": "lstm", "hidden_size": 128, "batch_size": 64}


def case_task(length: int = CASE["length"]):
    return make_task(CASE["task"], length=length, min_length=length)


def bare_loop(model, task, steps: int, batch_size: int, device: str, amp: bool = False) -> float:
    """The minimal hand-written loop; tokens per second over its steps (batch draw included).

    The same batches as ``fit`` (the task's own generator on the same ``train`` stream),
    zero_grad, forward, the task's loss, backward, clip the global norm, Adam step; nothing
    else. With ``amp``: float16 autocast and a gradient scaler.
    """
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    params = list(model.parameters())
    scaler = torch.amp.GradScaler("cuda") if amp else None
    rng = task.rng(0, "train")
    tokens = 0
    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        batch = task.sample(rng, batch_size, "train")
        tokens += count_tokens(batch)
        batch = batch.to(device)
        optimizer.zero_grad(set_to_none=True)
        if amp:
            with torch.autocast("cuda", dtype=torch.float16):
                loss = task.loss(model(batch), batch)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            scaler.step(optimizer)
            scaler.update()
        else:
            loss = task.loss(model(batch), batch)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
    sync(device)  # one wait at the end: the loop itself never waits for the device
    return tokens / (time.perf_counter() - started)


def trainer_vs_bare(steps: int, repeats: int, threads: int, device: str = "cpu") -> dict[str, Any]:
    """fit's own tokens per second (training steps only) / the bare loop's, same batches.

    ``fit`` evaluates once, after its last step, on 8 examples; its ``tokens_per_second``
    counts the training steps alone (batch draw, forward, backward, checks, clipping, Adam),
    which is what the bare loop times too. Both start from copies of one initial model and
    must end with the same parameters (checked).
    """
    task = case_task()
    torch.manual_seed(0)
    initial = make_model(CASE["model"], task.spec, hidden_size=CASE["hidden_size"])
    ends: dict[str, torch.nn.Module] = {}

    def seqbench_fit() -> float:
        model = copy.deepcopy(initial)
        result = fit(model, task, seed=0, device=device, steps=steps, eval_every=steps, eval_size=8, val_size=8,
                     batch_size=CASE["batch_size"], lr=1e-3, clip="norm", clip_value=1.0, threads=threads)
        ends["fit"] = model
        return result.tokens_per_second

    def bare() -> float:
        torch.set_num_threads(threads)
        model = copy.deepcopy(initial)
        value = bare_loop(model, task, steps, CASE["batch_size"], device)
        ends["bare"] = model
        return value

    figure = ratio_figure(seqbench_fit, bare, repeats)
    same = all(torch.allclose(a, b, atol=1e-5) for a, b in
               zip(ends["fit"].state_dict().values(), ends["bare"].state_dict().values()))
    return {**figure, "fit_tokens_per_s": figure.pop("a"), "bare_tokens_per_s": figure.pop("b"),
            "same_final_parameters": same, "steps_per_run": steps, "case": CASE}


def _core_step(core, x, lengths, device: str):
    def run() -> None:
        out, state = core(x, lengths)
        h = state[0] if isinstance(state, tuple) else state
        (out.sum() + h.sum()).backward()
    return run


def sigmoid_vs_fused(repeats: int, threads: int, device: str = "cpu", steps: int = 50,
                     batch: int = 64, hidden: int = 128, inputs: int = 32) -> dict[str, Any]:
    """Tokens per second (forward + backward of the core) of the sigmoid RNN / nn.RNN (tanh).

    The sigmoid side is ``RecurrentCore("sigmoid")`` as ``model=rnn_sigmoid`` builds it: the
    fused path (torch's tanh RNN kernel on g = 2h - 1, weights rebuilt from the sigmoid
    parameters on every call). Same sizes as the trainer case: batch 64, 50 steps, 32 input
    features (the default embedding size), 128 hidden units. Four comparisons: every sequence
    full length (the headline), lengths uniform in 1..50 (both sides then pack the batch), the
    hand-written cell (``SigmoidRNN(fused=False)``, the reference) against nn.RNN, and the
    plain autograd loop the cell started as (bench/reference.py) against nn.RNN.
    """
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch, steps, inputs, generator=g).to(device)
    full = torch.full((batch,), steps)
    mixed = torch.randint(1, steps + 1, (batch,), generator=g)
    torch.manual_seed(0)
    cores = {cell: RecurrentCore(cell, inputs, hidden).to(device) for cell in ("sigmoid", "tanh")}
    cores["hand_written"] = copy.deepcopy(cores["sigmoid"])
    cores["hand_written"].rnn.fused = False
    assert cores["sigmoid"].rnn.fused, "the figure times the default (fused) path"

    def throughput(run, lengths) -> float:
        return int(lengths.sum()) / seconds_per_call(run, min_seconds=0.2, device=device)

    def rate(cell: str, lengths):
        return lambda: throughput(_core_step(cores[cell], x, lengths, device), lengths)

    def plain() -> float:
        rnn = cores["sigmoid"].rnn

        def run() -> None:
            out, h = plain_sigmoid_rnn(rnn, x, full.to(device))
            (out.sum() + h.sum()).backward()
        return throughput(run, full)

    headline = ratio_figure(rate("sigmoid", full), rate("tanh", full), repeats)
    varied = ratio_figure(rate("sigmoid", mixed), rate("tanh", mixed), repeats)
    hand = ratio_figure(rate("hand_written", full), rate("tanh", full), repeats)
    before = ratio_figure(plain, rate("tanh", full), repeats)
    return {**{k: headline[k] for k in ("median", "min", "max", "repeats", "values", "best")},
            "path": "fused", "sigmoid_tokens_per_s": headline["a"], "fused_tanh_tokens_per_s": headline["b"],
            "variable_lengths_ratio": {k: varied[k] for k in ("median", "min", "max")},
            "hand_written_ratio": {k: hand[k] for k in ("median", "min", "max")},
            "hand_written_tokens_per_s": hand["a"],
            "plain_autograd_loop_ratio": {k: before[k] for k in ("median", "min", "max")},
            "sizes": {"batch": batch, "steps": steps, "inputs": inputs, "hidden": hidden}}


def scaling(lengths: tuple[int, ...], batches: tuple[int, ...], steps: int, threads: int,
            device: str = "cpu") -> dict[str, Any]:
    """Seconds per training step (bare loop, the trainer case) against length and batch size."""
    torch.set_num_threads(threads)
    points = [("length", L, CASE["batch_size"]) for L in lengths] + \
             [("batch", CASE["length"], B) for B in batches]
    rows = []
    for axis, length, batch_size in points:
        task = case_task(length)
        torch.manual_seed(0)
        model = make_model(CASE["model"], task.spec, hidden_size=CASE["hidden_size"])
        bare_loop(model, task, 1, batch_size, device)  # warm-up
        tokens_per_s = bare_loop(model, task, steps, batch_size, device)
        rows.append({"axis": axis, "length": length, "batch": batch_size, "tokens_per_s": tokens_per_s,
                     "ms_per_step": 1000 * length * batch_size / tokens_per_s})
    return {"points": rows, "steps": steps}


def gpu_figures(steps: int, repeats: int) -> dict[str, Any]:
    """cuDNN LSTM and GRU tokens per second (the trainer case) and AMP / fp32 for each."""
    out: dict[str, Any] = {"gpu": torch.cuda.get_device_name(0), "cudnn": torch.backends.cudnn.version()}
    task = case_task()
    for name in ("lstm", "gru"):
        torch.manual_seed(0)
        initial = make_model(name, task.spec, hidden_size=CASE["hidden_size"])
        bare_loop(copy.deepcopy(initial), task, 2, CASE["batch_size"], "cuda")  # warm-up (cuDNN plans)

        def run(amp: bool):
            return lambda: bare_loop(copy.deepcopy(initial), task, steps, CASE["batch_size"], "cuda", amp=amp)

        figure = ratio_figure(run(True), run(False), repeats)
        out[f"{name}_tokens_per_s"] = figure["b"]
        out[f"{name}_amp_tokens_per_s"] = figure["a"]
        out[f"{name}_amp_vs_fp32"] = {k: figure[k] for k in ("median", "min", "max", "repeats", "values")}
    return out
