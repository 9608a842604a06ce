"""Build the three networks of a model profile on diffusers parts. Implements spec §8.6 / Annex B.

    labels (H,W) --one-hot 182--> ConditionStage --(3, H/4, W/4)--+
                                                                 concat --> UNet2DModel --> eps
    colors (H,W,3) --> VQModel.encode (f4, no quantization) --> z -+
    z_0 --> VQModel.decode (quantize per profile) --> RGB in [-1, 1]

``UNet2DModel`` and ``VQModel`` come from diffusers; ``ConditionStage`` (CompVis
``SpatialRescaler``: bilinear x0.5 n times, then a 1x1 conv without bias) is the only module of our
own, because diffusers has no such part.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers import UNet2DModel, VQModel
from torch import nn

from ssgc_format.profiles import ModelProfile

__all__ = ["ConditionStage", "build_unet", "build_vq", "build_condition", "unet_config", "vq_config",
           "contiguous_attention_outputs"]


class ConditionStage(nn.Module):
    """SpatialRescaler(n_stages, method=bilinear, multiplier=0.5, bias=False) on a label image.

    ``forward(labels)`` takes int64 labels (B, H, W) with values 0..num_labels (num_labels =
    "unlabeled": an all-zero one-hot column) and returns (B, out_channels, H/2^n, W/2^n).
    Instead of materialising the 182-channel one-hot map it applies the 1x1 conv first (a table
    lookup: both maps are linear and the conv acts per pixel, so they commute), then the n bilinear
    halvings, which for even sizes and align_corners=False average 2x2 blocks exactly (§8.4).
    """

    def __init__(self, num_labels: int = 182, out_channels: int = 3, n_stages: int = 2):
        super().__init__()
        self.num_labels = num_labels
        self.n_stages = n_stages
        self.channel_mapper = nn.Conv2d(num_labels, out_channels, 1, bias=False)

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        w = self.channel_mapper.weight[:, :, 0, 0]  # (out, num_labels)
        table = torch.cat([w, w.new_zeros(w.shape[0], 1)], dim=1)  # column num_labels = unlabeled
        x = table[:, labels].permute(1, 0, 2, 3)  # (B, out, H, W)
        for _ in range(self.n_stages):
            x = F.interpolate(x, scale_factor=0.5, mode="bilinear", align_corners=False)
        return x


def unet_config(p: ModelProfile) -> dict:
    """diffusers UNet2DModel arguments equivalent to CompVis openaimodel.UNetModel of profile p."""
    levels = len(p.channel_mult)
    return dict(
        sample_size=None,
        in_channels=p.latent_channels + p.cond_channels,
        out_channels=p.latent_channels,
        layers_per_block=p.num_res_blocks,
        block_out_channels=tuple(p.model_channels * m for m in p.channel_mult),
        down_block_types=("DownBlock2D",) * levels,
        up_block_types=("UpBlock2D",) * levels,
        attention_head_dim=p.model_channels * p.channel_mult[-1] // p.num_heads,
        norm_num_groups=p.norm_groups,
        norm_eps=1e-5,
        flip_sin_to_cos=True,
        freq_shift=0,
        downsample_padding=1,
        act_fn="silu",
        time_embedding_type="positional",
    )


def vq_config(p: ModelProfile) -> dict:
    """diffusers VQModel arguments equivalent to taming's VQModel (ddconfig) of profile p."""
    levels = len(p.vq_ch_mult)
    return dict(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * levels,
        up_block_types=("UpDecoderBlock2D",) * levels,
        block_out_channels=tuple(p.vq_ch * m for m in p.vq_ch_mult),
        layers_per_block=p.vq_num_res_blocks,
        act_fn="silu",
        latent_channels=p.latent_channels,
        num_vq_embeddings=p.vq_n_embed,
        vq_embed_dim=p.latent_channels,
        norm_num_groups=p.vq_norm_groups,
        scaling_factor=1.0,
    )


def _contiguous(module: nn.Module, args, output):
    return output.contiguous()


def contiguous_attention_outputs(model: nn.Module) -> nn.Module:
    """Make the mid-block attention return a contiguous (NCHW) tensor.

    diffusers' attention processor ends with ``transpose(-1, -2).reshape(B, C, H, W)``, a view with
    channels-last strides; the next ResNet block's convolutions then run channels-last and reorder
    their weights on every call (two 1024x1024x3x3 copies per UNet call, found with
    torch.profiler: the per-call overhead that made this UNet slower than the original at small
    latents, whose attention block returns contiguous tensors). One small copy of the activation
    avoids it; see benchmarks/unet_overhead.py (UNet, 16x16 latent: 1.15x) and
    benchmarks/vq_channels_last.py (VQ decode, 512x512: 1.05x, same 8-bit pixels). Values are
    unchanged up to float rounding. Running the whole VQ channels-last gained 1-2% more on this CPU
    but moved the 512x512 decode by up to 2 levels, so it is not used.
    """
    for m in model.modules():
        if type(m).__name__ == "UNetMidBlock2D" or type(m).__name__ == "UNetMidBlock2DCrossAttn":
            for a in getattr(m, "attentions", []):
                if a is not None:
                    a.register_forward_hook(_contiguous)
    return model


def build_unet(p: ModelProfile) -> UNet2DModel:
    return contiguous_attention_outputs(UNet2DModel(**unet_config(p)))


def build_vq(p: ModelProfile) -> VQModel:
    return contiguous_attention_outputs(VQModel(**vq_config(p)))


def build_condition(p: ModelProfile) -> ConditionStage:
    return ConditionStage(p.num_labels, p.cond_channels, p.cond_stages)
