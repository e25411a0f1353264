"""``pos_tagging`` (tagging): part-of-speech tags of sentences from a small ambiguous grammar."""

from __future__ import annotations

from functools import lru_cache
from itertools import product

import numpy as np

from seqbench.core.options import Knob
from seqbench.core.spaces import InputSpace, capped
from seqbench.core.spec import TaskSpec, Tokens
from seqbench.core.task import SequenceTask, length_knobs, padding_mask, to_batch
from seqbench.tasks._ragged import pick, segment_positions

TAGS = ("DET", "ADJ", "NOUN", "VERB", "ADV", "PRON", "CONJ")
#: words by surface class; "NV" words are nouns or verbs, "AN" words adjectives or nouns
LEXICON = {
    "DET": "the a this every some",
    "ADJ": "big small old young happy quiet",
    "AN": "light cold dark sweet",
    "NOUN": "dog cat man woman river garden city house child bird",
    "NV": "watch fish duck book train plant ship park",
    "VI": "sleep run sing laugh fall smile",
    "VT": "see like find eat follow help",
    "ADV": "quickly slowly today often again",
    "PRON": "they we you i",
    "CONJ": "and",
}
CLASSES = tuple(LEXICON)
WORDS = tuple(w for c in CLASSES for w in LEXICON[c].split())
#: grammar slots: (surface class, tag); an ambiguous class has one slot per reading
SLOTS = (("DET", "DET"), ("ADJ", "ADJ"), ("AN", "ADJ"), ("AN", "NOUN"), ("NOUN", "NOUN"), ("NV", "NOUN"),
         ("NV", "VERB"), ("VI", "VERB"), ("VT", "VERB"), ("ADV", "ADV"), ("PRON", "PRON"), ("CONJ", "CONJ"))
MAX_MODIFIERS = 2


def _slot(cls: str, tag: str) -> int:
    return SLOTS.index((cls, tag))


def clause_templates() -> list[tuple[int, ...]]:
    """Every clause of the grammar as a tuple of slot ids (the grammar is small and finite).

    Clause -> Subject Predicate; Subject -> PRON | NP; NP -> DET Modifier* Head, with up to
    MAX_MODIFIERS modifiers (ADJ, or an AN word read as ADJ) and Head one of NOUN, NV, AN
    (read as nouns) or a compound NOUN NV / NV NV; Predicate -> VI [ADV] | VT NP [ADV] |
    NV-as-verb NP [ADV].
    """
    det, adj, an_adj, an_n = _slot("DET", "DET"), _slot("ADJ", "ADJ"), _slot("AN", "ADJ"), _slot("AN", "NOUN")
    noun, nv_n, nv_v = _slot("NOUN", "NOUN"), _slot("NV", "NOUN"), _slot("NV", "VERB")
    vi, vt, adv, pron = _slot("VI", "VERB"), _slot("VT", "VERB"), _slot("ADV", "ADV"), _slot("PRON", "PRON")
    modifiers = [m for k in range(MAX_MODIFIERS + 1) for m in product((adj, an_adj), repeat=k)]
    heads = [(noun,), (nv_n,), (an_n,), (noun, nv_n), (nv_n, nv_n)]
    nps = [(det,) + m + h for m in modifiers for h in heads]
    subjects = [(pron,)] + nps
    ends = [(), (adv,)]
    predicates = [(vi,) + e for e in ends] + [(v,) + np_ + e for v in (vt, nv_v) for np_ in nps for e in ends]
    return [s + p for s in subjects for p in predicates]


