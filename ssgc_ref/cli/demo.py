"""``ssgc-ref demo``: the README's main job on bundled example images."""

from __future__ import annotations

import os
import sys

NAME = "demo"
HELP = "encode and decode bundled example images, compare with VVC alone, print the bit budget"
DESCRIPTION = """Run the whole codec on two bundled images:

  astronaut  scikit-image's 512x512 portrait: the face is detected and coded with VVC, the rest
             as semantics
  landscape  a 500x500 CC0 photo (cliff, sky, hills, water; ssgc_ref/examples), generated
             entirely from semantics (no ROI)

For each image: encode, decode with the best generator available (the diffusion model when its
weights are given with --model, else the normative preview), code the whole image with VVC alone
at the same total number of bytes, write a side-by-side PNG (original | SSGC | VVC alone | labels)
and print the bit budget per component and the PSNR inside the ROI."""

IMAGES = ("astronaut", "landscape")
# scikit-image pictures that ship inside its wheel (the others need a download); 2-D ones are
# replicated to RGB.
SKIMAGE_BUNDLED = ("astronaut", "brick", "camera", "cat", "chelsea", "clock", "coffee", "coins", "colorwheel",
                   "grass", "gravel", "hubble_deep_field", "immunohistochemistry", "logo", "moon", "page",
                   "retina", "rocket", "text")


def add_arguments(p) -> None:
    from ssgc_ref.cli import int_range

    p.add_argument("-o", "--output", default="ssgc-demo", help="folder for the .ssgc files and PNGs")
    p.add_argument("--images", default=",".join(IMAGES),
                   help="comma-separated names: 'landscape' or bundled scikit-image pictures ("
                        + ", ".join(SKIMAGE_BUNDLED) + "); default %(default)s")
    p.add_argument("-q", "--qp", type=int_range(0, 63), default=37, help="VVC QP of the ROI")
    p.add_argument("--model", metavar="DIR", help="converted diffusion model folder (else: preview)")
    p.add_argument("--seed", type=int_range(0, (1 << 64) - 1),
                   help="generation seed written into the files (default: derived from the pixels)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no stage messages")


def image_names(text: str) -> list[str]:
    """The --images list, checked before any work (InputError naming what is valid)."""
    from ssgc_format.errors import InputError

    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise InputError("--images names no image")
    bad = [n for n in names if n != "landscape" and n not in SKIMAGE_BUNDLED]
    if bad:
        raise InputError(f"--images: unknown image {bad[0]!r}; valid: landscape, {', '.join(SKIMAGE_BUNDLED)}")
    return names


def _load(name: str):
    import numpy as np
    from skimage import data

    if name == "landscape":
        from ssgc_ref.analysis import load_image
        from ssgc_ref.examples import example_path

        return load_image(example_path())
    rgb = np.asarray(getattr(data, name)())
    if rgb.dtype == bool:
        rgb = rgb.astype(np.uint8) * 255
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb[:, :, :3]).astype(np.uint8)


def _status(args, text: str) -> None:
    if not args.quiet and not getattr(args, "_bar", False):
        print(f"... {text}", file=sys.stderr, flush=True)


def _caption(nbytes: int, pixels: int, roi_psnr: float | None) -> list[str]:
    lines = [f"{nbytes} bytes, {8 * nbytes / pixels:.4f} bpp"]
    if roi_psnr is not None:
        lines.append(f"ROI PSNR-Y {roi_psnr:.2f} dB")
    return lines


def run(args) -> int:
    from ssgc_ref.progress import StageBar, progress_enabled

    names = image_names(args.images)
    os.makedirs(args.output, exist_ok=True)
    args._bar = progress_enabled(args.quiet)  # a bar on a terminal, stage lines otherwise
    for name in names:
        with StageBar(["encode", "decode", "VVC alone (QP search)"], args._bar, desc=name) as bar:
            _one(args, name, bar)
    return 0


