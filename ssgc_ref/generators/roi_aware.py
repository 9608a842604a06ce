"""ROI-aware sampling (spec §8.7) and the feathered composite weights (spec §8.8).

Beyond the paper: inside the mask, the latent is replaced at every noise level by the forward-
noised latent of the decoded ROI (RePaint-style re-imposition), so the model generates the
surroundings consistently with the ROI instead of inventing a different object under it. The
feathered composite (integer, exact) softens the seam inside the mask.
"""

from __future__ import annotations

import numpy as np
import torch

from ssgc_format.errors import InputError
from ssgc_ref.generators.sampler import STREAM_ROI, batch_noise

__all__ = ["latent_mask", "make_reimpose", "feather_weights", "feathered_composite", "FEATHER_RADIUS"]

FEATHER_RADIUS = 3  # 7x7 window (§8.8)


def latent_mask(mask: np.ndarray, factor: int) -> np.ndarray:
    """mu = (mask pixels in each factor x factor block) / factor^2, float32 (exact), (h, w).

    ``mask`` is (Hp, Wp) with values 0/1 and sizes multiples of ``factor``.
    """
    m = (np.asarray(mask) != 0).astype(np.int32)
    hp, wp = m.shape
    counts = m.reshape(hp // factor, factor, wp // factor, factor).sum(axis=(1, 3))
    return (counts.astype(np.float32) / np.float32(factor * factor)).astype(np.float32)


def make_reimpose(z_roi: torch.Tensor, mu: torch.Tensor, seeds: list[int]):
    """The §8.7 re-imposition for ``ddim_sample``: mu (B, 1, h, w), z_roi (B, C, h, w).

    At the start (i = -1) the ROI latent is noised with eps0 (stream 0, the same noise as the
    color latent); after step i with fresh noise from stream 1001 + i.
    """
    shape = tuple(z_roi.shape[1:])
    dev, dt = z_roi.device, z_roi.dtype

    def reimpose(i: int, z: torch.Tensor, sqrt_a: float, sqrt_1ma: float) -> torch.Tensor:
        stream = 0 if i < 0 else STREAM_ROI + i
        n = batch_noise(seeds, shape, stream, dev, dt)
        ca = torch.tensor(sqrt_a, dtype=torch.float64).to(dt)
        cb = torch.tensor(sqrt_1ma, dtype=torch.float64).to(dt)
        known = ca * z_roi + cb * n
        return mu * known + (1 - mu) * z

    return reimpose


def feather_weights(mask: np.ndarray, radius: int = FEATHER_RADIUS) -> np.ndarray:
    """A (H, W) int32 in 0..256 of §8.8: 0 outside the mask, (256*S + N//2) // N inside, where S is
    the number of mask pixels in the (2r+1)^2 window (edge-replicated) and N = (2r+1)^2."""
    m = np.asarray(mask)
    if m.ndim != 2:
        raise InputError(f"mask must be 2-D, got shape {m.shape}")
    b = (m != 0).astype(np.int64)
    n = (2 * radius + 1) ** 2
    p = np.pad(b, radius, mode="edge")
    # 2-D box sum with an integral image (exact integers)
    ii = np.zeros((p.shape[0] + 1, p.shape[1] + 1), dtype=np.int64)
    ii[1:, 1:] = p.cumsum(0).cumsum(1)
    k = 2 * radius + 1
    s = ii[k:, k:] - ii[:-k, k:] - ii[k:, :-k] + ii[:-k, :-k]
    a = (256 * s + n // 2) // n
    return np.where(b == 1, a, 0).astype(np.int32)


def feathered_composite(generated: np.ndarray, roi_rgb: np.ndarray, mask: np.ndarray,
                        radius: int = FEATHER_RADIUS) -> np.ndarray:
    """out = (A*C + (256-A)*G + 128) >> 8 per sample (§8.8), uint8 (H, W, 3)."""
    g = np.asarray(generated)
    c = np.asarray(roi_rgb)
    if g.shape != c.shape or g.ndim != 3 or g.shape[:2] != np.asarray(mask).shape:
        raise InputError(f"composite shapes differ: generated {g.shape}, ROI {c.shape}, mask {np.shape(mask)}")
    a = feather_weights(mask, radius)[..., None].astype(np.int32)
    out = (a * c.astype(np.int32) + (256 - a) * g.astype(np.int32) + 128) >> 8
    return out.astype(np.uint8)
