"""Convergence of DDIM and DPM-Solver++(2M) to the probability-flow ODE solution, without trained
weights (spec §8.5, §8.10).

For eta = 0 both samplers solve the same ODE from the same SDEdit start (strength 0.7 -> tau_k0 =
701 for every n that is a multiple of 10), so DDIM with every timestep (701 steps: 701, 700, ..., 1,
then abar_0; "DDIM-1000") is the reference solution. For each model -- the full-size profile-1
architecture with random weights (torch seed 0) at a small picture size, and the tiny conformance
model (profile 2) -- and guidance 2 it runs DDIM and DPM-Solver++(2M) at several step counts, and
prints the error of the final latent and of the decoded pixels against DDIM-1000 as a function of
the number of network evaluations (2 per step: guided).

Random weights are not smooth in t: the sinusoidal time embedding carries frequencies up to 1 rad
per timestep, which a trained network learns to follow only as far as the noise level asks, but
random linear layers pass on at full strength (the benchmark prints the measured change of eps per
timestep). On such a network any coarse timestep grid measures aliasing, not the solver's order.
Each model therefore also runs "smooth-t": the same random weights with the time-MLP's input
columns of the sinusoids faster than SMOOTH_MAX_FREQ rad/timestep (period < 314 timesteps) set
to 0, a model of a trained network's smoothness in t (not a measurement of one).

DDIM is first order, so DDIM-1000 itself is off the exact ODE solution by about 1/5 of DDIM-200's
error. The table therefore also gives the error against the Richardson extrapolation
2 z(DDIM-1000) - z(DDIM-500) (second-order accurate, same start), the closer estimate of the exact
solution.

Pixels: the VQ decoder without codebook quantization (a discontinuous lookup that would hide the
convergence), float error in 8-bit levels, and after the §8.6 rounding: RMSE and peak (§8.9).
Writes DIR/sampler_convergence/{results.json, table.md, convergence.png} for --out DIR (default
out/benchmarks/; ``--out benchmarks/results`` updates the committed results), after every run, so
an interrupted run keeps what it measured. The full-size model runs at 32x32 px
by default: 1433 guided evaluations of the 215M-parameter UNet took 16 min of CPU on the shared
2-core machine at that size.

float32 (half the CPU time of float64): the table prints the float32 rounding floor, DDIM-1000 in
float32 against float64 on the tiny model, to show that it is far below every error measured.

Usage: python benchmarks/sampler_convergence.py [--models tiny,tiny-smooth,full-smooth] [--size 64]
       [--full-size 32] [--dtype float32] [--out DIR] [--replot]
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ssgc_format.profiles import PROFILE_LDM_SEMANTIC512, PROFILE_TINY, get_profile
from ssgc_format.schedule import alphas_cumprod, ddim_coefficients, sdedit_start_index
from ssgc_ref.generators.ldm import TINY_MODEL_DIR, to_uint8
from ssgc_ref.generators.models import build_condition, build_unet, build_vq
from ssgc_ref.generators.sampler import Schedule, unet_eps_fn
from ssgc_ref.generators.sampling import (SAMPLER_DDIM, SAMPLER_DPMPP_2M, SamplerSchedule, make_sampler_schedule,
                                          sample)
from ssgc_ref.generators.weights import load_model_dir

SUBDIR = "sampler_convergence"
STRENGTH, GUIDANCE_Q8, SEED = 700, 512, 12345
PAPER = 200  # the paper's DDIM steps: 141 run at strength 0.7
SMOOTH_MAX_FREQ = 0.02  # rad per timestep


def smooth_time(unet) -> int:
    """Zero the time-MLP input columns of sinusoids faster than SMOOTH_MAX_FREQ; returns how many.

    diffusers' Timesteps(flip_sin_to_cos=True, freq_shift=0) gives [cos(t f_k), sin(t f_k)],
    f_k = 10000^(-k / half), k = 0..half-1.
    """
    w = unet.time_embedding.linear_1.weight
    half = w.shape[1] // 2
    fast = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float64) / half) > SMOOTH_MAX_FREQ
    with torch.no_grad():
        w[:, :half][:, fast] = 0
        w[:, half:][:, fast] = 0
    return int(fast.sum())


def roughness(unet, latent_hw: int, dtype) -> tuple[float, float, float]:
    """RMS of eps, of its first and of its second difference in t (t = 480..520, random input)."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1, unet.config.in_channels, latent_hw, latent_hw, generator=g).to(dtype)
    with torch.no_grad():
        es = torch.stack([unet(x, torch.tensor([t])).sample[0] for t in range(480, 521, 1)]).double()
    d1 = es[1:] - es[:-1]
    d2 = es[2:] - 2 * es[1:-1] + es[:-2]
    return tuple(float(v.pow(2).mean().sqrt()) for v in (es, d1, d2))


