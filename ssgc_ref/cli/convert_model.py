"""``ssgc-ref convert-model``: CompVis latent-diffusion checkpoint -> SSGC model folder (Annex B.4)."""

from __future__ import annotations

import argparse

NAME = "convert-model"
HELP = "convert the CompVis LDM semantic-synthesis checkpoint to a diffusers-format model folder"
DESCRIPTION = (
    "Convert the original CompVis checkpoint (latent-diffusion semantic_synthesis.zip -> model.ckpt) "
    "into a model folder (diffusers layout, safetensors) usable by 'ssgc-ref decode --model DIR'. "
    "The checkpoint is read without unpickling code; every tensor is mapped and any missing or "
    "unexpected tensor is an error. Prints the SHA-256 of the source and the weights digest (Annex B.3)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="model.ckpt (PyTorch Lightning) or a .safetensors of the same state dict")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output model folder")
    p.add_argument("--profile", type=int, default=1, help="model profile id (Annex B)")
    p.add_argument("--ema", action="store_true", help="take the UNet weights from the EMA copy (model_ema.*)")


def run(args: argparse.Namespace) -> int:
    from ssgc_format.profiles import get_profile
    from ssgc_ref.generators.convert import convert_checkpoint

    manifest = convert_checkpoint(args.checkpoint, args.output, profile_id=args.profile, use_ema=args.ema)
    prof = get_profile(args.profile)
    print(f"source   {manifest['source']['file']}  sha256 {manifest['source']['sha256']}")
    for f, h in manifest["files_sha256"].items():
        print(f"wrote    {f}  sha256 {h}")
    print(f"weights digest (Annex B.3) {manifest['weights_sha256']}")
    if prof is not None and prof.weights_sha256:
        ok = prof.weights_sha256 == manifest["weights_sha256"]
        print(f"profile {prof.profile_id} ({prof.name}): {'digest matches' if ok else 'DIGEST DIFFERS'}")
    elif prof is not None:
        print(f"profile {prof.profile_id} ({prof.name}) has no pinned digest: record the one above")
    return 0
