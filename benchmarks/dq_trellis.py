"""The dependent-quantisation trellis (ssgc_ref/vvc/dep_quant.py) against RDOQ (rdoq.py) and plain
rounding (quant.quantize), block by block: D + lambda * R with R the real code length of the chosen
levels (residual_bits under the slice's initial context states, plus one bin for the coded flag)
and the quantiser's CPU time, summed over luma blocks of scikit-image's astronaut (512x512, BT.601
4:2:0, 8-bit) predicted by the mean of the row above, at slice QP 27 and 37. Printed as ratios to
RDOQ measured in the same run (after a warm-up call of each: compiled kernels load first); the
trellis with one pass (trials) and two (the encoder's RDOQ codings).

Run: .venv/bin/python benchmarks/dq_trellis.py   (seconds; a minute with the quantisers in Python)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from vvc_anchor import load_image  # noqa: E402

SHAPES = ((8, 8), (16, 16), (32, 32), (4, 16), (16, 8))


def main() -> None:
    from ssgc_format.ycbcr import rgb_to_ycbcr420
    from ssgc_ref.vvc.cabac import ContextStates
    from ssgc_ref.vvc.dep_quant import dq_dequantize, dq_quantize
    from ssgc_ref.vvc.quant import dequantize, quantize
    from ssgc_ref.vvc.rdoq import rdoq
    from ssgc_ref.vvc.residual_coding import residual_bits
    from ssgc_ref.vvc.transform import forward_dct2, inverse_dct2

    y = rgb_to_ycbcr420(load_image("astronaut"), 8)[0].astype(np.int32)
    bd = 8
    warm = forward_dct2(y[:8, :8] - 128, bd)  # compile or load the compiled kernels before timing
    dq_quantize(warm, 27, bd, 0, 30.0, ContextStates(27), 2)
    rdoq(warm, 27, bd, 0, 30.0, ContextStates(27))
    print(f"{'QP':>3} {'block':>6} {'blocks':>6}  D+lR / RDOQ's: {'plain':>6} {'dq1':>6} {'dq2':>6}"
          f"   time / RDOQ's: {'plain':>6} {'dq1':>6} {'dq2':>6}")
    for qp in (27, 37):
        lam = 0.57 * 2.0 ** ((qp - 12) / 3.0)
        quantisers = {
            "rdoq": lambda c, ctx: rdoq(c, qp, bd, 0, lam, ctx),
            "plain": lambda c, ctx: quantize(c, qp, bd),
            "dq1": lambda c, ctx: dq_quantize(c, qp, bd, 0, lam, ctx, 1),
            "dq2": lambda c, ctx: dq_quantize(c, qp, bd, 0, lam, ctx, 2),
        }
        for h, w in SHAPES:
            cost = dict.fromkeys(quantisers, 0.0)
            cpu = dict.fromkeys(quantisers, 0.0)
            count = 0
            for by in range(64, 448, 2 * h):
                for bx in range(64, 448, 2 * w):
                    org = y[by:by + h, bx:bx + w]
                    pred = np.full((h, w), int(y[by - 1, bx:bx + w].mean()), dtype=np.int32)
                    coef = forward_dct2(org - pred, bd)
                    count += 1
                    for name, q in quantisers.items():
                        ctx = ContextStates(qp)
                        t = time.process_time()
                        lv = q(coef, ctx)
                        cpu[name] += time.process_time() - t
                        dq = name.startswith("dq")
                        bits, rec = 1.0, pred
                        if lv.any():
                            d = dq_dequantize(lv, qp, bd) if dq else dequantize(lv, qp, bd)
                            rec = pred + inverse_dct2(d, bd)
                            bits += residual_bits(ctx.copy(), lv, 0, 0.0, False, dq)
                        cost[name] += float(((org - rec) ** 2).sum()) + lam * bits
            r = {k: cost[k] / cost["rdoq"] for k in cost}
            tr = {k: cpu[k] / cpu["rdoq"] for k in cpu}
            print(f"{qp:>3} {f'{w}x{h}':>6} {count:>6}  {'':>14} {r['plain']:>6.3f} {r['dq1']:>6.3f} {r['dq2']:>6.3f}"
                  f"   {'':>14} {tr['plain']:>6.2f} {tr['dq1']:>6.2f} {tr['dq2']:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
