"""One transform block's levels and reconstruction in the SSGC VVC intra encoder: the quantiser a
trial asks for (plain rounding, RDOQ or the dependent-quantisation trellis) and sign data hiding's
parity (informative), then the decoder's scaling, inverse LFNST and inverse DCT-II (normative).
Shared by the CU trials (cu_search.py) and the ISP sub-partitions (isp.py)."""

from __future__ import annotations

import numpy as np

from .dep_quant import dq_dequantize, dq_quantize, trans_levels
from .jit import kernel
from .lfnst import inverse_lfnst
from .quant import _scale_params, dequantize, quantize, scale_levels
from .rdoq import rdoq
from .sign_hiding import hide_signs
from .transform import _inverse_small, compiled_size, dct2_matrix, inverse_dct2


def quantise(coef: np.ndarray, qp: int, bd: int, c_idx: int, lam: float, rd=None, dq=None,
             sign_hiding: bool = False) -> np.ndarray:
    """Levels (h, w) int32 of the transformed residual ``coef`` of component ``c_idx``. ``rd``: the
    context states of an RDOQ coding (None: plain rounding); ``dq``: dependent quantisation is on,
    the trellis (dep_quant.py) then replaces both, rated by ``rd``'s states with two passes or, in a
    trial without them, by these states with one. ``sign_hiding``: non-zero levels get its parity
    (sign_hiding.hide_signs, with ``lam``)."""
    if dq is not None:
        lv = dq_quantize(coef, qp, bd, c_idx, lam, dq if rd is None else rd, 1 if rd is None else 2)
    else:
        lv = quantize(coef, qp, bd) if rd is None else rdoq(coef, qp, bd, c_idx, lam, rd)
    if sign_hiding and lv.any():
        lv = hide_signs(lv, coef, qp, bd, lam)
    return lv


def reconstruct(levels: np.ndarray, pred: np.ndarray, qp: int, bd: int, lfnst=None,
                dep_quant: bool = False) -> np.ndarray:
    """The decoder's reconstruction (int32) of a block predicted by ``pred`` with non-zero
    ``levels``; ``lfnst`` = (predModeIntra, lfnst_idx) when the levels are LFNST coefficients,
    inverted between the scaling and the DCT-II; ``dep_quant``: the levels are dependent
    quantisation's k."""
    h, w = levels.shape
    if lfnst is None and compiled_size(h, w):
        ls, q_shift = _scale_params(levels.shape, qp, bd, dep_quant)
        return _reconstruct_small(trans_levels(levels) if dep_quant else levels, pred, ls, q_shift,
                                  dct2_matrix(h), dct2_matrix(w), 20 - bd, (1 << bd) - 1)
    d = dq_dequantize(levels, qp, bd) if dep_quant else dequantize(levels, qp, bd)
    if lfnst is not None:
        d = inverse_lfnst(d, lfnst[0], lfnst[1])
    r = inverse_dct2(d, bd)
    return np.minimum(np.maximum(pred + r, 0), (1 << bd) - 1).astype(np.int32)


@kernel
def _reconstruct_small(levels, pred, ls, q_shift, th, tw, tr_shift, max_val):
    """reconstruct() of a small block without LFNST in one compiled call: quant.scale_levels,
    transform._inverse_small, then Clip1(pred + r)."""
    h, w = levels.shape
    r = _inverse_small(scale_levels(levels, ls, q_shift), th, tw, tr_shift)
    out = np.empty((h, w), dtype=np.int32)
    for y in range(h):
        for x in range(w):
            v = np.int64(pred[y, x]) + r[y, x]
            out[y, x] = 0 if v < 0 else (max_val if v > max_val else v)
    return out
