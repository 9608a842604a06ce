"""Diffusion decode speed of the full-size architecture (profile 1, random weights) on this machine.

Measures, at a given picture size (default 512x512), on CPU (or CUDA when --device cuda):
  * seconds per step through the real sampler loops: DDIM (ddim_sample) guided (batch 2, the
    paper's g = 2) and unguided (g = 1), over a few steps after one warm-up step, and
    DPM-Solver++(2M) (GENP sampler 1) guided;
  * VQ encode (SDEdit start) and VQ decode (with codebook quantization) seconds;
  * peak resident memory of the process;
and extrapolates the total decode time per image for the paper's settings (DDIM, 200 steps,
strength 0.7 -> 141 steps run), for the fast preset (DPM-Solver++(2M), 40 steps -> 29 run) and
other step counts. Then, at a modest size (--runtime-size, default 128), one alternative CPU
runtime against PyTorch: onnxruntime for the UNet (guided batch) and the VQ decoder, speed ratio
and max deviation. Weights are random (torch init): speed does not depend on them. Prints a table
and writes diffusion_speed.json in --out DIR (default out/benchmarks/; ``--out benchmarks/results``
updates the committed results).

Usage: python benchmarks/diffusion_speed.py [--size 512] [--steps-measured 2] [--device cpu] [--half]
       [--runtime-size 128] [--no-runtime] [--out DIR]
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
from ssgc_ref.generators.dpm_solver import dpmpp_2m_sample
from ssgc_ref.generators.sampler import ddim_sample, make_schedule, unet_eps_fn
from ssgc_ref.generators.sampler_ids import DEFAULT_STEPS, SAMPLER_DDIM, SAMPLER_DPMPP_2M
from ssgc_ref.generators.sampling import make_sampler_schedule

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


def _best_of(fn, reps: int = 3) -> float:
    """Smallest wall time of ``reps`` calls after one warm-up call (the machine is shared)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def compare_onnxruntime(unet, vq, size: int, p) -> dict:
    """onnxruntime (CPU execution provider) against PyTorch at ``size`` pixels, both with 1 thread
    and with torch's thread count: the UNet on a guided batch (2, 6, h, w) and the VQ decoder
    (post_quant_conv + decoder; the codebook lookup before it is the same table either way).
    Returns speed ratios and deviations; adopt only if >= 1.5x on both networks at every count."""
    threads0 = torch.get_num_threads()
    out = {"size": size}
    try:
        for threads in sorted({1, threads0}):
            torch.set_num_threads(threads)
            out[f"threads_{threads}"] = _compare_onnxruntime(unet, vq, size, p)
    finally:
        torch.set_num_threads(threads0)
    out["adopt"] = all(v["adopt"] for k, v in out.items() if k.startswith("threads_"))
    print("adopt onnxruntime as an option (>= 1.5x on both networks, within tolerance): "
          + ("yes" if out["adopt"] else "no"))
    return out


