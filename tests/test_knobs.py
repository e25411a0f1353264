"""Knob validation: every bad value names the key, the value and what is allowed."""

import pytest

from seqbench import make_task
from seqbench.core.errors import ConfigError
from seqbench.core.options import Knob, validate_knobs


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"length": -3}, "task.length=-3: must be an integer in [1, 100000]"),
        ({"length": 2.5}, "task.length=2.5: must be an integer in [1, 100000]"),
        ({"length": "ten"}, "task.length='ten': must be an integer in [1, 100000]"),
        ({"length": True}, "task.length=True: must be an integer in [1, 100000]"),
        ({"p_one": 1.5}, "task.p_one=1.5: must be a number in [0, 1]"),
        ({"p_one": float("nan")}, "task.p_one=nan: must be a number in [0, 1]"),
        ({"lenght": 5}, "task.lenght: unknown key; did you mean 'task.length'?"),
        ({"min_length": 9, "length": 4}, "task.min_length=9: must be <= task.length=4"),
        ({"length": 8, "ood_length": 8}, "task.ood_length=8: must be > task.length=8"),
    ],
)
def test_bad_parity_knobs_say_key_value_and_allowed(values, message):
    with pytest.raises(ConfigError) as error:
        make_task("parity", **values)
    assert str(error.value).startswith(message)


def test_choices_suggest_the_closest():
    knob = Knob("schedule", "constant", choices=("constant", "linear"))
    with pytest.raises(ConfigError, match="did you mean 'linear'"):
        validate_knobs("model", (knob,), {"schedule": "lniear"})


def test_defaults_fill_in_and_integral_floats_become_ints():
    knob = Knob("length", 16, low=1)
    assert validate_knobs("task", (knob,), {}) == {"length": 16}
    assert validate_knobs("task", (knob,), {"length": 4.0}) == {"length": 4}