def every_timestep_schedule(stride: int, p) -> SamplerSchedule:
    """DDIM on tau = 1, 1 + stride, ..., 701 (stride 1: every timestep, the reference)."""
    tau = list(range(1, 702, stride))
    abar = alphas_cumprod(p.T, p.beta_start, p.beta_end)
    return SamplerSchedule(SAMPLER_DDIM, Schedule(tau, len(tau) - 1, GUIDANCE_Q8, 0, ddim_coefficients(abar, tau, 0)))


def inputs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """A label image and a color image of 16x16-pixel blocks (random, fixed seed)."""
    rng = np.random.default_rng(0)
    b = size // 16
    labels = np.repeat(np.repeat(rng.integers(0, 182, (b, b)).astype(np.uint8), 16, 0), 16, 1)
    colors = np.repeat(np.repeat(rng.integers(0, 256, (b, b, 3)).astype(np.uint8), 16, 0), 16, 1)
    return labels, colors


def load(model: str, dtype):
    if model == "tiny":
        b = load_model_dir(TINY_MODEL_DIR, PROFILE_TINY)
        unet, vq, cond, p = b.unet, b.vq, b.cond, b.profile
    else:
        p = get_profile(PROFILE_LDM_SEMANTIC512)
        torch.manual_seed(0)
        unet, vq, cond = build_unet(p), build_vq(p), build_condition(p)
    return unet.eval().to(dtype), vq.eval().to(dtype), cond.to(dtype), p


