"""ROI-aware sampling (spec §8.7); the feathered composite (§8.8) is normative integer code and
lives in ``ssgc_format.reconstruct``.

Beyond the paper: inside the mask, the latent is replaced at every noise level by the forward-
noised latent of the decoded ROI (RePaint-style re-imposition), so the model generates the
surroundings consistently with the ROI instead of inventing a different object under it. The
feathered composite (integer, exact) softens the seam inside the mask.
"""

from __future__ import annotations

import numpy as np
import torch

from ssgc_format.reconstruct import FEATHER_RADIUS, feather_weights, feathered_composite  # noqa: F401 (re-export)
from ssgc_ref.generators.sampler import STREAM_ROI, batch_noise

__all__ = ["latent_mask", "make_reimpose", "feather_weights", "feathered_composite", "FEATHER_RADIUS"]


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
