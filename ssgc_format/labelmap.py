"""LABL payload: the segmentation label map. Implements spec §4 (label set: Annex A).

The label map is a grid of ``grid_h × grid_w`` cells, each cell covering ``2^k × 2^k`` pixels
(``k = label_cell_log2`` of the header; partial cells at the right and bottom edges are normal).
Each cell holds one label of label set 1: ids 0..181 are COCO-Stuff ids 1..182 (the generator's
one-hot channels) and id 182 is "unlabeled" (COCO-Stuff id 0, no channel).

Coding (§4.3), one range-coded stream (§3), cells in raster order:

* the *candidate list* of a cell is the distinct labels of its causal neighbours
  W, N, NE, NW (in that order, absent neighbours and duplicates dropped), ``k = len(list)``;
* the cell is coded as its *rank* in that list (0..k-1), or the escape symbol ``k`` followed by
  the label itself, coded with one adaptive 183-symbol model from which the candidates are
  excluded (their counts taken as 0 for that symbol);
* the rank model is chosen by a context: the position in the list of each of the four
  neighbours (0 = absent), so it says which neighbours agree and where the grid ends (§4.3.2).

Rank 0 is "same as W" wherever W is present, so long runs cost a few hundredths of a bit per cell.

Symbol → meaning
    k        number of candidates of the current cell (0..4)
    rank     position of the cell's label in the candidate list, or ``k`` for escape
    t_X      position of neighbour X's label in the candidate list, 1..k, or 0 if X is absent
    ctx      index of the rank model, 125·t_W + 25·t_N + 5·t_NE + t_NW (§4.3.2)
"""

from __future__ import annotations

import csv
import functools
from importlib import resources
from typing import Any

import numpy as np

from ssgc_format.entropy import AdaptiveModel, RangeDecoder, RangeEncoder, StaticModel
from ssgc_format.errors import FormatError, InputError, LimitError

LABEL_SET_COCO_STUFF_182 = 1
UNLABELED = 182
NUM_LABELS = 183

# §4.1: checked before decoding. Decoding is sequential (a few microseconds a cell here), so the
# limit bounds its time: 2^18 cells are the default 16-px grid of the largest picture.
MAX_GRID_CELLS = 1 << 18
CHUNK = "LABL"

# Normative model constants (§4.2). Chosen by benchmarks/labelmap.py.
RANK_INCREMENT = 16
RANK_LIMIT = 1 << 13
RANK_INIT_ZERO = 4  # initial count of rank 0 ("same as the first candidate"); other symbols 1
LABEL_INCREMENT = 32
LABEL_LIMIT = 1 << 13
LABEL_INIT = 1

_ABSENT = -1


def label_grid_size(width: int, height: int, cell_log2: int) -> tuple[int, int]:
    """``(grid_h, grid_w) = (⌈height / 2^k⌉, ⌈width / 2^k⌉)`` (§4.1). Requires positive sizes."""
    if width < 1 or height < 1 or not 0 <= cell_log2 <= 15:
        raise InputError(f"bad label grid geometry: {width}x{height}, cell_log2={cell_log2}")
    s = cell_log2
    return (height + (1 << s) - 1) >> s, (width + (1 << s) - 1) >> s


@functools.lru_cache(maxsize=4096)
def _rank_categorical(counts: tuple[int, ...]) -> Any:
    # A rank model's counts revisit the same states (runs of rank 0 between halvings), so
    # caching the table by counts saves rebuilding it; the table is a function of the counts.
    return StaticModel(counts).categorical()


class _RankModel(AdaptiveModel):
    """An AdaptiveModel (§3.4) whose tables are cached by count state; codes identically."""

    __slots__ = ()

    def categorical(self) -> Any:
        return _rank_categorical(tuple(self.counts))


class _Models:
    """The adaptive state of one LABL stream: rank models per context and the label model."""

    __slots__ = ("_rank", "label")

    def __init__(self) -> None:
        self._rank: dict[int, AdaptiveModel] = {}  # created at first use: same as all up front
        self.label = AdaptiveModel(NUM_LABELS, [LABEL_INIT] * NUM_LABELS,
                                   increment=LABEL_INCREMENT, limit=LABEL_LIMIT)

    def rank(self, ctx: int, k: int) -> AdaptiveModel:
        """The rank model of context ``ctx`` (k + 1 symbols: ranks 0..k-1 and the escape k)."""
        model = self._rank.get(ctx)
        if model is None:
            model = self._rank[ctx] = _RankModel(k + 1, [RANK_INIT_ZERO] + [1] * k,
                                                    increment=RANK_INCREMENT, limit=RANK_LIMIT)
        return model

    def excluded(self, cands: list[int]) -> StaticModel:
        """The label model with the candidates' counts taken as 0 (§4.3.3)."""
        counts = np.array(self.label.counts, dtype=np.int64)
        counts[cands] = 0
        return StaticModel(counts)


def _neighbours(prev: list[int], cur: list[int], x: int) -> tuple[int, int, int, int]:
    """(W, N, NW, NE) from the padded previous/current rows (index x+1 is column x)."""
    return cur[x], prev[x + 1], prev[x], prev[x + 2]


