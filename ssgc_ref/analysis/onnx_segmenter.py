"""A generic ONNX segmentation model plus a class mapping to COCO-Stuff (non-normative).

``onnxruntime`` is an optional extra (``pip install ssgc[onnx]``), imported only when an
:class:`OnnxSegmenter` is built. The model contract:

* one input, ``float32`` NCHW ``(1, 3, h, w)``; if its ``h, w`` are fixed numbers the picture is
  resized to exactly that (aspect ratio not kept), otherwise its longer side is resized to
  ``input_size`` (default 512; ``input_size=0`` keeps the picture's size), bilinear;
* pixel values: ``x = (v * scale - mean[c]) / std[c]`` with ``v`` in 0..255, channel order
  ``channel_order`` ("rgb" or "bgr"); defaults are the ImageNet ones used by most torchvision-
  and timm-style models: ``scale = 1/255``, mean ``(0.485, 0.456, 0.406)``, std
  ``(0.229, 0.224, 0.225)``;
* first output either scores ``(1, C, h', w')`` (logits or probabilities: the argmax is taken
  after a bilinear resize to the processed picture) or class indices ``(1, h', w')`` /
  ``(h', w')`` (resized by nearest neighbour).

The class mapping (``labels=``) sends each model class index ``0..C-1`` to a generator id:
a JSON object ``{"0": 156, "1": "tree", ...}`` or list ``[156, "tree", ...]``, or a TSV/text file
of ``index<TAB>value`` lines (``#`` comments). A value is a generator id ``0..181`` (the ``id``
column of the label table, i.e. COCO-Stuff id - 1), a class name of that table (``"sky-other"``),
or ``182`` / ``"unlabeled"``. Every index ``0..C-1`` must be mapped. Built-in mappings:
``"cocostuff-182"`` (identity), ``"cocostuff-171"`` (the 171 classes in use, in table order,
as models trained on the 171-class COCO-Stuff output them) and ``"ade20k-150"`` (the ADE20K
SceneParsing classes in their usual order, wall = 0 ... flag = 149, mapped to the nearest
COCO-Stuff class by hand: ``ade20k-150.tsv`` next to this file).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from ssgc_format.errors import InputError, ModelError

from .image_io import check_rgb
from .labels import NUM_CLASSES, UNLABELED, label_ids, label_table
from .segmenters import register_segmenter

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAX_MODEL_CLASSES = 4096


def _builtin_mapping(name: str) -> np.ndarray | None:
    if name == "cocostuff-182":
        return np.arange(NUM_CLASSES, dtype=np.uint8)
    if name == "cocostuff-171":
        return np.array([t.id for t in label_table() if t.in_use], dtype=np.uint8)
    if name == "ade20k-150":
        return load_label_mapping(Path(__file__).with_name("ade20k-150.tsv"))
    return None


def _parse_value(value, where: str) -> int:
    if isinstance(value, bool):
        raise InputError(f"{where}: {value!r} is not a class")
    if isinstance(value, (int, np.integer)) or (isinstance(value, str) and value.strip().isdigit()):
        v = int(value)
        if 0 <= v <= UNLABELED:
            return v
        raise InputError(f"{where}: {v} is not a generator id 0..181 nor 182 (unlabeled)")
    if isinstance(value, str):
        name = value.strip()
        if name == "unlabeled":
            return UNLABELED
        if name in label_ids():
            return label_ids()[name]
        raise InputError(f"{where}: {name!r} is not a COCO-Stuff class name (see cocostuff-labels.tsv)")
    raise InputError(f"{where}: {value!r} is neither an id nor a class name")


def load_label_mapping(source: Union[str, os.PathLike]) -> np.ndarray:
    """Read a class mapping (see the module docstring) into a lookup table.

    Returns ``uint8 (C,)``: entry ``i`` is the generator id (0..182) of model class ``i``.
    Raises :class:`InputError` for an unreadable file, a bad value, a duplicate or missing
    index (indices must be exactly ``0..C-1``), or ``C > 4096``.
    """
    builtin = _builtin_mapping(str(source))
    if builtin is not None:
        return builtin
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"label mapping {str(path)!r}: cannot read ({exc})") from exc
    pairs: list[tuple[int, object, str]] = []
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"label mapping {str(path)!r}: invalid JSON ({exc})") from exc
        items = enumerate(data) if isinstance(data, list) else data.items() if isinstance(data, dict) else None
        if items is None:
            raise InputError(f"label mapping {str(path)!r}: JSON must be an object or a list")
        for key, value in items:
            if not str(key).strip().isdigit():
                raise InputError(f"label mapping {str(path)!r}: key {key!r} is not a class index")
            pairs.append((int(key), value, f"label mapping {str(path)!r}, index {key}"))
    else:
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split("\t") if "\t" in line else line.split(None, 1)
            if len(parts) != 2 or not parts[0].strip().isdigit():
                raise InputError(f"label mapping {str(path)!r} line {lineno}: expected 'index<TAB>id or name'")
            pairs.append((int(parts[0]), parts[1].strip(), f"label mapping {str(path)!r} line {lineno}"))
    if not pairs:
        raise InputError(f"label mapping {str(path)!r}: no entries")
    count = max(i for i, _, _ in pairs) + 1
    if count > MAX_MODEL_CLASSES:
        raise InputError(f"label mapping {str(path)!r}: index {count - 1} exceeds {MAX_MODEL_CLASSES - 1}")
    lut = np.full(count, 255, dtype=np.int16)
    for index, value, where in pairs:
        if lut[index] != 255:
            raise InputError(f"{where}: index {index} mapped twice")
        lut[index] = _parse_value(value, where)
    missing = np.flatnonzero(lut == 255)
    if missing.size:
        raise InputError(
            f"label mapping {str(path)!r}: indices {missing[:10].tolist()} are not mapped "
            f"(every index 0..{count - 1} needs a class; use 'unlabeled' to drop one)"
        )
    return lut.astype(np.uint8)


def map_classes(indices: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Apply a mapping table to model class indices; InputError if an index is outside it."""
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= lut.size):
        raise InputError(
            f"the model produced class index {int(indices.max())} (or a negative one); the label "
            f"mapping covers 0..{lut.size - 1}"
        )
    return lut[indices]


