"""Convert the CompVis latent-diffusion checkpoint to a diffusers-format model folder.
Implements the informative mapping of spec Annex B.4; the result is identified by the canonical
digest of Annex B.3.

    model.ckpt (PyTorch Lightning)                      DIR/
      state_dict/model.diffusion_model.*  (openaimodel)   unet/      UNet2DModel   (safetensors)
      state_dict/first_stage_model.*      (taming VQ)     vqvae/     VQModel       (safetensors)
      state_dict/cond_stage_model.*       (SpatialRescaler) condition/ ConditionStage (safetensors)
      state_dict/betas, alphas_cumprod, ... (schedule)    checked against spec §8.5, not copied
                                                          ssgc-model.json  hashes of source/result

Safety: the checkpoint is read by ``checkpoint.load_checkpoint`` (regular file, no compressed zip
entries, ``torch.load(weights_only=True)`` with inert stubs for foreign globals, dense real tensors
only), so nothing from the file is ever imported or executed. Every tensor is mapped; a missing,
unexpected, wrongly shaped, non-float or non-finite tensor is a ModelError that names it.

EMA (Annex B.1): CompVis' LatentDiffusion trains with ``use_ema=True`` (the default of its DDPM
class; the semantic-synthesis config does not change it) and keeps a LitEma copy of the UNet as
buffers ``model_ema.<name without dots>`` (``model.diffusion_model.input_blocks.0.0.weight`` ->
``model_ema.diffusion_modelinput_blocks00weight``); its sampling scripts run inside ``ema_scope``,
i.e. with the EMA weights. So profile 1 means the EMA weights, and the conversion takes them when
the checkpoint has them (``use_ema=None``), the training weights only when asked.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch

from ssgc_format.errors import ModelError
from ssgc_format.profiles import ModelProfile, get_profile
from ssgc_format.schedule import alphas_cumprod
from ssgc_ref.generators.checkpoint import load_checkpoint
from ssgc_ref.generators.models import build_condition, build_unet, build_vq
from ssgc_ref.generators.weights import check_target, file_sha256, save_model_dir

__all__ = ["load_checkpoint", "source_key", "convert_state_dict", "convert_checkpoint", "ema_key",
           "has_ema", "SCHEDULE_BUFFERS"]

UNET_PREFIX = "model.diffusion_model."
VQ_PREFIX = "first_stage_model."
COND_PREFIX = "cond_stage_model."
EMA_PREFIX = "model_ema."
#: LatentDiffusion buffers: the noise schedule (checked, not copied) and bookkeeping.
SCHEDULE_BUFFERS = {
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
    "logvar", "scale_factor",
}

# ---------------------------------------------------------------------------------------------
# Key mapping: diffusers name -> (original name, transform)

_RES_UNET = {"norm1": "in_layers.0", "conv1": "in_layers.2", "time_emb_proj": "emb_layers.1",
             "norm2": "out_layers.0", "conv2": "out_layers.3", "conv_shortcut": "skip_connection"}
_RES_VQ = {"norm1": "norm1", "conv1": "conv1", "norm2": "norm2", "conv2": "conv2", "conv_shortcut": "nin_shortcut"}
_ATTN_VQ = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}


def _unet_key(k: str, p: ModelProfile) -> tuple[str, object]:
    r = p.num_res_blocks
    fixed = {"conv_in": "input_blocks.0.0", "time_embedding.linear_1": "time_embed.0",
             "time_embedding.linear_2": "time_embed.2", "conv_norm_out": "out.0", "conv_out": "out.2"}
    mod, _, leaf = k.rpartition(".")
    if mod in fixed:
        return f"{fixed[mod]}.{leaf}", None
    if m := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", mod):
        lv, j, sub = int(m[1]), int(m[2]), m[3]
        return f"input_blocks.{1 + lv * (r + 1) + j}.0.{_RES_UNET[sub]}.{leaf}", None
    if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv", mod):
        return f"input_blocks.{1 + int(m[1]) * (r + 1) + r}.0.op.{leaf}", None
    if m := re.fullmatch(r"mid_block\.resnets\.([01])\.(\w+)", mod):
        return f"middle_block.{2 * int(m[1])}.{_RES_UNET[m[2]]}.{leaf}", None
    if mod == "mid_block.attentions.0.group_norm":
        return f"middle_block.1.norm.{leaf}", None
    if m := re.fullmatch(r"mid_block\.attentions\.0\.to_([qkv])", mod):
        return f"middle_block.1.qkv.{leaf}", ("qkv", "qkv".index(m[1]), p.num_heads)
    if mod == "mid_block.attentions.0.to_out.0":
        return f"middle_block.1.proj_out.{leaf}", "squeeze"
    if m := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(\w+)", mod):
        return f"output_blocks.{int(m[1]) * (r + 1) + int(m[2])}.0.{_RES_UNET[m[3]]}.{leaf}", None
    if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv", mod):
        return f"output_blocks.{int(m[1]) * (r + 1) + r}.1.conv.{leaf}", None
    raise KeyError(k)


def _vq_key(k: str, p: ModelProfile) -> tuple[str, object]:
    levels = len(p.vq_ch_mult)
    mod, _, leaf = k.rpartition(".")
    renames = {"conv_norm_out": "norm_out"}
    if mod in ("quant_conv", "post_quant_conv", "quantize.embedding"):
        return k, None
    side, _, rest = mod.partition(".")
    if rest in ("conv_in", "conv_out", "conv_norm_out"):
        return f"{side}.{renames.get(rest, rest)}.{leaf}", None
    if m := re.fullmatch(r"(down|up)_blocks\.(\d+)\.(resnets\.(\d+)\.(\w+)|downsamplers\.0\.conv|upsamplers\.0\.conv)", rest):
        lv = int(m[2]) if m[1] == "down" else levels - 1 - int(m[2])
        if m[4] is not None:
            return f"{side}.{m[1]}.{lv}.block.{m[4]}.{_RES_VQ[m[5]]}.{leaf}", None
        return f"{side}.{m[1]}.{lv}.{'downsample' if m[1] == 'down' else 'upsample'}.conv.{leaf}", None
    if m := re.fullmatch(r"mid_block\.resnets\.([01])\.(\w+)", rest):
        return f"{side}.mid.block_{int(m[1]) + 1}.{_RES_VQ[m[2]]}.{leaf}", None
    if m := re.fullmatch(r"mid_block\.attentions\.0\.(group_norm|to_[qkv]|to_out\.0)", rest):
        return f"{side}.mid.attn_1.{_ATTN_VQ[m[1]]}.{leaf}", (None if m[1] == "group_norm" else "squeeze")
    raise KeyError(k)


def source_key(component: str, key: str, p: ModelProfile) -> tuple[str, object]:
    """The checkpoint key (with its prefix) and transform that give diffusers ``component/key``."""
    if component == "unet":
        k, tf = _unet_key(key, p)
        return UNET_PREFIX + k, tf
    if component == "vqvae":
        k, tf = _vq_key(key, p)
        return VQ_PREFIX + k, tf
    if component == "condition" and key == "channel_mapper.weight":
        return COND_PREFIX + key, None
    raise KeyError(f"{component}/{key}")


def _apply(t: torch.Tensor, tf, target_shape: tuple[int, ...]) -> torch.Tensor:
    if tf is None:
        return t
    if tf == "squeeze":  # 1x1 conv (C, C, 1[, 1]) -> linear (C, C); biases unchanged
        return t.reshape(target_shape)
    _, part, heads = tf  # legacy qkv: rows laid out per head as [q_h, k_h, v_h]
    c = target_shape[0]
    ch = c // heads
    if t.dim() == 1:
        return t.reshape(heads, 3, ch)[:, part].reshape(c)
    return t.reshape(heads, 3, ch, -1)[:, part].reshape(target_shape)


def ema_key(skey: str) -> str:
    """LitEma's buffer name for the UNet tensor ``skey``: ``model_ema.`` + the name without dots."""
    return EMA_PREFIX + skey[len("model."):].replace(".", "")


