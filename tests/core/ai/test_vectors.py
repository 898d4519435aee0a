"""The in-memory vector index's labels: a search of one label reads only its rows and gives
what a search of all gives for them; a search of all is as with no labels; a row whose
label changes moves."""

from __future__ import annotations

import numpy as np

from core.ai.vectors import VectorIndex

DIM = 16


def units(n: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_a_labels_search_gives_what_the_search_of_all_gives_for_its_rows():
    vectors = units(3000, seed=1)  # above the size where the sampled threshold is used
    labels = [("dress", "skirt", "coat")[n % 3] for n in range(3000)]
    ids = range(1, 3001)
    labelled, plain = VectorIndex(DIM), VectorIndex(DIM)
    labelled.upsert(ids, vectors, labels=labels)
    plain.upsert(ids, vectors)
    trickled = VectorIndex(DIM)  # one at a time: the segments fill and are laid out again
    for n in np.random.default_rng(4).permutation(3000)[:600]:
        trickled.upsert([n + 1], vectors[[n]], labels=[labels[n]])
    trickled.upsert(ids, vectors, labels=labels)
    assert labelled.label(3) == "coat" and plain.label(3) == "" and labelled.label(9999) is None
    for q in units(4, seed=2):
        everything = labelled.search(q, 3000)
        assert everything == plain.search(q, 3000)  # the same scores, the same order
        assert labelled.search(q, 40) == plain.search(q, 40)
        assert trickled.search(q, 3000) == everything
        assert trickled.search(q, 40, label="skirt") == labelled.search(q, 40, label="skirt")
        for label in ("dress", "coat"):
            of_label = [(i, s) for i, s in everything if labels[i - 1] == label]
            assert labelled.search(q, 40, label=label) == of_label[:40]
            assert labelled.search(q, 5000, label=label) == of_label  # the whole block
            skip = {i for i, _ in of_label[:3]}
            assert labelled.search(q, 10, label=label, exclude=skip) == of_label[3:13]
        # only: its ids across every block
        chosen = {7, 8, 9, 2500, 2999}
        assert labelled.search(q, 5, only=chosen) == [(i, s) for i, s in everything if i in chosen]
        assert labelled.search(q, 5, label="scarf") == []


def test_a_row_whose_label_changes_moves_and_removed_rows_are_gone():
    vectors = units(300, seed=3)
    index = VectorIndex(DIM)
    index.upsert(range(1, 301), vectors, labels=["dress"] * 150 + ["coat"] * 150)
    index.upsert([10, 200], vectors[[9, 199]], labels=["coat", "dress"])  # moved
    assert len(index) == 300 and (index.label(10), index.label(200)) == ("coat", "dress")
    dresses = {i for i, _ in index.search(vectors[9], 300, label="dress")}
    coats = {i for i, _ in index.search(vectors[9], 300, label="coat")}
    assert dresses == (set(range(1, 151)) - {10}) | {200}
    assert coats == (set(range(151, 301)) - {200}) | {10}
    assert index.search(vectors[9], 1, label="coat")[0][0] == 10
    index.upsert([10], vectors[[0]], labels=["coat"])  # a new vector, the same label
    assert index.search(vectors[0], 1, label="coat")[0][0] == 10 and len(index) == 300
    index.remove([10, 1, 200, 999])
    assert len(index) == 297 and 10 not in index and index.label(10) is None
    left = {i for i, _ in index.search(vectors[0], 300)}
    assert left == set(range(2, 301)) - {10, 200}
    # the rows that moved into the holes are still found by their own vectors
    for item_id in (150, 300):
        assert index.search(vectors[item_id - 1], 1)[0][0] == item_id
