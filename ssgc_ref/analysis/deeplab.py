"""DeepLab v2 ResNet-101 on COCO-Stuff-164k, in plain torch, from local weights (non-normative).

The generator of the paper was trained on label maps from this model: DeepLab v2 (dilated
ResNet-101, output stride 8, ASPP with rates 6/12/18/24 summed) wrapped in the multi-scale "MSC"
module of kazuto1011/deeplab-pytorch, whose checkpoint
``deeplabv2_resnet101_msc-cocostuff164k-100000.pth`` (182 classes, index = generator id 0..181)
this module loads. The module and parameter names mirror that repository exactly, so its
``state_dict`` loads as is (keys ``base.layer1.conv1.conv.weight`` ...
``base.aspp.c3.bias``)::

    input  BGR, float, minus the mean (B 104.008, G 116.669, R 122.675), no scaling to 0..1
    layer1 stem: 7x7/2 conv (64) + BN + ReLU, 3x3/2 max pool (padding 1, ceil_mode)
    layer2..5 bottleneck stages of 3, 4, 23, 3 blocks, 256/512/1024/2048 channels,
           strides 1, 2, 1, 1 and dilations 1, 1, 2, 4 (stride in the 1x1 "reduce" conv)
    aspp   four 3x3 convs 2048 -> 182 with dilation = padding = 6, 12, 18, 24, bias, summed
    MSC    logits at scales 1, 0.5, 0.75 (bilinear, align_corners=False), resized to the
           scale-1 logits' size, element-wise max

Inference as the repository's ``demo.py``: the picture is resized (bilinear) so its longer side
is 513, the max-logits are resized to that picture, and the argmax is taken; the labels are then
expanded back to the original size by nearest neighbour (the encoder downsamples them x16 anyway).

No weights ship with SSGC (the file is ~224 MB, 55.9M parameters, and not downloadable here): pass ``weights=PATH``.
"""

from __future__ import annotations

import os
import warnings
from typing import Sequence, Union

import numpy as np

from ssgc_format.errors import InputError, ModelError

from .image_io import check_rgb
from .labels import NUM_CLASSES
from .segmenters import register_segmenter

MEAN_BGR = (104.008, 116.669, 122.675)
ATROUS_RATES = (6, 12, 18, 24)
N_BLOCKS = (3, 4, 23, 3)
MSC_SCALES = (0.5, 0.75)
INPUT_SIZE = 513
BOTTLENECK_EXPANSION = 4


def build_deeplab_v2(
    n_classes: int = NUM_CLASSES,
    n_blocks: Sequence[int] = N_BLOCKS,
    atrous_rates: Sequence[int] = ATROUS_RATES,
    width: int = 64,
    scales: Sequence[float] = MSC_SCALES,
):
    """Build the MSC-wrapped DeepLab v2 (``torch.nn.Module``, eval mode, random weights).

    ``width`` (64 in the real model) scales every channel count; tests use a small one. The
    module tree and names are those of kazuto1011/deeplab-pytorch.
    """
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class ConvBnReLU(nn.Sequential):
        def __init__(self, in_ch, out_ch, kernel, stride, padding, dilation, relu=True):
            super().__init__()
            self.add_module("conv", nn.Conv2d(in_ch, out_ch, kernel, stride, padding, dilation, bias=False))
            self.add_module("bn", nn.BatchNorm2d(out_ch, eps=1e-5, momentum=1 - 0.999))
            if relu:
                self.add_module("relu", nn.ReLU())

    class Bottleneck(nn.Module):
        def __init__(self, in_ch, out_ch, stride, dilation, downsample):
            super().__init__()
            mid = out_ch // BOTTLENECK_EXPANSION
            self.reduce = ConvBnReLU(in_ch, mid, 1, stride, 0, 1)
            self.conv3x3 = ConvBnReLU(mid, mid, 3, 1, dilation, dilation)
            self.increase = ConvBnReLU(mid, out_ch, 1, 1, 0, 1, relu=False)
            self.shortcut = ConvBnReLU(in_ch, out_ch, 1, stride, 0, 1, relu=False) if downsample else nn.Identity()

        def forward(self, x):
            return F.relu(self.increase(self.conv3x3(self.reduce(x))) + self.shortcut(x))

    class ResLayer(nn.Sequential):
        def __init__(self, n, in_ch, out_ch, stride, dilation):
            super().__init__()
            for i in range(n):
                self.add_module(
                    f"block{i + 1}",
                    Bottleneck(in_ch if i == 0 else out_ch, out_ch, stride if i == 0 else 1, dilation, i == 0),
                )

    class Stem(nn.Sequential):
        def __init__(self, out_ch):
            super().__init__()
            self.add_module("conv1", ConvBnReLU(3, out_ch, 7, 2, 3, 1))
            self.add_module("pool", nn.MaxPool2d(3, 2, 1, ceil_mode=True))

    class ASPP(nn.Module):
        def __init__(self, in_ch, out_ch, rates):
            super().__init__()
            for i, rate in enumerate(rates):
                self.add_module(f"c{i}", nn.Conv2d(in_ch, out_ch, 3, 1, padding=rate, dilation=rate, bias=True))

        def forward(self, x):
            return sum(stage(x) for stage in self.children())

    class DeepLabV2(nn.Sequential):
        def __init__(self):
            super().__init__()
            ch = [width * 2**p for p in range(6)]
            self.add_module("layer1", Stem(ch[0]))
            self.add_module("layer2", ResLayer(n_blocks[0], ch[0], ch[2], 1, 1))
            self.add_module("layer3", ResLayer(n_blocks[1], ch[2], ch[3], 2, 1))
            self.add_module("layer4", ResLayer(n_blocks[2], ch[3], ch[4], 1, 2))
            self.add_module("layer5", ResLayer(n_blocks[3], ch[4], ch[5], 1, 4))
            self.add_module("aspp", ASPP(ch[5], n_classes, atrous_rates))

    class MSC(nn.Module):
        def __init__(self, base):
            super().__init__()
            self.base = base
            self.scales = tuple(scales)

        def forward(self, x):
            logits = self.base(x)
            size = logits.shape[2:]
            outs = [logits]
            for p in self.scales:
                h = F.interpolate(x, scale_factor=p, mode="bilinear", align_corners=False)
                outs.append(F.interpolate(self.base(h), size=size, mode="bilinear", align_corners=False))
            return torch.max(torch.stack(outs), dim=0)[0]

    return MSC(DeepLabV2()).eval()


