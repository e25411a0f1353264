"""``grammar_lm`` (lm): sentences of a small probabilistic grammar, character by character."""

from __future__ import annotations

import math

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.pdfa import Automaton, from_word_graph
from seqbench.core.spaces import InputSpace
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import Task, to_batch

DETERMINERS = ("the", "a")
NOUNS = ("cat", "dog", "bird", "fox", "horse", "mouse", "child", "king")
ADJECTIVES = ("big", "small", "red", "lazy", "happy", "brave", "quiet", "green")
INTRANSITIVE = ("sleeps", "runs", "sings", "waits", "smiles", "jumps")
TRANSITIVE = ("sees", "likes", "chases", "finds", "helps", "follows")


def zipf(words: tuple[str, ...], exponent: float) -> list[tuple[str, float]]:
    """Words with Zipf weights 1 / rank**exponent, normalised.

    >>> [(w, round(p, 3)) for w, p in zipf(("a", "b"), 1.0)]
    [('a', 0.667), ('b', 0.333)]
    """
    weights = np.arange(1, len(words) + 1, dtype=np.float64) ** -exponent
    return list(zip(words, (weights / weights.sum()).tolist()))


def sentence_graph(nouns: int, adjectives: int, verbs: int, p_adjective: float, p_transitive: float,
                   exponent: float) -> dict[str, list[tuple[str, float, str]]]:
    """The grammar as a graph of word edges (string with its separator, probability, next node).

    ``START -> det SUBJECT``; ``SUBJECT -> adj SUBJECT | noun VERB``;
    ``VERB -> intransitive ". " START | transitive OBJECT``; ``OBJECT -> det OBJECT_NOUN``;
    ``OBJECT_NOUN -> adj OBJECT_NOUN | noun ". " START``. Adjectives repeat with probability
    ``p_adjective`` (none when ``adjectives`` is 0).
    """
    p_adj = p_adjective if adjectives else 0.0

    def pick(words, total, sep, target):
        return [(w + sep, total * p, target) for w, p in zipf(words, exponent) if total * p > 0]

    noun_words, adj_words = NOUNS[:nouns], ADJECTIVES[:adjectives]
    return {
        "START": pick(DETERMINERS, 1.0, " ", "SUBJECT"),
        "SUBJECT": pick(adj_words, p_adj, " ", "SUBJECT") + pick(noun_words, 1 - p_adj, " ", "VERB"),
        "VERB": pick(INTRANSITIVE[:verbs], 1 - p_transitive, ". ", "START")
        + pick(TRANSITIVE[:verbs], p_transitive, " ", "OBJECT"),
        "OBJECT": pick(DETERMINERS, 1.0, " ", "OBJECT_NOUN"),
        "OBJECT_NOUN": pick(adj_words, p_adj, " ", "OBJECT_NOUN") + pick(noun_words, 1 - p_adj, ". ", "START"),
    }


