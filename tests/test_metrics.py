"""ssgc_ref.metrics: library PSNR / MS-SSIM, ROI measured over the mask."""

from __future__ import annotations

import numpy as np
import pytest

from ssgc_ref.metrics import bounding_box, luma, ms_ssim, picture_metrics, psnr


def _pair(h: int, w: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-6, 7, a.shape), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_and_luma_match_their_definitions():
    a, b = _pair(20, 30)
    d = a.astype(float) - b.astype(float)
    assert psnr(b, a) == pytest.approx(10 * np.log10(255 ** 2 / (d * d).mean()), rel=1e-12)
    r, g, bl = (a[..., i].astype(float) for i in range(3))
    assert np.allclose(luma(a), 16 + (65.481 * r + 128.553 * g + 24.966 * bl) / 255)
    assert psnr(a, a) == float("inf")
    with pytest.raises(ValueError):
        psnr(a, b[:, :5])


def test_ms_ssim_scales_follow_the_size():
    assert ms_ssim(*_pair(200, 180))[1] == 5
    assert ms_ssim(*_pair(170, 200))[1] == 4
    assert ms_ssim(*_pair(30, 30))[1] == 2
    assert ms_ssim(*_pair(11, 11))[1] == 1
    assert ms_ssim(*_pair(10, 40)) == (None, 0)
    a, _ = _pair(64, 64)
    assert ms_ssim(a, a)[0] == pytest.approx(1.0, abs=1e-5)


def test_roi_is_measured_over_the_mask():
    a, b = _pair(48, 64)
    mask = np.zeros((48, 64), bool)
    mask[10:30, 5:40] = True
    assert bounding_box(mask) == (5, 10, 35, 20) and bounding_box(~np.ones_like(mask)) is None
    m = picture_metrics(a, b, mask)
    worse = b.copy()
    worse[~mask] = 0  # outside the ROI: changes the whole-picture measures only
    n = picture_metrics(a, worse, mask)
    assert n["psnr_y_roi"] == m["psnr_y_roi"] and n["ms_ssim_roi"] == m["ms_ssim_roi"]
    assert n["psnr_y"] < m["psnr_y"]
    assert m["psnr_y_roi"] == pytest.approx(psnr(luma(b)[mask], luma(a)[mask]))
    none = picture_metrics(a, b, None)
    assert none["psnr_y_roi"] is None and none["ms_ssim_roi_scales"] == 0 and none["learned"].startswith("absent")
