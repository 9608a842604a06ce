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


def add_arguments(p) -> None:
    p.add_argument("-o", "--output", default="ssgc-demo", help="folder for the .ssgc files and PNGs")
    p.add_argument("--images", default=",".join(IMAGES),
                   help="comma-separated names: 'landscape' or scikit-image images (astronaut, coffee, ...)")
    p.add_argument("--qp", type=int, default=37, help="VVC QP of the ROI")
    p.add_argument("--model", metavar="DIR", help="converted diffusion model folder (else: preview)")
    p.add_argument("--seed", type=int, default=0, help="generation seed written into the files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _load(name: str):
    import numpy as np
    from skimage import data

    from ssgc_format.errors import InputError

    if name == "landscape":
        from ssgc_ref.analysis import load_image
        from ssgc_ref.examples import example_path

        return load_image(example_path())
    fn = getattr(data, name, None)
    if fn is None:
        raise InputError(f"scikit-image has no bundled image {name!r}")
    rgb = fn()
    if rgb.ndim == 2:
        rgb = np.repeat(rgb[:, :, None], 3, axis=2)
    return np.ascontiguousarray(rgb[:, :, :3]).astype(np.uint8)


def _status(args, text: str) -> None:
    if not args.quiet:
        print(f"... {text}", file=sys.stderr, flush=True)


def run(args) -> int:
    import numpy as np

    from ssgc_format.errors import InputError
    from ssgc_ref.analysis import faces_mask, save_png_atomic
    from ssgc_ref.cli.decode import png_bytes
    from ssgc_ref.decoder import decode_bytes
    from ssgc_ref.encoder import EncoderConfig, encode_image
    from ssgc_ref.fileio import write_atomic
    from ssgc_ref.metrics import psnr
    from ssgc_ref.report import budget
    from ssgc_ref.roi_codec import encode_whole_picture
    from ssgc_ref.analysis import colorize_labels
    from ssgc_ref.visualize import side_by_side

    os.makedirs(args.output, exist_ok=True)
    for name in [n for n in args.images.split(",") if n]:
        rgb = _load(name)
        mask = faces_mask(rgb, margin=0.25) if name == "astronaut" else None
        cfg = EncoderConfig(qp=args.qp, seed=args.seed)
        _status(args, f"{name}: encoding ({'face ROI with VVC, ' if mask is not None else ''}semantics)")
        enc = encode_image(rgb, mask=mask, config=cfg)
        path = os.path.join(args.output, f"{name}.ssgc")
        write_atomic(path, enc.data, force=True)
        _status(args, f"{name}: decoding")
        dec = decode_bytes(enc.data, model_dir=args.model, progress=not args.quiet)
        try:
            _status(args, f"{name}: coding the whole picture with VVC alone at <= {len(enc.data)} bytes "
                          "(a search over QP: up to a minute)")
            _, alone = encode_whole_picture(rgb, max_bytes=len(enc.data))
        except InputError as e:  # even QP 63 does not fit: show an empty panel and say why
            print(f"   VVC alone: {e}")
            alone = np.full_like(rgb, 255)
        b = budget(enc.data)
        labels_pic = colorize_labels(dec.labels_full)
        panel = side_by_side([("original", rgb), (f"SSGC {b['total']} B ({dec.generator})", dec.image),
                              (f"VVC alone, <= {b['total']} B", alone), ("labels", labels_pic)])
        pic_path = os.path.join(args.output, f"{name}-comparison.png")
        write_atomic(pic_path, png_bytes(panel), force=True)
        save_png_atomic(os.path.join(args.output, f"{name}-decoded.png"), dec.image)
        h, w = rgb.shape[:2]
        print(f"\n== {name} {w}x{h}: {b['total']} bytes, {b['total_bpp']:.4f} bpp -> {path}")
        print(f"   segmenter: {enc.segmenter}")
        for k, v in b["components"].items():
            if v:
                print(f"   {k:<12}{v:>7} B {b['bpp'][k]:>9.4f} bpp")
        print(f"   semantic part (header + labels + color map): {b['semantic']} bytes")
        if dec.mask_full.any():
            m = dec.mask_full
            print(f"   PSNR (RGB) inside the ROI: SSGC {psnr(dec.image[m], rgb[m]):.2f} dB, "
                  f"VVC alone on the whole image at <= {b['total']} bytes {psnr(alone[m], rgb[m]):.2f} dB")
        for n in dec.notes:
            print(f"   note: {n}")
        print(f"   picture: {pic_path}")
    return 0
