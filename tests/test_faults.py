"""Faults are recorded, not crashed on; broken plugins get precise messages naming the check."""

import numpy as np
import pytest
import torch

from seqbench import Classes, TaskSpec, Tokens
from seqbench.conformance.task_checks import check_task
from seqbench.runs.experiment import run_experiment
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch

from conftest import seqbench_cli

TINY = {"steps": 2, "eval_every": 1, "eval_size": 8, "batch_size": 4}


@pytest.mark.parametrize("error", [torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB"),
                                   MemoryError()])
def test_out_of_memory_is_recorded_as_failed_with_a_hint(tmp_path, monkeypatch, error):
    def explode(*args, **kwargs):
        raise error

    monkeypatch.setattr("seqbench.runs.experiment.fit_config", explode)
    record = run_experiment({"name": "parity"}, {"name": "gru"}, TINY, out_dir=tmp_path)
    assert record["status"] == "failed"
    assert "out of memory: try a smaller trainer.batch_size or model.hidden_size" in record["error"]


class GoodBits(SequenceTask):
    name = "good_bits"
    kind = "many_to_one"
    knobs = length_knobs(length=6)

    def build_spec(self):
        return TaskSpec("many_to_one", Tokens(("<pad>", "0", "1")), Classes(2), "accuracy",
                        lengths=(self.min_length, self.length), ood_lengths=(self.length + 1, self.ood_length))

    def generate(self, rng, n, split):
        lengths = self.sample_lengths(rng, n, split)
        mask = padding_mask(lengths, int(lengths.max()))
        bits = (rng.random(mask.shape) < 0.5) & mask
        return to_batch(np.where(mask, bits + 1, 0), bits.sum(1) % 2, lengths)


class IgnoresSeed(GoodBits):
    def generate(self, rng, n, split):
        return super().generate(np.random.default_rng(42), n, split)


class WrongShapes(GoodBits):
    def generate(self, rng, n, split):
        batch = super().generate(rng, n, split)
        batch.targets = batch.targets[:, None].repeat(1, 2)
        return batch


class OutOfVocabulary(GoodBits):
    def generate(self, rng, n, split):
        batch = super().generate(rng, n, split)
        batch.targets = batch.targets + 5
        return batch


class PaddingInside(GoodBits):
    def generate(self, rng, n, split):
        batch = super().generate(rng, n, split)
        batch.inputs[:, 0] = 0
        return batch


class ShortOod(GoodBits):
    def lengths_for(self, split):
        return self.spec.lengths  # test_ood no longer than training


@pytest.mark.parametrize(
    ("task_cls", "check", "words"),
    [
        (IgnoresSeed, "check_determinism", "ignore the generator"),
        (WrongShapes, "check_shapes", "labels must be int64 (B,)"),
        (OutOfVocabulary, "check_values", "targets must be in [0, 2)"),
        (PaddingInside, "check_values", "<pad> (id 0) inside an input's length"),
        (ShortOod, "check_long_inputs", "not above the training maximum"),
    ],
)
def test_broken_tasks_fail_the_named_check(task_cls, check, words):
    assert check_task(GoodBits()) == []
    failures = check_task(task_cls())
    assert any(f.startswith(check) and words in f for f in failures), failures


@pytest.mark.slow
def test_check_command_names_the_task_and_the_failed_check(tmp_path):
    package = tmp_path / "site" / "bad_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        "import numpy as np\n"
        "from seqbench.tasks.parity import Parity\n"
        "class Stubborn(Parity):\n"
        "    name = 'stubborn'\n"
        "    def generate(self, rng, n, split):\n"
        "        return super().generate(np.random.default_rng(0), n, split)\n")
    info = tmp_path / "site" / "bad_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bad-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[seqbench.tasks]\nstubborn = bad_plugin:Stubborn\n")
    result = seqbench_cli("check", "stubborn", "parity", env={"PYTHONPATH": str(tmp_path / "site")}, check=False)
    assert result.returncode == 1
    assert "FAIL stubborn" in result.stdout and "check_determinism" in result.stdout
    assert "ok   parity" in result.stdout  # the built-ins stay usable
