"""Conformance checks every model must pass: ``seqbench check --model NAME`` (seqbench's ``check_estimator``).

:func:`check_model` builds the model for one small task of every kind (:data:`CASES`) and
runs each ``check_*`` function on it. A model that cannot serve a kind says so by raising
:class:`~seqbench.core.errors.NotApplicableError` in its builder; that kind is reported as
``not_applicable`` with the reason, not as a failure. Every other problem is a failure with a
message that says what was expected. The checks work the same on plugin models.

>>> report = check_model("gru")
>>> report.failures, sorted(report.not_applicable)
([], [])
>>> sorted(check_model("mlp").not_applicable)  # an mlp sees the characters it should predict
['lm']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import torch
from torch import nn

from seqbench.core.batch import Batch
from seqbench.conformance.task_checks import CheckFailure, run_checks
from seqbench.core.errors import NotApplicableError
from seqbench.core.model_def import ModelDef, count_parameters
from seqbench.models.hooks import CarriesState, FixedLength, ForcedDecoding, ScheduledModel
from seqbench.core.spec import Real
from seqbench.core.task import Task

#: kind -> (task, knobs): one small built-in task per kind (and a regression variant).
CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "many_to_one": ("parity", {"length": 8, "ood_length": 10}),  # test: labels of both kinds
    "many_to_one (regression)": ("adding", {"length": 6, "ood_length": 8}),
    "one_to_one": ("digits", {}),
    "tagging": ("bracket_depth", {"length": 6, "ood_length": 8}),
    "lm": ("markov_lm", {"length": 12, "ood_length": 16}),
    "seq2seq": ("reverse", {"length": 4, "ood_length": 6}),
    "one_to_many": ("number_words", {"max_value": 99}),  # val and test: 9 and 18 numbers never trained on
}
#: options the checks build with where the model has them (small, so the checks take seconds)
SMALL = {"hidden_size": 8, "embedding_size": 4}
BATCH = 6


@dataclass
class Case:
    """One model on one task: what every check receives."""

    definition: ModelDef
    task: Task
    options: dict[str, Any]
    seed: int = 0

    def build(self) -> nn.Module:
        torch.manual_seed(self.seed)
        return self.definition.build(self.task.spec, **self.options)

    def batch(self, split: str = "train", n: int = BATCH) -> Batch:
        return self.task.sample(self.task.rng(0, split), n, split)


def _fail(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailure(message)


def expected_shape(case: Case, batch: Batch) -> tuple[tuple[int, ...], str]:
    """The output shape the task's kind asks for, and how to say it.

    >>> from seqbench import make_task
    >>> task = make_task("reverse", length=4)
    >>> case = Case(ModelDef("x", "", (), lambda spec, o: None), task, {})
    >>> expected_shape(case, case.batch())[1]
    '(B, T_out, V) = (batch, padded target width, output vocabulary)'
    """
    spec, b = case.task.spec, batch.size
    if spec.is_decoder_output:
        return (b, batch.targets.shape[1], spec.output.size), "(B, T_out, V) = (batch, padded target width, output vocabulary)"
    if spec.aligned_output:
        return (b, batch.inputs.shape[1], spec.output.size), "(B, T, K) = (batch, input steps, classes)"
    if isinstance(spec.output, Real):
        return (b,), "(B,) = one real value per example"
    return (b, spec.output.size), "(B, K) = (batch, classes)"


def check_output(case: Case) -> None:
    """The output has the kind's shape, a floating dtype and finite values, in training and in
    evaluation mode and on ``test_ood`` inputs longer than any training input (unless the model
    declares, through the ``FixedLength`` hook, that it reads no input that long)."""
    model = case.build()
    splits = ["train"] + (["test_ood"] if "test_ood" in case.task.splits else [])
    for split in splits:
        batch = case.batch(split)
        if split != "train" and _too_long(model, batch):
            continue
        for training in (True, False):
            model.train(training)
            with torch.no_grad():
                out = model(batch)
            where = f"{split} batch, {'training' if training else 'evaluation'} mode"
            _fail(isinstance(out, torch.Tensor), f"{where}: forward must return a tensor, got {type(out).__name__}")
            want, meaning = expected_shape(case, batch)
            _fail(tuple(out.shape) == want, f"{where}: output shape {tuple(out.shape)}, expected {want}: {meaning}")
            _fail(out.dtype.is_floating_point, f"{where}: output dtype {out.dtype}, expected a floating dtype "
                  "(logits or values, never a loss or class ids)")
            _fail(bool(torch.isfinite(out).all()), f"{where}: output has non-finite values")


def _too_long(model: nn.Module, batch: Batch) -> bool:
    limit = model.max_input_length if isinstance(model, FixedLength) else None
    return limit is not None and batch.inputs.dim() >= 2 and batch.lengths is not None and batch.inputs.shape[1] > limit


def check_evaluation_ignores_targets(case: Case) -> None:
    """In evaluation mode the output does not depend on the targets' values (only on their shape)."""
    model = case.build().eval()
    batch = case.batch("test")
    other = torch.flip(batch.targets, dims=[0])  # other values, same shape and dtype
    with torch.no_grad():
        a, b = model(batch), model(replace(batch, targets=other))
    _fail(torch.equal(a, b), "evaluation output changed when only the targets changed: "
          "at evaluation a model may read the targets' shape (how many steps to decode), never their values")


