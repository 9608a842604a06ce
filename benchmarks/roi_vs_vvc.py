"""The paper's comparison, end to end: SSGC (face ROI with VVC + semantics) against VVC alone
coding the whole picture at the same total number of bytes.

    python benchmarks/roi_vs_vvc.py [--out DIR]

For each image and ROI QP: the face ROI from scikit-image's LBP cascade with a 25% margin, encoded
by `ssgc-ref`'s encoder (superpixel labels, default color map, pixel-precise mask); then our VVC
encoder codes the whole picture at the lowest QP whose stream fits in the SSGC file's total bytes.
Reported: bytes per component, PSNR-Y inside the ROI for both (BT.601 limited-range luma of the
decoded RGB against the original's, the anchor's definition), and encode/decode seconds per stage.
"VVC alone" is this project's encoder, not VVenC: benchmarks/vvc_anchor.py measures it against
all-intra VVenC 1.6.1 (--IntraPeriod 1); VVenC's random-access configuration, used by an earlier
anchor, spends ~200 more bytes of SPS per picture and must not be the reference here.
Writes roi_vs_vvc.json and the printed table as roi_vs_vvc.txt in --out DIR (default
out/benchmarks/; ``--out benchmarks/results`` updates the committed results).
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from ssgc_ref.analysis import faces_mask, load_image
from ssgc_ref.decoder import decode_bytes
from ssgc_ref.encoder import EncoderConfig, encode_image
from ssgc_ref.metrics import psnr_y
from ssgc_ref.report import budget
from ssgc_ref.roi_codec import encode_whole_picture


def images() -> dict[str, np.ndarray]:
    from matplotlib import cbook
    from skimage import data

    return {"astronaut": data.astronaut(), "grace_hopper": load_image(cbook.get_sample_data("grace_hopper.jpg"))}


def main() -> None:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_out_argument(ap)
    args = ap.parse_args()
    rows = []
    lines: list[str] = []

    def say(s: str) -> None:
        print(s)
        lines.append(s)

    say(f"{'image':<13}{'ROI %':>6}{'qp':>4}{'total B':>8}{'hdr':>5}{'gen':>5}{'labels':>7}{'colors':>7}{'mask':>5}"
        f"{'ROI':>6}  {'SSGC dB':>8}{'VVC dB':>8}{'VVC B':>7}  {'enc s':>6}{'dec s':>6}{'VVC s':>6}")
    for name, rgb in images().items():
        h, w = rgb.shape[:2]
        mask = faces_mask(rgb, margin=0.25)
        for qp in (45, 40, 37):
            t = time.perf_counter()
            enc = encode_image(rgb, mask=mask, config=EncoderConfig(qp=qp, seed=0, provenance="none"))
            t_enc = time.perf_counter() - t
            t = time.perf_counter()
            dec = decode_bytes(enc.data, generator="preview")
            t_dec = time.perf_counter() - t
            b = budget(enc.data)["components"]
            m = dec.mask_full
            t = time.perf_counter()
            alone_bytes, alone = encode_whole_picture(rgb, max_bytes=len(enc.data))
            t_vvc = time.perf_counter() - t
            row = {"image": name, "size": [w, h], "roi_fraction": float(m.mean()), "qp": qp,
                   "total_bytes": len(enc.data), "components": b,
                   "psnr_y_roi_ssgc": psnr_y(dec.image, rgb, m), "psnr_y_roi_vvc_alone": psnr_y(alone, rgb, m),
                   "vvc_alone_bytes": len(alone_bytes), "encode_s": t_enc, "decode_s": t_dec,
                   "encode_stage_s": enc.seconds, "decode_stage_s": dec.seconds, "vvc_alone_encode_s": t_vvc}
            rows.append(row)
            say(f"{name:<13}{100 * row['roi_fraction']:>6.1f}{qp:>4}{len(enc.data):>8}{b['header']:>5}"
                f"{b['generation']:>5}{b['labels']:>7}{b['color map']:>7}{b['mask']:>5}{b['ROI (VVC)']:>6}  "
                f"{row['psnr_y_roi_ssgc']:>8.2f}{row['psnr_y_roi_vvc_alone']:>8.2f}{len(alone_bytes):>7}"
                f"  {t_enc:>6.1f}{t_dec:>6.2f}{t_vvc:>6.1f}")
    say("SSGC decoded with the normative preview outside the ROI (no diffusion weights here); PSNR-Y is"
        " measured inside the ROI only, where both codecs are pixel codecs.")
    say("encode stages (s): " + str({r["image"] + f"@{r['qp']}": {k: round(v, 2) for k, v in r["encode_stage_s"].items()}
                                     for r in rows}))
    results_path(args, "roi_vs_vvc.json").write_text(json.dumps(rows, indent=1))
    results_path(args, "roi_vs_vvc.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
