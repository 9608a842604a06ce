"""Model folders: save, load and identify the weights of a profile. Implements spec Annex B.3.

A model folder (written by ``ssgc-ref convert-model`` or ``conformance/make_tiny_model.py``)::

    DIR/ssgc-model.json                     profile id/name, canonical digest, file hashes, source
    DIR/unet/diffusion_pytorch_model.safetensors   (+ config.json, diffusers format)
    DIR/vqvae/diffusion_pytorch_model.safetensors  (+ config.json)
    DIR/condition/model.safetensors                (+ config.json)

Loading never unpickles anything: safetensors only. The networks are built from the PROFILE (not
from the folder's config files) and loaded strictly, so weights of another architecture fail.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from ssgc_format.errors import ModelError
from ssgc_format.profiles import ModelProfile, get_profile
from ssgc_ref.generators.models import (
    ConditionStage,
    build_condition,
    build_unet,
    build_vq,
    unet_config,
    vq_config,
)

__all__ = ["ModelBundle", "canonical_digest", "save_model_dir", "load_model_dir", "file_sha256",
           "MANIFEST", "COMPONENTS", "WEIGHT_FILES"]

MANIFEST = "ssgc-model.json"
COMPONENTS = ("condition", "unet", "vqvae")
WEIGHT_FILES = {"condition": "condition/model.safetensors",
                "unet": "unet/diffusion_pytorch_model.safetensors",
                "vqvae": "vqvae/diffusion_pytorch_model.safetensors"}


@dataclass
class ModelBundle:
    """The three networks of a profile, in eval mode."""

    profile: ModelProfile
    unet: torch.nn.Module
    vq: torch.nn.Module
    cond: ConditionStage
    digest: str

    def to(self, device, dtype=None) -> "ModelBundle":
        for m in (self.unet, self.vq, self.cond):
            m.to(device)
            if dtype is not None and any(t.dtype != dtype for t in m.parameters()):
                m.to(dtype)  # only when needed: diffusers warns on every dtype cast
        return self

    def state_dicts(self) -> dict[str, dict[str, torch.Tensor]]:
        return {"condition": self.cond.state_dict(), "unet": self.unet.state_dict(), "vqvae": self.vq.state_dict()}


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def canonical_digest(state_dicts: dict[str, dict[str, torch.Tensor]]) -> str:
    """SHA-256 of Annex B.3: components in order, names sorted, float32 little-endian values."""
    h = hashlib.sha256()
    for comp in COMPONENTS:
        sd = state_dicts[comp]
        for name in sorted(sd, key=lambda s: s.encode()):
            t = sd[name].detach().to("cpu", torch.float32).contiguous()
            h.update(f"{comp}/{name}:{'x'.join(str(d) for d in t.shape)}:".encode())
            h.update(t.numpy().astype("<f4", copy=False).tobytes())
    return h.hexdigest()


def save_model_dir(out_dir: Path, profile: ModelProfile, state_dicts: dict[str, dict[str, torch.Tensor]],
                   source: dict | None = None) -> dict:
    """Write a model folder; returns the manifest (also written to DIR/ssgc-model.json)."""
    out_dir = Path(out_dir)
    configs = {"unet": unet_config(profile), "vqvae": vq_config(profile),
               "condition": {"num_labels": profile.num_labels, "out_channels": profile.cond_channels,
                             "n_stages": profile.cond_stages}}
    files = {}
    for comp in COMPONENTS:
        (out_dir / comp).mkdir(parents=True, exist_ok=True)
        sd = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state_dicts[comp].items()}
        path = out_dir / WEIGHT_FILES[comp]
        save_file(sd, str(path), metadata={"format": "pt", "ssgc_profile": str(profile.profile_id)})
        cfg = dict(configs[comp], _class_name={"unet": "UNet2DModel", "vqvae": "VQModel",
                                                "condition": "SSGCConditionStage"}[comp])
        (out_dir / comp / "config.json").write_text(json.dumps(cfg, indent=2, default=list) + "\n")
        files[WEIGHT_FILES[comp]] = file_sha256(path)
    manifest = {
        "format": "ssgc-model/1",
        "profile_id": profile.profile_id,
        "profile_name": profile.name,
        "weights_sha256": canonical_digest(state_dicts),
        "files_sha256": files,
        "source": source or {},
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def load_model_dir(model_dir: Path, profile_id: int, *, allow_model_mismatch: bool = False) -> ModelBundle:
    """Load a model folder for ``profile_id``; ModelError if absent, malformed or not the profile's.

    A digest different from the profile's pinned digest raises ModelError unless
    ``allow_model_mismatch`` (then a warning); an unpinned profile digest always warns (§8.1).
    """
    profile = get_profile(profile_id)
    if profile is None:
        raise ModelError(f"model profile {profile_id} is not in this decoder's registry (Annex B)")
    model_dir = Path(model_dir)
    manifest_path = model_dir / MANIFEST
    if not manifest_path.is_file():
        raise ModelError(f"{model_dir}: no {MANIFEST}; convert the checkpoint with 'ssgc-ref convert-model'")
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"{manifest_path}: unreadable manifest ({e})") from None
    if manifest.get("profile_id") != profile_id:
        msg = (f"{model_dir} holds weights for profile {manifest.get('profile_id')}, "
               f"the file asks for profile {profile_id} ({profile.name})")
        if not allow_model_mismatch:
            raise ModelError(msg + " (use --allow-model-mismatch to try anyway)")
        warnings.warn(msg, stacklevel=2)
    with torch.device("meta"):
        unet, vq, cond = build_unet(profile), build_vq(profile), build_condition(profile)
    for comp, module in (("unet", unet), ("vqvae", vq), ("condition", cond)):
        path = model_dir / WEIGHT_FILES[comp]
        if not path.is_file():
            raise ModelError(f"{path}: missing")
        try:
            sd = load_file(str(path))
            module.load_state_dict(sd, strict=True, assign=True)
        except (RuntimeError, OSError, ValueError) as e:
            raise ModelError(f"{path}: not the {comp} of profile {profile_id} ({profile.name}): "
                             f"{str(e).splitlines()[0]}") from None
    for m in (unet, vq, cond):
        m.eval().requires_grad_(False)
    bundle = ModelBundle(profile, unet, vq, cond, digest="")
    bundle.digest = canonical_digest(bundle.state_dicts())
    expected = profile.weights_sha256
    if not expected:
        warnings.warn(f"profile {profile_id} ({profile.name}) has no pinned weights digest: the weights "
                      f"in {model_dir} (digest {bundle.digest[:16]}...) cannot be verified", stacklevel=2)
    elif bundle.digest != expected:
        msg = (f"{model_dir}: weights digest {bundle.digest} is not profile {profile_id}'s "
               f"{expected}: the output will not be what the encoder assumed")
        if not allow_model_mismatch:
            raise ModelError(msg + " (use --allow-model-mismatch to decode anyway)")
        warnings.warn(msg, stacklevel=2)
    return bundle
