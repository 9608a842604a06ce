"""Encode CPU time of the H.266 intra encoder's presets against a frozen baseline, in one run.

The baseline is the encoder at commit b306d0a (the last one before multi-type trees: its `medium` is
the quad-tree search with CTU 64; `fast` is unchanged since), exported with `git archive` into a
temporary folder. Each encoder runs in its own worker process (single-threaded BLAS asked for
through the environment before numpy loads) that imports only its own tree and times
`encode_picture` with `time.process_time` (after an untimed warm-up encode per preset, in which a
tree with compiled kernels loads them from numba's cache, or compiles them on a machine's first
run); the work is interleaved per image, QP and preset
(baseline, then the current tree, then the optional `--ref`), so that a machine loaded by other
work slows all of them alike and the ratios stay fair. Inputs and measurement are the anchor's
(benchmarks/vvc_anchor.py): astronaut, coffee, chelsea, retina and the two ROI-sized crops, BT.601
4:2:0 8-bit, QP 55/45/37/32, PSNR-Y of FFmpeg's C-path decode (checked equal to the encoder's
reconstruction) against the 8-bit luma.

Printed per preset, image and QP: bytes, PSNR-Y and CPU seconds of each encoder, the current tree's
CPU as a ratio to the baseline's same preset, and, with `--ref REV` (e.g. `--ref main`, the search
the speed work started from), whether the current stream is byte-identical to that revision's.
Then per preset and image: summed CPU and its ratio, luma BD-rate of the current tree against the
baseline (and against `--ref`), and the identity of all streams.

Run: .venv/bin/python benchmarks/vvc_speed.py [--images ...] [--qps ...] [--presets fast medium]
     [--ref REV] [--out DIR]
Takes tens of minutes on a loaded 2-core machine for the whole set. Writes vvc_speed.json in
--out DIR (default out/benchmarks/).
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "b306d0a"
PACKAGES = ("ssgc_ref", "ssgc_format")

# The worker: runs with PYTHONPATH = one encoder's tree only; reads one JSON request per line
# (planes file, QP, preset, output file), answers one JSON line (CPU seconds, bytes).
_WORKER = r"""
import json, sys, time
import numpy as np
from ssgc_ref.vvc.encoder import encode_picture
# warm-up, not timed: a tree with compiled kernels loads them (or compiles them, once per machine)
# on its first encode of each preset's tools
for pre in ("fast", "medium", "slow"):
    z = (np.arange(256).reshape(16, 16) * 7 % 256).astype(np.uint8)
    encode_picture(z, z[::2, ::2].copy(), z[1::2, 1::2].copy(), qp=37, preset=pre)
for line in sys.stdin:
    req = json.loads(line)
    p = np.load(req["planes"])
    y, cb, cr = p["y"], p["cb"], p["cr"]
    t = time.process_time()
    res = encode_picture(y, cb, cr, qp=req["qp"], preset=req["preset"])
    cpu = time.process_time() - t
    np.savez(req["out"], data=np.frombuffer(res.data, np.uint8), y=res.recon[0], cb=res.recon[1], cr=res.recon[2])
    print(json.dumps({"cpu": cpu, "bytes": len(res.data)}), flush=True)
"""


class Worker:
    """One encoder tree in its own process."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        env = dict(os.environ, PYTHONPATH=str(root))
        for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = "1"
        self.proc = subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, cwd=str(root), text=True)

    def encode(self, planes: Path, qp: int, preset: str, out: Path) -> dict:
        if self.proc.stdin is None or self.proc.stdout is None:
            raise SystemExit(f"vvc_speed: the {self.name} encoder's worker has no pipes")
        self.proc.stdin.write(json.dumps({"planes": str(planes), "qp": qp, "preset": preset,
                                          "out": str(out)}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"vvc_speed: the {self.name} encoder's worker died (see its error above)")
        r = json.loads(line)
        z = np.load(out)
        r["data"] = z["data"].tobytes()
        r["recon"] = (z["y"], z["cb"], z["cr"])
        return r

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


def export_tree(rev: str, dest: Path) -> Path:
    """The encoder packages of ``rev`` (git archive) under ``dest``."""
    dest.mkdir(parents=True)
    arch = subprocess.run(["git", "-C", str(ROOT), "archive", rev, *PACKAGES], check=True,
                          capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=arch, check=True)
    return dest


def main() -> None:
    sys.path.insert(0, str(HERE))
    from results_dir import add_out_argument, results_file
    from vvc_anchor import CROPS, IMAGES, QPS, bd_rate, load_image, psnr

    from ssgc_format.ycbcr import rgb_to_ycbcr420
    from ssgc_ref.vvc.oracle import decode_annexb

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", nargs="+", default=list(IMAGES) + list(CROPS))
    ap.add_argument("--qps", type=int, nargs="+", default=list(QPS))
    ap.add_argument("--presets", nargs="+", default=["fast", "medium"], choices=["fast", "medium", "slow"])
    ap.add_argument("--baseline", default=BASELINE, help=f"frozen baseline revision (default {BASELINE})")
    ap.add_argument("--ref", default=None, help="also run this revision; report stream identity and BD-rate against it")
    add_out_argument(ap)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="vvc_speed_") as tmp_s:
        tmp = Path(tmp_s)
        trees = {"baseline": export_tree(args.baseline, tmp / "baseline"), "current": ROOT}
        if args.ref:
            trees["ref"] = export_tree(args.ref, tmp / "ref")
        workers = {k: Worker(k, root) for k, root in trees.items()}
        try:
            out = run(args, tmp, workers, load_image, rgb_to_ycbcr420, decode_annexb, psnr)
        finally:
            for w in workers.values():
                w.close()
    summarise(out, args, bd_rate)
    path = results_file(args, "vvc_speed.json")
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")


