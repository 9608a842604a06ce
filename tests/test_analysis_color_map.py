"""ssgc_ref.analysis.color_map.color_grid."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssgc_format.errors import InputError
from ssgc_ref.analysis.color_map import color_grid


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 80), st.integers(1, 80), st.integers(0, 6), st.integers(0, 255), st.integers(0, 2**32 - 1))
def test_shape_and_constant(h, w, k, value, seed):
    c = 1 << k
    rgb = np.full((h, w, 3), value, np.uint8)
    rgb[..., 1] = 255 - value
    out = color_grid(rgb, k)
    assert out.dtype == np.uint8 and out.shape == (-(-h // c), -(-w // c), 3)
    assert np.all(out[..., 0] == value) and np.all(out[..., 1] == 255 - value)
    noise = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    out = color_grid(noise, k)
    assert out.shape == (-(-h // c), -(-w // c), 3)
    assert out.min() >= noise.min() and out.max() <= noise.max()  # a mean of its input


def test_512_to_16_keeps_regions_and_averages_noise():
    rgb = np.zeros((512, 512, 3), np.uint8)
    rgb[:256] = (200, 30, 30)
    rgb[256:] = (20, 40, 220)
    out = color_grid(rgb, 5)
    assert out.shape == (16, 16, 3)
    assert np.all(out[:6] == (200, 30, 30)) and np.all(out[10:] == (20, 40, 220))
    assert np.all(out[7, :, 0] > out[8, :, 0])  # the edge stays between rows 7 and 8
    rng = np.random.default_rng(0)
    noisy = rng.integers(0, 256, (512, 512, 3), dtype=np.uint8)
    out = color_grid(noisy, 5).astype(int)
    assert np.abs(out - 127.5).max() < 8


def test_edge_replication_for_non_multiples():
    rgb = np.zeros((17, 17, 3), np.uint8)
    rgb[16, :] = 255  # the last row alone fills the bottom cells (replicated, not zero-padded)
    out = color_grid(rgb, 4)
    assert out.shape == (2, 2, 3)
    # zero padding would leave the bottom cells dark; the blur still mixes in the rows above
    assert np.all(out[1] > 190) and np.all(out[0] < 70)


@pytest.mark.parametrize(
    "rgb,k",
    [
        (np.zeros((4, 4), np.uint8), 1),
        (np.zeros((4, 4, 4), np.uint8), 1),
        (np.zeros((4, 4, 3), np.float32), 1),
        (np.zeros((4, 4, 3), np.uint8), 9),
        (np.zeros((0, 4, 3), np.uint8), 1),
    ],
)
def test_rejects(rgb, k):
    with pytest.raises(InputError):
        color_grid(rgb, k)
