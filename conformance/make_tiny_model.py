"""Generate the weights of model profile 2, the tiny conformance model (spec Annex B).

The weights come from the portable noise of Annex C, not from torch's RNG, so this script writes
the same tensors on every machine (and the canonical digest pinned in Annex B / profiles.py):

    for each component (condition, unet, vqvae), each tensor name in ascending byte order,
    with j = its position in that global order (0, 1, 2, ...):
        n = gaussian_noise(seed=0x53534743 ("SSGC"), shape, stream=j)      (float32)
        weight of a GroupNorm (name contains "norm", 1-D, ends ".weight"):  1 + 0.1*n
        other 1-D tensors (biases):                                          0.1*n
        the label embedding (condition channel_mapper) and the VQ codebook: n
        any other tensor (conv / linear weights):                            n / sqrt(fan_in)
    computed in binary64 from float32(n) and rounded once to float32.

Usage: python conformance/make_tiny_model.py [OUT_DIR]   (default conformance/models/tiny)
       python conformance/make_tiny_model.py --list-tensors   (the table of spec Annex B.5)
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import torch

from ssgc_format.noise import gaussian_noise
from ssgc_format.profiles import PROFILE_TINY, PROFILES
from ssgc_ref.generators.models import build_condition, build_unet, build_vq
from ssgc_ref.generators.weights import COMPONENTS, save_model_dir

SEED = 0x53534743
UNIT_SCALE = {"condition/channel_mapper.weight", "vqvae/quantize.embedding.weight"}


def tensor_specs() -> list[tuple[str, str, tuple[int, ...], str]]:
    """(component, name, shape, rule) of every tensor in the order of Annex B.3; its position in
    the list is its noise stream j. rule: "norm" 1 + 0.1 n, "bias" 0.1 n, "unit" n, "fan_in"
    n / sqrt(fan_in)."""
    p = PROFILES[PROFILE_TINY]
    with torch.device("meta"):
        shapes = {"condition": build_condition(p).state_dict(), "unet": build_unet(p).state_dict(),
                  "vqvae": build_vq(p).state_dict()}
    out = []
    for comp in COMPONENTS:
        for name in sorted(shapes[comp], key=lambda s: s.encode()):
            shape = tuple(int(d) for d in shapes[comp][name].shape)
            if len(shape) == 1 and "norm" in name and name.endswith(".weight"):
                rule = "norm"
            elif len(shape) == 1:
                rule = "bias"
            elif f"{comp}/{name}" in UNIT_SCALE:
                rule = "unit"
            else:
                rule = "fan_in"
            out.append((comp, name, shape, rule))
    return out


def tiny_state_dicts() -> dict[str, dict[str, torch.Tensor]]:
    out: dict[str, dict[str, torch.Tensor]] = {comp: {} for comp in COMPONENTS}
    for j, (comp, name, shape, rule) in enumerate(tensor_specs()):
        n = gaussian_noise(SEED, shape, stream=j).astype(np.float64)
        if rule == "norm":
            w = 1.0 + 0.1 * n
        elif rule == "bias":
            w = 0.1 * n
        elif rule == "unit":
            w = n
        else:
            fan_in = int(np.prod(shape[1:]))
            w = n * (1.0 / math.sqrt(fan_in))
        out[comp][name] = torch.from_numpy(w.astype(np.float32))
    return out


def tensor_table_markdown() -> str:
    """The table of spec/annex-b-tiny-tensors.md (regenerate with --list-tensors)."""
    lines = ["| j | tensor | shape | rule |", "|---|---|---|---|"]
    for j, (comp, name, shape, rule) in enumerate(tensor_specs()):
        lines.append(f"| {j} | `{comp}/{name}` | {'x'.join(map(str, shape))} | {rule} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["--list-tensors"]:
        sys.stdout.write(tensor_table_markdown())
        return 0
    out_dir = Path(argv[0]) if argv else Path(__file__).resolve().parent / "models" / "tiny"
    manifest = save_model_dir(out_dir, PROFILES[PROFILE_TINY], tiny_state_dicts(),
                              source={"generator": "conformance/make_tiny_model.py", "seed": SEED}, force=True)
    print(f"{out_dir}: digest {manifest['weights_sha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
