"""``ssgc-ref convert-model``: CompVis latent-diffusion checkpoint -> SSGC model folder (Annex B.4)."""

from __future__ import annotations

import argparse

NAME = "convert-model"
HELP = "convert the CompVis LDM semantic-synthesis checkpoint to a diffusers-format model folder"
DESCRIPTION = (
    "Convert the original CompVis checkpoint (latent-diffusion semantic_synthesis.zip -> model.ckpt) "
    "into a model folder (diffusers layout, safetensors) usable by 'ssgc-ref decode --model DIR'. "
    "The checkpoint is read without unpickling code (regular files only, no compressed zip entries); "
    "every tensor is mapped and any missing or unexpected tensor is an error. The UNet weights are the "
    "checkpoint's EMA copy (model_ema.*) when it has one, as profile 1 specifies (Annex B.1); "
    "--weights raw takes the training weights instead. The folder is written beside DIR and renamed "
    "into place; an existing DIR is replaced only with --force. Two conversions of one checkpoint give "
    "identical files. Prints the SHA-256 of the source, of each file and the weights digest (Annex B.3)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="model.ckpt (PyTorch Lightning) or a .safetensors of the same state dict")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="output model folder")
    p.add_argument("--profile", type=int, default=1, help="model profile id (Annex B)")
    p.add_argument("--weights", choices=("auto", "ema", "raw"), default="auto",
                   help="UNet weights: auto = the EMA copy when the checkpoint has one (profile 1 means "
                        "the EMA weights), ema = require it, raw = the training weights")
    p.add_argument("--ema", action="store_true", help="same as --weights ema (kept for old scripts)")
    p.add_argument("-f", "--force", action="store_true",
                   help="replace DIR if it exists (only an empty folder or another model folder)")


def run(args: argparse.Namespace) -> int:
    from ssgc_format.errors import InputError
    from ssgc_format.profiles import get_profile
    from ssgc_ref.generators.convert import convert_checkpoint

    if args.ema and args.weights == "raw":
        raise InputError("--ema and --weights raw contradict each other")
    choice = "ema" if args.ema else args.weights
    use_ema = {"auto": None, "ema": True, "raw": False}[choice]
    manifest = convert_checkpoint(args.checkpoint, args.output, profile_id=args.profile, use_ema=use_ema,
                                  force=args.force)
    prof = get_profile(args.profile)
    src = manifest["source"]
    print(f"source   {src['file']}  sha256 {src['sha256']}")
    if src["unet_weights"] == "ema":
        n = src.get("ema_num_updates")
        print("unet     EMA weights (model_ema.*" + (f", {n} updates" if n is not None else "") + ")")
    else:
        print("unet     training weights (model.diffusion_model.*)"
              + (": the checkpoint's EMA copy was NOT taken (profile 1 means EMA)" if src["ema_in_checkpoint"]
                 else "; the checkpoint has no EMA copy"))
    for f, h in manifest["files_sha256"].items():
        print(f"wrote    {args.output}/{f}  sha256 {h}")
    print(f"weights digest (Annex B.3) {manifest['weights_sha256']}")
    if prof is not None and prof.weights_sha256:
        ok = prof.weights_sha256 == manifest["weights_sha256"]
        print(f"profile {prof.profile_id} ({prof.name}): {'digest matches' if ok else 'DIGEST DIFFERS'}")
    elif prof is not None:
        print(f"profile {prof.profile_id} ({prof.name}) has no pinned digest: record the one above")
    return 0
