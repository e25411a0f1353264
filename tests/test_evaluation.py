"""Issue 13: shared evaluation sets, intervals, same-sample baselines, length generalisation,
seq2seq failures attributed, no scores for untrained parts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from seqbench import make_model, make_task
from seqbench.engine.evaluation import baseline_scores, make_eval_sets, score_splits
from seqbench.runs.experiment import run_experiment
from seqbench.core.metrics import collect, first_eos, macro_f1, summarize

TINY = {"steps": 3, "eval_every": 3, "eval_size": 200, "val_size": 50, "batch_size": 8}


def test_seeds_and_models_share_the_evaluation_examples(tmp_path):
    records = [run_experiment({"name": "parity", "length": 6}, {"name": model, "hidden_size": 8}, TINY, seed=seed,
                              out_dir=tmp_path / f"{model}{seed}") for model, seed in [("gru", 0), ("gru", 1), ("lstm", 2)]]
    prints = [r.dataset_fingerprint for r in records]
    assert set(prints[0]) == {"val", "test", "test_ood"}
    assert prints[0] == prints[1] == prints[2]  # the exam does not depend on the seed or the model
    assert records[0].metrics["test"] != records[1].metrics["test"] or records[0].history != records[1].history


def test_the_training_stream_never_coincides_with_the_evaluation_stream():
    task = make_task("parity", length=12)
    exam = make_eval_sets(task, test_size=300, val_size=100)["test"]
    for seed in (0, 1, 2**32 - 1):
        train = task.sample(task.rng(seed, "test"), 300, "test")
        assert train.fingerprint() != exam.fingerprint()


def test_every_metric_of_every_split_has_an_interval_around_its_value(tmp_path):
    for task, model in [("reverse", "gru"), ("pos_tagging", "lstm"), ("markov_lm", "gru"), ("adding", "rnn_tanh"),
                        ("number_words", "gru"), ("digits", "mlp")]:
        record = run_experiment({"name": task}, {"name": model, "hidden_size": 8}, TINY, out_dir=tmp_path / task)
        assert record.status == "ok", record.error
        for split, values in record.metrics.items():
            for metric, value in values.items():
                low, high = record.intervals[split][metric]
                assert low - 1e-9 <= value <= high + 1e-9, (task, split, metric, low, value, high)
        for split, baselines in record.baselines.items():
            for name, scores in baselines.items():
                for metric, value in scores.items():
                    low, high = record.baseline_intervals[split][name][metric]
                    assert low - 1e-9 <= value <= high + 1e-9, (task, name, metric)


@pytest.mark.slow
def test_macro_f1_matches_scikit_learn_and_resamples_cheaply():
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(0)
    example = np.sort(rng.integers(0, 100, 2000))
    true = rng.integers(0, 6, 2000)
    pred = np.where(rng.random(2000) < 0.7, true, rng.integers(0, 9, 2000))  # includes tags never in the targets
    records = {"token_true": true, "token_pred": pred, "token_example": example, "hits": np.zeros(100)}
    expected = f1_score(true, pred, labels=np.unique(true), average="macro", zero_division=0)
    assert macro_f1(records) == pytest.approx(expected, abs=1e-12)
    ones = np.ones((3, 100))
    assert macro_f1(records, ones) == pytest.approx([expected] * 3, abs=1e-12)  # weight 1 everywhere: the same


def test_length_mean_is_the_uniform_average_over_lengths_and_ood_lengths_reach_far():
    task = make_task("parity", length=10, ood_length=100)  # test_ood up to 10 x the training length
    sets = make_eval_sets(task)
    model = make_model("gru", task.spec, hidden_size=8)
    scores = score_splits(model, task, sets, "cpu")
    ood = scores["by_length"]["test_ood"]
    assert max(ood["values"]) == 100 and len(ood["values"]) == 4
    assert set(ood["counts"].values()) == {500}  # 2,000 examples, 500 at each of 4 lengths
    for length, (low, high) in ood["intervals"].items():
        assert (high - low) / 2 < 0.05, (length, low, high)  # narrower than +-0.05 at every length
    assert scores["metrics"]["test_ood"]["length_mean"] == pytest.approx(np.mean(list(ood["values"].values())))
    test = scores["by_length"]["test"]
    assert scores["metrics"]["test"]["length_mean"] == pytest.approx(np.mean(list(test["values"].values())))


def _brute_force_next_probability(task, prefix: list[int]) -> np.ndarray:
    """P(next symbol | prefix) of the Markov source by enumerating every start context."""
    V, k = task.vocab_size, task.order
    weights = np.zeros(V)
    for context in itertools.product(range(V), repeat=k):
        p_start = task.start[sum(d * V ** (k - 1 - i) for i, d in enumerate(context))]
        stream, p = list(context), p_start
        for position in range(len(prefix) + 1):
            if position < k:
                if position < len(prefix) and stream[position] != prefix[position]:
                    p = 0.0
                    break
                continue
            ctx = sum(d * V ** (k - 1 - i) for i, d in enumerate(stream[position - k: position]))
            if position < len(prefix):
                p *= task.transitions[ctx, prefix[position]]
                stream.append(prefix[position])
        if p == 0.0:
            continue
        if len(prefix) < k:
            weights[stream[len(prefix)]] += p
        else:
            ctx = sum(d * V ** (k - 1 - i) for i, d in enumerate(stream[len(prefix) - k: len(prefix)]))
            weights += p * task.transitions[ctx]
    return weights / weights.sum()


def test_the_true_source_is_scored_on_the_same_examples_and_agrees_with_enumeration():
    task = make_task("markov_lm", vocab_size=3, order=2, length=6)
    batch = task.sample(task.eval_rng("test"), 5, "test")
    logp = task.true_log_probs(batch.inputs.numpy())  # (5, T, V + 1)
    for i in range(5):
        symbols = (batch.inputs[i].numpy() - 1).tolist()
        for t in range(len(symbols)):
            expected = _brute_force_next_probability(task, symbols[: t + 1])
            assert np.exp(logp[i, t, 1:]) == pytest.approx(expected, abs=1e-9)
    values, bands = baseline_scores(task, make_eval_sets(task))
    for split in ("test", "test_ood"):
        sample, population = values[split]["true_source"]["bits_per_char"], values[split]["entropy_floor"]["bits_per_char"]
        low, high = bands[split]["true_source"]["bits_per_char"]
        assert low <= sample <= high and abs(sample - population) < 3 * (high - low)  # a sample value near the floor


def test_excess_over_the_reference_is_paired_on_the_same_examples(tmp_path):
    record = run_experiment({"name": "markov_lm", "length": 16}, {"name": "gru", "hidden_size": 8}, TINY,
                            out_dir=tmp_path)
    test = record.metrics["test"]
    reference = record.baselines["test"][record.reference_baseline]["bits_per_char"]
    assert record.reference_baseline == "true_source"
    assert test["excess_bits_per_char"] == pytest.approx(test["bits_per_char"] - reference, abs=1e-9)
    low, high = record.intervals["test"]["excess_bits_per_char"]
    assert 0 < low <= test["excess_bits_per_char"] <= high  # an untrained model is worse than the source
    # paired: a "model" that is the true source has excess exactly 0 in every resample
    from seqbench.engine.intervals import split_estimates

    task = make_task("markov_lm", length=16)
    batch = make_eval_sets(task)["test"]
    source = task.score(task.reference_outputs(batch, "test")["true_source"], batch)
    estimate = split_estimates("bits_per_char", ("bits_per_char",), source, reference=source)
    assert estimate.values["excess_bits_per_char"] == 0.0 and estimate.intervals["excess_bits_per_char"] == [0.0, 0.0]
    assert estimate.intervals["bits_per_char"][1] - estimate.intervals["bits_per_char"][0] > 0.005


@pytest.mark.parametrize("task_name", ["copy_memory", "adding"])
def test_test_ood_has_its_own_baselines(tmp_path, task_name):
    record = run_experiment({"name": task_name}, {"name": "gru", "hidden_size": 8}, TINY, out_dir=tmp_path)
    reference = record.reference_baseline
    assert reference in record.baselines["test"] and reference in record.baselines["test_ood"]
    if task_name == "copy_memory":  # the memoryless value K ln A / (T + 2K) at each split's own delay
        task = make_task("copy_memory")
        for split, delay in (("test", task.delay), ("test_ood", task.ood_delay)):
            expected = task.copy_length * math.log(task.alphabet) / (delay + 2 * task.copy_length)
            assert record.baselines[split]["memoryless"]["cross_entropy"] == pytest.approx(expected, rel=1e-5)


def test_stop_and_content_accuracy_separate_stopping_from_writing():
    assert first_eos(torch.tensor([[4, 1, 0], [4, 5, 6], [1, 1, 1]])).tolist() == [1, 3, 0]
    task = make_task("reverse", length=6)
    spec = task.spec
    batch = task.sample(task.eval_rng("test"), 64, "test")
    perfect = torch.nn.functional.one_hot(batch.targets, spec.output.size).float() * 10  # (B, T, V)
    assert summarize(spec, collect(spec, perfect, batch))["stop_accuracy"] == 1.0
    early = perfect.clone()
    early[:, 0] = torch.nn.functional.one_hot(torch.ones(batch.size, dtype=torch.long), spec.output.size) * 10
    scored = summarize(spec, collect(spec, early, batch))
    assert scored["stop_accuracy"] == 0.0 and scored["token_accuracy"] < 1.0  # stops at once, everything else right


def test_decoders_report_content_accuracy_from_forced_length_decoding():
    task = make_task("reverse", length=6)
    sets = make_eval_sets(task, test_size=64, val_size=16)
    for name in ("gru", "transformer", "mlp"):
        model = make_model(name, task.spec, hidden_size=16)
        scores = score_splits(model, task, sets, "cpu")
        assert {"content_accuracy", "stop_accuracy", "token_accuracy"} <= set(scores["metrics"]["test"]), name
        with model.forced_length():
            model.eval()
            out = model(sets["test"])
        assert bool((out.argmax(-1) != 1).all())  # EOS is never chosen while forced


def test_the_mlp_is_not_scored_on_positions_it_never_trained_on():
    short, long = make_task("parity", length=8, ood_length=16), make_task("parity", length=8, ood_length=64)
    sizes = [sum(p.numel() for p in make_model("mlp", t.spec, hidden_size=16).parameters()) for t in (short, long)]
    assert sizes[0] == sizes[1]  # the size no longer depends on ood_length
    model = make_model("mlp", long.spec, hidden_size=16)
    scores = score_splits(model, long, make_eval_sets(long, test_size=64, val_size=16), "cpu")
    assert "test_ood" not in scores["metrics"] and "never trained on" in scores["not_applicable"]["test_ood"]
    assert "accuracy" in scores["metrics"]["test"]


@pytest.mark.parametrize("task_name", ["parity_check", "odds_first"])  # one label; tags at blank steps
def test_evaluating_by_length_gives_every_example_its_own_record_in_the_original_order(task_name, monkeypatch):
    """Chunks grouped by length pad less (test_ood: 41 to 500 in random order); the records come
    back in the split's order, so scores, per-length scores and bootstrap intervals see the same data."""
    import numpy as np

    import seqbench.engine.evaluation as evaluation
    from seqbench import make_model, make_task

    task = make_task(task_name, ood_length=60, ood_grid=4)
    torch.manual_seed(0)
    model = make_model("gru", task.spec, hidden_size=8)
    batch = task.sample(task.eval_rng("test_ood"), 40, "test_ood")
    assert evaluation.by_length(batch) is not None  # the split is not in length order
    grouped = evaluation.collect_records(model, task, batch, "cpu", chunk=8)
    monkeypatch.setattr(evaluation, "by_length", lambda batch: None)
    plain = evaluation.collect_records(model, task, batch, "cpu", chunk=8)
    assert grouped.keys() == plain.keys()
    for key in plain:
        if key == "nll":  # summed in another chunk shape: equal to float precision
            np.testing.assert_allclose(grouped[key], plain[key], rtol=1e-5)
        else:
            np.testing.assert_array_equal(grouped[key], plain[key], err_msg=key)
