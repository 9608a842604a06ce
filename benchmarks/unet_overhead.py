"""Per-call cost of the profile-1 UNet at small latents, before and after the fixes (issue 15).

torch.profiler on one guided call at a 16x16 latent showed two ``aten::copy_`` of
[1024, 1024, 3, 3] weights per call: diffusers' attention returns a channels-last view
(``transpose(-1, -2).reshape``), so the next ResNet block's two convolutions run channels-last
and reorder their 37.7 MB weights every call. The original CompVis attention block returns a
contiguous tensor. ``models.contiguous_attention_outputs`` copies the small activation instead.

Variants, each timed in the same run, interleaved, best of N (random weights: speed does not
depend on them; guided batch 2 as in the sampler):
  before        diffusers UNet2DModel as built before this change, under torch.no_grad
  contiguous    + contiguous mid-block attention output (the generator's UNet now)
  +inference    + torch.inference_mode instead of no_grad

Prints, per call: process CPU seconds (robust when other work shares the cores; wall seconds in
the JSON), the ratio to 'before', the number of weight copies (``aten::copy_`` of a tensor
shaped like a convolution weight, counted with torch.profiler: independent of load), and the
largest difference of the outputs relative to their scale. Writes unet_overhead.json in --out DIR
(default out/benchmarks/; ``--out benchmarks/results`` updates the committed results).

Usage: python benchmarks/unet_overhead.py [--latents 16 32 64] [--reps 3] [--threads N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch
from diffusers import UNet2DModel

from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, get_profile
from ssgc_ref.generators.models import build_unet, unet_config


def main(argv: list[str]) -> int:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latents", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    add_out_argument(ap)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    load0 = os.getloadavg()[0]
    p = get_profile(PROFILE_LDM_SEMANTIC512)
    torch.manual_seed(0)
    fixed = build_unet(p).eval().requires_grad_(False)
    before = UNet2DModel(**unet_config(p)).eval().requires_grad_(False)
    before.load_state_dict(fixed.state_dict())
    variants = {"before": (before, torch.no_grad), "contiguous": (fixed, torch.no_grad),
                "+inference": (fixed, torch.inference_mode)}
    rows = []
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.machine()}, "
          f"load {load0:.2f}; guided batch 2, best of {args.reps}")
    print(f"{'latent':>7} {'variant':>11} {'CPU s/call':>10} {'vs before':>9} {'weight copies':>13} "
          f"{'max |diff|/max|out|':>20}")
    weight_shapes = {tuple(w.shape) for w in fixed.parameters() if w.dim() == 4}
    for n in args.latents:
        g = torch.Generator().manual_seed(n)
        x = torch.randn(2, p.latent_channels + p.cond_channels, n, n, generator=g)
        t = torch.full((2,), 501, dtype=torch.long)
        best = {k: float("inf") for k in variants}
        wall = {k: float("inf") for k in variants}
        outs, copies = {}, {}
        for name, (m, ctx) in variants.items():  # warm-up (oneDNN primitive caches), then count copies
            with ctx():
                outs[name] = m(x, t).sample.clone()
                with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU],
                                            record_shapes=True) as prof:
                    m(x, t)
            copies[name] = sum(1 for e in prof.events() if e.name == "aten::copy_" and e.input_shapes
                               and tuple(e.input_shapes[0]) in weight_shapes)
        for _ in range(args.reps):
            for name, (m, ctx) in variants.items():
                with ctx():
                    t0, c0 = time.perf_counter(), time.process_time()
                    m(x, t)
                    best[name] = min(best[name], time.process_time() - c0)
                    wall[name] = min(wall[name], time.perf_counter() - t0)
        scale = outs["before"].abs().max().item()
        for name in variants:
            diff = (outs[name] - outs["before"]).abs().max().item() / scale
            ratio = best["before"] / best[name]
            print(f"{n:>4}x{n:<2} {name:>11} {best[name]:10.3f} {ratio:8.2f}x {copies[name]:>13} {diff:20.2e}")
            rows.append({"latent": n, "variant": name, "cpu_seconds_per_call": best[name],
                         "wall_seconds_per_call": wall[name], "speedup_vs_before": ratio,
                         "weight_copies_per_call": copies[name], "max_rel_diff": diff})
    results_path(args, "unet_overhead.json").write_text(json.dumps(
        {"torch": torch.__version__, "threads": torch.get_num_threads(), "machine": platform.machine(),
         "loadavg_start_end": [load0, os.getloadavg()[0]], "reps": args.reps, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