def _normalise_keys(state: dict) -> dict:
    """Accept the checkpoint as saved (``base.`` prefix), a DataParallel one (``module.``), or a
    bare DeepLabV2 state dict (no prefix)."""
    out = {}
    for key, value in state.items():
        k = key[len("module."):] if key.startswith("module.") else key
        if not k.startswith("base."):
            k = "base." + k
        out[k] = value
    return out


def load_deeplab_v2(weights: Union[str, os.PathLike], **arch) -> "object":
    """Build :func:`build_deeplab_v2` (``**arch``) and load ``weights`` into it, safely.

    The file is read with ``torch.load(weights_only=True, map_location="cpu")`` (no code runs).
    Raises :class:`ModelError` for a missing/unreadable file, a non-state-dict object, missing
    or unexpected keys (``num_batches_tracked`` buffers are optional), or a shape mismatch.
    """
    import torch

    path = str(weights)
    if not os.path.isfile(path):
        raise ModelError(f"DeepLab v2 weights {path!r}: no such file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch's note about pickle protocols
            state = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as exc:  # pickle, zip and torch errors: all mean "not a usable checkpoint"
        raise ModelError(f"DeepLab v2 weights {path!r}: not a loadable torch state dict ({type(exc).__name__}: {exc})") from exc
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(f"DeepLab v2 weights {path!r}: expected a dict of tensors (a state_dict)")
    state = _normalise_keys(state)
    model = build_deeplab_v2(**arch)
    expected = model.state_dict()
    optional = {k for k in expected if k.endswith("num_batches_tracked")}
    missing = sorted(set(expected) - set(state) - optional)
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ModelError(
            f"DeepLab v2 weights {path!r} do not match the architecture: "
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} unexpected (e.g. {extra[:3]})"
        )
    wrong = [(k, tuple(state[k].shape), tuple(v.shape)) for k, v in expected.items()
             if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if wrong:
        k, got, want = wrong[0]
        raise ModelError(f"DeepLab v2 weights {path!r}: {len(wrong)} tensors of the wrong shape, e.g. {k} {got} != {want}")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=False)
    return model


@register_segmenter("deeplab-v2")
class DeepLabV2Segmenter:
    """DeepLab v2 ResNet-101 (MSC) trained on COCO-Stuff-164k, from a local checkpoint."""

    description = (
        "DeepLab v2 ResNet-101 MSC trained on COCO-Stuff-164k (kazuto1011/deeplab-pytorch "
        "checkpoint deeplabv2_resnet101_msc-cocostuff164k-100000.pth, local file), the labels the "
        "generator was trained on"
    )

    def __init__(self, weights: Union[str, os.PathLike, None] = None, *, input_size: int = INPUT_SIZE,
                 device: str = "cpu", width: int = 64, n_blocks: Sequence[int] = N_BLOCKS):
        """``width``/``n_blocks`` exist for tests (small random models); real weights use the defaults."""
        if weights is None:
            raise InputError(
                "segmenter 'deeplab-v2' needs its weights: weights=PATH to "
                "deeplabv2_resnet101_msc-cocostuff164k-100000.pth (kazuto1011/deeplab-pytorch release v1.0)"
            )
        if not isinstance(input_size, int) or not 33 <= input_size <= 4096:
            raise InputError(f"deeplab-v2: input_size must be an integer 33..4096, got {input_size!r}")
        self.input_size = input_size
        self.device = device
        model = load_deeplab_v2(weights, width=width, n_blocks=tuple(n_blocks))
        try:
            self.model = model.to(device)
        except (RuntimeError, AssertionError, ValueError) as exc:  # unknown or unavailable device
            raise InputError(f"deeplab-v2: cannot use device {device!r} ({exc})") from exc

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """``uint8 (H, W)`` generator ids 0..181 (this model never outputs 182)."""
        check_rgb(rgb, "deeplab-v2 segment")
        import torch
        import torch.nn.functional as F

        h, w, _ = rgb.shape
        scale = self.input_size / max(h, w)
        sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
        x = torch.from_numpy(np.ascontiguousarray(rgb[..., ::-1])).to(torch.float32)
        x = (x - torch.tensor(MEAN_BGR, dtype=torch.float32)).permute(2, 0, 1)[None].to(self.device)
        with torch.inference_mode():
            if (sh, sw) != (h, w):
                x = F.interpolate(x, size=(sh, sw), mode="bilinear", align_corners=False)
            logits = self.model(x)
            logits = F.interpolate(logits, size=(sh, sw), mode="bilinear", align_corners=False)
            small = logits[0].argmax(dim=0).to(torch.uint8).cpu().numpy()
        if (sh, sw) == (h, w):
            return small
        # nearest by pixel centres: output pixel y takes row floor((y + 0.5) * sh / h)
        rows = ((2 * np.arange(h) + 1) * sh) // (2 * h)
        cols = ((2 * np.arange(w) + 1) * sw) // (2 * w)
        return np.ascontiguousarray(small[rows[:, None], cols[None, :]])
