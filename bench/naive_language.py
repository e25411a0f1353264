"""Per-example references of the word and character tasks (see :mod:`naive`)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from naive import draw_index, draw_length, mask_of, pad, reference, with_eos
from naive_sequences import _lm_batch
from seqbench.core.task import to_batch


@reference("number_words")
def number_words(task, rng, n, split):
    from seqbench.tasks.number_words import CHARACTERS, words

    inputs, outputs = [], []
    for _ in range(n):
        number = int(rng.integers(0, task.max_value + 1))
        one_hot = []
        for digit in str(number).zfill(task.n_digits):
            one_hot += [1.0 if d == int(digit) else 0.0 for d in range(10)]
        inputs.append(one_hot)
        outputs.append([CHARACTERS.index(c) + 2 for c in words(number)])
    targets, mask = with_eos(outputs)
    return to_batch(np.array(inputs, dtype=np.float32), targets, None, mask)


@reference("sentiment")
def sentiment(task, rng, n, split):
    from seqbench.tasks.sentiment import CONTRAST

    groups = {g: task.ids(g).tolist() for g in ("negators", "intensifiers", "positive", "negative", "neutral")}
    but = task.words.index(CONTRAST)

    def choice(group: str) -> int:
        return groups[group][int(rng.integers(len(groups[group])))]

    def phrase(value: int, negated: bool, intensified: bool) -> list[int]:
        polar = choice("positive") if value * (-1 if negated else 1) > 0 else choice("negative")
        return [choice("negators")] * negated + [choice("intensifiers")] * intensified + [polar]

    inputs, labels, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        contrast = rng.random() < task.contrast_rate
        two = rng.random() < 0.5
        first_strong = rng.random() < 0.5
        int_a = first_strong if two else rng.random() < task.intensifier_rate
        int_b = two and not first_strong
        neg_a, neg_b = rng.random() < task.negation_rate, rng.random() < task.negation_rate
        sign_a, sign_b = (1 if rng.random() < 0.5 else -1 for _ in range(2))
        score = sign_a * (1 + int_a) + (sign_b * (1 + int_b) if two else 0)
        units = [phrase(-1 if score > 0 else 1, rng.random() < task.negation_rate,
                        rng.random() < task.intensifier_rate) if contrast else [],
                 [but] if contrast else [], phrase(sign_a, neg_a, int_a), phrase(sign_b, neg_b, int_b) if two else []]
        gaps = [0] * 5  # neutral fillers before, between and after the units, each gap equally likely
        for _ in range(length - sum(len(u) for u in units)):
            gaps[int(rng.integers(5))] += 1
        words = []
        for gap, unit in zip(gaps, units + [[]]):
            words += [choice("neutral") for _ in range(gap)] + unit
        label = 1 if score > 0 else 0
        if split == "train" and task.label_noise > 0 and rng.random() < task.label_noise:
            label = 1 - label
        inputs.append(words)
        labels.append(label)
        lengths.append(length)
    return to_batch(pad(inputs), np.array(labels), np.array(lengths))


@lru_cache(maxsize=1)
def _templates_by_length() -> dict[int, list[tuple[int, ...]]]:
    from seqbench.tasks.pos_tagging import clause_templates

    by_length: dict[int, list[tuple[int, ...]]] = {}
    for template in clause_templates():
        by_length.setdefault(len(template), []).append(template)
    return by_length


@reference("pos_tagging")
def pos_tagging(task, rng, n, split):
    from seqbench.tasks.pos_tagging import CLASSES, LEXICON, SLOTS, TAGS

    templates = _templates_by_length()
    shortest = min(templates)
    count = {c: len(LEXICON[c].split()) for c in CLASSES}
    first_id, offset = {}, 1
    for c in CLASSES:  # word ids follow the lexicon's order, after <pad>
        first_id[c] = offset
        offset += count[c]
    conj = SLOTS.index(("CONJ", "CONJ"))
    inputs, tags, lengths = [], [], []
    for _ in range(n):
        length = draw_length(task, rng, split)
        remaining, slots = length, []
        while remaining > 0:  # clause by clause: a size that still lets the sentence end exactly
            sizes = [s for s in sorted(templates) if s == remaining or s + 1 + shortest <= remaining]
            size = sizes[int(rng.integers(len(sizes)))]
            slots += list(templates[size][int(rng.integers(len(templates[size])))])
            remaining -= size
            if remaining > 0:
                slots.append(conj)
                remaining -= 1
        sentence = []
        for slot in slots:
            cls = SLOTS[slot][0]
            sentence.append(first_id[cls] + int(rng.integers(count[cls])))
        inputs.append(sentence)
        tags.append([1 + TAGS.index(SLOTS[slot][1]) for slot in slots])
        lengths.append(length)
    return to_batch(pad(inputs), pad(tags), np.array(lengths), mask_of(lengths))


@reference("grammar_lm")
def grammar_lm(task, rng, n, split):
    """Walk the grammar's word graph, word by word, until the stream has T + 1 characters."""
    from seqbench.tasks.grammar_lm import sentence_graph

    graph = sentence_graph(task.nouns, task.adjectives, task.verbs, task.p_adjective, task.p_transitive, task.zipf)
    edges = {node: ([w for w, _, _ in e], [p / sum(q for _, q, _ in e) for _, p, _ in e], [t for _, _, t in e])
             for node, e in graph.items()}
    symbol_id = {s: i + 1 for i, s in enumerate(task.automaton.symbols)}
    steps = task.lengths_for(split)[0] + 1
    streams = []
    for _ in range(n):
        text, node = "", "START"
        while len(text) < steps:
            strings, probabilities, targets = edges[node]
            k = draw_index(probabilities, rng.random())
            text += strings[k]
            node = targets[k]
        streams.append([symbol_id[c] for c in text[:steps]])
    return _lm_batch(streams)


@reference("text_lm")
def text_lm(task, rng, n, split):
    T = task.lengths_for(split)[0]
    low, high = task.bounds[split]
    ids = task.ids.tolist()
    streams = []
    for _ in range(n):
        start = int(rng.integers(low, high - T))
        streams.append(ids[start : start + T + 1])
    return _lm_batch(streams)


@reference("captioning")
def captioning(task, rng, n, split):
    from seqbench.tasks.captioning import COLOURS, COUNTS, PLURALS, SHAPES, SIZES

    index = {w: i for i, w in enumerate(task.vocabulary)}
    features, captions = [], []
    for _ in range(n):
        groups = int(rng.integers(task.min_objects, task.max_objects + 1))
        kinds = sorted(int(k) for k in rng.choice(task.n_kinds, size=groups, replace=False))
        vector = [0.0] * (task.n_kinds * task.max_count)
        words = []
        for g, kind in enumerate(kinds):
            count = int(rng.integers(1, task.max_count + 1))
            vector[kind * task.max_count + count - 1] = 1.0
            size, colour = kind % task.n_sizes, (kind // task.n_sizes) % task.n_colours
            shape = kind // (task.n_sizes * task.n_colours)
            if g > 0:
                words.append("and" if g == groups - 1 else ",")
            words += [COUNTS[count]] + ([SIZES[size]] if size else []) + [COLOURS[colour]]
            words.append(SHAPES[shape] if count == 1 else PLURALS[shape])
        features.append(vector)
        captions.append([index[w] for w in words])
    targets, mask = with_eos(captions)
    return to_batch(np.array(features, dtype=np.float32), targets, None, mask)
