"""The reference decoder: an SSGC file in, an RGB image out. Follows spec §9.1 step by step.

    1. parse and check the file (clause 2), entropy-decode the payloads (3-6)      normative
    2. label image, color image, mask (4.4, 5.5, 9.3)                               normative
    3. decode the ROI substream and convert it to RGB (clause 7)                    normative
    4. generate the background (clause 8) or take the preview (9.5)                 tolerance / normative
    5. composite: x~ = m ? x~_C : x~_G (9.4)                                        normative
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ssgc_format import reconstruct
from ssgc_format.file import SSGCImage, read_ssgc
from ssgc_format.genparams import GenerationParams
from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, PROFILE_NONE, PROFILE_TINY, get_profile, pad_multiple

PREVIEW = "preview"
AUTO = "auto"

#: What 'auto' may spend on one picture, in generation work units (see generation_work): beyond
#: it, 'auto' decodes the preview and says so; '--generator ldm' runs the model regardless.
#: Tiny model (profile 2): about 0.2 us per unit on one core of this project's 2-core CPU
#: (measured at 512x512 and 1024x1024), so 2^25 units are about 7 s on an idle core and about a
#: minute when the cores are shared with other work. That admits the paper's settings (141
#: guided steps) up to 256x256 and 20 guided steps at 512x512, and previews 999 guided steps at
#: 64x48, anything from 1024x1024 up and every picture large enough to need gigabytes.
#: Profile 1 (about 80x the tiny model's cost per unit): 2^30 units admit the paper's settings up
#: to about 1500x1500 pixels.
AUTO_BUDGET = {PROFILE_TINY: 2**25, PROFILE_LDM_SEMANTIC512: 2**30}
AUTO_BUDGET_DEFAULT = 2**30
#: One VQ encode or decode costs about as much as 32 tiny-UNet evaluations at the same size.
VQ_PASS_UNITS = 32
#: A UNet evaluation on a small latent costs at least this many pixels' worth (per-call overhead).
MIN_EVAL_PIXELS = 2**15


@dataclass
class DecodeResult:
    image: np.ndarray  # uint8 (H, W, 3): the decoded picture
    parsed: SSGCImage
    labels_full: np.ndarray  # uint8 (H, W)
    colors_full: np.ndarray  # uint8 (H, W, 3)
    mask_full: np.ndarray  # bool (H, W)
    roi_rgb: np.ndarray | None  # uint8 (h, w, 3) at the placement rectangle
    generated: np.ndarray  # uint8 (H, W, 3) before compositing
    generator: str  # the generator actually used
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def generation_work(params: GenerationParams, height: int, width: int) -> int:
    """Work units of one diffusion decode: the padded picture's pixels times the network passes.

    ``max(P, 2^15) * E + P * 32 * V`` with P the pixels after padding (§8.4), E the UNet
    evaluations (k0 + 1 steps, twice when guided) and V the VQ passes (encode, decode, and the
    ROI encode when ROI-aware sampling is on).
    """
    profile = get_profile(params.profile_id)
    mult = pad_multiple(profile) if profile is not None else 16
    pixels = (-(-height // mult) * mult) * (-(-width // mult) * mult)
    steps = max(int(params.steps), 1)
    k0 = min(steps - 1, steps * int(params.strength_permille) // 1000)
    evals = (k0 + 1) * (1 if params.guidance_q8 == 256 else 2)
    vq_passes = 3 if params.roi_aware else 2
    return max(pixels, MIN_EVAL_PIXELS) * evals + pixels * VQ_PASS_UNITS * vq_passes


def choose_generator(img: SSGCImage, requested: str, model_dir: str | None) -> tuple[str, list[str]]:
    """Which generator decodes ``img``: ``requested`` unless it is 'auto'.

    'auto' takes the diffusion generator when the file's model profile is known, its weights are
    at hand (``model_dir``, or the conformance model that ships with this package for the tiny
    profile) and the work the file asks for is within the profile's AUTO_BUDGET; the normative
    preview otherwise, saying why. An explicit 'ldm' is never second-guessed.
    """
    if requested != AUTO:
        return requested, []
    gp = img.genparams
    pid = gp.profile_id
    profile = get_profile(pid)
    if pid == PROFILE_NONE:
        return PREVIEW, ["the file names no generator (profile 0): decoded the normative preview"]
    if profile is None:
        return PREVIEW, [f"unknown model profile {pid}: decoded the normative preview (spec 9.5)"]
    if model_dir is None and pid != PROFILE_TINY:  # the tiny conformance model ships with us
        return PREVIEW, [f"no weights for model profile {pid} ({profile.name}): pass --model DIR with the "
                         "converted weights (see 'ssgc-ref convert-model --help'); decoded the normative "
                         "preview (upsampled color map with the ROI pasted) instead"]
    from ssgc_ref.generators import missing_diffusion_packages

    missing = missing_diffusion_packages()
    if missing:
        return PREVIEW, [f"the diffusion generator needs {', '.join(missing)} (pip install "
                         "'ssgc[diffusion]'): decoded the normative preview (spec 9.5)"]
    h = img.header
    work, budget = generation_work(gp, h.height, h.width), AUTO_BUDGET.get(pid, AUTO_BUDGET_DEFAULT)
    if work > budget:
        return PREVIEW, [f"the file asks model profile {pid} ({profile.name}) for {gp.steps} steps at "
                         f"strength {gp.strength_permille / 1000:g} on {h.width}x{h.height} pixels: "
                         f"{work / budget:.1f}x the 'auto' budget ({work} > {budget} work units); decoded "
                         f"the normative preview instead (--generator ldm runs the model anyway)"]
    return "ldm", []


def _prepare(data: bytes, generator: str, model_dir: str | None) -> DecodeResult:
    """Steps 1-4 of spec 9.1 (all bit-exact) and the choice of generator; no generation yet."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    img = read_ssgc(data)
    labels_full = reconstruct.label_image(img)
    colors_full = reconstruct.color_image(img)
    mask_full = reconstruct.mask_image(img)
    seconds["parse + reconstruct"] = time.perf_counter() - t

    roi_rgb = None
    if img.roi is not None:
        from ssgc_ref.roi_codec import decode_roi

        t = time.perf_counter()
        r = img.roi
        roi_rgb = decode_roi(r.substream, r.width, r.height, r.bit_depth)
        seconds["ROI (VVC)"] = time.perf_counter() - t
    name, notes = choose_generator(img, generator, model_dir)
    return DecodeResult(colors_full, img, labels_full, colors_full, mask_full, roi_rgb, colors_full, name,
                        notes, seconds)


