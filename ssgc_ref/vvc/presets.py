"""The search settings of the VVC intra encoder's presets (informative: they change which stream is
written, never how it decodes). encoder.py, tree_search.py, cu_search.py, isp.py, mip.py and mrl.py
read them from the picture encoder; nothing else depends on a preset's name.

Every setting's measurement is given where it was made: benchmarks/vvc_presets.py (configs named
there), benchmarks/vvc_speed.py, or an experiment script run against the tree before the change.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRESETS", "Search", "TOOL_DEFAULTS"]


@dataclass(frozen=True)
class Search:
    """One preset's search."""

    n_rd: int  # luma modes compared by RD cost
    prune_ratio: float  # ... within this factor of the best approximate-SATD cost
    n_rd_chroma: int  # chroma modes compared by RD cost
    ctu: int  # default CTU size
    max_mtt_depth: int  # MaxMttDepth (0 = quad-tree only)
    max_bt: int  # MaxBtSizeY (64 with the 64-point transforms, whatever this says)
    lfnst_modes: int  # how many of the best luma modes try LFNST ...
    lfnst_ratio: float  # ... a runner-up only within this factor of the best mode's cost
    skip_levels: int  # a leaf with at most this much luma residual ends the descent (tree_search.py)
    rdoq_final: bool  # RDOQ (or the trellis' two passes) on the chosen modes; the trials quantise without it
    reuse_modes: bool  # a block reached again compares its first coding's candidates
    tt_first_level_only: bool  # ternary splits only at the first multi-type level
    mip_rd: int  # MIP candidates compared by RD cost (mip.py)
    mrl_rd: int  # MRL candidates compared by RD cost, when MRL is on (mrl.py)


PRESETS = {
    "fast": Search(n_rd=1, prune_ratio=1.0, n_rd_chroma=1, ctu=32, max_mtt_depth=0, max_bt=32, lfnst_modes=1,
                   lfnst_ratio=1.0, skip_levels=0, rdoq_final=False,
                   reuse_modes=False, tt_first_level_only=True, mip_rd=1, mrl_rd=0),
    # medium: multi-type depth 1, not 2: depth 2 took 1.80-2.18x the CPU for -0.6..-1.8% luma BD-rate
    # (configs medium-mtt2 / medium, with 8x8 CUs and the compiled ranking); 4 luma modes by RD cost
    # and LFNST on the best 3 (3 and 2 before the compiled mode ranking and prediction): -0.8 / -1.7%
    # luma BD-rate on coffee / astronaut for 1.26 / 1.01x CPU (experiment script, with 8x8 CUs;
    # either change alone gained less: 4 modes -0.2 / -0.7%, LFNST on 3 +0.1 / -1.7%)
    "medium": Search(n_rd=4, prune_ratio=1.25, n_rd_chroma=2, ctu=64, max_mtt_depth=1, max_bt=32, lfnst_modes=3,
                     lfnst_ratio=1.1, skip_levels=1, rdoq_final=True,
                     reuse_modes=True, tt_first_level_only=True, mip_rd=2, mrl_rd=2),
    # slow: medium's pruned search at depth 2, ternary splits at both levels and 4 MIP candidates.
    # Experiment script, CPU against b306d0a's slow in the same interleaved run, luma BD-rate on the
    # face crop / chelsea: 1.77 / 1.81x for -3.8 / -0.8% against medium. The search slow had before
    # (6 RD modes with no SATD limit, 5 chroma, LFNST on all 6, RDOQ in every trial, no early
    # termination, both ISP splits) took 2.8-4.1x b306d0a's slow on the crops; with medium's pruning
    # it took 2.1-2.8x for -0.7 / -0.8% against this preset. One addition at a time to medium at
    # depth 2 (face crop, CPU of that):
    # ternary splits at depth 2 -1.5% (1.13x), MIP 4 -1.5% (1.24x), RDOQ in every trial -1.8% (1.30x),
    # 6 RD modes +0.5% (1.36x), LFNST on 6 -0.4% (1.35x), 5 chroma -0.4% (1.20x), skip level 0 -0.2%
    # (1.20x), both ISP splits +0.2% (1.15x); on top of this preset, RDOQ in every trial -0.4 / -0.4%
    # for 1.08 / 1.17x, and skipping binary splits that rebuild the quad split's blocks (the second
    # binary split, across the first, of a square block) 0.64x for a BD-rate against b306d0a's slow
    # of -12.0% instead of -13.0% (face crop). MaxBtSizeY 64 matters only without the 64-point
    # transforms (they raise it to 64 in every preset): binary splits of 64x64 blocks then give CUs of
    # two 32x32 TUs
    "slow": Search(n_rd=4, prune_ratio=1.25, n_rd_chroma=2, ctu=64, max_mtt_depth=2, max_bt=64, lfnst_modes=3,
                   lfnst_ratio=1.1, skip_levels=1, rdoq_final=True,
                   reuse_modes=True, tt_first_level_only=False, mip_rd=4, mrl_rd=2),
}

# the tools each preset switches on when encode_picture's lfnst / isp / tb64 / sign_hiding / sao / mrl / mip
# are None (tb64 needs CTU 64: off whatever this says when the CTU is 32); sign data hiding is off: with
# this encoder's parity fix it does not pay (benchmarks/vvc_presets.py, configs medium-sdh / fast-sdh);
# MRL is on in medium and slow: with dependent quantisation and 8x8 CUs it changed luma BD-rate by -0.2 /
# -0.5% on astronaut / coffee (without 8x8 CUs -0.1 / -1.4% for 0.97 / 1.17x CPU, configs
# medium-mrl / medium), in slow, on the face crop, +0.05% for 1.02x (experiment script, medium at depth 2);
# dependent quantisation is on in every preset since its trellis is compiled: in medium it changed
# luma BD-rate by -1.4 / -1.3 / -1.9 / -2.1 / -2.4% on astronaut / coffee / chelsea / retina / the
# face crop (+2.9% on the 96x64 crop) for 0.93-1.19x the CPU time (configs medium-dq / medium), in
# fast by -3.0 / -0.3 / -4.0 / +0.1 / -3.1 / -3.7% (the crop included) for 0.82-1.18x (fast-dq /
# fast);
# MIP is on in medium: -0.9 / 0.0 / -3.7 / -0.1% luma BD-rate on astronaut / coffee / chelsea / the
# 200x200 face crop for 1.02-1.34x CPU (configs medium-mip / medium), and in fast: -1.8 / -2.8 / -4.4 /
# -1.9% for 1.04-1.50x (fast-mip / fast)
TOOL_DEFAULTS = {"fast": {"lfnst": True, "isp": False, "tb64": False, "sign_hiding": False, "sao": True,
                          "mrl": False, "dep_quant": True, "mip": True},
                 "medium": {"lfnst": True, "isp": True, "tb64": True, "sign_hiding": False, "sao": True,
                            "mrl": True, "dep_quant": True, "mip": True},
                 "slow": {"lfnst": True, "isp": True, "tb64": True, "sign_hiding": False, "sao": True,
                          "mrl": True, "dep_quant": True, "mip": True}}
