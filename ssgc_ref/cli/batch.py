"""``ssgc-ref batch encode|decode|eval``: whole data sets on Ray, with a manifest and --resume."""

from __future__ import annotations

import argparse
import os
import sys
import time

NAME = "batch"
HELP = "encode, decode or evaluate a whole folder of images on Ray (manifest, resume, plots)"
DESCRIPTION = """Run the codec over a data set: SRC is a folder (searched recursively) or a text file
listing one path per line. Ray runs the work: by default a local Ray started here on --workers cores;
--address (or RAY_ADDRESS) uses a running Ray cluster instead, whose nodes need ssgc installed (the
outputs are written by this process, so no shared file system is needed). Needs the 'ray' extra:
pip install 'ssgc[ray]'.

OUT_DIR/manifest.jsonl gets one JSON line per image as soon as it is done (status ok, skipped or error
with a one-line message; bytes and bpp per component, ROI share, seed, timings, metrics). A killed run
loses only the images in flight: rerun with --resume to do the rest; outputs are written atomically.

examples:
  ssgc-ref batch encode photos/ -o coded/ --roi faces --no-face whole --qp 40
  ssgc-ref batch decode coded/ -o decoded/ --model ~/models/ssgc-ldm512 --gpus-per-worker 1
  ssgc-ref batch eval photos/ -o eval/ --qps 45,40,37 --address auto
"""

RUN_CONTROL = ("resume", "force", "workers", "address", "quiet", "gpus_per_worker", "command", "batch_command", "_run")


def _run_options(p) -> None:
    r = p.add_argument_group("running")
    r.add_argument("--workers", type=int, metavar="N",
                   help="local Ray: CPU cores to use (default: all); also the number of decoder actors "
                        "(default: one per core, or per --gpus-per-worker GPUs)")
    r.add_argument("--address", metavar="ADDR", help="a running Ray cluster ('auto', 'ray://host:10001'); "
                   "default: $RAY_ADDRESS, else a local Ray started here")
    r.add_argument("--resume", action="store_true", help="continue the run in OUT_DIR: skip the images its "
                   "manifest has as ok or skipped (same settings required)")


def _decode_options(p, default_generator: str) -> None:
    d = p.add_argument_group("decoding")
    d.add_argument("--generator", default=default_generator, choices=("auto", "preview", "ldm"),
                   help="as in 'ssgc-ref decode'")
    d.add_argument("--model", metavar="DIR", help="converted model folder (see convert-model)")
    d.add_argument("--allow-model-mismatch", action="store_true", help="as in 'ssgc-ref decode'")
    d.add_argument("--device", help="torch device of each decoder actor (default: cuda with --gpus-per-worker, "
                   "else cpu)")
    d.add_argument("--gpus-per-worker", type=float, default=0.0, metavar="G",
                   help="GPUs each decoder actor holds (0 = decode on CPUs); one actor per G GPUs of the cluster")


def _encode_parser(p) -> None:
    from ssgc_ref.cli import encode

    encode.add_arguments(p)  # every option of 'ssgc-ref encode', so the two never drift apart
    for action in p._actions:  # and say what the positional and -o mean here
        if action.dest == "image":
            action.metavar, action.help = "SRC", "folder of images (recursive) or a file listing image paths"
        elif action.dest == "output":
            action.metavar, action.help = "OUT_DIR", "output folder (manifest.jsonl, run.json and the outputs)"
        elif action.dest == "force":
            action.help = "start over in an OUT_DIR that holds a run, overwriting its outputs"
    _run_options(p)


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="batch_command", metavar="STEP")
    sub.required = True
    fmt = argparse.ArgumentDefaultsHelpFormatter
    e = sub.add_parser("encode", help="encode every image of SRC to OUT_DIR/NAME.ssgc", formatter_class=fmt,
                       description="Encode every image of SRC with the options of 'ssgc-ref encode' (one Ray "
                                   "task per image). Exit code 5 when an image failed (see its manifest row).")
    _encode_parser(e)
    d = sub.add_parser("decode", help="decode every .ssgc file of SRC to OUT_DIR/NAME.png", formatter_class=fmt,
                       description="Decode every .ssgc file of SRC on a pool of decoder actors, each loading "
                                   "the model once. A batch decode gives the pixels of a single decode of the "
                                   "same file. Exit code 1 when a file failed (see its manifest row).")
    d.add_argument("src", metavar="SRC", help="folder of .ssgc files (recursive) or a file listing their paths")
    d.add_argument("-o", "--output", required=True, metavar="OUT_DIR", help="output folder")
    d.add_argument("-f", "--force", action="store_true", help="start over in an OUT_DIR that holds a run")
    d.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    _decode_options(d, "auto")
    _run_options(d)
    v = sub.add_parser("eval", help="encode + decode + metrics against VVC alone at the same bytes, with plots",
                       formatter_class=fmt,
                       description="For every image of SRC and ROI QP of --qps: encode (default --roi faces), "
                                   "code the whole picture with VVC alone within the SSGC file's bytes, decode, "
                                   "and measure both (PSNR-Y over the ROI mask, MS-SSIM over its bounding box; "
                                   "both on the whole picture too; bpp). Writes OUT_DIR/ssgc, decoded, vvc, the manifest, "
                                   "rate_quality.png and contact_sheet.png. Learned metrics (LPIPS, DISTS, "
                                   "FID/KID) are reported absent: they need weights this code never downloads.")
    _encode_parser(v)
    v.set_defaults(roi="faces")
    v.add_argument("--qps", default="45,40,37", metavar="LIST",
                   help="ROI QPs, one operating point each (ignored with --qp, --roi-bytes or --match-rate)")
    _decode_options(v, "auto")