def run_model(model: str, size: int, dtype, smooth: bool, on_update) -> dict:
    """Run every sampler on one model; ``on_update(summary)`` after each run (partial results)."""
    unet, vq, cond_stage, p = load(model, dtype)
    rough_raw = roughness(unet, size // 4, dtype)
    n_zeroed = smooth_time(unet) if smooth else 0
    rough = roughness(unet, size // 4, dtype) if smooth else rough_raw
    for tag, r in (("random weights", rough_raw), ("smooth-t", rough)) if smooth else (("random weights", rough),):
        print(f"  {tag}: eps RMS {r[0]:.3f}, per-timestep change RMS {r[1]:.4f} ({r[1] / r[0]:.2%}), "
              f"second difference {r[2]:.4f} ({r[2] / r[0]:.2%})", flush=True)
    labels, colors = inputs(size)
    with torch.no_grad():
        cond = cond_stage(torch.from_numpy(labels.astype(np.int64))[None])
        x = torch.from_numpy(colors).permute(2, 0, 1)[None].to(dtype) / 127.5 - 1.0
        z_c = vq.encode(x).latents
    eps = unet_eps_fn(unet)

    def decode(z):
        with torch.no_grad():
            return vq.decode(z, force_not_quantize=True).sample

    info = dict(model=model + ("-smooth-t" if smooth else ""), smooth_t=smooth, zeroed_sinusoids=n_zeroed,
                eps_rms_d1_d2=rough, eps_rms_d1_d2_random=rough_raw, size=size, dtype=str(dtype),
                latent=list(z_c.shape[1:]), float32_vs_float64_latent_rmse=None)
    runs: dict[str, dict] = {}

    def go(name, sched: SamplerSchedule, sampler, n):
        t = time.perf_counter()
        z = sample(eps, sched, z_color=z_c, cond=cond, seeds=[SEED], progress=False)
        runs[name] = dict(sampler=sampler, steps=n, steps_run=sched.schedule.k0 + 1,
                          evals=2 * (sched.schedule.k0 + 1), z=z, x=decode(z), seconds=time.perf_counter() - t)
        print(f"  {model}: {name:12s} {runs[name]['evals']:5d} evals  {runs[name]['seconds']:7.1f} s", flush=True)
        if len(runs) > 1:
            on_update(summarize(info, runs, decode))

    go("DDIM-1000", every_timestep_schedule(1, p), "ddim", 1000)
    if model == "tiny" and dtype == torch.float32:  # the float32 rounding floor: DDIM-1000 in float64
        u64, vq64, c64 = copy.deepcopy(unet).double(), copy.deepcopy(vq).double(), copy.deepcopy(cond_stage).double()
        with torch.no_grad():
            z64 = sample(unet_eps_fn(u64), every_timestep_schedule(1, p), z_color=vq64.encode(x.double()).latents,
                         cond=c64(torch.from_numpy(labels.astype(np.int64))[None]), seeds=[SEED], progress=False)
        info["float32_vs_float64_latent_rmse"] = float((runs["DDIM-1000"]["z"].double() - z64).pow(2).mean().sqrt())
    # most informative first (the machine is shared: partial results are written after each run)
    order = [("ddim", PAPER)] + [("dpmpp-2m", n) for n in (40, 30, 20, 50, 10)] + \
            [("ddim", n) for n in (100, 50, 20, 10)]
    for sampler, n in order:
        sid = SAMPLER_DDIM if sampler == "ddim" else SAMPLER_DPMPP_2M
        assert sdedit_start_index(n, STRENGTH) * 1000 // n + 1 == 701  # same start as the reference
        go(f"{'DDIM' if sampler == 'ddim' else 'DPM++2M'}-{n}",
           make_sampler_schedule(sid, n, STRENGTH, GUIDANCE_Q8, 0), sampler, n)
    go("DDIM-500", every_timestep_schedule(2, p), "ddim", 500)
    return summarize(info, runs, decode)


def summarize(info: dict, runs: dict[str, dict], decode) -> dict:
    """Errors of every run against DDIM-1000 (and the Richardson extrapolation once DDIM-500 ran)."""
    ref = runs["DDIM-1000"]
    z_rich = 2 * ref["z"] - runs["DDIM-500"]["z"] if "DDIM-500" in runs else None
    x_rich = decode(z_rich) if z_rich is not None else None
    g_ref = to_uint8(ref["x"])
    rows = []
    for name, r in runs.items():
        if name == "DDIM-1000":
            continue
        dz = (r["z"] - ref["z"]).double()
        dx = (r["x"] - ref["x"]).double() * 127.5  # 8-bit levels, before rounding
        d8 = to_uint8(r["x"]).astype(np.int32) - g_ref.astype(np.int32)
        rows.append(dict(
            run=name, sampler=r["sampler"], steps=r["steps"], steps_run=r["steps_run"], evals=r["evals"],
            latent_rmse=float(dz.pow(2).mean().sqrt()), latent_max=float(dz.abs().max()),
            pixel_rmse_float=float(dx.pow(2).mean().sqrt()), pixel_max_float=float(dx.abs().max()),
            pixel_rmse_8bit=math.sqrt(float((d8 * d8).mean())), pixel_peak_8bit=int(np.abs(d8).max()),
            latent_rmse_vs_richardson=None if z_rich is None else
            float((r["z"] - z_rich).double().pow(2).mean().sqrt()),
            pixel_rmse_float_vs_richardson=None if x_rich is None else
            float(((r["x"] - x_rich).double() * 127.5).pow(2).mean().sqrt()),
            seconds=r["seconds"]))
    paper = next((r for r in rows if r["run"] == f"DDIM-{PAPER}"), None)
    match = {}
    for key in ("latent_rmse", "pixel_rmse_float", "latent_rmse_vs_richardson"):
        if paper is None or paper[key] is None:
            continue
        ok = [r for r in rows if r["sampler"] == "dpmpp-2m" and r[key] <= paper[key]]
        best = min(ok, key=lambda r: r["evals"]) if ok else None
        match[key] = dict(ddim200=paper[key], dpm_run=best["run"] if best else None,
                          dpm_evals=best["evals"] if best else None,
                          ratio=paper["evals"] / best["evals"] if best else None)
    ref_self = None if z_rich is None else float((ref["z"] - z_rich).double().pow(2).mean().sqrt())
    return dict(info, rows=rows, ddim1000_vs_richardson_latent_rmse=ref_self, match_ddim200=match,
                reference_seconds=ref["seconds"], complete="DDIM-500" in runs)


def _e(v) -> str:
    return "-" if v is None else f"{v:.3e}"


def table(res: dict) -> str:
    rms, d1, d2 = res["eps_rms_d1_d2"]
    lines = [f"### {res['model']} model, eps per-timestep change {d1 / rms:.2%} of its RMS (second difference "
             f"{d2 / rms:.2%}), {res['size']}x{res['size']} px (latent {'x'.join(map(str, res['latent']))}), "
             f"{res['dtype']}, strength 0.7, guidance 2, eta 0; reference DDIM-1000 (701 steps, 1402 evals)",
             "",
             "| run | evals | latent RMSE | latent max | pixel RMSE (float) | pixel max (float) | 8-bit RMSE "
             "| 8-bit peak | latent RMSE vs Richardson |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in sorted(res["rows"], key=lambda r: (r["sampler"], r["evals"])):
        lines.append(f"| {r['run']} | {r['evals']} | {r['latent_rmse']:.3e} | {r['latent_max']:.3e} | "
                     f"{r['pixel_rmse_float']:.3f} | {r['pixel_max_float']:.2f} | {r['pixel_rmse_8bit']:.3f} | "
                     f"{r['pixel_peak_8bit']} | {_e(r['latent_rmse_vs_richardson'])} |")
    lines.append("")
    lines.append(f"DDIM-1000 vs Richardson 2 z(DDIM-1000) - z(DDIM-500): latent RMSE "
                 f"{_e(res['ddim1000_vs_richardson_latent_rmse'])}")
    if res.get("float32_vs_float64_latent_rmse") is not None:
        lines.append(f"float32 rounding floor: DDIM-1000 float32 vs float64, latent RMSE "
                     f"{res['float32_vs_float64_latent_rmse']:.3e}")
    for key, m in res["match_ddim200"].items():
        if m["dpm_run"]:
            lines.append(f"match DDIM-200 ({key} {m['ddim200']:.3e}, 282 evals): {m['dpm_run']} with "
                         f"{m['dpm_evals']} evals ({m['ratio']:.1f}x fewer)")
        else:
            lines.append(f"match DDIM-200 ({key} {m['ddim200']:.3e}): no DPM++ run of this benchmark")
    return "\n".join(lines) + "\n"


def plot(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(results), 2, figsize=(10, 3.6 * len(results)), squeeze=False)
    axes = axes.ravel()
    k = 0
    for res in results:
        for key, label in (("latent_rmse", "latent RMSE"), ("pixel_rmse_float", "pixel RMSE (8-bit levels)")):
            ax = axes[k]
            k += 1
            for sampler, style in (("ddim", "o-"), ("dpmpp-2m", "s-")):
                rs = sorted((r for r in res["rows"] if r["sampler"] == sampler and r["steps"] not in (500,)),
                            key=lambda r: r["evals"])
                ax.loglog([r["evals"] for r in rs], [r[key] for r in rs], style,
                          label="DDIM" if sampler == "ddim" else "DPM-Solver++(2M)")
            paper = next(r for r in res["rows"] if r["run"] == f"DDIM-{PAPER}")
            ax.axhline(paper[key], color="gray", ls=":", lw=1)
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_xticks([16, 30, 58, 142, 282], ["16", "30", "58", "142", "282"])
            ax.set_xlabel("UNet evaluations (guided: 2 per step)")
            ax.set_ylabel(f"{label} vs DDIM-1000")
            ax.set_title(f"{res['model']} model, {res['size']} px")
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str]) -> int:
    from results_dir import add_out_argument

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="tiny,tiny-smooth,full-smooth",
                    help="comma list of full, tiny, full-smooth, tiny-smooth (smooth: see the docstring)")
    ap.add_argument("--size", type=int, default=64, help="picture size in pixels (multiple of 16)")
    ap.add_argument("--full-size", type=int, default=32,
                    help="picture size for the full-size model (CPU time: 1433 evaluations of a 215M UNet)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--threads", type=int, default=1)
    add_out_argument(ap)
    ap.add_argument("--replot", action="store_true",
                    help=f"only redraw the plot from DIR/{SUBDIR}/results.json")
    args = ap.parse_args(argv)
    # --out named this folder itself before it named the results folder: still accepted
    args.out = args.out if args.out.name == SUBDIR else args.out / SUBDIR
    if args.replot:
        plot(json.loads((args.out / "results.json").read_text()), args.out / "convergence.png")
        return 0
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    results: list[dict] = []
    t0 = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)

    def write(partial: list[dict]) -> None:
        (args.out / "table.md").write_text("\n".join(table(r) for r in partial))
        (args.out / "results.json").write_text(json.dumps(partial, indent=2) + "\n")

    for model in args.models.split(","):
        print(f"{model} model, {args.dtype}, load {os.getloadavg()[0]:.1f}", flush=True)
        name = model.split("-")[0]
        size = args.full_size if name == "full" else args.size
        results.append(run_model(name, size, dtype, model.endswith("-smooth"),
                                 lambda summary: write(results + [summary])))
        write(results)
        print(table(results[-1]), flush=True)
    print(f"total {time.perf_counter() - t0:.0f} s")
    write(results)
    plot(results, args.out / "convergence.png")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