def _one(args, name: str, bar) -> None:
    import time

    import numpy as np

    from ssgc_format.errors import InputError
    from ssgc_ref.analysis import faces_mask
    from ssgc_ref.cli.decode import png_bytes
    from ssgc_ref.decoder import PREVIEW, decode_bytes
    from ssgc_ref.encoder import EncoderConfig, encode_image
    from ssgc_ref.fileio import write_atomic
    from ssgc_ref.metrics import psnr_y
    from ssgc_ref.report import budget
    from ssgc_ref.roi_codec import encode_whole_picture
    from ssgc_ref.visualize import comparison, labels_with_legend, outline

    bar.stage("encode")
    rgb = _load(name)
    h, w = rgb.shape[:2]
    mask = faces_mask(rgb, margin=0.25) if name == "astronaut" else None
    cfg = EncoderConfig(qp=args.qp, seed=args.seed)
    t = time.perf_counter()
    _status(args, f"{name}: encoding ({'face ROI with VVC at QP ' + str(args.qp) + ', ' if mask is not None else ''}"
                  "semantics)")
    enc = encode_image(rgb, mask=mask, config=cfg)
    path = os.path.join(args.output, f"{name}.ssgc")
    write_atomic(path, enc.data, force=True)
    _status(args, f"{name}: encoded in {time.perf_counter() - t:.1f} s; decoding")
    bar.stage("decode")
    t = time.perf_counter()
    dec = decode_bytes(enc.data, model_dir=args.model, progress=not args.quiet and sys.stderr.isatty())
    _status(args, f"{name}: decoded in {time.perf_counter() - t:.1f} s ({dec.generator}); coding the whole "
                  f"picture with VVC alone at <= {len(enc.data)} bytes (a search over QP: several "
                  "full-picture VVC encodes, the slowest step)")
    bar.stage("VVC alone (QP search)")
    t = time.perf_counter()
    alone_note = None
    try:
        alone_bytes, alone = encode_whole_picture(rgb, max_bytes=len(enc.data))
    except InputError as e:  # even QP 63 does not fit: show an empty panel and say why
        print(f"   VVC alone: {e}")
        alone_bytes, alone = b"", np.full_like(rgb, 255)
        alone_note = "does not fit even at QP 63"
    _status(args, f"{name}: VVC alone took {time.perf_counter() - t:.1f} s")
    b = budget(enc.data)
    m = dec.mask_full
    has_roi = bool(m.any())
    ssgc_roi = psnr_y(dec.image, rgb, m) if has_roi else None
    alone_roi = psnr_y(alone, rgb, m) if has_roi and alone_bytes else None
    alone_caption = [alone_note] if alone_note else _caption(len(alone_bytes), h * w, alone_roi)
    panels = [
        ("original" + (" (ROI outlined)" if has_roi else ""), outline(rgb, m), [f"{w}x{h}"]),
        (f"SSGC ({dec.generator})", outline(dec.image, m), _caption(b["total"], h * w, ssgc_roi)),
        ("VVC alone, same bytes", outline(alone, m), alone_caption),
        ("labels (decoded)", labels_with_legend(dec.labels_full), [f"{b['components']['labels']} bytes of labels"]),
    ]
    note = None
    if dec.generator == PREVIEW:
        note = ("background = preview (no model): the upsampled color map, not a generated picture; "
                "pass --model DIR for the diffusion model")
    pic_path = os.path.join(args.output, f"{name}-comparison.png")
    write_atomic(pic_path, png_bytes(comparison(panels, note)), force=True)
    write_atomic(os.path.join(args.output, f"{name}-decoded.png"), png_bytes(dec.image), force=True)
    print(f"\n== {name} {w}x{h}: {b['total']} bytes, {b['total_bpp']:.4f} bpp -> {path}")
    print(f"   segmenter: {enc.segmenter}")
    for k, v in b["components"].items():
        if v:
            print(f"   {k:<12}{v:>7} B {b['bpp'][k]:>9.4f} bpp")
    print(f"   semantic part (header + labels + color map): {b['semantic']} bytes")
    if has_roi:
        alone_txt = f"{alone_roi:.2f} dB ({len(alone_bytes)} bytes)" if alone_roi is not None else "n/a"
        print(f"   PSNR-Y inside the ROI: SSGC {ssgc_roi:.2f} dB, VVC alone on the whole image {alone_txt}")
    for n in dec.notes:
        print(f"   note: {n}")
    print(f"   picture: {pic_path}")