def _settings(args) -> dict:
    return {k: v for k, v in vars(args).items() if k not in RUN_CONTROL and not callable(v)}


def _qps(args) -> list[int | None]:
    from ssgc_format.errors import InputError

    if args.qp is not None or args.roi_bytes is not None or args.match_rate:
        return [None]
    try:
        qps = [int(q) for q in args.qps.split(",")]
    except ValueError:
        raise InputError(f"--qps needs integers like 45,40,37, got {args.qps!r}") from None
    if not qps or any(not 0 <= q <= 63 for q in qps) or len(set(qps)) != len(qps):
        raise InputError(f"--qps {args.qps!r}: distinct QPs in 0..63")
    return qps


def _jobs(args, step: str):
    from ssgc_ref.batch.engine import Job
    from ssgc_ref.batch.sources import IMAGE_EXTENSIONS, SSGC_EXTENSIONS, list_sources, output_stems

    src = args.src if step == "decode" else args.image
    paths = list_sources(src, SSGC_EXTENSIONS if step == "decode" else IMAGE_EXTENSIONS)
    stems = output_stems(paths)
    jobs = []
    for path, stem in zip(paths, stems):
        path = os.path.abspath(path)
        if step == "encode":
            jobs.append(Job(stem, path, {"ssgc": stem + ".ssgc"}))
        elif step == "decode":
            jobs.append(Job(stem, path, {"png": stem + ".png"}))
        else:
            for qp in _qps(args):
                tag = stem if qp is None else f"{stem}.qp{qp}"
                jobs.append(Job(stem if qp is None else f"{stem}@qp{qp}", path,
                                {"ssgc": f"ssgc/{tag}.ssgc", "png": f"decoded/{tag}.png",
                                 "vvc_stream": f"vvc/{tag}.266", "vvc_png": f"vvc/{tag}.png"}, qp=qp))
    return jobs


def _check_options(args, step: str) -> None:
    from ssgc_format.errors import InputError

    if args.output == "-":
        raise InputError("batch writes a folder: -o OUT_DIR, not standard output")
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1")
    if step != "decode":
        if args.mask or args.labels:
            raise InputError("--mask and --labels name one file: not usable for a whole batch")
        from ssgc_ref.cli.encode import config_from_args

        config_from_args(args).check()  # bad options fail here, once, not on every image
    if step != "encode" and args.gpus_per_worker < 0:
        raise InputError("--gpus-per-worker must be >= 0")


def _check_extras(step: str) -> None:
    """Fail before anything is written when the 'ray' extra is missing."""
    import importlib.util

    from ssgc_format.errors import InputError

    needed = ["ray"] + (["torchmetrics", "matplotlib"] if step == "eval" else [])
    missing = [m for m in needed if importlib.util.find_spec(m) is None]
    if missing:
        raise InputError(f"ssgc-ref batch {step} needs {', '.join(missing)}: pip install 'ssgc[ray]'")


