"""The model conformance checker (``seqbench check --model``) and the task checks for decoder kinds.

The checker must pass the built-in models, pass a plugin written from the README alone, and
catch each way a model can break the contract with a message that names what was expected.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from docs_text import blocks, section
from seqbench import EOS, Knob, ModelDef, NotApplicableError, Tokens, decoder_vocabulary, make_task, with_eos
from seqbench.conformance.task_checks import check_task
from seqbench.cli import main
from seqbench.conformance.model_checks import CASES, check_model
from seqbench.core.registry import MODELS, TASKS
from seqbench.core.task import to_batch
from seqbench.tasks.parity import Parity
from seqbench.tasks.reverse import Reverse

ONE_KIND = {"many_to_one": CASES["many_to_one"]}
LM = {"lm": CASES["lm"]}
DECODER = {"one_to_many": CASES["one_to_many"]}


@contextmanager
def registered(registry, name, obj):
    registry.register(name, obj)
    try:
        yield
    finally:
        registry.unregister(name)


@pytest.mark.slow
@pytest.mark.parametrize("name, case", [(name, case) for name in MODELS.names() for case in CASES])
def test_every_registered_model_conforms(name, case):
    """One test per model and kind (scikit-learn's parametrize_with_checks): plugins included."""
    report = check_model(name, cases={case: CASES[case]})
    assert report.ok, report.failures


@pytest.mark.slow
def test_check_command_exits_0_on_a_conforming_model(capsys):
    assert main(["check", "--model", "transformer"]) == 0
    out = capsys.readouterr().out
    for case in CASES:  # every kind was tried: none is skipped silently
        assert re.search(rf"^  ok   {re.escape(case)} \(", out, flags=re.M), out


def test_not_applicable_kinds_are_reported_with_the_reason():
    cases = {kind: CASES[kind] for kind in ("many_to_one", "lm", "one_to_many")}
    report = check_model("lstm", cases=cases, bidirectional=True)
    assert report.ok and set(report.results) == {"many_to_one"}
    assert set(report.not_applicable) == {"lm", "one_to_many"}
    assert "cannot be a language model" in report.not_applicable["lm"]


def test_a_plugin_written_from_the_readme_passes(capsys):
    """The "Adding a model" example of docs/extending.md, executed as written, registered, and checked."""
    code = blocks(section("docs/extending.md", "Adding a model"), "python")
    assert len(code) == 1
    namespace: dict = {}
    exec(compile(code[0], "docs/extending.md", "exec"), namespace)
    name = "mean_embedding_from_the_readme"  # the README's plugin may be installed as mean_embedding
    with registered(MODELS, name, replace(namespace["mean_embedding"], name=name)):
        assert main(["check", "--model", name]) == 0
        out = capsys.readouterr().out
        report = check_model(name)
    assert re.search(r"^  ok   many_to_one \(parity\)$", out, flags=re.M), out
    assert re.search(r"^  n/a  seq2seq \(reverse\): a mean of embeddings gives one output", out, flags=re.M), out
    assert set(report.results) == {"many_to_one", "many_to_one (regression)", "one_to_one"} and report.ok


# ---------------------------------------------------------------------- broken models, one defect each
class Classifier(nn.Module):
    """A correct many_to_one model (final GRU state -> head); the defects below subclass it."""

    def __init__(self, spec, hidden_size=8):
        super().__init__()
        self.embed = nn.Embedding(spec.input.size, hidden_size)
        self.rnn = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, spec.output.size)

    def forward(self, batch):
        _, h = self.rnn(self.embed(batch.inputs))  # (1, B, H)
        return self.head(h[0])  # (B, K)


class ExtraAxis(Classifier):
    def forward(self, batch):
        return super().forward(batch)[:, None, :]  # (B, 1, K): one axis too many


class ReturnsIds(Classifier):
    def forward(self, batch):
        return super().forward(batch).long()  # (B, K) integers instead of logits