def has_ema(src: dict[str, torch.Tensor]) -> bool:
    """Whether the checkpoint carries LitEma's copy of the UNet."""
    return any(k.startswith(EMA_PREFIX + "diffusion_model") for k in src)


def _weight(read: str, t: torch.Tensor) -> str | None:
    if not t.is_floating_point():
        return f"{read} is {str(t.dtype).replace('torch.', '')}, a weight is floating point"
    if not t.is_meta and not bool(torch.isfinite(t).all()):  # meta: the mapping check of the tests
        return f"{read} holds NaN or infinite values"
    return None


def convert_state_dict(src: dict[str, torch.Tensor], profile: ModelProfile, *, use_ema: bool | None = None
                       ) -> dict[str, dict[str, torch.Tensor]]:
    """Map a CompVis state dict onto the diffusers modules of ``profile`` (every key, every shape).

    ``use_ema``: take the UNet from LitEma's copy (True), from the training weights (False), or
    the EMA copy when the checkpoint has one (None, the default; Annex B.1).
    """
    if use_ema is None:
        use_ema = has_ema(src)
    with torch.device("meta"):
        targets = {"condition": build_condition(profile).state_dict(), "unet": build_unet(profile).state_dict(),
                   "vqvae": build_vq(profile).state_dict()}
    out: dict[str, dict[str, torch.Tensor]] = {c: {} for c in targets}
    used: set[str] = set()
    missing, wrong, bad = [], [], []
    read_by: dict[str, str] = {}
    for comp, sd in targets.items():
        for key, meta in sd.items():
            skey, tf = source_key(comp, key, profile)
            read = skey
            if use_ema and skey.startswith(UNET_PREFIX):
                read = ema_key(skey)
                if read_by.setdefault(read, skey) != skey:  # LitEma itself would have refused the model
                    raise ModelError(f"EMA names collide for profile {profile.profile_id}: {skey} and "
                                     f"{read_by[read]} are both {read}")
            if read not in src:
                missing.append(read)
                continue
            used.add(read)
            t = src[read]
            why = _weight(read, t)
            if why:
                bad.append(why)
                continue
            try:
                v = _apply(t, tf, tuple(meta.shape))
            except RuntimeError:
                v = None
            if v is None or tuple(v.shape) != tuple(meta.shape):
                wrong.append(f"{read} {tuple(t.shape)} (needed for {comp}/{key} {tuple(meta.shape)})")
                continue
            out[comp][key] = v.detach().to(torch.float32).clone()
    missing = list(dict.fromkeys(missing))  # q, k and v read the same qkv tensor: name it once
    wrong = list(dict.fromkeys(wrong))
    ignorable = {k for k in src if k in SCHEDULE_BUFFERS or k.startswith(EMA_PREFIX)}
    if use_ema:  # the non-EMA UNet weights are then the ignorable ones
        ignorable |= {k for k in src if k.startswith(UNET_PREFIX)}
    extra = sorted(set(src) - used - ignorable)
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing {'EMA ' if use_ema else ''}tensors, e.g. {missing[:5]}"
                        + (" (convert the training weights with --weights raw)" if use_ema and len(missing) else ""))
    if extra:
        problems.append(f"{len(extra)} unexpected tensors, e.g. {extra[:5]}")
    if wrong:
        problems.append(f"{len(wrong)} tensors of the wrong shape, e.g. {wrong[:3]}")
    if bad:
        problems.append(f"{len(bad)} unusable tensors, e.g. {bad[:3]}")
    if problems:
        raise ModelError(f"checkpoint is not profile {profile.profile_id} ({profile.name}): " + "; ".join(problems))
    _check_scale_factor(src, profile)
    _check_schedule(src, profile)
    return out


