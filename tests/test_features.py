"""The feature calculator against closed forms and against the models seqbench really builds."""

import json

import pytest
import torch

from conftest import run_cli as run_seqbench
from seqbench import make_model, make_task
from seqbench.core import memory
from seqbench.analysis import features as F
from seqbench.cli.features import main as features_main
from seqbench.core.errors import ConfigError, NotApplicableError
from seqbench.models import count_parameters

FRAME = 1920 * 1080 * 3  # the lecture's first question
VIDEO = FRAME * 4 * 60 * 30  # and its second: 4 minutes at 30 frames per second


def test_closed_forms():
    assert F.input_features(1080, 1920, 3) == FRAME == 6_220_800
    assert F.input_features(1080, 1920, 3, frames=7200) == VIDEO == 44_789_760_000
    assert F.video_frames(seconds=240, fps=30) == 7200
    assert F.dense_weights(FRAME, 1000) == FRAME * 1000
    assert F.dense_parameters(FRAME, 1000) == FRAME * 1000 + 1000
    assert F.dense_training_bytes(FRAME, 1000) == 16 * (FRAME * 1000 + 1000)
    r = F.report(1080, 1920, 3, hidden=1000, memory={"total": None, "available": None})
    assert r["dense"]["bytes"] == {"fp32": 4 * FRAME * 1000, "bf16": 2 * FRAME * 1000}
    assert round(r["dense"]["gb"]["fp32"], 1) == 24.9  # DESIGN.md's reference number
    assert r["dense"]["fits_in_available_memory"] is None


def run_cli(capsys, *argv):
    assert features_main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_command_answers_the_lecture(capsys):
    image = run_cli(capsys, "--height", "1080", "--width", "1920", "--channels", "3", "--json")
    assert image["features"] == FRAME
    video = run_cli(capsys, "--height", "1080", "--width", "1920", "--channels", "3", "--frames", "7200", "--json")
    assert video["features"] == VIDEO
    assert run_cli(capsys, "--preset", "1080p", "--seconds", "240", "--fps", "30", "--json")["features"] == VIDEO
    preset = run_cli(capsys, "--preset", "1080p", "--hidden", "64", "--json")
    explicit = run_cli(capsys, "--height", "1080", "--width", "1920", "--channels", "3", "--hidden", "64", "--json")
    assert {k: v for k, v in preset.items() if k != "machine_memory_bytes"} == \
        {k: v for k, v in explicit.items() if k != "machine_memory_bytes"}


def test_command_end_to_end():
    """Through ``seqbench.cli.main``, the dispatcher the ``seqbench`` script runs."""
    out = run_seqbench("features", "--height", "1080", "--width", "1920", "--channels", "3", "--json")
    assert json.loads(out.stdout)["features"] == FRAME


def test_command_text_and_errors(capsys):
    assert features_main(["--preset", "1080p"]) == 0
    text = capsys.readouterr().out
    assert "6,220,800" in text and "24.9 GB" in text and "same for any height" in text
    with pytest.raises(ConfigError, match="--height and --width"):
        features_main(["--height", "1080"])
    with pytest.raises(ConfigError, match="--fps"):
        features_main(["--preset", "4k", "--seconds", "10"])


@pytest.mark.parametrize("cell, model", [("lstm", "lstm"), ("gru", "gru"), ("tanh", "rnn_tanh"),
                                         ("sigmoid", "rnn_sigmoid")])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True)])
def test_row_reader_formula_matches_built_models_at_every_height(cell, model, layers, bidirectional):
    counts = set()
    for height in (4, 37, 1080):
        spec = make_task("shapes_rows", height=height, width=24, channels=3).spec
        built = make_model(model, spec, hidden_size=16, num_layers=layers, bidirectional=bidirectional)
        counts.add(count_parameters(built))
    assert len(counts) == 1  # the height is only the number of steps
    assert counts == {F.row_reader_parameters(24, 3, 16, cell, outputs=4, num_layers=layers,
                                              bidirectional=bidirectional)}


def test_mlp_formula_matches_built_model():
    spec = make_task("shapes", height=12, width=20, channels=3).spec
    built = make_model("mlp", spec, hidden_size=32, num_layers=2)
    assert count_parameters(built) == F.mlp_parameters(12 * 20 * 3, 32, 2, 4)
    assert built.body[0].weight.numel() == F.dense_weights(12 * 20 * 3, 32)


def test_conv_formula_matches_a_real_conv_stack_at_any_size():
    model = F.conv_model(3, (8, 16), kernel=5, outputs=4)
    assert count_parameters(model) == F.conv_parameters(3, (8, 16), kernel=5, outputs=4)
    for h, w in ((9, 9), (30, 17)):  # one set of weights reads any height and width
        assert tuple(model(torch.zeros(2, 3, h, w)).shape) == (2, 4)


def test_dense_check_refuses_before_allocating(monkeypatch):
    with pytest.raises(NotApplicableError, match="does not fit in memory"):
        F.check_dense_fits(FRAME, 1000, available=24 * 10**9)
    F.check_dense_fits(784, 128, available=24 * 10**9)  # fits: no error
    # an mlp for a 64x64 colour image needs 16 x 12288 x 128 bytes for its first layer
    monkeypatch.setattr(memory, "machine_memory", lambda: {"total": 10**7, "available": 10**7})
    spec = make_task("shapes", height=64).spec
    with pytest.raises(NotApplicableError, match="25.2 MB"):
        make_model("mlp", spec, hidden_size=128)
    make_model("lstm", make_task("shapes_rows", height=64).spec)  # other models are not affected


def test_a_machine_with_64_gb_refuses_an_8k_square_mlp(monkeypatch):
    # the memory is given, not read from this host: the answer must not depend on where tests run
    monkeypatch.setattr(memory, "machine_memory", lambda: {"total": 64 * 10**9, "available": 48 * 10**9})
    spec = make_task("shapes", height=8192).spec  # 201 million inputs x 128 units: 412 GB to train
    with pytest.raises(NotApplicableError, match="412.3 GB"):
        make_model("mlp", spec)


def test_machine_memory_is_read():
    memory = F.machine_memory()
    assert memory["total"] > 0 and 0 < memory["available"] <= memory["total"]


def test_bad_arguments_are_config_errors():
    with pytest.raises(ConfigError, match="height=0"):
        F.input_features(0, 10)
    with pytest.raises(ConfigError, match="cell='lsmt'"):
        F.recurrent_parameters("lsmt", 10, 10)
