"""Picture quality measures for the benchmarks and ``ssgc-ref batch eval`` (informative).

Nothing here is written by hand: PSNR is scikit-image's ``peak_signal_noise_ratio``, MS-SSIM
torchmetrics' ``multiscale_structural_similarity_index_measure`` (imported only when asked for: it
needs the 'ray' or 'test' extra), the luma scikit-image's BT.601 ``rgb2ycbcr`` (limited range,
Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255, the definition the VVC anchor uses).

MS-SSIM is Wang et al.'s five-scale measure (weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333, an 11-tap
Gaussian window of sigma 1.5) on the RGB channels. A picture too small for five scales (torchmetrics
wants both sides of at least 176 pixels) is measured with the largest number of leading scales that
torchmetrics accepts and whose coarsest scale still holds the window, their weights rescaled to sum to one; ``ms_ssim`` returns that number with the value so the reader knows
(5 = the standard measure). Below one scale the value is absent (None).

Learned measures (LPIPS, DISTS, FID/KID) need network weights that this code never downloads: they are
reported as absent (:data:`LEARNED_ABSENT`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LEARNED_ABSENT", "MS_SSIM_WEIGHTS", "bounding_box", "luma", "ms_ssim", "picture_metrics", "psnr", "psnr_y"]

MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
WINDOW = 11  # torchmetrics' default Gaussian window, 11 taps (sigma 1.5)
LEARNED_ABSENT = ("absent: LPIPS, DISTS, FID and KID need network weights, which this code never downloads "
                  "(none were given)")

Rect = tuple[int, int, int, int]  # x, y, w, h


def luma(rgb: np.ndarray) -> np.ndarray:
    """BT.601 limited-range luma (16..235) of uint8 RGB, float64 (H, W)."""
    from skimage.color import rgb2ycbcr

    return rgb2ycbcr(np.asarray(rgb, dtype=np.uint8))[..., 0]


def _tensor(a: np.ndarray):
    import torch

    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(2, 0, 1)[None]


def psnr(a: np.ndarray, b: np.ndarray, data_range: float = 255.0) -> float:
    """PSNR in dB of ``a`` against the reference ``b``, arrays of one shape (any layout: the mean
    squared error is taken over every element); ``inf`` when they are equal."""
    from skimage.metrics import peak_signal_noise_ratio

    if np.shape(a) != np.shape(b) or np.size(a) == 0:
        raise ValueError(f"psnr needs two non-empty arrays of one shape, got {np.shape(a)} and {np.shape(b)}")
    with np.errstate(divide="ignore"):  # equal arrays: inf, not a warning
        return float(peak_signal_noise_ratio(np.asarray(b, np.float64), np.asarray(a, np.float64),
                                             data_range=data_range))


def psnr_y(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """PSNR of the BT.601 luma of uint8 RGB ``a`` against the reference ``b``, over the pixels of the
    bool ``mask`` when given (the "PSNR-Y inside the ROI" of the README's tables)."""
    ya, yb = luma(a), luma(b)
    if mask is not None:
        ya, yb = ya[mask], yb[mask]
    return psnr(ya, yb)


def ms_ssim(a: np.ndarray, b: np.ndarray) -> tuple[float | None, int]:
    """MS-SSIM of two uint8 RGB pictures (H, W, 3): ``(value, scales)``, see the module docstring."""
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure

    x, y = _tensor(a), _tensor(b)
    side = min(x.shape[-2:])
    for scales in range(len(MS_SSIM_WEIGHTS), 0, -1):
        if side >> (scales - 1) < WINDOW:  # the coarsest scale must hold the window
            continue
        w = MS_SSIM_WEIGHTS[:scales]
        betas = tuple(v / sum(w) for v in w)
        try:
            value = multiscale_structural_similarity_index_measure(x, y, data_range=255.0, betas=betas)
        except ValueError:  # the library's own size rule for this many scales
            continue
        return float(value), scales
    return None, 0


def _finite(v: float) -> float | None:
    return v if np.isfinite(v) else None  # JSON has no inf: identical pictures give null


def bounding_box(mask: np.ndarray) -> Rect | None:
    """The tightest rectangle (x, y, w, h) holding every True pixel of ``mask``; None if there is none."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1)


def picture_metrics(original: np.ndarray, decoded: np.ndarray, roi: np.ndarray | None) -> dict:
    """The manifest's measures of ``decoded`` against ``original`` (uint8 RGB of one size): PSNR-Y and
    MS-SSIM of the whole picture and inside the ROI, ``roi`` being the decoded mask (bool (H, W); None
    or empty: no ROI, null values). PSNR-Y in the ROI is taken over the mask's pixels, MS-SSIM (which
    needs a rectangle) over the mask's bounding box: the same pixels for a rectangular ROI such as a
    face box."""
    if original.shape != decoded.shape:
        raise ValueError(f"decoded picture {decoded.shape} differs in size from the original {original.shape}")
    out: dict = {}
    ya, yb = luma(original), luma(decoded)
    out["psnr_y"] = _finite(psnr(yb, ya))
    out["psnr_rgb"] = _finite(psnr(decoded, original))
    out["ms_ssim"], out["ms_ssim_scales"] = ms_ssim(decoded, original)
    box = bounding_box(roi) if roi is not None else None
    if box is None:
        out.update(psnr_y_roi=None, ms_ssim_roi=None, ms_ssim_roi_scales=0)
    else:
        x, y, w, h = box
        out["psnr_y_roi"] = _finite(psnr(yb[roi], ya[roi]))
        out["ms_ssim_roi"], out["ms_ssim_roi_scales"] = ms_ssim(decoded[y: y + h, x: x + w],
                                                                original[y: y + h, x: x + w])
    out["learned"] = LEARNED_ABSENT
    return out