class GrammarLM(Task):
    """Predict the next character of sentences drawn from a probabilistic grammar.

    The grammar (see :func:`sentence_graph`) is compiled into a probabilistic *deterministic*
    automaton over characters: every (state, character) has one next state. Every stream
    starts at a sentence start, so the state after any prefix is known and the task computes
    its entropy floor exactly, by propagating the distribution of the automaton's state
    (``entropy_floor``), and the stationary ``entropy_rate`` of long text. Word frequencies
    within a class follow Zipf's law with exponent ``zipf``. Spaces are shown as ``␣``.

    >>> task = GrammarLM(length=24)
    >>> batch = task.sample(task.rng(0, "train"), 2)
    >>> print(task.show(batch, 0))
    input:  t h e ␣ d o g ␣ s e e s ␣ a ␣ f o x . ␣ t h e ␣
    target: h e ␣ d o g ␣ s e e s ␣ a ␣ f o x . ␣ t h e ␣ f
    mask:   1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1
    >>> {k: round(v["bits_per_char"], 4) for k, v in task.analytic_baselines("test").items()}
    {'entropy_floor': 0.5007, 'entropy_rate': 0.4835}
    """

    name = "grammar_lm"
    reference_baseline = "true_source"
    version = 1
    description = "characters of sentences from a probabilistic grammar (exact entropy floor)"
    tags = frozenset({"language"})
    partition = "none"
    partition_reason = ("an unbounded known source: the grammar's streams of `length` characters are far more "
                        "than a run draws, so a test stream recurs in training only by chance (measured: "
                        "2 of the 2,000 test streams occur among 160,000 training streams)")
    knobs = (
        Knob("length", 64, low=1, high=100_000, help="characters per training stream"),
        Knob("ood_length", None, low=2, high=200_000, type=int, optional=True,
             help="characters per test_ood stream (default: 2 x length)"),
        Knob("nouns", 6, low=1, high=len(NOUNS), help="nouns in the lexicon"),
        Knob("adjectives", 4, low=0, high=len(ADJECTIVES), help="adjectives in the lexicon"),
        Knob("verbs", 4, low=1, high=len(TRANSITIVE), help="intransitive and as many transitive verbs"),
        Knob("p_adjective", 0.25, low=0.0, high=0.9, help="probability of (another) adjective before a noun"),
        Knob("p_transitive", 0.5, low=0.0, high=1.0, help="probability that the verb takes an object"),
        Knob("zipf", 1.0, low=0.0, high=4.0, help="Zipf exponent of word frequencies (0 = uniform)"),
    )

    def check_params(self) -> None:
        self.resolve_longer("ood_length", "length", 2 * self.length)
        graph = sentence_graph(self.nouns, self.adjectives, self.verbs, self.p_adjective, self.p_transitive,
                               self.zipf)
        self.automaton: Automaton = from_word_graph(graph, "START")
        self._floors: dict[int, float] = {}

    def build_spec(self) -> TaskSpec:
        symbols = ("<pad>",) + self.automaton.symbols
        return TaskSpec(kind="lm", input=Tokens(symbols), output=Tokens(symbols),
                        primary_metric="bits_per_char",
                        lengths=(self.length, self.length), ood_lengths=(self.ood_length, self.ood_length))

    def input_space(self) -> InputSpace:
        """The automaton's distinct streams of ``length`` characters from the start (deterministic: one
        stream per path of positive probability), counted by propagating path counts over states."""
        paths = np.zeros(self.automaton.n_states)
        paths[self.automaton.start] = 1.0
        possible = self.automaton.emit > 0  # (S, C)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(self.length):
                step = np.zeros_like(paths)
                states, symbols = np.nonzero(possible)
                np.add.at(step, self.automaton.next_state[states, symbols], paths[states])
                paths = step
        total = float(paths.sum())
        return InputSpace({self.length: int(total) if total < 2**53 else total})

    def generate(self, rng: np.random.Generator, n: int, split: str):
        T = self.lengths_for(split)[0]
        ids = self.automaton.sample(rng, n, T + 1) + 1  # (n, T + 1) symbol ids after <pad>
        return to_batch(ids[:, :-1], ids[:, 1:], np.full(n, T), np.ones((n, T), dtype=bool))

    def true_log_probs(self, inputs: np.ndarray) -> np.ndarray:
        """The source's own log P(next character | prefix) for input ids (n, T): (n, T, vocab)."""
        logp = self.automaton.next_log_probs(np.asarray(inputs) - 1)  # (n, T, C)
        return np.concatenate([np.full(logp.shape[:2] + (1,), -np.inf), logp], axis=2)  # <pad> never

    def reference_outputs(self, batch, split: str) -> dict:
        """The true source (the automaton), scored on the very evaluation sample."""
        import torch

        return {"true_source": torch.from_numpy(self.true_log_probs(batch.inputs.numpy())).float()}

    def analytic_baselines(self, split: str) -> dict[str, dict[str, float]]:
        """The exact entropy floor of this split's streams, and the grammar's entropy rate."""
        T = self.lengths_for(split)[0]
        if T not in self._floors:
            self._floors[T] = self.automaton.stream_floor(T)
        out = {}
        for name, nats in (("entropy_floor", self._floors[T]), ("entropy_rate", self.automaton.entropy_rate())):
            out[name] = {"cross_entropy": nats, "bits_per_char": nats / math.log(2), "perplexity": math.exp(nats)}
        return out

    @staticmethod
    def _render(space, values, mask=None) -> str:
        if isinstance(space, Tokens):
            space = Tokens(tuple("␣" if s == " " else s for s in space.symbols))
        return Task._render(space, values, mask)