def _compare_onnxruntime(unet, vq, size: int, p) -> dict:
    import tempfile

    import numpy as np
    import onnxruntime as ort

    class UNetOnly(torch.nn.Module):
        def __init__(self, u):
            super().__init__()
            self.u = u

        def forward(self, x, t):
            return self.u(x, t).sample

    class DecoderOnly(torch.nn.Module):
        def __init__(self, v):
            super().__init__()
            self.v = v

        def forward(self, z):
            return self.v.decode(z, force_not_quantize=True).sample

    h = size // p.vq_factor
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, p.latent_channels + p.cond_channels, h, h, generator=g)
    t = torch.tensor([500, 500])
    z = torch.randn(1, p.latent_channels, h, h, generator=g)
    threads = torch.get_num_threads()
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    out = {"size": size, "onnxruntime": ort.__version__, "threads": threads}
    with tempfile.TemporaryDirectory() as tmp:
        for name, mod, args, names in (("unet", UNetOnly(unet).eval(), (x, t), ["x", "t"]),
                                       ("vq_decoder", DecoderOnly(vq).eval(), (z,), ["z"])):
            path = str(Path(tmp) / f"{name}.onnx")
            t0 = time.perf_counter()
            with torch.no_grad():
                torch.onnx.export(mod, args, path, dynamo=False, opset_version=17, input_names=names,
                                  output_names=["y"])
                ref = mod(*args).numpy()
            sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
            feed = {n: a.numpy() for n, a in zip(names, args)}
            setup = time.perf_counter() - t0
            got = sess.run(None, feed)[0]
            with torch.no_grad():
                t_torch = _best_of(lambda: mod(*args))
            t_ort = _best_of(lambda: sess.run(None, feed))
            dev = float(np.abs(got.astype(np.float64) - ref).max())
            rms = float(np.sqrt((ref.astype(np.float64) ** 2).mean()))
            row = {"torch_s": t_torch, "onnxruntime_s": t_ort, "speedup": t_torch / t_ort, "max_abs_dev": dev,
                   "output_rms": rms, "export_and_session_s": setup}
            if name == "vq_decoder":
                row["max_dev_8bit_levels"] = dev * 127.5
            out[name] = row
    fast = all(out[k]["speedup"] >= 1.5 for k in ("unet", "vq_decoder"))
    out["adopt"] = fast and out["vq_decoder"]["max_dev_8bit_levels"] <= 1
    print(f"onnxruntime {ort.__version__} vs PyTorch {torch.__version__}, {size}x{size} px (latent {h}x{h}), "
          f"{threads} threads, best of 3:")
    print(f"{'':24s} {'torch s':>9s} {'ORT s':>9s} {'speed-up':>9s} {'max |dev|':>11s} {'output RMS':>11s}")
    for k in ("unet", "vq_decoder"):
        r = out[k]
        extra = f"  ({r['max_dev_8bit_levels']:.4f} 8-bit levels)" if k == "vq_decoder" else ""
        print(f"{k + (' (batch 2)' if k == 'unet' else ''):24s} {r['torch_s']:9.3f} {r['onnxruntime_s']:9.3f} "
              f"{r['speedup']:8.2f}x {r['max_abs_dev']:11.2e} {r['output_rms']:11.3f}{extra}")
    return out


def main(argv: list[str]) -> int:
    from results_dir import add_out_argument, results_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--steps-measured", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--half", action="store_true", help="UNet in float16 (CUDA)")
    ap.add_argument("--runtime-size", type=int, default=128, help="picture size of the onnxruntime comparison")
    ap.add_argument("--no-runtime", action="store_true", help="skip the onnxruntime comparison")
    add_out_argument(ap)
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
        # DPM-Solver++(2M), guided, through its own loop (already warm): first step + multistep steps
        name = "DPM-Solver++(2M) guided"
        dsched = make_sampler_schedule(SAMPLER_DPMPP_2M, 200, 700, 512, 0).schedule
        k = args.steps_measured
        _, dt = timed(lambda: dpmpp_2m_sample(eps, dataclasses.replace(dsched, k0=k - 1), z_color=z_c, cond=c,
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
    totals = {n: fixed + (sdedit_start_index(n, 700) + 1) * step_g for n in (200, 100, 50, 40, 30, 20)}
    step_dpm = rows["DPM-Solver++(2M) guided"]
    presets = {
        "paper: DDIM 200 steps": (SAMPLER_DDIM, DEFAULT_STEPS[SAMPLER_DDIM], step_g, "guided (g=2, batch 2)"),
        f"fast: DPM-Solver++(2M) {DEFAULT_STEPS[SAMPLER_DPMPP_2M]} steps":
            (SAMPLER_DPMPP_2M, DEFAULT_STEPS[SAMPLER_DPMPP_2M], step_dpm, "DPM-Solver++(2M) guided"),
        "DPM-Solver++(2M) 30 steps": (SAMPLER_DPMPP_2M, 30, step_dpm, "DPM-Solver++(2M) guided"),
    }
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
    for label, (sid, n, step, key) in presets.items():
        run = sdedit_start_index(n, 700) + 1
        wall = fixed + run * step
        est = fixed_cpu + run * CPU_TIMES[key] / thr
        res.setdefault("per_image_s", {})[label] = {"steps": n, "steps_run": run, "unet_evals": 2 * run,
                                                     "wall_s": wall, "cpu_over_threads_s": est}
        print(f"{f'per image, {label} ({run} run, {2 * run} UNet evals)':58s} {wall:8.1f} s wall "
              f"({wall / 60:.1f} min) | {est:8.1f} s CPU/threads ({est / 60:.1f} min)")
    if not args.no_runtime and dev.type == "cpu":
        res["onnxruntime"] = compare_onnxruntime(unet, vq, args.runtime_size, p)
    path = results_path(args, "diffusion_speed.json")
    path.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
