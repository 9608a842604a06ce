"""Write the generation conformance vectors of the tiny model (profile 2), spec §8.9.

Each vector ``conformance/models/generation/<name>.npz`` holds the inputs of clause 8 (labels,
colors, optional roi and mask, all uint8), the generation parameters (``genp``: spec §8.2 ``generation_params()`` padded to a byte) and the expected
generated picture ``expected`` (uint8 H x W x 3) computed by the reference generator in float32 on
CPU. A decoder conforms when its picture is within RMSE_MAX / PEAK_MAX of ``expected``.

Usage: python conformance/models/make_generation_vectors.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

from ssgc_format.genparams import FLAG_FEATHER, FLAG_ROI_AWARE, GenerationParams, build_genparams
from ssgc_format.noise import gaussian_noise

OUT = Path(__file__).resolve().parent / "generation"


def _blocky(seed: int, h: int, w: int, cell: int, hi: int, channels: int | None) -> np.ndarray:
    """A deterministic blocky image from the portable noise (no platform RNG involved)."""
    gh, gw = -(-h // cell), -(-w // cell)
    shape = (gh, gw) if channels is None else (gh, gw, channels)
    z = gaussian_noise(seed, shape, stream=0).astype(np.float64)
    v = np.floor((np.tanh(z) + 1) / 2 * hi).clip(0, hi - 1).astype(np.uint8)
    return np.repeat(np.repeat(v, cell, 0), cell, 1)[:h, :w]


def vectors() -> dict[str, dict]:
    out = {}
    labels, colors = _blocky(1, 48, 64, 16, 183, None), _blocky(2, 48, 64, 16, 256, 3)
    out["gen01_guided"] = dict(labels=labels, colors=colors, params=GenerationParams(
        profile_id=2, seed=1, steps=10, strength_permille=700, guidance_q8=512))
    labels, colors = _blocky(3, 37, 53, 8, 183, None), _blocky(4, 37, 53, 8, 256, 3)
    out["gen02_oddsize_eta"] = dict(labels=labels, colors=colors, params=GenerationParams(
        profile_id=2, seed=2**64 - 1, steps=7, strength_permille=1000, guidance_q8=256, eta_q8=64))
    labels, colors = _blocky(5, 32, 48, 16, 183, None), _blocky(6, 32, 48, 16, 256, 3)
    roi = _blocky(7, 32, 48, 4, 256, 3)
    mask = np.zeros((32, 48), np.uint8)
    mask[6:26, 10:30] = 1
    out["gen03_roi_aware"] = dict(labels=labels, colors=colors, roi=roi, mask=mask, params=GenerationParams(
        profile_id=2, seed=3, steps=6, strength_permille=500, guidance_q8=384,
        flags=FLAG_ROI_AWARE | FLAG_FEATHER))
    # sampler 1, DPM-Solver++(2M) (spec §8.10): 20 steps at strength 0.7 (15 run, the first first
    # order), g = 2; and an odd (padded) size at strength 1.0, g = 1.5, ROI_AWARE | FEATHER
    labels, colors = _blocky(11, 48, 64, 16, 183, None), _blocky(12, 48, 64, 16, 256, 3)
    out["gen04_dpmpp_guided"] = dict(labels=labels, colors=colors, params=GenerationParams(
        profile_id=2, seed=4, steps=20, strength_permille=700, guidance_q8=512, sampler=1))
    labels, colors = _blocky(13, 37, 53, 8, 183, None), _blocky(14, 37, 53, 8, 256, 3)
    roi = _blocky(15, 37, 53, 4, 256, 3)
    mask = np.zeros((37, 53), np.uint8)
    mask[5:30, 9:40] = 1
    out["gen05_dpmpp_roi"] = dict(labels=labels, colors=colors, roi=roi, mask=mask, params=GenerationParams(
        profile_id=2, seed=5, steps=10, strength_permille=1000, guidance_q8=384, sampler=1,
        flags=FLAG_ROI_AWARE | FLAG_FEATHER))
    return out


def main() -> int:
    from ssgc_ref.generators import get_generator

    torch.set_num_threads(1)
    gen = get_generator("ldm", device="cpu")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, v in vectors().items():
        img = gen.generate(labels_full=v["labels"], colors_full=v["colors"], params=v["params"],
                           roi_rgb=v.get("roi"), mask=v.get("mask"), progress=False)
        arrays = {k: v[k] for k in ("labels", "colors", "roi", "mask") if k in v}
        np.savez_compressed(OUT / f"{name}.npz", genp=np.frombuffer(build_genparams(v["params"]), np.uint8),
                            expected=img, **arrays)
        print(f"{name}: {img.shape} mean {img.mean():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