def _check_scale_factor(src: dict[str, torch.Tensor], profile: ModelProfile) -> None:
    """A stored latent scale factor must be 1.0: every profile of Annex B runs the diffusion on the
    autoencoder's latents as they are (CompVis' default, scale_factor=1.0, scale_by_std=False)."""
    if "scale_factor" not in src:
        return
    t = src["scale_factor"]
    if t.numel() != 1 or not t.is_floating_point():
        raise ModelError(f"checkpoint scale_factor is {tuple(t.shape)} {t.dtype}, expected one float")
    v = float(t.reshape(()).item())
    if v != 1.0:
        raise ModelError(f"checkpoint scale_factor is {v:.7g}: profile {profile.profile_id} ({profile.name}) "
                         f"runs the diffusion on unscaled latents (scale_factor 1.0, Annex B.2); a model "
                         f"trained on scaled latents is not this profile")


def _check_schedule(src: dict[str, torch.Tensor], profile: ModelProfile) -> None:
    """If the checkpoint stores its noise schedule, it must be the profile's (spec §8.5)."""
    if "alphas_cumprod" not in src:
        return
    ours = alphas_cumprod(profile.T, profile.beta_start, profile.beta_end)
    theirs = src["alphas_cumprod"].detach().to(torch.float64).numpy()
    if theirs.shape != ours.shape or not np.allclose(theirs, ours, rtol=1e-5, atol=1e-7):
        raise ModelError(f"checkpoint noise schedule (alphas_cumprod, {theirs.shape}) is not the linear "
                         f"schedule of profile {profile.profile_id} (spec §8.5)")


def convert_checkpoint(checkpoint: str | Path, out_dir: str | Path, *, profile_id: int = 1,
                       use_ema: bool | None = None, force: bool = False) -> dict:
    """Convert ``checkpoint`` into the model folder ``out_dir``; returns the manifest.

    ``use_ema``: see :func:`convert_state_dict` (None: the EMA copy when present). The manifest's
    ``source.unet_weights`` says which was taken ("ema" or "raw") and whether an EMA copy existed.
    ``out_dir`` is written atomically and never replaced without ``force`` (see save_model_dir).
    """
    profile = get_profile(profile_id)
    if profile is None:
        raise ModelError(f"unknown model profile {profile_id}")
    checkpoint = Path(checkpoint)
    check_target(Path(out_dir), force)  # before the (long) conversion; checked again when renaming
    src = load_checkpoint(checkpoint)  # checks the file (regular, bounded) before hashing it
    ema_present = has_ema(src)
    if use_ema and not ema_present:
        raise ModelError(f"{checkpoint}: no EMA weights (model_ema.*) in the checkpoint; convert the "
                         f"training weights with --weights raw")
    take_ema = ema_present if use_ema is None else bool(use_ema)
    sds = convert_state_dict(src, profile, use_ema=take_ema)
    src_hash = file_sha256(checkpoint)
    source = {"file": checkpoint.name, "sha256": src_hash, "unet_weights": "ema" if take_ema else "raw",
              "ema_in_checkpoint": ema_present}
    if "model_ema.num_updates" in src and src["model_ema.num_updates"].numel() == 1:
        source["ema_num_updates"] = int(src["model_ema.num_updates"].reshape(()).item())
    return save_model_dir(Path(out_dir), profile, sds, source=source, force=force)
