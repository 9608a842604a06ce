"""Throughput of ``ssgc-ref batch encode`` on this machine: images per second with Ray on one worker and
on two, against the one-process loop (``for image: encode``), all in the same run.

    python benchmarks/batch_throughput.py [--images 8] [--size 128]

The set: scikit-image's bundled color pictures resized to SIZE x SIZE, encoded with
``--roi faces --no-face whole --qp 40`` (so every picture has a VVC-coded ROI: segmentation + VVC encode
per image). The loop runs ``ssgc_ref.batch.work.encode_job`` in this process after one untimed warm-up
image; each Ray run starts a local Ray with that many CPUs (start-up timed apart) and runs the batch
engine (tasks, manifest with fsync, atomic outputs). Writes benchmarks/results/batch_throughput.json.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = ["astronaut", "coffee", "chelsea", "rocket", "retina", "immunohistochemistry", "hubble_deep_field",
         "colorwheel", "coins", "camera"]


def pictures(n: int, size: int) -> list[bytes]:
    from PIL import Image
    from skimage import data
    from skimage.transform import resize

    out = []
    for name in (NAMES * (1 + n // len(NAMES)))[:n]:
        a = getattr(data, name)()
        a = np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a[..., :3]
        a = np.clip(np.rint(resize(a, (size, size), order=1, anti_aliasing=True, preserve_range=True)), 0, 255)
        buf = io.BytesIO()
        Image.fromarray(a.astype(np.uint8)).save(buf, format="PNG")
        out.append(buf.getvalue())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--size", type=int, default=128)
    a = ap.parse_args()

    from ssgc_ref.batch import engine
    from ssgc_ref.batch.manifest import Manifest
    from ssgc_ref.batch.work import encode_job
    from ssgc_ref.cli import build_parser
    from ssgc_ref.cli.batch import _settings

    pics = pictures(a.images, a.size)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        for n, p in enumerate(pics):
            with open(os.path.join(src, f"p{n:02d}.png"), "wb") as f:
                f.write(p)
        args = build_parser().parse_args(["batch", "encode", src, "-o", os.path.join(tmp, "out"), "--roi", "faces",
                                          "--no-face", "whole", "--qp", "40", "--seed", "1", "--provenance", "none"])
        options = _settings(args)
        print(f"{a.images} pictures {a.size}x{a.size}, encode --roi faces --no-face whole --qp 40; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")

        encode_job(pics[0], options)  # warm-up: imports and first-call costs, as the Ray workers pay them too
        t = time.perf_counter()
        sizes = [len(encode_job(p, options)[1]["ssgc"]) for p in pics]
        loop_s = time.perf_counter() - t
        results = {"loop": {"seconds": loop_s, "images_per_s": a.images / loop_s, "bytes": sizes}}

        for workers in (1, 2):
            out = os.path.join(tmp, f"out{workers}")
            jobs = [engine.Job(f"p{n:02d}", os.path.join(src, f"p{n:02d}.png"), {"ssgc": f"p{n:02d}.ssgc"})
                    for n in range(a.images)]
            manifest = Manifest(out, {"command": "encode", **options})
            reporter = engine.Reporter(manifest, "encode", len(jobs), quiet=True)
            t = time.perf_counter()
            with engine.Cluster(None, workers) as cluster:
                start_s = time.perf_counter() - t
                t = time.perf_counter()
                engine.run_encode(cluster, jobs, options, reporter)
                run_s = time.perf_counter() - t
            total_s = start_s + run_s
            rows = manifest.rows()
            manifest.close()
            assert all(r["status"] == "ok" for r in rows), rows
            assert sorted(r["bytes"]["total"] for r in rows) == sorted(sizes), "Ray and the loop disagree"
            results[f"ray_{workers}"] = {"start_s": start_s, "seconds": run_s, "images_per_s": a.images / run_s,
                                         "with_start_images_per_s": a.images / total_s,
                                         "workers_used": len({r["worker"] for r in rows})}

    base = results["loop"]["images_per_s"]
    print(f"{'run':<22}{'seconds':>9}{'images/s':>10}{'vs loop':>9}{'  (with Ray start-up)':>22}")
    print(f"{'one-process loop':<22}{loop_s:>9.2f}{base:>10.3f}{1.0:>9.2f}")
    for workers in (1, 2):
        r = results[f"ray_{workers}"]
        print(f"{f'Ray, {workers} worker(s)':<22}{r['seconds']:>9.2f}{r['images_per_s']:>10.3f}"
              f"{r['images_per_s'] / base:>9.2f}   {r['with_start_images_per_s']:.3f} images/s, "
              f"start {r['start_s']:.1f} s")
    results["settings"] = {"images": a.images, "size": a.size, "cores": os.cpu_count()}
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "batch_throughput.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