def run(args, tmp: Path, workers: dict, load_image, rgb_to_ycbcr420, decode_annexb, psnr) -> dict:
    # warm each worker's per-size caches (transform tables, mode operators) before timing anything
    y0, cb0, cr0 = rgb_to_ycbcr420(load_image("astronaut")[:64, :64], 8)
    warm = tmp / "warm.npz"
    np.savez(warm, y=y0, cb=cb0, cr=cr0)
    for w in workers.values():
        for preset in args.presets:
            w.encode(warm, 37, preset, tmp / "warm-out.npz")
    out: dict = {"settings": {"baseline": args.baseline, "ref": args.ref, "qps": args.qps,
                              "presets": args.presets, "cpu": "time.process_time of encode_picture"},
                 "rows": []}
    ref = "ref" in workers
    print(f"{'preset':<7} {'image':<23} {'QP':>3} {'base B':>7} {'cur B':>7} {'base dB':>7} {'cur dB':>7}"
          f" {'base s':>7} {'cur s':>7} {'ratio':>6}" + (f" {'ref s':>7} {'=ref':>5}" if ref else "")
          + "  exact", flush=True)
    for name in args.images:
        y, cb, cr = rgb_to_ycbcr420(load_image(name), 8)
        planes = tmp / f"{name}.npz"
        np.savez(planes, y=y, cb=cb, cr=cr)
        for qp in args.qps:
            for preset in args.presets:
                row = {"image": name, "qp": qp, "preset": preset}
                for k, w in workers.items():
                    r = w.encode(planes, qp, preset, tmp / f"out-{k}.npz")
                    dec = decode_annexb(r["data"], simd=False)
                    exact = all(np.array_equal(a, b) for a, b in zip(dec, r["recon"]))
                    row[k] = {"bytes": r["bytes"], "psnr_y": psnr(dec[0], y), "cpu_s": r["cpu"],
                              "decode_equals_recon": exact, "sha": hashlib.sha256(r["data"]).hexdigest()}
                b, c = row["baseline"], row["current"]
                row["ratio"] = c["cpu_s"] / b["cpu_s"]
                row["identical_to_baseline"] = c["sha"] == b["sha"]
                exact = b["decode_equals_recon"] and c["decode_equals_recon"]
                line = (f"{preset:<7} {name:<23} {qp:>3} {b['bytes']:>7} {c['bytes']:>7} {b['psnr_y']:>7.2f}"
                        f" {c['psnr_y']:>7.2f} {b['cpu_s']:>7.2f} {c['cpu_s']:>7.2f} {row['ratio']:>5.2f}x")
                if ref:
                    rr = row["ref"]
                    row["identical_to_ref"] = c["sha"] == rr["sha"]
                    exact = exact and rr["decode_equals_recon"]
                    line += f" {rr['cpu_s']:>7.2f} {str(row['identical_to_ref']):>5}"
                print(line + f"  {exact}", flush=True)
                out["rows"].append(row)
    return out


def summarise(out: dict, args, bd_rate) -> None:
    ref = args.ref is not None
    print()
    print(f"per preset and image, sums over QP {'/'.join(map(str, args.qps))}; BD-rate = luma BD-rate of the"
          f" current tree against {args.baseline}" + (f" and against {args.ref}" if ref else "") + ":")
    print(f"{'preset':<7} {'image':<23} {'base s':>8} {'cur s':>8} {'ratio':>6} {'BD vs base':>11}"
          f" {'=base':>5}" + (f" {'ref s':>8} {'cur/ref':>7} {'BD vs ref':>10} {'=ref':>5}" if ref else "")
          + "  exact")
    summary = []
    for preset in args.presets:
        for name in args.images:
            rows = [r for r in out["rows"] if r["preset"] == preset and r["image"] == name]
            if not rows:
                continue

            def tot(k: str) -> float:
                return sum(r[k]["cpu_s"] for r in rows)

            def pts(k: str) -> list[tuple[float, float]]:
                return [(r[k]["bytes"], r[k]["psnr_y"]) for r in rows]

            s = {"preset": preset, "image": name, "baseline_cpu_s": tot("baseline"), "current_cpu_s": tot("current"),
                 "bd_vs_baseline": bd_rate(pts("baseline"), pts("current")),
                 "identical_to_baseline": all(r["identical_to_baseline"] for r in rows),
                 "exact": all(r[k]["decode_equals_recon"] for r in rows for k in ("baseline", "current", "ref")
                              if k in r)}
            s["ratio"] = s["current_cpu_s"] / s["baseline_cpu_s"]
            line = (f"{preset:<7} {name:<23} {s['baseline_cpu_s']:>8.1f} {s['current_cpu_s']:>8.1f}"
                    f" {s['ratio']:>5.2f}x {_pct(s['bd_vs_baseline']):>11} {str(s['identical_to_baseline']):>5}")
            if ref:
                s.update(ref_cpu_s=tot("ref"), bd_vs_ref=bd_rate(pts("ref"), pts("current")),
                         identical_to_ref=all(r["identical_to_ref"] for r in rows))
                s["ratio_vs_ref"] = s["current_cpu_s"] / s["ref_cpu_s"]
                line += (f" {s['ref_cpu_s']:>8.1f} {s['ratio_vs_ref']:>6.2f}x {_pct(s['bd_vs_ref']):>10}"
                         f" {str(s['identical_to_ref']):>5}")
            print(line + f"  {s['exact']}")
            summary.append(s)
    out["summary"] = summary


def _pct(v) -> str:
    return "n/a" if v is None else f"{v:+.2f}%"


if __name__ == "__main__":
    main()