def check_parameter_count(case: Case) -> None:
    """A build on torch's meta device (what ``param_budget`` searches with) has exactly the
    parameters of a real build; ``param_budget`` set to that count picks the same ``hidden_size``."""
    real = count_parameters(case.build())
    _fail(real > 0, "the model has no trainable parameters")
    try:
        with torch.device("meta"):
            meta_model = case.definition.build(case.task.spec, **case.options)
    except Exception as exc:  # noqa: BLE001 - the builder's own failure is the finding
        raise CheckFailure(f"cannot be built on the meta device ({type(exc).__name__}: {exc}); "
                           "param_budget then builds real weights for every candidate size") from None
    meta = sum(p.numel() for p in meta_model.parameters() if p.requires_grad)
    _fail(meta == real, f"a meta-device build has {meta:,} parameters, a real build {real:,}: "
          "the builder must not depend on where tensors live")
    names = {k.name for k in case.definition.options}
    if {"hidden_size", "param_budget"} <= names and "hidden_size" in case.options:
        budget = {k: v for k, v in case.options.items() if k != "hidden_size"}
        model = case.definition.build(case.task.spec, **budget, param_budget=real)
        _fail(model.build_options["hidden_size"] == case.options["hidden_size"],
              f"param_budget={real} (the count at hidden_size={case.options['hidden_size']}) chose "
              f"hidden_size={model.build_options['hidden_size']}: the parameter count must grow with hidden_size")


def check_determinism(case: Case) -> None:
    """The same seed gives the same weights and outputs; another seed other weights."""
    batch = case.batch("test")
    outputs = []
    for seed in (case.seed, case.seed, case.seed + 1):
        model = replace(case, seed=seed).build().eval()
        with torch.no_grad():
            outputs.append(model(batch))
    _fail(torch.equal(outputs[0], outputs[1]), "two builds with the same seed gave different outputs "
          "(draw every random number from torch's seeded generator, at build time)")
    _fail(not torch.equal(outputs[0], outputs[2]), f"seeds {case.seed} and {case.seed + 1} gave the same outputs: "
          "are the initial weights random?")


def check_training(case: Case, steps: int = 8, lr: float = 0.01) -> None:
    """One training step runs and reaches every parameter; a few Adam steps on one tiny batch
    lower the task's loss."""
    model = case.build().train()
    batch = case.batch("train")
    from seqbench.engine.optim import Adam

    optimizer = Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        if isinstance(model, ScheduledModel):
            model.begin_step(step, steps)
        optimizer.zero_grad()
        loss = case.task.loss(model(batch), batch)
        _fail(loss.dim() == 0 and bool(torch.isfinite(loss)), f"step {step}: the task's loss is {loss} (not finite)")
        loss.backward()
        if step == 0:
            missing = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None]
            _fail(not missing, f"no gradient reaches {', '.join(missing[:4])}{' ...' if len(missing) > 4 else ''}: "
                  "parameters the forward pass never uses")
        optimizer.step()
        losses.append(float(loss.detach()))
    _fail(losses[-1] < losses[0], f"the loss did not go down over {steps} Adam steps (lr={lr}) on one batch: "
          f"{losses[0]:.4f} -> {losses[-1]:.4f}")