def _candidates(w: int, n: int, nw: int, ne: int) -> tuple[list[int], int]:
    """Candidate list and context of a cell (§4.3.1, §4.3.2).

    The candidates are the distinct present labels among W, N, NE, NW, in that order. Each
    neighbour gets its position ``t`` = 0 if absent, else 1 + its label's index in the list;
    the context is ``ctx = 125·t_W + 25·t_N + 5·t_NE + t_NW`` (0..624).
    """
    cands: list[int] = []
    ctx = 0
    for v in (w, n, ne, nw):
        t = 0
        if v != _ABSENT:
            if v not in cands:
                cands.append(v)
            t = cands.index(v) + 1
        ctx = 5 * ctx + t
    return cands, ctx


def _padded_row(width: int) -> list[int]:
    return [_ABSENT] * (width + 2)


def encode_label_map(labels: np.ndarray) -> bytes:
    """Code a label map (uint8 or integer array of shape (grid_h, grid_w), values 0..182).

    Deterministic: the same map always gives the same bytes. Raises InputError for a bad map.
    """
    a = np.asarray(labels)
    if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1 or not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"label map must be a non-empty 2-D integer array, got {a.dtype} {a.shape}")
    if int(a.min()) < 0 or int(a.max()) >= NUM_LABELS:
        raise InputError(f"labels must lie in 0..{NUM_LABELS - 1}, got {int(a.min())}..{int(a.max())}")
    if a.size > MAX_GRID_CELLS:
        raise InputError(f"label grid of {a.size} cells exceeds {MAX_GRID_CELLS}")
    grid_h, grid_w = a.shape
    enc = RangeEncoder()
    models = _Models()
    prev = _padded_row(grid_w)
    rows = a.tolist()
    for y in range(grid_h):
        cur = _padded_row(grid_w)
        row = rows[y]
        for x in range(grid_w):
            label = row[x]
            w, n, nw, ne = _neighbours(prev, cur, x)
            cands, ctx = _candidates(w, n, nw, ne)
            k = len(cands)
            if k:
                rank = cands.index(label) if label in cands else k
                enc.encode(rank, models.rank(ctx, k))
            if not k or rank == k:
                enc.encode(label, models.excluded(cands) if k else models.label)
                if k:
                    models.label.update(label)
            cur[x + 1] = label
        prev = cur
    return enc.to_bytes()


def decode_label_map(data: bytes, grid_h: int, grid_w: int) -> np.ndarray:
    """Decode a LABL payload into a uint8 array (grid_h, grid_w) with values 0..182.

    Raises FormatError (chunk "LABL") for data the range decoder rejects and LimitError for a
    grid larger than MAX_GRID_CELLS. A damaged payload may also decode to a wrong map without
    error: the container's CRC-32 is what detects damage (§2.6).
    """
    if grid_h < 1 or grid_w < 1:
        raise FormatError(f"label grid {grid_h}x{grid_w} is empty", chunk=CHUNK)
    if grid_h * grid_w > MAX_GRID_CELLS:
        raise LimitError(f"label grid of {grid_h * grid_w} cells exceeds {MAX_GRID_CELLS}",
                         chunk=CHUNK)
    dec = RangeDecoder(bytes(data), chunk=CHUNK)
    models = _Models()
    out = []
    prev = _padded_row(grid_w)
    for _ in range(grid_h):
        cur = _padded_row(grid_w)
        for x in range(grid_w):
            w, n, nw, ne = _neighbours(prev, cur, x)
            cands, ctx = _candidates(w, n, nw, ne)
            k = len(cands)
            rank = dec.decode(models.rank(ctx, k)) if k else 0
            if rank < k:
                label = cands[rank]
            elif k:
                label = dec.decode(models.excluded(cands))
                models.label.update(label)
            else:
                label = dec.decode(models.label)
            cur[x + 1] = label
        out.append(cur[1:-1])
        prev = cur
    return np.array(out, dtype=np.uint8)


def upsample_label_map(labels: np.ndarray, width: int, height: int, cell_log2: int) -> np.ndarray:
    """Full-resolution label image (§4.4, normative): pixel (y, x) takes cell (y >> k, x >> k).

    ``labels`` must have the shape ``label_grid_size(width, height, cell_log2)``.
    Returns uint8 (height, width).
    """
    gh, gw = label_grid_size(width, height, cell_log2)
    a = np.asarray(labels)
    if a.shape != (gh, gw):
        raise InputError(f"label map {a.shape} does not match grid {(gh, gw)} of {width}x{height}")
    ys = np.arange(height) >> cell_log2
    xs = np.arange(width) >> cell_log2
    return np.asarray(a.astype(np.uint8)[ys[:, None], xs[None, :]])


@functools.lru_cache(maxsize=1)
def _label_table() -> tuple[tuple[int, int, str, str], ...]:
    text = resources.files("ssgc_format").joinpath("data/cocostuff-182.tsv").read_text("utf-8")
    rows = [r for r in csv.reader((ln for ln in text.splitlines() if not ln.startswith("#")),
                                  delimiter="\t")]
    table = [(int(r[0]), int(r[1]), r[2], r[4]) for r in rows[1:] if r]
    if [t[0] for t in table] != list(range(UNLABELED)):
        raise RuntimeError("packaged cocostuff-182.tsv is corrupt")  # packaging bug, not input
    return tuple(table) + ((UNLABELED, 0, "none", "unlabeled"),)


def label_names() -> list[str]:
    """Names of label set 1, indexed by label id 0..182 (Annex A)."""
    return [t[3] for t in _label_table()]
