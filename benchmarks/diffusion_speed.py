"""Diffusion decode speed of the full-size architecture (profile 1, random weights) on this machine.

Measures, at a given picture size (default 512x512), on CPU (or CUDA when --device cuda):
  * seconds per DDIM step through the real sampler loop (ddim_sample), guided (batch 2, the
    paper's g = 2) and unguided (g = 1), over a few steps after one warm-up step;
  * VQ encode (SDEdit start) and VQ decode (with codebook quantization) seconds;
  * peak resident memory of the process;
and extrapolates the total decode time for the paper's settings (200 steps, strength 0.7 ->
141 steps run) and other step counts. Weights are random (torch init): speed does not depend on
them. Prints a table and writes benchmarks/results/diffusion_speed.json.

Usage: python benchmarks/diffusion_speed.py [--size 512] [--steps-measured 2] [--device cpu] [--half]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import torch

from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, get_profile
from ssgc_format.schedule import sdedit_start_index
from ssgc_ref.generators.models import build_condition, build_unet, build_vq
from ssgc_ref.generators.sampler import ddim_sample, make_schedule, unet_eps_fn

RESULTS = Path(__file__).resolve().parent / "results" / "diffusion_speed.json"
LOAD0 = os.getloadavg()[0]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


CPU_TIMES: dict[str, float] = {}


def timed(fn, sync, label: str | None = None):
    """(result, wall seconds); the process CPU seconds go to CPU_TIMES[label]."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    sync()
    if label:
        CPU_TIMES[label] = time.process_time() - c
    return out, time.perf_counter() - t


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps-measured", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--half", action="store_true", help="UNet in float16 (CUDA)")
    args = ap.parse_args(argv)
    dev = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    p = get_profile(PROFILE_LDM_SEMANTIC512)
    torch.manual_seed(0)
    rss0 = peak_rss_mib()
    with torch.no_grad():
        unet, vq, cond = build_unet(p).eval().to(dev), build_vq(p).eval().to(dev), build_condition(p).to(dev)
        if args.half:
            unet.half()
        udt = next(unet.parameters()).dtype
        n_params = sum(t.numel() for t in unet.parameters())
        s = args.size
        h = s // p.vq_factor
        labels = torch.randint(0, 183, (1, s, s), device=dev)
        colors = torch.rand(1, 3, s, s, device=dev) * 2 - 1
        c, t_cond = timed(lambda: cond(labels), sync, "condition")
        z_c, t_enc = timed(lambda: vq.encode(colors).latents, sync, "vq_encode")
        base = unet_eps_fn(unet)

        def eps(x, t, cc):
            return base(x.to(udt), t, cc.to(udt)).to(x.dtype)

        rows = {}
        for name, g in (("guided (g=2, batch 2)", 512), ("unguided (g=1)", 256)):
            sched = make_schedule(200, 700, g, 0)
            # warm-up: one step; then the measured steps through the real loop
            timed(lambda: ddim_sample(eps, dataclasses.replace(sched, k0=0), z_color=z_c, cond=c, seeds=[1],
                                      progress=False), sync)
            k = args.steps_measured
            _, dt = timed(lambda: ddim_sample(eps, dataclasses.replace(sched, k0=k - 1), z_color=z_c, cond=c,
                                              seeds=[1], progress=False), sync, name)
            rows[name] = dt / k
            CPU_TIMES[name] /= k
        z = z_c
        _, t_dec = timed(lambda: vq.decode(z, force_not_quantize=False).sample, sync, "vq_decode")
    peak = peak_rss_mib()
    if dev.type == "cuda":
        peak_gpu = torch.cuda.max_memory_allocated() / 2**20
    step_g = rows["guided (g=2, batch 2)"]
    fixed = t_cond + t_enc + t_dec
    totals = {n: fixed + (sdedit_start_index(n, 700) + 1) * step_g for n in (200, 100, 50, 20)}
    res = {
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "device": str(dev), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
        "dtype": str(udt), "size": s, "latent": [3, h, h], "unet_params": n_params,
        "seconds_per_step": rows, "vq_encode_s": t_enc, "vq_decode_s": t_dec, "condition_s": t_cond,
        "peak_rss_mib": peak, "rss_before_models_mib": rss0,
        "extrapolated_total_s_strength_0.7": totals, "steps_measured": args.steps_measured,
        "process_cpu_s": CPU_TIMES, "loadavg_start_end": [LOAD0, os.getloadavg()[0]],
    }
    if dev.type == "cuda":
        res["peak_gpu_mib"] = peak_gpu
    print(f"full-size LDM (UNet {n_params / 1e6:.1f}M params, random weights), {s}x{s}, latent 3x{h}x{h}, "
          f"{dev} {udt}, {torch.get_num_threads()} threads")
    print(f"load average {LOAD0:.1f} at start, {os.getloadavg()[0]:.1f} at end (shared machine: wall > CPU/threads)")
    print(f"{'measure':40s} {'wall s':>10s} {'CPU s':>10s}")
    for k, v in rows.items():
        print(f"{'per DDIM step, ' + k:40s} {v:10.2f} {CPU_TIMES[k]:10.2f}")
    print(f"{'VQ encode (SDEdit start)':40s} {t_enc:10.2f} {CPU_TIMES['vq_encode']:10.2f}")
    print(f"{'VQ decode (quantized)':40s} {t_dec:10.2f} {CPU_TIMES['vq_decode']:10.2f}")
    print(f"{'peak RSS, MiB':40s} {peak:12.0f}")
    thr = torch.get_num_threads() if dev.type == "cpu" else 1
    step_cpu = CPU_TIMES["guided (g=2, batch 2)"] / thr
    fixed_cpu = (CPU_TIMES["condition"] + CPU_TIMES["vq_encode"] + CPU_TIMES["vq_decode"]) / thr
    for n, tot in totals.items():
        k0 = sdedit_start_index(n, 700)
        est = fixed_cpu + (k0 + 1) * step_cpu
        res.setdefault("estimated_total_s_unshared_cpu_time_over_threads", {})[n] = est
        print(f"{f'total, {n} steps @0.7 ({k0 + 1} run), s':40s} {tot:10.1f} {est:10.1f}  (wall | CPU/threads)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
