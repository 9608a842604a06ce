"""Design ablation of the LABL coding (spec §4): the variants §4 was chosen against, measured.

A configurable re-implementation of the rank/escape coder family over the same range coder and
integer models (ssgc_format.entropy). The configuration "chosen" is spec §4; the script first
checks that it produces exactly the bytes of ssgc_format.labelmap on every map, so the other rows
differ from §4 only by the stated change. Maps: those of benchmarks/labelmap.py (real photographs
turned into label maps by CLUSTERING, not by a COCO-Stuff segmenter; synthetic maps), grouped.

Run: ``python benchmarks/labelmap_ablation.py`` (prints a table, writes
labelmap_ablation.json in --out DIR, default out/benchmarks/).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import labelmap as bench  # noqa: E402  (benchmarks/labelmap.py: the map sources)

from ssgc_format import labelmap as lm  # noqa: E402
from ssgc_format.entropy import AdaptiveModel, RangeEncoder, StaticModel  # noqa: E402

ABSENT = -1
RESULTS_NAME = "labelmap_ablation.json"


def ctx_positions(nb, cands):
    """§4.3.2: each neighbour's position in the candidate list (0 = absent)."""
    w, n, ne, nw = nb[:4]
    return tuple(0 if v == ABSENT else cands.index(v) + 1 for v in (w, n, ne, nw))


def ctx_k(nb, cands):
    return len(cands)


def ctx_classes9(nb, cands):
    """The first design: k and a few agreement classes (9 contexts)."""
    w, n, ne, nw = nb[:4]
    k = len(cands)
    if k == 1:
        return 0 if (w != ABSENT and n != ABSENT) else 1
    if k == 2:
        return 2 if w == n else (3 if (n == ne or n == nw) else 4)
    if k == 3:
        return 5 if w == n else (6 if (n == ne or n == nw or w == nw) else 7)
    return 8


def ctx_positions_far(nb, cands):
    """§4.3.2 plus whether WW and NN equal the first candidate."""
    ww, nn = nb[4:]
    return ctx_positions(nb, cands) + ((ww == cands[0]), (nn == cands[0]))


CHOSEN = dict(ctx=ctx_positions, escape="exclude", binary=False, rank_inc=lm.RANK_INCREMENT,
              rank_limit=lm.RANK_LIMIT, rank_init0=lm.RANK_INIT_ZERO, label_inc=lm.LABEL_INCREMENT,
              label_limit=lm.LABEL_LIMIT)

VARIANTS = {
    "chosen (spec §4)": {},
    "ctx = k only": dict(ctx=ctx_k),
    "ctx = 9 agreement classes": dict(ctx=ctx_classes9),
    "ctx = positions + WW/NN": dict(ctx=ctx_positions_far),
    "escape: no exclusion": dict(escape="plain"),
    "escape: move-to-front index": dict(escape="mtf"),
    "rank as binary decisions": dict(binary=True),
    "rank increment 24": dict(rank_inc=24),
    "rank increment 32": dict(rank_inc=32),
    "rank limit 2^11": dict(rank_limit=1 << 11),
    "rank limit 2^16": dict(rank_limit=1 << 16),
    "rank init0 1": dict(rank_init0=1),
    "rank init0 16": dict(rank_init0=16),
    "label increment 16": dict(label_inc=16),
    "label increment 64": dict(label_inc=64),
    "label limit 2^11": dict(label_limit=1 << 11),
}


def encode(a: np.ndarray, cfg: dict) -> bytes:
    enc = RangeEncoder()
    ranks: dict = {}
    label = AdaptiveModel(lm.NUM_LABELS, increment=cfg["label_inc"], limit=cfg["label_limit"])
    mtf = list(range(lm.NUM_LABELS))
    h, w = a.shape
    g = [[ABSENT] * (w + 4) for _ in range(h + 2)]  # two rows / columns of ABSENT padding

    def rank_model(key, n):
        if key not in ranks:
            ranks[key] = AdaptiveModel(n, [cfg["rank_init0"]] + [1] * (n - 1),
                                       increment=cfg["rank_inc"], limit=cfg["rank_limit"])
        return ranks[key]

    for y in range(h):
        for x in range(w):
            yy, xx = y + 2, x + 2
            nb = (g[yy][xx - 1], g[yy - 1][xx], g[yy - 1][xx + 1], g[yy - 1][xx - 1],
                  g[yy][xx - 2], g[yy - 2][xx])  # W N NE NW WW NN
            cands = []
            for v in nb[:4]:
                if v != ABSENT and v not in cands:
                    cands.append(v)
            k, lab = len(cands), int(a[y, x])
            rank = cands.index(lab) if lab in cands else k
            if k and cfg["binary"]:  # "is it candidate i?" decisions, context per candidate
                for i, v in enumerate(cands[:rank + 1] if rank < k else cands):
                    nbv = tuple(u == v for u in nb[:4])
                    enc.encode(int(i != rank), rank_model(("b", i, k) + nbv, 2))
            elif k:
                enc.encode(rank, rank_model(cfg["ctx"](nb, cands), k + 1))
            if rank == k:
                if cfg["escape"] == "mtf":
                    order = [v for v in mtf if v not in cands]
                    enc.encode(order.index(lab), label)
                    mtf.remove(lab)
                    mtf.insert(0, lab)
                elif cfg["escape"] == "exclude" and k:
                    counts = np.array(label.counts, dtype=np.int64)
                    counts[cands] = 0
                    enc.encode(lab, StaticModel(counts))
                    label.update(lab)
                else:
                    enc.encode(lab, label)
            g[yy][xx] = lab
    return enc.to_bytes()


def group_of(name: str) -> str:
    src = name.split("/")[1] if "/" in name else ""
    for key in ("kmeans8-smooth", "kmeans", "slic", "superpixel"):
        if key in src:
            return "superpixel(ssgc_ref)" if key == "superpixel" else key
    return "noise" if name.startswith("noise") else "synthetic"


def main() -> None:
    from results_dir import results_dir

    out_dir = results_dir()  # --out DIR, parsed before the work
    maps = {**bench.real_maps(), **bench.synthetic_maps()}
    for name, a in maps.items():  # the harness is the spec's coder when configured as §4
        assert encode(a, CHOSEN) == lm.encode_label_map(a), f"harness differs from §4 on {name}"
    groups = sorted({group_of(n) for n in maps})
    rows = []
    for label, change in VARIANTS.items():
        cfg = {**CHOSEN, **change}
        totals = dict.fromkeys(groups, 0)
        for name, a in maps.items():
            totals[group_of(name)] += len(encode(a, cfg))
        rows.append({"variant": label, **totals, "total": sum(totals.values())})
    print("LABL design ablation: total bytes per map group (maps from benchmarks/labelmap.py; "
          "'real' maps are CLUSTERING-derived, not a COCO-Stuff segmenter)")
    print(f"{'variant':32s}" + "".join(f"{g:>22s}" for g in groups) + f"{'total':>9s}")
    for r in rows:
        print(f"{r['variant']:32s}" + "".join(f"{r[g]:>22d}" for g in groups) + f"{r['total']:>9d}")
    RESULTS = out_dir / RESULTS_NAME
    RESULTS.write_text(json.dumps({"maps": len(maps), "groups": {g: sum(group_of(n) == g for n in maps)
                                                                  for g in groups}, "rows": rows}, indent=1))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
