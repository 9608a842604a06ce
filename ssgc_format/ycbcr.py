"""YCbCr 4:2:0 -> RGB conversion of the decoded ROI. Implements spec §7.5 (normative, integer only).

Decoder side (:func:`ycbcr420_to_rgb`): chroma is upsampled to 4:4:4 with the 9/3/3/1 bilinear
kernel (chroma sits at the centre of its 2x2 luma block, edges replicated), kept at 16x scale, then
converted with the BT.601 limited-range inverse matrix in Q14 fixed point, rounded half up and clipped
to 0..255. Every intermediate value fits in a signed 32-bit integer for bit depths 8 and 10.

Encoder side (:func:`rgb_to_ycbcr420`, informative): BT.601 limited range in float64, chroma averaged
over each 2x2 block (partial blocks at odd edges average the pixels they have), rounded half up and
clipped to the bit depth.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BIT_DEPTHS", "INV_MATRIX_Q14", "rgb_to_ycbcr420", "ycbcr420_to_rgb"]

BIT_DEPTHS = (8, 10)
# §7.5: round(2^14 * inverse of the BT.601 limited-range matrix): (Y, Cb, Cr) -> R, G, B.
KY, KR_CR, KG_CB, KG_CR, KB_CB = 19077, 26149, -6419, -13320, 33050
INV_MATRIX_Q14 = ((KY, 0, KR_CR), (KY, KG_CB, KG_CR), (KY, KB_CB, 0))


def _check(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, bit_depth: int) -> None:
    if bit_depth not in BIT_DEPTHS:
        raise ValueError(f"bit depth {bit_depth} not in {BIT_DEPTHS}")
    if y.ndim != 2 or y.shape[0] < 1 or y.shape[1] < 1:
        raise ValueError(f"luma plane must be a non-empty 2-D array, got shape {y.shape}")
    cshape = ((y.shape[0] + 1) // 2, (y.shape[1] + 1) // 2)
    if cb.shape != cshape or cr.shape != cshape:
        raise ValueError(f"chroma planes {cb.shape}/{cr.shape} do not match luma {y.shape} in 4:2:0 ({cshape})")


def _neighbours(n_luma: int, n_chroma: int) -> tuple[np.ndarray, np.ndarray]:
    """For each luma index: the co-sited chroma index (weight 3) and its nearer neighbour (weight 1)."""
    t = np.arange(n_luma)
    near = t >> 1
    far = np.where(t & 1, np.minimum(near + 1, n_chroma - 1), np.maximum(near - 1, 0))
    return near, far


def upsample_chroma16(c: np.ndarray, height: int, width: int) -> np.ndarray:
    """§7.5.1: 16 x the 4:4:4 chroma plane: 9*C[i0][j0] + 3*C[i0][j1] + 3*C[i1][j0] + C[i1][j1]."""
    c = c.astype(np.int64)
    i0, i1 = _neighbours(height, c.shape[0])
    j0, j1 = _neighbours(width, c.shape[1])
    a, b = c[i0][:, j0], c[i0][:, j1]
    d, e = c[i1][:, j0], c[i1][:, j1]
    return np.asarray(9 * a + 3 * b + 3 * d + e)


def ycbcr420_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, bit_depth: int) -> np.ndarray:
    """§7.5: decoded 4:2:0 planes (luma H x W, chroma ceil(H/2) x ceil(W/2)) -> uint8 RGB (H, W, 3)."""
    _check(y, cb, cr, bit_depth)
    s = bit_depth - 8
    height, width = y.shape
    yd = (y.astype(np.int64) - (16 << s)) << 4
    ud = upsample_chroma16(cb, height, width) - (2048 << s)
    vd = upsample_chroma16(cr, height, width) - (2048 << s)
    shift = 18 + s
    rnd = 1 << (shift - 1)
    out = np.empty((height, width, 3), dtype=np.uint8)
    for ch, (ky, ku, kv) in enumerate(INV_MATRIX_Q14):
        out[..., ch] = np.clip((ky * yd + ku * ud + kv * vd + rnd) >> shift, 0, 255)
    return out


def rgb_to_ycbcr420(rgb: np.ndarray, bit_depth: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Informative: uint8 RGB (H, W, 3) -> (Y, Cb, Cr) uint16 planes at ``bit_depth`` (4:2:0)."""
    if bit_depth not in BIT_DEPTHS:
        raise ValueError(f"bit depth {bit_depth} not in {BIT_DEPTHS}")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"expected an (H, W, 3) RGB array, got shape {rgb.shape}")
    f = rgb.astype(np.float64)
    r, g, b = f[..., 0], f[..., 1], f[..., 2]
    yf = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cbf = 128 + (-37.797 * r - 74.203 * g + 112 * b) / 255
    crf = 128 + (112 * r - 93.786 * g - 18.214 * b) / 255
    scale = float(1 << (bit_depth - 8))
    hi = (1 << bit_depth) - 1

    def to_int(p: np.ndarray) -> np.ndarray:
        return np.clip(np.floor(p * scale + 0.5), 0, hi).astype(np.uint16)

    return to_int(yf), to_int(_average_2x2(cbf)), to_int(_average_2x2(crf))


def _average_2x2(p: np.ndarray) -> np.ndarray:
    """Mean over each 2x2 block; partial blocks at odd edges average the pixels they contain."""
    h, w = p.shape
    ph, pw = (h + 1) // 2 * 2, (w + 1) // 2 * 2
    total = np.zeros((ph, pw))
    count = np.zeros((ph, pw))
    total[:h, :w] = p
    count[:h, :w] = 1
    s = total.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
    n = count.reshape(ph // 2, 2, pw // 2, 2).sum(axis=(1, 3))
    return np.asarray(s / n)
