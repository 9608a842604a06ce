"""Model profile registry. Implements spec Annex B.

A profile id (``profile_id`` of the generation parameters, §8.2) names a generator architecture, its diffusion schedule, how its
autoencoder is used, and the SHA-256 of its weights (the canonical digest of §B.3). A decoder that
holds other weights for a profile shall say so (warn or refuse); a decoder that does not know the
profile id falls back to the non-generative preview (§8.1).

Plain data only: the reference generator (``ssgc_ref.generators``) builds the networks from it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ModelProfile", "PROFILES", "PROFILE_NONE", "PROFILE_LDM_SEMANTIC512", "PROFILE_TINY",
           "get_profile", "pad_multiple"]

PROFILE_NONE = 0
PROFILE_LDM_SEMANTIC512 = 1
PROFILE_TINY = 2


@dataclass(frozen=True)
class ModelProfile:
    """One row of Annex B. Sizes follow the CompVis config names (model_channels, channel_mult)."""

    profile_id: int
    name: str
    num_labels: int = 182  # one-hot width of the condition stage (Annex A label set 1)
    # UNet (openaimodel.UNetModel with concat conditioning)
    model_channels: int = 128
    channel_mult: tuple[int, ...] = (1, 4, 8)
    num_res_blocks: int = 2
    num_heads: int = 8
    norm_groups: int = 32
    latent_channels: int = 3
    cond_channels: int = 3
    # VQ autoencoder (taming VQModel)
    vq_ch: int = 128
    vq_ch_mult: tuple[int, ...] = (1, 2, 4)
    vq_num_res_blocks: int = 2
    vq_n_embed: int = 8192
    vq_norm_groups: int = 32
    vq_quantize_on_decode: bool = True  # §8.6
    # condition stage (SpatialRescaler): n_stages bilinear x0.5
    cond_stages: int = 2
    # diffusion schedule (§8.5): beta as rationals
    T: int = 1000
    beta_start: tuple[int, int] = (15, 10000)
    beta_end: tuple[int, int] = (205, 10000)
    # canonical weights digest (§B.3), lowercase hex; None = not pinned in this registry version
    weights_sha256: str | None = None
    notes: str = ""
    params_expected: int | None = None  # UNet parameter count, where checked

    @property
    def vq_factor(self) -> int:
        """Image pixels per latent cell along one axis: 2^(len(vq_ch_mult)-1)."""
        return 1 << (len(self.vq_ch_mult) - 1)

    @property
    def unet_factor(self) -> int:
        """Latent cells per bottleneck cell: 2^(len(channel_mult)-1)."""
        return 1 << (len(self.channel_mult) - 1)


def pad_multiple(profile: ModelProfile) -> int:
    """Image sizes are padded to a multiple of vq_factor * unet_factor (§8.4): 16 for both profiles."""
    return profile.vq_factor * profile.unet_factor


PROFILES: dict[int, ModelProfile] = {
    PROFILE_LDM_SEMANTIC512: ModelProfile(
        profile_id=PROFILE_LDM_SEMANTIC512,
        name="compvis-ldm-semantic-synthesis-512",
        weights_sha256=None,
        params_expected=215_229_315,  # UNet only, counted on the meta device (diffusers 0.42)
        notes="CompVis latent-diffusion models/ldm/semantic_synthesis512 (landscapes), converted by "
              "'ssgc-ref convert-model'. Digest not pinned: the checkpoint was not available when this "
              "registry was written; decoders warn.",
    ),
    PROFILE_TINY: ModelProfile(
        profile_id=PROFILE_TINY,
        name="ssgc-tiny-conformance",
        model_channels=4, channel_mult=(1, 4, 8), num_res_blocks=2, num_heads=8, norm_groups=4,
        vq_ch=8, vq_ch_mult=(1, 2, 4), vq_num_res_blocks=2, vq_n_embed=256, vq_norm_groups=4,
        vq_quantize_on_decode=False,
        weights_sha256="9f8bd505def45851b985a87da8871198a4ff899b63962c60cfacb12db2e5735a",  # make_tiny_model.py
        notes="Same structure as profile 1 with a few channels; weights generated from the portable "
              "noise by conformance/make_tiny_model.py. Used for conformance within tolerance.",
    ),
}


def get_profile(profile_id: int) -> ModelProfile | None:
    """The profile, or None for 0 ("none": preview only) and for ids this registry does not know."""
    return PROFILES.get(profile_id)
