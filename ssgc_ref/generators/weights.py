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
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file

from ssgc_format.errors import InputError, ModelError
from ssgc_format.profiles import ModelProfile, get_profile
from ssgc_ref.generators.models import (
    ConditionStage,
    build_condition,
    build_unet,
    build_vq,
    unet_config,
    vq_config,
)
from ssgc_ref.generators.safetensors_io import check_header, regular_file_size, write_file

__all__ = ["ModelBundle", "canonical_digest", "save_model_dir", "load_model_dir", "read_manifest", "check_target",
           "file_sha256",
           "MANIFEST", "MANIFEST_FORMAT", "COMPONENTS", "WEIGHT_FILES"]

MANIFEST = "ssgc-model.json"
MANIFEST_FORMAT = "ssgc-model/1"
MAX_MANIFEST = 1 << 20  # ours are ~1 KiB
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


def _write_folder(out_dir: Path, profile: ModelProfile, state_dicts: dict[str, dict[str, torch.Tensor]],
                  source: dict) -> dict:
    configs = {"unet": unet_config(profile), "vqvae": vq_config(profile),
               "condition": {"num_labels": profile.num_labels, "out_channels": profile.cond_channels,
                             "n_stages": profile.cond_stages}}
    files = {}
    for comp in COMPONENTS:
        (out_dir / comp).mkdir(parents=True, exist_ok=True)
        sd = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state_dicts[comp].items()}
        path = out_dir / WEIGHT_FILES[comp]
        write_file(path, sd, metadata={"format": "pt", "ssgc_profile": str(profile.profile_id)})
        cfg = dict(configs[comp], _class_name={"unet": "UNet2DModel", "vqvae": "VQModel",
                                                "condition": "SSGCConditionStage"}[comp])
        (out_dir / comp / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True, default=list) + "\n")
        files[WEIGHT_FILES[comp]] = file_sha256(path)
    manifest = {
        "format": MANIFEST_FORMAT,
        "profile_id": profile.profile_id,
        "profile_name": profile.name,
        "weights_sha256": canonical_digest(state_dicts),
        "files_sha256": files,
        "source": source,
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def _replaceable(out_dir: Path) -> bool:
    """Only an empty folder or a model folder may be replaced with --force (never, say, $HOME)."""
    return out_dir.is_dir() and not out_dir.is_symlink() and (
        (out_dir / MANIFEST).is_file() or not any(out_dir.iterdir()))


def check_target(out_dir: Path, force: bool) -> None:
    """InputError unless ``out_dir`` may be written: absent, or (with ``force``) a replaceable folder."""
    out_dir = Path(out_dir)
    if out_dir.exists() or out_dir.is_symlink():
        if not force:
            raise InputError(f"{out_dir} exists (use --force to replace the model folder)")
        if not _replaceable(out_dir):
            raise InputError(f"{out_dir} exists and is not a model folder (no {MANIFEST}): not replacing it")


def save_model_dir(out_dir: Path, profile: ModelProfile, state_dicts: dict[str, dict[str, torch.Tensor]],
                   source: dict | None = None, *, force: bool = False) -> dict:
    """Write a model folder; returns the manifest (also written to DIR/ssgc-model.json).

    The folder is written as a hidden sibling and renamed into place, so ``out_dir`` is never
    half-written. An existing ``out_dir`` is an InputError unless ``force``, and even then only an
    empty folder or another model folder is replaced. Same inputs give the same bytes.
    """
    out_dir = Path(out_dir)
    check_target(out_dir, force)
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=parent))
    old = None
    try:
        manifest = _write_folder(tmp, profile, state_dicts, dict(source or {}))
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=parent))
            os.replace(out_dir, old)  # onto the empty placeholder: a folder may replace an empty folder
        try:
            os.rename(tmp, out_dir)  # fails if someone filled out_dir meanwhile (ENOTEMPTY)
        except OSError as e:
            if old is not None:
                os.replace(old, out_dir)
                old = None
            raise InputError(f"{out_dir}: cannot move the new model folder into place ({e.strerror or e})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return manifest


def read_manifest(model_dir: Path) -> dict:
    """DIR/ssgc-model.json, checked: a bounded regular file holding a JSON object of our format."""
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ModelError(f"{model_dir}: not a model folder ({'no such folder' if not model_dir.exists() else 'not a folder'})")
    path = model_dir / MANIFEST
    if not path.exists():
        raise ModelError(f"{model_dir}: no {MANIFEST}; convert the checkpoint with 'ssgc-ref convert-model'")
    size = regular_file_size(path, "manifest")
    if size > MAX_MANIFEST:
        raise ModelError(f"{path}: {size} bytes, a manifest has at most {MAX_MANIFEST}")
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as e:
        raise ModelError(f"{path}: unreadable manifest ({e.strerror or e})") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ModelError(f"{path}: not valid JSON (nested too deep, truncated or not UTF-8)") from None
    if not isinstance(manifest, dict):
        raise ModelError(f"{path}: must hold a JSON object, not {'null' if manifest is None else type(manifest).__name__}")
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ModelError(f"{path}: format {str(manifest.get('format'))[:40]!r} is not {MANIFEST_FORMAT!r}")
    pid = manifest.get("profile_id")
    if not isinstance(pid, int) or isinstance(pid, bool) or not 0 <= pid < 65536:
        raise ModelError(f"{path}: profile_id must be an integer 0..65535, got {str(pid)[:40]!r}")
    return manifest


def load_model_dir(model_dir: Path, profile_id: int, *, allow_model_mismatch: bool = False) -> ModelBundle:
    """Load a model folder for ``profile_id``; ModelError if absent, malformed or not the profile's.

    Every file is checked (regular file, bounded manifest, safetensors header against the file
    size and the profile's tensor names and shapes) before any tensor data is read. A digest
    different from the profile's pinned digest raises ModelError unless ``allow_model_mismatch``
    (then a warning); an unpinned profile digest always warns (§8.1).
    """
    profile = get_profile(profile_id)
    if profile is None:
        raise ModelError(f"model profile {profile_id} is not in this decoder's registry (Annex B)")
    model_dir = Path(model_dir)
    manifest = read_manifest(model_dir)
    if manifest["profile_id"] != profile_id:
        msg = (f"{model_dir} holds weights for profile {manifest['profile_id']}, "
               f"the file asks for profile {profile_id} ({profile.name})")
        if not allow_model_mismatch:
            raise ModelError(msg + " (use --allow-model-mismatch to try anyway)")
        warnings.warn(msg, stacklevel=2)
    with torch.device("meta"):
        unet, vq, cond = build_unet(profile), build_vq(profile), build_condition(profile)
    for comp, module in (("unet", unet), ("vqvae", vq), ("condition", cond)):
        path = model_dir / WEIGHT_FILES[comp]
        expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
        try:
            check_header(path, expected)
        except ModelError as e:
            raise ModelError(f"{e} (reading the {comp} of profile {profile_id}, {profile.name})") from None
        try:
            sd = load_file(str(path))
            module.load_state_dict(sd, strict=True, assign=True)
        except Exception as e:  # safetensors' own error types; checked above, so unexpected
            raise ModelError(f"{path}: not the {comp} of profile {profile_id} ({profile.name}): "
                             f"{(str(e).splitlines() or [type(e).__name__])[0]}") from None
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