def preprocess(rgb: np.ndarray, *, size: tuple[int, int], scale: float, mean: Sequence[float],
               std: Sequence[float], channel_order: str) -> np.ndarray:
    """``uint8 (H, W, 3)`` -> ``float32 (1, 3, h, w)`` by the module docstring's rule."""
    import torch
    import torch.nn.functional as F

    x = rgb[..., ::-1] if channel_order == "bgr" else rgb
    t = torch.from_numpy(np.ascontiguousarray(x)).to(torch.float32).permute(2, 0, 1)[None]
    if tuple(t.shape[2:]) != tuple(size):
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False)
    t = t * float(scale)
    t = (t - torch.tensor(mean, dtype=torch.float32)[None, :, None, None]) / torch.tensor(std, dtype=torch.float32)[None, :, None, None]
    return t.numpy()


def _nearest(indices: np.ndarray, h: int, w: int) -> np.ndarray:
    ih, iw = indices.shape
    rows = ((2 * np.arange(h) + 1) * ih) // (2 * h)
    cols = ((2 * np.arange(w) + 1) * iw) // (2 * w)
    return indices[rows[:, None], cols[None, :]]


@register_segmenter("onnx")
class OnnxSegmenter:
    """Any ONNX semantic-segmentation model, with a class mapping to COCO-Stuff."""

    description = "generic ONNX segmentation model (onnxruntime) with a class -> COCO-Stuff mapping file"

    def __init__(self, model: Union[str, os.PathLike, None] = None, labels: Union[str, os.PathLike, None] = None, *,
                 input_size: int = 512, scale: float = 1 / 255, mean: Sequence[float] = IMAGENET_MEAN,
                 std: Sequence[float] = IMAGENET_STD, channel_order: str = "rgb"):
        if model is None or labels is None:
            raise InputError("segmenter 'onnx' needs model=PATH.onnx and labels=MAPPING (JSON/TSV or 'cocostuff-171')")
        if channel_order not in ("rgb", "bgr"):
            raise InputError(f"onnx: channel_order must be 'rgb' or 'bgr', got {channel_order!r}")
        if not isinstance(input_size, int) or not 0 <= input_size <= 8192:
            raise InputError(f"onnx: input_size must be an integer 0..8192 (0 = keep), got {input_size!r}")
        if len(mean) != 3 or len(std) != 3 or any(float(s) == 0 for s in std):
            raise InputError("onnx: mean and std need 3 values each, std nonzero")
        self.lut = load_label_mapping(labels)
        self.input_size, self.scale, self.channel_order = input_size, float(scale), channel_order
        self.mean, self.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise InputError("segmenter 'onnx' needs onnxruntime: install ssgc[onnx] (pip install onnxruntime)") from exc
        if not os.path.isfile(model):
            raise ModelError(f"ONNX model {str(model)!r}: no such file")
        try:
            self.session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types for bad graphs
            raise ModelError(f"ONNX model {str(model)!r}: cannot load ({exc})") from exc
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ModelError(f"ONNX model {str(model)!r}: need one NCHW input, got {[(i.name, i.shape) for i in inputs]}")
        self.input_name = inputs[0].name
        dims = inputs[0].shape
        self.fixed_size = (dims[2], dims[3]) if all(isinstance(d, int) and d > 0 for d in dims[2:]) else None

    def _size(self, h: int, w: int) -> tuple[int, int]:
        if self.fixed_size is not None:
            return self.fixed_size
        if self.input_size == 0:
            return h, w
        s = self.input_size / max(h, w)
        return max(1, round(h * s)), max(1, round(w * s))

    def segment(self, rgb: np.ndarray) -> np.ndarray:
        """``uint8 (H, W)`` generator ids through the mapping (182 where it says unlabeled)."""
        check_rgb(rgb, "onnx segment")
        import torch
        import torch.nn.functional as F

        h, w, _ = rgb.shape
        size = self._size(h, w)
        x = preprocess(rgb, size=size, scale=self.scale, mean=self.mean, std=self.std, channel_order=self.channel_order)
        try:
            out = self.session.run(None, {self.input_name: x})[0]
        except Exception as exc:
            raise ModelError(f"ONNX model failed on a {size[1]}x{size[0]} input: {exc}") from exc
        out = np.asarray(out)
        if out.ndim == 4 and out.shape[0] == 1 and np.issubdtype(out.dtype, np.floating):
            if out.shape[1] != self.lut.size:
                raise InputError(f"the ONNX model outputs {out.shape[1]} classes, the label mapping has {self.lut.size}")
            scores = torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32))
            if tuple(scores.shape[2:]) != tuple(size):
                scores = F.interpolate(scores, size=size, mode="bilinear", align_corners=False)
            indices = scores[0].argmax(dim=0).numpy()
        elif out.ndim in (2, 3) and np.issubdtype(out.dtype, np.integer):
            indices = out.reshape(out.shape[-2:]) if out.ndim == 2 or out.shape[0] == 1 else None
            if indices is None:
                raise ModelError(f"ONNX model output of shape {out.shape}: batch of more than one")
        else:
            raise ModelError(f"ONNX model output {out.dtype} {out.shape}: expected (1, C, h, w) scores or (1, h, w) indices")
        labels = map_classes(indices.astype(np.int64), self.lut)
        return np.ascontiguousarray(_nearest(labels, h, w) if labels.shape != (h, w) else labels)