def _generator_item(res: DecodeResult) -> dict:
    placed = None
    if res.roi_rgb is not None:
        r = res.parsed.roi
        placed = np.zeros_like(res.colors_full)
        placed[r.y: r.y + r.height, r.x: r.x + r.width] = res.roi_rgb
    return dict(labels_full=res.labels_full, colors_full=res.colors_full, params=res.parsed.genparams,
                roi_rgb=placed, mask=res.mask_full)


class Decoder:
    """Decodes files one at a time, keeping each loaded generator for the next file (one model load
    per process: the CLI's multi-file decode and the batch workers use one Decoder each).

    Every picture goes through the network alone, never stacked with others: batched float
    convolutions and matrix products sum in another order (the BLAS/oneDNN kernel depends on the batch
    size), which moved some pixels of a file decoded with others by one level from its single decode.
    One picture per network call makes a file's pixels independent of what it is decoded with.
    """

    def __init__(self, *, generator: str = AUTO, model_dir: str | None = None, allow_model_mismatch: bool = False,
                 device: str = "cpu"):
        if generator != PREVIEW:  # a bad device is refused before any file is parsed or model read
            from ssgc_ref.generators.device import check_device

            check_device(device)
        self.generator, self.model_dir, self.device = generator, model_dir, device
        self.allow_model_mismatch = allow_model_mismatch
        self._loaded: dict[tuple[str, int], object] = {}

    def _get(self, name: str, profile_id: int, progress: bool):
        key = (name, profile_id)
        if key not in self._loaded:
            from ssgc_ref.generators import get_generator
            from ssgc_ref.progress import StageBar

            with StageBar(["model loading"], progress, desc=name) as bar:  # seconds to minutes: show it
                bar.stage("model loading")
                self._loaded[key] = get_generator(name, profile_id=profile_id, model_dir=self.model_dir,
                                                  allow_model_mismatch=self.allow_model_mismatch, device=self.device)
        return self._loaded[key]

    def decode(self, data: bytes, *, progress: bool = False) -> DecodeResult:
        """Decode one file (spec 9.1)."""
        res = _prepare(data, self.generator, self.model_dir)
        if res.generator != PREVIEW:
            t = time.perf_counter()
            gen = self._get(res.generator, res.parsed.genparams.profile_id, progress)
            res.generated = gen.generate(**_generator_item(res), progress=progress)
            res.seconds["generation"] = time.perf_counter() - t
        res.image = reconstruct.composite(res.generated, res.parsed, res.roi_rgb, res.mask_full)
        return res


def decode_many(files: list[bytes], *, generator: str = AUTO, model_dir: str | None = None,
                allow_model_mismatch: bool = False, device: str = "cpu", progress: bool = False) -> list[DecodeResult]:
    """Decode several files with one :class:`Decoder` (each model loaded once); every result equals the
    file's single decode. Holds every result in memory: to stream, call ``Decoder.decode`` per file."""
    dec = Decoder(generator=generator, model_dir=model_dir, allow_model_mismatch=allow_model_mismatch, device=device)
    return [dec.decode(d, progress=progress) for d in files]


def decode_bytes(data: bytes, *, generator: str = AUTO, model_dir: str | None = None,
                 allow_model_mismatch: bool = False, device: str = "cpu", progress: bool = False) -> DecodeResult:
    """Decode one file (spec 9.1): see :class:`Decoder` for the arguments."""
    return Decoder(generator=generator, model_dir=model_dir, allow_model_mismatch=allow_model_mismatch,
                   device=device).decode(data, progress=progress)
