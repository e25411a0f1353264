"""A bad argument to any argparse subcommand is one line naming the value, what is allowed and
the closest valid name; exit status 2, no usage block (issue 21, item 8)."""

import argparse

import pytest

from seqbench.cli.parsing import Parser, choice_message
from seqbench.core.errors import ConfigError

from conftest import run_cli, seqbench_cli


def one_line_error(*args: str) -> str:
    result = run_cli(*args, check=False)
    assert result.returncode == 2 and result.stdout == "", result
    assert result.stderr.count("\n") == 1 and "usage:" not in result.stderr, result.stderr
    assert result.stderr.startswith("seqbench: error: ")
    return result.stderr.strip()


def test_a_misspelled_preset_names_the_value_the_choices_and_the_closest():
    line = one_line_error("features", "--preset", "1080")
    assert line == ("seqbench: error: --preset '1080': choose from 1080p, 1440p, 480p, 4k, 720p, 8k, cifar, "
                    "imagenet, mnist, vga; did you mean '1080p'?")


def test_the_installed_script_says_the_same_in_one_line():
    done = seqbench_cli("features", "--preset", "1080", check=False)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.count("\n") == 1
    assert "did you mean '1080p'?" in done.stderr


@pytest.mark.parametrize("args, expected", [
    (("features", "--cell", "lstn", "--height", "3", "--width", "3"), "--cell 'lstn': choose from gru, lstm, "),
    (("features", "--prest", "4k"), "unrecognized arguments: --prest 4k; did you mean '--preset'?"),
    (("features", "--height", "tall"), "--height: invalid int value: 'tall' (see 'seqbench features --help')"),
    (("features", "--frames", "2", "--seconds", "3"), "--seconds: not allowed with argument --frames"),
    (("tasks", "--jsn"), "did you mean '--json'?"),
    (("models", "--jason"), "did you mean '--json'?"),
    (("check", "--modle", "lstm"), "did you mean '--model'?"),
    (("leaderboard",), "the following arguments are required: folders (see 'seqbench leaderboard --help')"),
    (("leaderboard", ".", "--best_seed"), "did you mean '--best-seed'?"),
    (("claims",), "the following arguments are required: DIR (see 'seqbench claims --help')"),
    (("generate", "parity"), "the following arguments are required: --out (see 'seqbench generate --help')"),
    (("generate", "parity", "--out", "x.jsonl", "--nn", "3"), "did you mean '--n'?"),
])
def test_every_subcommand_answers_a_usage_error_in_one_line(args, expected):
    assert expected in one_line_error(*args)


def test_help_still_prints_the_full_usage():
    result = run_cli("features", "--help")
    assert result.returncode == 0 and "--preset {1080p," in result.stdout


def test_the_parser_raises_a_config_error_and_parses_good_input():
    parser = Parser(prog="seqbench demo")
    parser.add_argument("--size", type=int, choices=[1, 2, 4])
    assert parser.parse_args(["--size", "2"]).size == 2
    with pytest.raises(ConfigError, match=r"^--size '3': choose from 1, 2, 4$"):  # nothing close enough to name
        parser.parse_args(["--size", "3"])
    assert isinstance(parser, argparse.ArgumentParser)


def test_choice_message_without_a_close_name():
    assert choice_message("--preset", "zzz", ["4k", "8k"]) == "--preset 'zzz': choose from 4k, 8k"
