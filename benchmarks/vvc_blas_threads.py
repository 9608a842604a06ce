"""Wall time of the H.266 intra encoder with one BLAS thread (what encode_picture asks for) against
numpy's default BLAS threads, in one run.

The encoder's float matrix products (the Hadamard transforms of the SATD, the approximate-SATD
ranking of the 67 modes, the large-block DCT) are small; OpenBLAS, left to itself, splits them over
every core. encode_picture therefore limits BLAS to one thread (threadpoolctl) for its duration.
This benchmark runs the same tree twice per image and preset, in two fresh worker processes of
default threading: one as shipped, one with that limit replaced by a no-op (the baseline: what
encode_picture did before), interleaved, and prints wall and CPU (process) seconds of each and
their ratios. The streams must be identical (the limit changes no arithmetic: products of integers
exact in float64).

Run: .venv/bin/python benchmarks/vvc_blas_threads.py [--images ...] [--qps ...] [--presets ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# one encode per process: a fresh start, numba's kernels loaded by an untimed warm-up encode
_WORKER = r"""
import contextlib, json, sys, time
import numpy as np
import ssgc_ref.vvc.encoder as E
if sys.argv[1] == "default":
    E.threadpool_limits = lambda **kw: contextlib.nullcontext()
req = json.loads(sys.argv[2])
z = np.load(req["planes"])
w = (np.arange(256).reshape(16, 16) * 7 % 256).astype(np.uint8)
E.encode_picture(w, w[::2, ::2].copy(), w[1::2, 1::2].copy(), qp=37, preset=req["preset"])
t, c = time.perf_counter(), time.process_time()
res = E.encode_picture(z["y"], z["cb"], z["cr"], qp=req["qp"], preset=req["preset"])
wall, cpu = time.perf_counter() - t, time.process_time() - c
import hashlib
print(json.dumps({"wall": wall, "cpu": cpu, "bytes": len(res.data), "sha": hashlib.sha256(res.data).hexdigest()}))
"""


def _encode(mode: str, req: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                                            "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", _WORKER, mode, json.dumps(req)], capture_output=True, text=True,
                         env=env, cwd=str(ROOT), check=False)
    if out.returncode:
        raise SystemExit(f"vvc_blas_threads: worker failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(HERE))
    from results_dir import add_out_argument, results_file
    from vvc_anchor import load_image

    from ssgc_format.ycbcr import rgb_to_ycbcr420

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", nargs="+", default=["astronaut", "coffee", "astronaut-face-200x200"])
    ap.add_argument("--qps", type=int, nargs="+", default=[45, 32])
    ap.add_argument("--presets", nargs="+", default=["fast", "medium"], choices=["fast", "medium", "slow"])
    add_out_argument(ap)
    args = ap.parse_args()
    import threadpoolctl

    info = [f"{d['internal_api']} {d['version']} ({d['num_threads']} threads)"
            for d in threadpoolctl.threadpool_info() if d["user_api"] == "blas"]
    print(f"BLAS: {', '.join(info) or 'none found'}; {os.cpu_count()} CPUs")
    print(f"{'preset':<7} {'image':<23} {'QP':>3} {'default s':>9} {'one s':>7} {'wall x':>7}"
          f" {'default cpu':>11} {'one cpu':>8} {'cpu x':>6}  same")
    rows = []
    with tempfile.TemporaryDirectory(prefix="vvc_blas_") as tmp:
        for name in args.images:
            planes = Path(tmp) / f"{name}.npz"
            y, cb, cr = rgb_to_ycbcr420(load_image(name), 8)
            np.savez(planes, y=y, cb=cb, cr=cr)
            for qp in args.qps:
                for preset in args.presets:
                    req = {"planes": str(planes), "qp": qp, "preset": preset}
                    d, o = _encode("default", req), _encode("one", req)
                    same = d["sha"] == o["sha"]
                    rows.append({"image": name, "qp": qp, "preset": preset, "default": d, "one": o, "same": same})
                    print(f"{preset:<7} {name:<23} {qp:>3} {d['wall']:>9.2f} {o['wall']:>7.2f}"
                          f" {d['wall'] / o['wall']:>6.2f}x {d['cpu']:>11.2f} {o['cpu']:>8.2f}"
                          f" {d['cpu'] / o['cpu']:>5.2f}x  {same}", flush=True)
    for preset in args.presets:
        sel = [r for r in rows if r["preset"] == preset]
        dw, ow = sum(r["default"]["wall"] for r in sel), sum(r["one"]["wall"] for r in sel)
        print(f"{preset}: default BLAS threads took {dw / ow:.2f}x the wall time of one thread "
              f"({dw:.1f} s against {ow:.1f} s); streams identical: {all(r['same'] for r in sel)}")
    path = results_file(args, "vvc_blas_threads.json")
    path.write_text(json.dumps({"blas": info, "cpus": os.cpu_count(), "rows": rows}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