def check_hooks(case: Case) -> None:
    """Declared hooks behave: ``begin_step(step, total_steps)`` accepts the trainer's call, a
    decoder's ``forced_length()`` keeps greedy decoding off EOS and restores the model, and a
    model that carries state gives, chunk by chunk, what it gives on the whole sequence."""
    model = case.build()
    if isinstance(model, ScheduledModel):
        try:
            model.begin_step(0, 10)
            model.begin_step(9, 10)
        except TypeError as exc:
            raise CheckFailure(f"begin_step(step, total_steps) cannot be called as the trainer does: {exc}") from None
    if isinstance(model, ForcedDecoding) and case.task.spec.is_decoder_output:
        _check_forced_length(model.eval(), case.batch("test"))
    if not (isinstance(model, CarriesState) and model.carries_state):
        return
    if not case.task.spec.aligned_output:
        return  # truncated BPTT only runs on aligned outputs (tagging, lm)
    model.eval()
    batch = case.batch("train")
    steps = batch.inputs.shape[1]
    if batch.lengths is not None and bool((batch.lengths < steps).any()):
        return  # the chunk-by-chunk identity is checked on equal lengths (lm streams)
    cut = steps // 2
    with torch.no_grad():
        whole = model(batch)
        try:
            first = model(_chunk(batch, 0, cut), state=None)
            state = model.last_state
            _fail(state is not None, "carries_state is True but last_state is None after a forward pass")
            second = model(_chunk(batch, cut, steps), state=state)
        except TypeError as exc:
            raise CheckFailure(f"carries_state is True but forward(batch, state=...) fails: {exc}") from None
    joined = torch.cat([first, second], dim=1)  # (B, T, K)
    _fail(torch.allclose(joined, whole, atol=1e-5), "two chunks with the state carried across differ from one "
          f"pass over the whole sequence (largest difference {float((joined - whole).abs().max()):.3g})")


def _check_forced_length(model: nn.Module, batch: Batch) -> None:
    """Inside ``forced_length()`` greedy decoding never chooses EOS; outside it nothing changed."""
    from seqbench.core.spec import EOS

    with torch.no_grad():
        before = model(batch)
        with model.forced_length():
            forced = model(batch)  # (B, T_out, V)
        after = model(batch)
    _fail(forced.shape == before.shape, f"forced_length() changed the output shape {tuple(before.shape)} "
          f"to {tuple(forced.shape)}")
    _fail(not bool((forced.argmax(-1) == EOS).any()), "inside forced_length() a greedy step still chose EOS")
    _fail(torch.equal(before, after), "the output changed after leaving forced_length(): it must restore the model")


def _chunk(batch: Batch, start: int, stop: int) -> Batch:
    lengths = None if batch.lengths is None else torch.full_like(batch.lengths, stop - start)
    mask = None if batch.target_mask is None else batch.target_mask[:, start:stop]
    return Batch(batch.inputs[:, start:stop], batch.targets[:, start:stop], lengths, mask)


MODEL_CHECKS: tuple[Callable[[Case], None], ...] = (
    check_output, check_evaluation_ignores_targets, check_parameter_count, check_determinism, check_training,
    check_hooks,
)


@dataclass
class ModelReport:
    """What :func:`check_model` found: per case ``ok``, ``not_applicable`` (with the reason) or failures."""

    model: str
    results: dict[str, list[str]] = field(default_factory=dict)  #: case -> failure messages
    not_applicable: dict[str, str] = field(default_factory=dict)  #: case -> reason
    tasks: dict[str, str] = field(default_factory=dict)  #: case -> task name

    @property
    def failures(self) -> list[str]:
        return [f"{case}: {message}" for case, messages in self.results.items() for message in messages]

    @property
    def ok(self) -> bool:
        return not self.failures


def check_model(model: str | ModelDef, cases: dict[str, tuple[str, dict[str, Any]]] | None = None,
                **options: Any) -> ModelReport:
    """Run every model check on ``model`` (a registered name or a :class:`ModelDef`) for each case.

    ``options`` override the small sizes the checks build with (:data:`SMALL`, applied where
    the model has those options).
    """
    from seqbench.core.registry import MODELS, TASKS

    definition = MODELS.get(model) if isinstance(model, str) else model
    names = {k.name for k in definition.options}
    chosen = {**{k: v for k, v in SMALL.items() if k in names}, **options}
    report = ModelReport(definition.name)
    for label, (task_name, knobs) in (cases or CASES).items():
        task = TASKS.get(task_name)(**knobs)
        report.tasks[label] = task_name
        case = Case(definition, task, chosen)
        try:
            case.build()
        except NotApplicableError as exc:
            report.not_applicable[label] = str(exc)
            continue
        except Exception as exc:  # noqa: BLE001 - a builder that crashes is the finding
            report.results[label] = [f"build: raised {type(exc).__name__}: {exc}"]
            continue
        report.results[label] = _run(case)
    return report


def _run(case: Case) -> list[str]:
    # the other checks all run the forward pass: after a failed check_output one message is enough
    return run_checks(MODEL_CHECKS, case, fatal=(check_output,))