class PeeksAtTargets(Classifier):
    def forward(self, batch):
        out = super().forward(batch)
        return out + nn.functional.one_hot(batch.targets, out.shape[1])  # reads the answers, even at evaluation


class NumpyInit(Classifier):
    def __init__(self, spec, hidden_size=8):
        super().__init__(spec, hidden_size)
        with torch.no_grad():  # initial weights from an unseeded generator outside torch
            self.head.weight.copy_(torch.from_numpy(np.random.default_rng().normal(size=self.head.weight.shape)))


class UnusedLayer(Classifier):
    def __init__(self, spec, hidden_size=8):
        super().__init__(spec, hidden_size)
        self.spare = nn.Linear(hidden_size, hidden_size)  # never used in forward


class OldBeginStep(Classifier):
    def begin_step(self, step):  # the trainer calls begin_step(step, total_steps)
        pass


class ClaimsState(nn.Module):
    """An lm model that says it carries state but its forward takes no state."""

    carries_state, last_state = True, None

    def __init__(self, spec, hidden_size=8):
        super().__init__()
        self.embed = nn.Embedding(spec.input.size, hidden_size)
        self.rnn = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, spec.output.size)

    def forward(self, batch):
        out, self.last_state = self.rnn(self.embed(batch.inputs))
        return self.head(out)  # (B, T, V)


class ForgetsState(ClaimsState):
    """Accepts the state and then ignores it: chunks differ from one whole pass."""

    def forward(self, batch, state=None):
        return super().forward(batch)


class LeakyForcing(nn.Module):
    """A one_to_many decoder whose forced_length() does nothing: EOS is still chosen."""

    def __init__(self, spec, hidden_size=8):
        super().__init__()
        self.read = nn.Linear(spec.input.size, hidden_size)
        self.head = nn.Linear(hidden_size, spec.output.size)
        with torch.no_grad():
            self.head.bias[EOS] = 10.0  # EOS wins every step

    def forward(self, batch):
        h = torch.tanh(self.read(batch.inputs))  # (B, H)
        return self.head(h)[:, None, :].expand(-1, batch.targets.shape[1], -1)  # (B, T_out, V)

    @contextmanager
    def forced_length(self):
        yield


def _meta_dependent(spec, o):
    extra = 0 if torch.get_default_device().type == "meta" else 1
    return Classifier(spec, o["hidden_size"] + extra)


def _family(cls_or_builder, options=(Knob("hidden_size", 8, low=1, high=64),)):
    builder = cls_or_builder if not isinstance(cls_or_builder, type) else (
        lambda spec, o: cls_or_builder(spec, o["hidden_size"]) if spec.kind == "many_to_one" or cls_or_builder
        in (ClaimsState, ForgetsState, LeakyForcing) else _refuse(spec))
    return ModelDef("broken", "a deliberately broken model", options, builder)


def _refuse(spec):
    raise NotApplicableError(f"{spec.kind}: not this test's kind")


@pytest.mark.parametrize("defect, cases, message", [
    (ExtraAxis, ONE_KIND, "check_output: train batch, training mode: output shape (6, 1, 2), expected (6, 2): "
                          "(B, K) = (batch, classes)"),
    (ReturnsIds, ONE_KIND, "output dtype torch.int64, expected a floating dtype"),
    (PeeksAtTargets, ONE_KIND, "check_evaluation_ignores_targets: evaluation output changed when only the targets"),
    (NumpyInit, ONE_KIND, "check_determinism: two builds with the same seed gave different outputs"),
    (UnusedLayer, ONE_KIND, "check_training: no gradient reaches spare.weight, spare.bias"),
    (OldBeginStep, ONE_KIND, "begin_step(step, total_steps) cannot be called as the trainer does"),
    (_meta_dependent, ONE_KIND, "check_parameter_count: a meta-device build has"),
    (ClaimsState, LM, "check_hooks: carries_state is True but forward(batch, state=...) fails"),
    (ForgetsState, LM, "check_hooks: two chunks with the state carried across differ from one pass"),
    (LeakyForcing, DECODER, "check_hooks: inside forced_length() a greedy step still chose EOS"),
])
def test_the_checker_names_each_defect(defect, cases, message):
    report = check_model(_family(defect), cases=cases)
    assert any(message in failure for failure in report.failures), report.failures