def _summary(rows: list[dict]) -> list[str]:
    """Mean bpp and ROI PSNR-Y per operating point, both codecs (images measured by both only)."""
    import numpy as np

    by: dict = {}
    for r in rows:
        s, v = r.get("ssgc") or {}, r.get("vvc_alone") or {}
        if r.get("status") == "ok" and s.get("psnr_y_roi") is not None and v.get("psnr_y_roi") is not None:
            by.setdefault(r.get("qp"), []).append(r)
    lines = [f"{'ROI QP':>6} {'images':>6} {'SSGC bpp':>9} {'ROI PSNR-Y':>10} {'VVC bpp':>8} {'ROI PSNR-Y':>10}"]
    for qp, rs in sorted(by.items(), key=lambda kv: -1 if kv[0] is None else kv[0]):
        lines.append(f"{str(qp if qp is not None else '-'):>6} {len(rs):>6} "
                     f"{np.mean([r['bpp']['total'] for r in rs]):>9.4f} "
                     f"{np.mean([r['ssgc']['psnr_y_roi'] for r in rs]):>10.2f} "
                     f"{np.mean([r['vvc_alone']['bpp'] for r in rs]):>8.4f} "
                     f"{np.mean([r['vvc_alone']['psnr_y_roi'] for r in rs]):>10.2f}")
    return lines if by else []


def run(args) -> int:
    from ssgc_format.errors import InputError
    from ssgc_ref.batch import engine
    from ssgc_ref.batch.manifest import Manifest

    step = args.batch_command
    _check_options(args, step)
    _check_extras(step)
    jobs = _jobs(args, step)
    manifest = Manifest(args.output, {"command": step, **_settings(args)}, resume=args.resume, force=args.force)
    try:
        todo = [j for j in jobs if j.key not in manifest.done]
        if not args.resume and not args.force:
            taken = [p for j in todo for p in j.outputs.values() if os.path.exists(os.path.join(args.output, p))]
            if taken:
                raise InputError(f"{os.path.join(args.output, taken[0])} exists (use --force to overwrite)")
        out = sys.stderr
        if not args.quiet and len(todo) < len(jobs):
            print(f"resuming: {len(jobs) - len(todo)} of {len(jobs)} images done in the earlier run"
                  + (f", {manifest.removed_temporaries} temporary file(s) removed" if manifest.removed_temporaries
                     else ""), file=out)
        reporter = engine.Reporter(manifest, step, len(todo), args.quiet)
        t = time.perf_counter()
        if todo:
            decode = {}
            if step != "encode":
                device = args.device or ("cuda" if args.gpus_per_worker > 0 else "cpu")
                decode = dict(generator=args.generator, model_dir=args.model,
                              allow_model_mismatch=args.allow_model_mismatch, device=device)
            with engine.Cluster(args.address, args.workers) as cluster:
                if not args.quiet:
                    print(f"Ray: {cluster.cpus} CPU(s), {cluster.gpus} GPU(s)"
                          f"{' at ' + cluster.address if cluster.address else ' (local)'}; {len(todo)} image(s)",
                          file=out, flush=True)
                options = _settings(args)
                if step == "encode":
                    engine.run_encode(cluster, todo, options, reporter)
                elif step == "decode":
                    engine.run_decode(cluster, todo, decode, args.gpus_per_worker, args.workers, reporter)
                else:
                    engine.run_eval(cluster, todo, options, decode, args.gpus_per_worker, args.workers, reporter)
        rows = manifest.rows()
    finally:
        manifest.close()
    if step == "eval":
        from ssgc_ref.batch import plots

        drawn = plots.rate_quality(rows, os.path.join(args.output, plots.RATE_QUALITY))
        shown = plots.contact_sheet(rows, args.output, os.path.join(args.output, plots.CONTACT_SHEET))
        if not args.quiet:
            for line in _summary(rows):
                print(line)
            print(f"plots: {plots.RATE_QUALITY} ({drawn} points), {plots.CONTACT_SHEET} ({shown} images)"
                  if drawn or shown else "plots: nothing to draw (no image with an ROI measured by both codecs)")
    counts = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "skipped", "error")}
    if not args.quiet:
        print(f"{counts['ok']} ok, {counts['skipped']} skipped, {counts['error']} error(s) in "
              f"{os.path.join(args.output, 'manifest.jsonl')} ({time.perf_counter() - t:.1f} s)")
    if counts["error"]:
        print(f"ssgc-ref: error: {counts['error']} of {len(rows)} images failed: see their manifest rows",
              file=sys.stderr)
        return 1 if step == "decode" else 5
    return 0
