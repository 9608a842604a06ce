"""Throughput of ``ssgc-ref batch encode`` on this machine: images per second with Ray on one worker and
on two, against the one-process loop (``for image: encode``), all in the same run.

    python benchmarks/batch_throughput.py [--images 8] [--size 128] [--out DIR]

The set: scikit-image's bundled color pictures resized to SIZE x SIZE, encoded with
``--roi faces --no-face whole --qp 40`` (so every picture has a VVC-coded ROI: segmentation + VVC encode
per image). The loop runs ``ssgc_ref.batch.work.encode_job`` in a fresh Python process after one untimed
warm-up image, twice: with the default thread pools, and with OMP/OpenBLAS/MKL limited to one thread
(Ray runs its workers with OMP_NUM_THREADS=1); each Ray run starts a local Ray with that many CPUs
(start-up timed apart) and runs the batch engine (tasks, manifest with fsync, atomic outputs).
Writes batch_throughput.json in --out DIR (default out/benchmarks/; ``--out benchmarks/results``
updates the committed results).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

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


ENCODE = ["--roi", "faces", "--no-face", "whole", "--qp", "40", "--seed", "1"]


def encode_options() -> dict:
    from ssgc_ref.cli import build_parser
    from ssgc_ref.cli.batch import _settings

    return _settings(build_parser().parse_args(["batch", "encode", "SRC", "-o", "OUT", *ENCODE]))


def loop_here(n: int, size: int) -> dict:
    """The one-process loop, in this process (run by :func:`loop` in a fresh one)."""
    from ssgc_ref.batch.work import encode_job

    pics, options = pictures(n, size), encode_options()
    encode_job(pics[0], options)  # warm-up: imports and first-call costs, as the Ray workers pay them too
    t = time.perf_counter()
    sizes = [len(encode_job(p, options)[1]["ssgc"]) for p in pics]
    s = time.perf_counter() - t
    return {"seconds": s, "images_per_s": n / s, "bytes": sizes}


def loop(n: int, size: int, one_thread: bool) -> dict:
    env = dict(os.environ)
    if one_thread:
        env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--loop", "--images", str(n), "--size", str(size)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--size", type=int, default=128)
    add_out_argument(ap)
    ap.add_argument("--loop", action="store_true", help="internal: run the loop here, print JSON")
    a = ap.parse_args()
    if a.loop:
        print(json.dumps(loop_here(a.images, a.size)))
        return

    from ssgc_ref.batch import engine
    from ssgc_ref.batch.manifest import Manifest

    pics = pictures(a.images, a.size)
    options = encode_options()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "src")
        os.makedirs(src)
        for n, p in enumerate(pics):
            with open(os.path.join(src, f"p{n:02d}.png"), "wb") as f:
                f.write(p)
        print(f"{a.images} pictures {a.size}x{a.size}, encode {' '.join(ENCODE)}; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        results = {"loop": loop(a.images, a.size, False), "loop_1_thread": loop(a.images, a.size, True)}
        sizes = results["loop"]["bytes"]
        assert results["loop_1_thread"]["bytes"] == sizes, "thread settings changed the files"

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
    print(f"{'run':<30}{'seconds':>8}{'images/s':>10}{'vs loop':>9}   with Ray start-up")
    for key, label in (("loop", "one-process loop"), ("loop_1_thread", "one-process loop, 1 thread")):
        r = results[key]
        print(f"{label:<30}{r['seconds']:>8.2f}{r['images_per_s']:>10.3f}{r['images_per_s'] / base:>9.2f}")
    for workers in (1, 2):
        r = results[f"ray_{workers}"]
        print(f"{f'Ray, {workers} worker(s)':<30}{r['seconds']:>8.2f}{r['images_per_s']:>10.3f}"
              f"{r['images_per_s'] / base:>9.2f}   {r['with_start_images_per_s']:.3f} images/s "
              f"(start {r['start_s']:.1f} s)")
    results["settings"] = {"images": a.images, "size": a.size, "cores": os.cpu_count()}
    with open(results_path(a, "batch_throughput.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
