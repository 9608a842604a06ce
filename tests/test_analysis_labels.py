"""ssgc_ref.analysis.labels: label table and majority downsampling."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import InputError
from ssgc_ref.analysis.labels import (
    NUM_CLASSES,
    UNLABELED,
    downsample_labels,
    label_ids,
    label_name,
    label_table,
)


def test_label_table():
    t = label_table()
    assert len(t) == NUM_CLASSES
    assert label_name(0) == "person" and label_name(156) == "sky-other" and label_name(181) == "wood"
    assert label_name(UNLABELED) == "unlabeled"
    assert label_ids()["grass"] == 123 and label_ids()["sea"] == 154
    assert [x.name for x in t if not x.in_use][:3] == ["street sign", "hat", "shoe"]


def _reference(labels, k):
    """Per-cell loop, the documented rule, for small inputs only."""
    c = 1 << k
    h, w = labels.shape
    gh, gw = -(-h // c), -(-w // c)
    out = np.zeros((gh, gw), np.uint8)
    for i in range(gh):
        for j in range(gw):
            cell = labels[i * c : (i + 1) * c, j * c : (j + 1) * c].ravel()
            votes = cell[cell != UNLABELED]
            if votes.size == 0:
                out[i, j] = UNLABELED
            else:
                counts = np.bincount(votes, minlength=256)
                out[i, j] = int(np.argmax(counts))
    return out


label_maps = st.tuples(st.integers(1, 37), st.integers(1, 37), st.integers(0, 2**32 - 1), st.integers(1, 6))


@settings(max_examples=60, deadline=None)
@given(label_maps, st.integers(0, 5))
def test_matches_reference_and_shape(params, k):
    h, w, seed, nvals = params
    rng = np.random.default_rng(seed)
    values = rng.choice(np.arange(UNLABELED + 1), size=nvals, replace=False).astype(np.uint8)
    labels = values[rng.integers(0, nvals, (h, w))]
    out = downsample_labels(labels, k)
    c = 1 << k
    assert out.dtype == np.uint8 and out.shape == (-(-h // c), -(-w // c))
    assert np.array_equal(out, _reference(labels, k))
    assert set(np.unique(out)) <= set(np.unique(labels))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 70), st.integers(1, 70), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_constant_cells_keep_their_label(h, w, k, seed):
    rng = np.random.default_rng(seed)
    c = 1 << k
    gh, gw = -(-h // c), -(-w // c)
    grid = rng.integers(0, UNLABELED + 1, (gh, gw)).astype(np.uint8)
    labels = np.repeat(np.repeat(grid, c, 0), c, 1)[:h, :w]
    assert np.array_equal(downsample_labels(labels, k), grid)


def test_tie_and_unlabeled_rules():
    cell = np.array([[5, 3], [3, 5]], np.uint8)
    assert downsample_labels(cell, 1)[0, 0] == 3  # tie -> smallest id
    cell = np.array([[UNLABELED, UNLABELED], [UNLABELED, 40]], np.uint8)
    assert downsample_labels(cell, 1)[0, 0] == 40  # unlabeled does not vote
    cell = np.full((2, 2), UNLABELED, np.uint8)
    assert downsample_labels(cell, 1)[0, 0] == UNLABELED


def test_partial_edge_cells_use_only_their_pixels():
    labels = np.zeros((17, 33), np.uint8)
    labels[16, :] = 9  # bottom partial row of cells: 1 pixel high, all 9
    labels[:, 32] = 7  # right partial column
    out = downsample_labels(labels, 4)
    assert out.shape == (2, 3)
    assert list(out[1, :2]) == [9, 9] and out[0, 2] == 7


def test_banding_matches_single_pass(monkeypatch):
    import ssgc_ref.analysis.labels as mod

    rng = np.random.default_rng(5)
    labels = rng.integers(0, 4, (50, 61)).astype(np.uint8)
    full = downsample_labels(labels, 2)
    monkeypatch.setattr(mod, "_CELLS_PER_BAND", 7)
    assert np.array_equal(downsample_labels(labels, 2), full)


@pytest.mark.parametrize(
    "labels,k",
    [
        (np.zeros((4, 4), np.int32), 1),
        (np.zeros((4, 4, 1), np.uint8), 1),
        (np.zeros((0, 4), np.uint8), 1),
        (np.full((4, 4), 183, np.uint8), 1),
        (np.zeros((4, 4), np.uint8), -1),
        (np.zeros((4, 4), np.uint8), 9),
        (np.zeros((4, 4), np.uint8), 1.0),
    ],
)
def test_rejects(labels, k):
    with pytest.raises(InputError):
        downsample_labels(labels, k)


def test_colorize_labels():
    from ssgc_ref.analysis.labels import colorize_labels, label_palette

    pal = label_palette()
    assert pal.shape == (183, 3) and tuple(pal[UNLABELED]) == (0, 0, 0)
    assert len({tuple(c) for c in pal[:182]}) == 182  # every class its own colour
    labels = np.array([[0, 181], [UNLABELED, 5]], np.uint8)
    assert np.array_equal(colorize_labels(labels), pal[labels])
    with pytest.raises(InputError):
        colorize_labels(np.full((2, 2), 200, np.uint8))
