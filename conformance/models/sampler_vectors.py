"""Generation conformance vectors for GENP sampler 1, DPM-Solver++(2M) (spec §8.10, §8.9).

``dpmpp_vectors()`` returns vectors in the format of ``make_generation_vectors.vectors()`` (inputs
and ``GenerationParams``); ``make_generation_vectors.py`` adds them to its own with
``out.update(dpmpp_vectors())`` once GENP has the ``sampler`` field (bitstream 2.0). Before that,
``params_type`` may be a GenerationParams subclass that has the field (the tests do this).

    gen04_dpmpp_guided   48x64, 20 steps at strength 0.7 (15 run, the first first order), g = 2
    gen05_dpmpp_roi      37x53 (padded), 10 steps at strength 1.0, g = 1.5, ROI_AWARE | FEATHER
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ssgc_format.errors import UnsupportedError
from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE, GenerationParams
from ssgc_format.noise import gaussian_noise

__all__ = ["dpmpp_vectors"]


def _blocky(seed: int, h: int, w: int, cell: int, hi: int, channels: int | None) -> np.ndarray:
    """A deterministic blocky image from the portable noise, as make_generation_vectors does."""
    gh, gw = -(-h // cell), -(-w // cell)
    shape = (gh, gw) if channels is None else (gh, gw, channels)
    z = gaussian_noise(seed, shape, stream=0).astype(np.float64)
    v = np.floor((np.tanh(z) + 1) / 2 * hi).clip(0, hi - 1).astype(np.uint8)
    return np.repeat(np.repeat(v, cell, 0), cell, 1)[:h, :w]


def dpmpp_vectors(params_type: type = GenerationParams) -> dict[str, dict]:
    if "sampler" not in {f.name for f in dataclasses.fields(params_type)}:
        raise UnsupportedError("GenerationParams has no sampler field (bitstream 2.0): no sampler-1 vectors")
    out = {}
    labels, colors = _blocky(11, 48, 64, 16, 183, None), _blocky(12, 48, 64, 16, 256, 3)
    out["gen04_dpmpp_guided"] = dict(labels=labels, colors=colors, params=params_type(
        profile_id=2, seed=4, steps=20, strength_permille=700, guidance_q8=512, sampler=1))
    labels, colors = _blocky(13, 37, 53, 8, 183, None), _blocky(14, 37, 53, 8, 256, 3)
    roi = _blocky(15, 37, 53, 4, 256, 3)
    mask = np.zeros((37, 53), np.uint8)
    mask[5:30, 9:40] = 1
    out["gen05_dpmpp_roi"] = dict(labels=labels, colors=colors, roi=roi, mask=mask, params=params_type(
        profile_id=2, seed=5, steps=10, strength_permille=1000, guidance_q8=384, sampler=1,
        flags=FLAG_ROI_AWARE | FLAG_FEATHER))
    return out
