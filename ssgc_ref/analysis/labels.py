"""The COCO-Stuff label space of the encoder, and label-map downsampling (non-normative).

Label maps in ``ssgc_ref.analysis`` are ``uint8 (H, W)`` arrays of generator ids: ``0..181`` are
the 182 COCO-Stuff-164k classes (id = COCO-Stuff id - 1, the table of spec Annex A that ships as
``ssgc_format/data/cocostuff-182.tsv``) and :data:`UNLABELED` ``= 182`` marks a pixel no segmenter could name.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ssgc_format.errors import InputError

NUM_CLASSES = 182
UNLABELED = 182
MAX_CELL_LOG2 = 8

# The rows of the label table (cells) processed at once by downsample_labels: bounds the
# temporary (cells * 256) histogram to 16 MiB of int64 whatever the image size.
_CELLS_PER_BAND = 8192


@dataclass(frozen=True)
class LabelInfo:
    id: int
    cocostuff_id: int
    kind: str
    in_use: bool
    name: str


@lru_cache(maxsize=1)
def label_table() -> tuple[LabelInfo, ...]:
    """The 182 classes, index = generator id (0..181)."""
    text = resources.files("ssgc_format").joinpath("data/cocostuff-182.tsv").read_text("utf-8")
    rows = list(csv.DictReader((ln for ln in text.splitlines() if not ln.startswith("#")), delimiter="\t"))
    table = tuple(
        LabelInfo(int(r["id"]), int(r["cocostuff_id"]), r["kind"], r["in_use"] == "yes", r["name"])
        for r in rows
    )
    assert [t.id for t in table] == list(range(NUM_CLASSES))
    return table


def label_name(label: int) -> str:
    """Name of a generator id; ``"unlabeled"`` for 182."""
    return "unlabeled" if label == UNLABELED else label_table()[label].name


@lru_cache(maxsize=1)
def label_ids() -> dict[str, int]:
    """Map class name -> generator id (``"sky-other" -> 156``)."""
    return {t.name: t.id for t in label_table()}


@lru_cache(maxsize=1)
def label_palette() -> np.ndarray:
    """A fixed display colour per id, ``uint8 (183, 3)``: golden-angle hues so neighbouring ids
    differ, 182 (unlabeled) black. For pictures only; nothing in the format depends on it."""
    import colorsys

    pal = np.zeros((UNLABELED + 1, 3), dtype=np.uint8)
    for i in range(NUM_CLASSES):
        r, g, b = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.65 + 0.35 * (i % 2), 0.95 - 0.3 * (i % 3 == 0))
        pal[i] = (round(255 * r), round(255 * g), round(255 * b))
    pal.setflags(write=False)
    return pal


def colorize_labels(labels: np.ndarray) -> np.ndarray:
    """``uint8 (H, W)`` label map -> ``uint8 (H, W, 3)`` picture with :func:`label_palette`."""
    return label_palette()[check_label_map(labels, "colorize_labels")]


def check_label_map(labels: np.ndarray, what: str = "label map") -> np.ndarray:
    """Return ``labels`` if it is a 2-D ``uint8`` array with values ``<= 182``; else InputError."""
    if not isinstance(labels, np.ndarray) or labels.dtype != np.uint8 or labels.ndim != 2:
        raise InputError(
            f"{what}: need a uint8 (H, W) array, got "
            f"{getattr(labels, 'dtype', type(labels).__name__)} {getattr(labels, 'shape', '')}"
        )
    if labels.size == 0:
        raise InputError(f"{what}: empty ({labels.shape})")
    top = int(labels.max())
    if top > UNLABELED:
        bad = np.argwhere(labels > UNLABELED)[0]
        raise InputError(
            f"{what}: value {int(labels[tuple(bad)])} at (y={bad[0]}, x={bad[1]}) is not a "
            f"COCO-Stuff id 0..181 nor {UNLABELED} (unlabeled)"
        )
    return labels


def grid_shape(height: int, width: int, cell_log2: int) -> tuple[int, int]:
    """``(ceil(H / 2**k), ceil(W / 2**k))``."""
    c = 1 << cell_log2
    return (height + c - 1) // c, (width + c - 1) // c


def downsample_labels(labels: np.ndarray, cell_log2: int) -> np.ndarray:
    """Downsample a label map by ``c = 2**cell_log2`` with a per-cell majority vote.

    The grid is ``ceil(H / c) x ceil(W / c)``; cell ``(i, j)`` covers pixels
    ``[i*c, min((i+1)*c, H)) x [j*c, min((j+1)*c, W))`` (partial edge cells vote with their own
    pixels only, no padding). Vote rule:

    * unlabeled pixels (182) do not vote unless the whole cell is unlabeled (then the cell is 182);
    * among the labelled pixels the most frequent id wins; a tie goes to the **smallest id**.

    Guarantees: output ``uint8`` of that shape, values in the input's set of values; a cell whose
    pixels all carry one label keeps it; ``cell_log2 = 0`` returns a copy. Vectorised
    (``bincount`` over ``cell * 256 + label``) in bands of cells, so the temporary histogram stays
    below 16 MiB for any image size. Raises :class:`InputError` for a bad array or
    ``cell_log2`` outside ``0..8``.
    """
    check_label_map(labels, "downsample_labels")
    if not isinstance(cell_log2, (int, np.integer)) or not 0 <= cell_log2 <= MAX_CELL_LOG2:
        raise InputError(f"downsample_labels: cell_log2 must be an integer 0..{MAX_CELL_LOG2}, got {cell_log2!r}")
    if cell_log2 == 0:
        return labels.copy()
    c = 1 << int(cell_log2)
    height, width = labels.shape
    gh, gw = grid_shape(height, width, cell_log2)
    out = np.empty((gh, gw), dtype=np.uint8)
    col_cell = (np.arange(width) >> cell_log2).astype(np.int64)
    band_rows = max(1, _CELLS_PER_BAND // gw)
    for r0 in range(0, gh, band_rows):
        r1 = min(gh, r0 + band_rows)
        block = labels[r0 * c : min(r1 * c, height)]
        row_cell = (np.arange(block.shape[0]) >> cell_log2).astype(np.int64)
        cell = row_cell[:, None] * gw + col_cell[None, :]
        ncell = (r1 - r0) * gw
        hist = np.bincount((cell * 256 + block).ravel(), minlength=ncell * 256)
        hist = hist.reshape(ncell, 256)
        all_unlabeled = hist[:, :UNLABELED].sum(axis=1) == 0
        # argmax returns the first maximum: ties go to the smallest id.
        winner = np.argmax(hist[:, :UNLABELED], axis=1)
        winner[all_unlabeled] = UNLABELED
        out[r0:r1] = winner.reshape(r1 - r0, gw).astype(np.uint8)
    return out
