"""The ``ldm`` generator: CompVis latent diffusion (semantic synthesis) on diffusers. Implements
spec §8.4-§8.7 for the profiles of Annex B.

    labels (H,W) ─pad─> ConditionStage ──────────────┐
    colors (H,W,3) ─pad─> x/127.5-1 ─> VQ encode ─> z_c ─> DDIM / DPM-Solver++(2M) ─> z_0
    [roi_rgb, mask ─pad─> VQ encode ─> z_R, mu]  (ROI_AWARE)                           │
    G (H,W,3) uint8 <─crop─ round(127.5 (x+1)) <─ VQ decode (quantize per profile) <───┘
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ssgc_format.errors import InputError, ModelError, UnsupportedError
from ssgc_format.genparams import GenerationParams
from ssgc_format.profiles import PROFILE_TINY, get_profile, pad_multiple
from ssgc_ref.generators import register_generator
from ssgc_ref.generators.device import check_device
from ssgc_ref.generators.roi_aware import latent_mask, make_reimpose
from ssgc_ref.generators.sampler import unet_eps_fn
from ssgc_ref.generators.sampling import check_sampler, make_sampler_schedule, sample
from ssgc_ref.generators.weights import ModelBundle, load_model_dir

__all__ = ["LDMGenerator", "TINY_MODEL_DIR", "pad_edge", "to_uint8"]

# conformance/ in a source checkout; installed from a wheel it is the package ssgc_conformance.
TINY_MODEL_DIR = next((d for d in (Path(__file__).resolve().parents[2] / p / "models" / "tiny"
                                   for p in ("conformance", "ssgc_conformance")) if d.is_dir()),
                      Path(__file__).resolve().parents[2] / "conformance" / "models" / "tiny")
UNLABELED = 182


def pad_edge(a: np.ndarray, hp: int, wp: int) -> np.ndarray:
    """Extend rows/columns at the bottom/right by edge replication to (hp, wp) (§8.4)."""
    h, w = a.shape[:2]
    pads = [(0, hp - h), (0, wp - w)] + [(0, 0)] * (a.ndim - 2)
    return np.pad(a, pads, mode="edge")


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """§8.6: v = (x + 1) * 127.5, clamp to [0, 255], floor(v + 0.5); (B,3,H,W) -> (B,H,W,3) uint8."""
    v = (x.float() if x.dtype == torch.float16 else x) + 1.0
    v = v * 127.5
    v = torch.floor(v.clamp(0.0, 255.0) + 0.5)
    return v.to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _check_inputs(labels, colors, roi_rgb, mask, params) -> None:
    if not isinstance(params, GenerationParams):
        raise InputError(f"params must be GenerationParams, got {type(params).__name__}")
    bad = params.problems()
    if bad:
        raise InputError("generation parameters: " + "; ".join(bad))
    if not isinstance(labels, np.ndarray) or labels.ndim != 2 or labels.dtype != np.uint8:
        raise InputError(f"labels_full must be a 2-D uint8 array, got {getattr(labels, 'shape', None)} "
                         f"{getattr(labels, 'dtype', type(labels).__name__)}")
    h, w = labels.shape
    if h == 0 or w == 0:
        raise InputError("labels_full is empty")
    if int(labels.max()) > UNLABELED:
        raise InputError(f"labels_full has label {int(labels.max())} > {UNLABELED}")
    for name, a in (("colors_full", colors), ("roi_rgb", roi_rgb)):
        if a is None and name == "roi_rgb":
            continue
        if not isinstance(a, np.ndarray) or a.shape != (h, w, 3) or a.dtype != np.uint8:
            raise InputError(f"{name} must be uint8 ({h}, {w}, 3), got {getattr(a, 'shape', None)} "
                             f"{getattr(a, 'dtype', type(a).__name__)}")
    if mask is not None and (not isinstance(mask, np.ndarray) or mask.shape != (h, w)):
        raise InputError(f"mask must be ({h}, {w}), got {getattr(mask, 'shape', None)}")
    if roi_rgb is not None and mask is None:
        raise InputError("roi_rgb needs its mask")
    check_sampler(getattr(params, "sampler", 0), params.eta_q8)


@register_generator("ldm")
class LDMGenerator:
    """Latent diffusion generator for model profiles 1 (CompVis semantic synthesis) and 2 (tiny).

    ``model_dir``: a folder from ``ssgc-ref convert-model`` (profile 1) or the conformance tiny
    model (default for profile 2). ``device``: "cpu", "cuda" (default: cuda when available).
    ``half``: run the UNet in float16 on CUDA (faster, but not conformant unless measured within
    the tolerance: §8.9 reports bfloat16 far outside it). ``float64``: run everything in double precision
    (to measure the float32 error, §8.9). ``allow_model_mismatch``: warn instead of refusing
    weights whose digest is not the profile's.
    """

    id = "ldm"

    def __init__(self, model_dir: str | Path | None = None, *, profile_id: int | None = None,
                 device: str | None = None, half: bool = False, float64: bool = False,
                 allow_model_mismatch: bool = False):
        self.model_dir = Path(model_dir) if model_dir is not None else None
        # checked before any weights are read: a bad device is one line, not a torch traceback
        self.device = torch.device(check_device(device) if device is not None
                                   else ("cuda" if torch.cuda.is_available() else "cpu"))
        self.half = bool(half) and self.device.type == "cuda"
        self.work_dtype = torch.float64 if float64 else torch.float32
        self.allow_model_mismatch = allow_model_mismatch
        self._bundles: dict[int, ModelBundle] = {}
        self.profile_id = profile_id  # informative: the profile the caller expects (files carry their own)

    # -- model ---------------------------------------------------------------------------------
    def bundle(self, profile_id: int) -> ModelBundle:
        """The loaded networks for ``profile_id`` (UnsupportedError for an unknown or 'none' profile)."""
        if profile_id in self._bundles:
            return self._bundles[profile_id]
        if get_profile(profile_id) is None:
            raise UnsupportedError(f"model profile {profile_id} has no generator in this decoder "
                                   f"(Annex B); use the preview")
        model_dir = self.model_dir
        if model_dir is None:
            if profile_id != PROFILE_TINY:
                raise ModelError(f"model profile {profile_id} needs its weights: convert the CompVis "
                                 f"checkpoint with 'ssgc-ref convert-model' and pass the folder")
            model_dir = TINY_MODEL_DIR
        b = load_model_dir(model_dir, profile_id, allow_model_mismatch=self.allow_model_mismatch)
        b.to(self.device, self.work_dtype)
        if self.half:
            b.unet.to(dtype=torch.float16)
        self._bundles[profile_id] = b
        return b

    # -- generation ----------------------------------------------------------------------------
    def generate(self, *, labels_full: np.ndarray, colors_full: np.ndarray, params: GenerationParams,
                 roi_rgb: np.ndarray | None = None, mask: np.ndarray | None = None,
                 progress: bool = True) -> np.ndarray:
        """x~_G (H, W, 3) uint8 of spec §8 for one picture."""
        return self.generate_batch([dict(labels_full=labels_full, colors_full=colors_full, params=params,
                                         roi_rgb=roi_rgb, mask=mask)], progress=progress)[0]

    def generate_batch(self, items: list[dict], progress: bool = True) -> list[np.ndarray]:
        """Several pictures; those sharing size and schedule run as one network batch."""
        for it in items:
            _check_inputs(it["labels_full"], it["colors_full"], it.get("roi_rgb"), it.get("mask"), it["params"])
        groups: dict[tuple, list[int]] = {}
        for n, it in enumerate(items):
            p: GenerationParams = it["params"]
            prof = get_profile(p.profile_id)
            if prof is None:
                raise UnsupportedError(f"model profile {p.profile_id} has no generator in this decoder")
            mult = pad_multiple(prof)
            h, w = it["labels_full"].shape
            roi = p.roi_aware and it.get("mask") is not None and it.get("roi_rgb") is not None
            key = (p.profile_id, -(-h // mult) * mult, -(-w // mult) * mult, getattr(p, "sampler", 0), p.steps,
                   p.strength_permille, p.guidance_q8, p.eta_q8, roi)
            groups.setdefault(key, []).append(n)
        out: list[np.ndarray | None] = [None] * len(items)
        for key, idx in groups.items():
            imgs = self._run_group(key, [items[n] for n in idx], progress)
            for n, img in zip(idx, imgs):
                out[n] = img
        return out  # type: ignore[return-value]

    @torch.no_grad()
    def _encode(self, b: ModelBundle, rgb: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(rgb)).to(self.device).permute(0, 3, 1, 2).to(self.work_dtype)
        x = x / 127.5 - 1.0
        return b.vq.encode(x).latents  # encoder + quant_conv, no quantization (§8.4)

    @torch.no_grad()  # inference_mode measured no faster (benchmarks/unet_overhead.py)
    def _run_group(self, key: tuple, items: list[dict], progress: bool) -> list[np.ndarray]:
        profile_id, hp, wp, sampler, steps, strength, guidance, eta, roi = key
        b = self.bundle(profile_id)
        prof = b.profile
        labels = np.stack([pad_edge(it["labels_full"], hp, wp) for it in items])
        colors = np.stack([pad_edge(it["colors_full"], hp, wp) for it in items])
        seeds = [it["params"].seed for it in items]
        cond = b.cond(torch.from_numpy(labels.astype(np.int64)).to(self.device))
        z_c = self._encode(b, colors)
        reimpose = None
        if roi:
            # R = decoded ROI inside the mask, the color image elsewhere (§8.7)
            rois = np.stack([pad_edge(np.where(it["mask"][..., None] != 0, it["roi_rgb"], it["colors_full"]), hp, wp)
                             for it in items])
            mu = np.stack([latent_mask(pad_edge(it["mask"], hp, wp), prof.vq_factor) for it in items])
            z_r = self._encode(b, rois)
            reimpose = make_reimpose(z_r, torch.from_numpy(mu)[:, None].to(self.device), seeds)
        sched = make_sampler_schedule(sampler, steps, strength, guidance, eta, T=prof.T,
                                      beta_start=prof.beta_start, beta_end=prof.beta_end)
        udt = next(b.unet.parameters()).dtype
        base_eps = unet_eps_fn(b.unet)

        def eps_fn(x, t, c):
            return base_eps(x.to(udt), t, c.to(udt)).to(x.dtype)

        z = sample(eps_fn, sched, z_color=z_c, cond=cond, seeds=seeds, reimpose=reimpose, progress=progress)
        x = b.vq.decode(z, force_not_quantize=not prof.vq_quantize_on_decode).sample
        imgs = to_uint8(x)
        return [img[: it["labels_full"].shape[0], : it["labels_full"].shape[1]] for img, it in zip(imgs, items)]