@lru_cache(maxsize=1)
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Templates sorted by length (N, longest) padded with -1; first index and count per length."""
    templates = sorted(clause_templates(), key=len)
    lengths = np.array([len(t) for t in templates])
    table = np.full((len(templates), int(lengths.max())), -1, dtype=np.int64)
    for row, t in enumerate(templates):  # a few thousand templates, built once
        table[row, : len(t)] = t
    sizes = np.arange(int(lengths.max()) + 1)
    first = np.searchsorted(lengths, sizes, side="left")
    count = np.searchsorted(lengths, sizes, side="right") - first
    return table, lengths, first, count


class PosTagging(SequenceTask):
    """Words in, one part-of-speech tag per word out; some tags depend on the words to the RIGHT.

    Sentences are clauses joined by ``and``, drawn from a small grammar (see
    :func:`clause_templates`). Two word classes are ambiguous. An NV word (``watch``, ``fish``,
    ...) after a subject's noun is a NOUN (a compound, "the dog watch sleep") when a verb
    follows, and a VERB when a determiner follows ("the dog watch the cat"). An AN word
    (``light``, ``cold``, ...) right after a determiner is an ADJ when a noun follows and a NOUN
    when a verb follows. The left context is the same in both readings, so a unidirectional
    tagger must guess where a bidirectional one can look ahead; the whole sentence always fixes
    every tag (the grammar is unambiguous).

    A sentence of length L is built clause by clause: each clause's length is uniform among
    those that still let the sentence reach L exactly, then its template is uniform among the
    clauses of that length, and every word uniform within its class. Clauses have 2 to 12
    words, so ``min_length`` is at least 2.

    >>> import numpy as np
    >>> task = PosTagging(length=10)
    >>> batch = task.sample(np.random.default_rng(13), 2)
    >>> print(task.show(batch, 0))
    input:  we see a sweet cold and you park the sweet
    target: PRON VERB DET ADJ NOUN CONJ PRON VERB DET NOUN
    mask:   1 1 1 1 1 1 1 1 1 1
    >>> print(task.show(batch, 1))
    input:  the young train run slowly and this fish sing ·
    target: DET ADJ NOUN VERB ADV CONJ DET NOUN VERB _
    mask:   1 1 1 1 1 1 1 1 1 0

    ("park" is a VERB because "the" follows; "train" and "fish" are NOUNs because a verb follows.)
    """

    name = "pos_tagging"
    version = 3  # 3: val and test inputs are never trained on (a hash partition of the input space)
    # 2: test_ood lengths on a grid of 4 lengths, equally often (per-length intervals)
    description = "sentence -> part-of-speech tags; ambiguous words need the words to their right"
    tags = frozenset({"language"})
    knobs = (Knob("min_length", 2, low=2, high=100_000, help="fewest words in a training sentence"),) \
        + length_knobs(length=16)[1:]

    def build_spec(self) -> TaskSpec:
        return TaskSpec(kind="tagging", input=Tokens(("<pad>",) + WORDS), output=Tokens(("<pad>",) + TAGS),
                        primary_metric="accuracy", lengths=(self.min_length, self.length),
                        ood_lengths=(self.length + 1, self.ood_length))

    def input_space(self) -> InputSpace:
        """Distinct sentences of each training length (:func:`sentence_counts`)."""
        counts = sentence_counts(self.length)
        return InputSpace({L: counts[L] for L in range(self.min_length, self.length + 1)})

    def clause_lengths(self, rng: np.random.Generator, lengths: np.ndarray) -> np.ndarray:
        """Clause lengths (n, C) that add up, with one ``and`` between clauses, to ``lengths``."""
        _, _, _, count = _tables()
        sizes = np.arange(len(count))
        shortest = int(sizes[count > 0].min())
        remaining, chosen = lengths.copy(), []
        while (remaining > 0).any():  # one step per clause, vectorised over the batch
            r = remaining[:, None]
            allowed = (count[None, :] > 0) & ((sizes[None, :] == r) | (sizes[None, :] + 1 + shortest <= r))
            allowed[:, 0] = remaining == 0  # finished rows take an empty clause
            size = pick(rng, allowed)
            chosen.append(size)
            remaining = remaining - size - ((remaining - size) > 0)  # the "and" before the next clause
        return np.stack(chosen, axis=1)

    def generate(self, rng: np.random.Generator, n: int, split: str):
        table, _, first, count = _tables()
        lengths = self.sample_lengths(rng, n, split)  # (n,)
        clauses = self.clause_lengths(rng, lengths)  # (n, C)
        template = first[clauses] + (rng.random(clauses.shape) * count[clauses]).astype(np.int64)  # (n, C)
        joins = (clauses[:, 1:] > 0).astype(np.int64)  # an "and" before every clause after the first
        seg_lengths = np.zeros((n, 2 * clauses.shape[1] - 1), dtype=np.int64)
        seg_lengths[:, 0::2], seg_lengths[:, 1::2] = clauses, joins  # clause, and, clause, ...
        segment, offset, _ = segment_positions(seg_lengths)  # (n, W)
        rows = np.arange(n)[:, None]
        in_clause = table[template[rows, segment // 2], np.clip(offset, 0, table.shape[1] - 1)]
        slots = np.where(segment % 2 == 0, in_clause, _slot("CONJ", "CONJ"))  # (n, W)
        mask = padding_mask(lengths, slots.shape[1])
        slots = np.where(mask, slots, 0)
        word_first, word_count, slot_tag = _word_tables()
        words = word_first[slots] + (rng.random(slots.shape) * word_count[slots]).astype(np.int64)
        return to_batch(np.where(mask, words, 0), np.where(mask, slot_tag[slots], 0), lengths, mask)


@lru_cache(maxsize=1)
def clause_counts() -> dict[int, int]:
    """Distinct word strings of one clause, by its length: a sum over the clauses' class sequences
    (each word belongs to one class, and the grammar gives each class sequence one parse) of the
    product of the class sizes."""
    sizes = {c: len(LEXICON[c].split()) for c in CLASSES}
    out: dict[int, int] = {}
    for classes in {tuple(SLOTS[s][0] for s in t) for t in clause_templates()}:
        ways = 1
        for c in classes:
            ways *= sizes[c]
        out[len(classes)] = out.get(len(classes), 0) + ways
    return out


def sentence_counts(longest: int) -> list[int | float]:
    """Distinct sentences of every length 0..longest: clauses joined by "and" (a word no clause holds,
    so the clauses of a sentence are fixed by its words)."""
    clauses = clause_counts()
    shortest = min(clauses)
    counts: list[int | float] = [0] * (longest + 1)
    for L in range(1, longest + 1):
        total = clauses.get(L, 0)
        for size, ways in clauses.items():  # the first clause, "and", then a sentence of the rest
            rest = L - size - 1
            if rest >= shortest:
                total += ways * counts[rest]
        counts[L] = capped(total)
    return counts


@lru_cache(maxsize=1)
def _word_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per slot: first word id and number of words of its class, and its tag id (ids after <pad>)."""
    starts = np.cumsum([0] + [len(LEXICON[c].split()) for c in CLASSES])
    word_first = np.array([1 + starts[CLASSES.index(c)] for c, _ in SLOTS])
    word_count = np.array([len(LEXICON[c].split()) for c, _ in SLOTS])
    slot_tag = np.array([1 + TAGS.index(t) for _, t in SLOTS])
    return word_first, word_count, slot_tag
