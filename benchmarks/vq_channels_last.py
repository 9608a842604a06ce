"""VQ autoencoder of profile 1 (random weights) in NCHW versus channels-last memory format (issue 15).

Variants, timed in the same run, interleaved, best of N:
  before         diffusers VQModel as built before this change (its mid-block attention returns a
                 channels-last view, so part of the decoder already ran channels-last)
  contiguous     + contiguous attention output (models.contiguous_attention_outputs)
  channels_last  + weights and input in torch.channels_last (the whole network in NHWC)

For the decode (with codebook quantization, as profile 1 decodes) and the encode, prints seconds,
in process CPU seconds (robust when other work shares the cores; wall seconds in the JSON), the
ratio to 'before' and, for the decode, how the 8-bit picture of spec §8.6 moved against
'before' (largest difference in levels, and how many samples differ). Writes
vq_channels_last_<sizes>.json in --out DIR (default out/benchmarks/; ``--out benchmarks/results``
updates the committed results).

Usage: python benchmarks/vq_channels_last.py [--sizes 128 256] [--reps 3] [--threads N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch
from diffusers import VQModel

from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, get_profile
from ssgc_ref.generators.ldm import to_uint8
from ssgc_ref.generators.models import build_vq, vq_config

CL = torch.channels_last


def main(argv: list[str]) -> int:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    add_out_argument(ap)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load0 = os.getloadavg()[0]
    p = get_profile(PROFILE_LDM_SEMANTIC512)
    torch.manual_seed(0)
    fixed = build_vq(p).eval().requires_grad_(False)
    before = VQModel(**vq_config(p)).eval().requires_grad_(False)
    before.load_state_dict(fixed.state_dict())
    cl = build_vq(p).eval().requires_grad_(False)
    cl.load_state_dict(fixed.state_dict())
    cl.to(memory_format=CL)
    variants = {"before": (before, None), "contiguous": (fixed, None), "channels_last": (cl, CL)}
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}, "
          f"load {load0:.2f}; best of {args.reps}")
    print(f"{'size':>9} {'pass':>6} {'variant':>13} {'CPU s':>8} {'vs before':>9} {'8-bit max diff':>15} {'samples differing':>18}")
    rows = []
    for size in args.sizes:
        g = torch.Generator().manual_seed(size)
        img = torch.rand(1, 3, size, size, generator=g) * 2 - 1
        z = torch.randn(1, p.latent_channels, size // p.vq_factor, size // p.vq_factor, generator=g)

        def run(pass_, m, fmt):
            with torch.inference_mode():
                if pass_ == "decode":
                    zz = z.contiguous(memory_format=fmt) if fmt else z
                    return m.decode(zz, force_not_quantize=not p.vq_quantize_on_decode).sample
                x = img.contiguous(memory_format=fmt) if fmt else img
                return m.encode(x).latents

        for pass_ in ("decode", "encode"):
            outs = {k: run(pass_, m, f) for k, (m, f) in variants.items()}  # warm-up
            best = {k: float("inf") for k in variants}
            wall = {k: float("inf") for k in variants}
            for _ in range(args.reps):
                for k, (m, f) in variants.items():
                    t0, c0 = time.perf_counter(), time.process_time()
                    run(pass_, m, f)
                    best[k] = min(best[k], time.process_time() - c0)
                    wall[k] = min(wall[k], time.perf_counter() - t0)
            for k in variants:
                row = {"size": size, "pass": pass_, "variant": k, "cpu_seconds": best[k], "wall_seconds": wall[k],
                       "speedup_vs_before": best["before"] / best[k]}
                if pass_ == "decode":
                    a = to_uint8(outs[k]).astype(int)
                    b = to_uint8(outs["before"]).astype(int)
                    row["max_level_diff"] = int(abs(a - b).max())
                    row["samples_differing"] = int((a != b).sum())
                    row["samples"] = int(a.size)
                    extra = f"{row['max_level_diff']:>15} {row['samples_differing']:>9} / {a.size}"
                else:
                    row["max_rel_diff"] = ((outs[k] - outs["before"]).abs().max() / outs["before"].abs().max()).item()
                    extra = f"{'rel ' + format(row['max_rel_diff'], '.1e'):>15}"
                print(f"{size:>4}x{size:<4} {pass_:>6} {k:>13} {best[k]:8.3f} {row['speedup_vs_before']:8.2f}x {extra}")
                rows.append(row)
    out = results_path(args, f"vq_channels_last_{'-'.join(map(str, args.sizes))}.json")
    out.write_text(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                               "machine": platform.machine(), "loadavg_start_end": [load0, os.getloadavg()[0]],
                               "reps": args.reps, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