def test_a_broken_plugin_fails_the_command_with_exit_1(capsys):
    with registered(MODELS, "broken", _family(ExtraAxis)):
        assert main(["check", "--model", "broken"]) == 1
    out = capsys.readouterr().out
    assert "FAIL many_to_one (parity)" in out and "expected (6, 2)" in out
    assert "n/a  lm (markov_lm): lm: not this test's kind" in out


def test_unknown_model_is_a_one_line_error(capsys):
    assert main(["check", "--model", "lstmm"]) == 2
    assert capsys.readouterr().err.strip() == ("seqbench: error: unknown model 'lstmm'; did you mean 'lstm'? "
                                               f"Known models: {', '.join(MODELS.names())}")


# ---------------------------------------------------------------------- task checks for decoder kinds
class NoEos(Reverse):
    name = "no_eos"

    def build_spec(self):
        spec = super().build_spec()
        symbols = spec.output.symbols
        return replace(spec, output=Tokens((symbols[0], *symbols[2:], "<eos>")))  # <eos> moved to the end


class Unbounded(Reverse):
    name = "unbounded"

    def build_spec(self):
        return replace(super().build_spec(), max_output_length=None)


class ColumnLabels(Parity):
    name = "column_labels"

    def generate(self, rng, n, split):
        batch = super().generate(rng, n, split)
        return replace(batch, targets=batch.targets[:, None])  # (B, 1) instead of (B,)


class ShortMask(Reverse):
    name = "short_mask"

    def generate(self, rng, n, split):
        batch = super().generate(rng, n, split)
        return replace(batch, target_mask=batch.target_mask[:, :-1])  # one column short of the targets


class Misaligned(Parity):
    """A tagging task whose targets are one step shorter than its inputs."""

    name = "misaligned"
    kind = "tagging"

    def build_spec(self):
        spec = super().build_spec()
        return replace(spec, kind="tagging", output=Tokens(("<pad>", "even", "odd")))

    def generate(self, rng, n, split):
        lengths = self.sample_lengths(rng, n, split)
        width = int(lengths.max())
        mask = np.arange(width)[None, :] < lengths[:, None]
        bits = (rng.random(mask.shape) < 0.5) & mask
        inputs = np.where(mask, bits + 1, 0)
        return to_batch(inputs, inputs[:, :-1], lengths, mask[:, :-1])


@pytest.mark.parametrize("cls, message", [
    (NoEos, "check_spec: a decoder's output vocabulary must start '<pad>', '<eos>' (ids 0 and 1); "
            "it starts '<pad>', 'a'"),
    (Unbounded, "check_spec: seq2seq task must declare spec.max_output_length"),
    (ColumnLabels, "labels must be int64 (B,) = (16,), got (16, 1) torch.int64"),
    (ShortMask, "sequence targets need a bool target_mask of their shape"),
    (Misaligned, "tagging targets must align with the inputs: expected (B, T) = (16, "),
])
def test_task_checks_catch_decoder_and_shape_mistakes(cls, message):
    problems = check_task(cls())
    assert any(message in p for p in problems), problems


def test_check_command_reports_a_plugin_task_without_eos(capsys):
    with registered(TASKS, "no_eos", NoEos):
        assert main(["check", "no_eos"]) == 1
    out = capsys.readouterr().out
    assert "FAIL no_eos" in out and "seqbench.core.decoding.decoder_vocabulary" in out


def test_decoder_helpers_are_public():
    targets, mask = with_eos(np.array([[2, 3], [4, 0]]), np.array([2, 1]))
    assert targets.tolist() == [[2, 3, EOS], [4, EOS, 0]] and mask.tolist() == [[1, 1, 1], [1, 1, 0]]
    assert make_task("reverse", vocab_size=3).spec.output == decoder_vocabulary("abc")
