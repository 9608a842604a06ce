"""Coding-tree decision of the VVC intra encoder (informative): which split, if any, each block of a
CTU takes, by the rate-distortion cost D + lambda * R of the options coded for real (reconstruction
and CABAC rate estimate), with early pruning:

- a leaf needing (almost) no luma residual ends the descent (skip_levels, presets.py);
- an option is abandoned as soon as the cost of its children coded so far exceeds the best option
  (or the caller's bound): costs are non-negative, so it could only cost more; a block whose only
  option is one CU stops as soon as its luma distortion alone exceeds the caller's bound, before
  the chroma decisions (code_cu's budget; the decision is the same, the work is not done);
- medium/slow: a block reached again through another split path (e.g. a 16x16 block by the quad
  split and by two binary splits) skips the approximate-SATD ranking of its modes and compares by
  RD cost the candidates of its first coding (encoder's reuse_modes);
- at 64x64 the quad split is tried first, and a 64x64 leaf of four 32x32 TUs (MaxTbSizeY 32) only
  when none of its four 32x32 children split further; a 64x64 leaf of one TU (64-point transforms)
  always: it wins in flat regions beside split ones, where it no longer pays for four TUs;
- multi-type splits (binary, ternary) follow the leaf and the quad split: both binary directions,
  then a ternary split only in a direction whose binary split was the best option; medium skips
  ternary splits below the first multi-type level (prune(), tt_first_level_only), slow does not.

The chosen option leaves the reconstruction, the neighbourhood maps and the context states in its
state; the others are undone. The mixin needs the picture encoder's _leaf prerequisites (code_cu,
neighbours, _save/_restore/_restore_empty, lim, forced, lam, skip_levels, max_tb).
"""

from __future__ import annotations

import math

import numpy as np

from .cabac import ContextStates, RateEstimator
from .partition import BT_H, BT_V, NO_SPLIT, QT, TT_H, TT_V, Node, allowed_splits, children, split_bins
from .syntax import CodingUnit, write_coding_unit

MIN_CB = 8
BIG = 32  # a block with a side above this (64) is searched quad split first
_TT_OF_BT = {BT_H: TT_H, BT_V: TT_V}


def _loosen(bound: float) -> float:
    """A child's bound from its parent's remaining budget, widened past any rounding of the parent's
    running sum: a child cost above it keeps the parent's sum above the parent's bound."""
    return bound + 1e-9 * abs(bound) + 1e-6


def _luma_level_sum(cu: CodingUnit) -> int:
    """Sum of |luma levels| of the CU, counting a level off the DC position as 2."""
    total = 0
    for tu in cu.tus:
        if tu[0] is not None:
            a = np.abs(tu[0])
            total += 2 * int(a.sum()) - int(a[0, 0])
    return total


def _has_split(tree) -> bool:
    return tree[0] == "split"


class TreeSearch:
    """Mixin of the picture encoder: code_tree() and the options it compares."""

    def prune(self, n: Node, split: int, inside: bool) -> bool:
        """Options the search skips when binary splits are available: ternary splits below the first
        multi-type level (presets with tt_first_level_only: medium). (medium skipped the quad split
        of 16x16 blocks too, so it had no 8x8 CUs, until the compiled mode ranking and prediction
        left time for them: with them luma BD-rate changed by -1.2 / -1.7 / -0.1 / -1.3 / -0.8% on
        astronaut / coffee / chelsea / the face / 96x64 crops for 0.95-1.30x the CPU, experiment
        script, interleaved.)"""
        if not inside or not self.tt_first_level_only or self.lim.max_mtt_depth == 0:
            return False
        return split in (TT_H, TT_V) and n.mtt_depth >= 1

    def _leaf(self, n: Node, allowed, ctx: ContextStates, bound: float = math.inf):
        """Code the block as one CU: (('cu', bins, cu), cost), or (None, inf) when its cost is
        sure to exceed ``bound`` (the caller then drops it and restores its state)."""
        est = RateEstimator(ctx)
        bins = split_bins(NO_SPLIT, allowed, n, True, self.neighbours(n.x, n.y))
        for ci, b in bins:
            est.bin(ci, b)
        # the CU's cost is at least its distortion plus the split bins' (the rest of its rate >= 0)
        cu, dist = self.code_cu(n, ctx, (_loosen(bound) - self.lam * est.bits) if bound < math.inf else math.inf)
        if cu is None:
            return None, math.inf
        write_coding_unit(est, cu)
        return ("cu", bins, cu), dist + self.lam * est.bits

    def _split(self, n: Node, split: int, allowed, inside: bool, ctx: ContextStates, bound: float = math.inf):
        """Code the block split by ``split``: (('split', bins, children), cost), or None as soon as
        the cost of the children coded so far exceeds ``bound`` (the caller restores its state)."""
        est = RateEstimator(ctx)
        bins = split_bins(split, allowed, n, inside, self.neighbours(n.x, n.y))
        for ci, b in bins:
            est.bin(ci, b)
        cost = self.lam * est.bits
        kids = []
        for c in children(self.lim, n, split):
            t, cc = self.code_tree(c, ctx, _loosen(bound - cost))
            kids.append(t)
            cost += cc
            if cost > bound:
                return None
        return ("split", bins, kids), cost

    def code_tree(self, n: Node, ctx: ContextStates, bound: float = math.inf):
        """Decide the coding tree of node ``n``. Returns (tree, cost): tree is ('cu', bins,
        CodingUnit) or ('split', bins, [children]), bins the (context, bin) pairs of its split
        syntax; ctx, the reconstruction and the maps are left in the chosen option's state.

        ``bound``: the caller drops this node's option when its cost exceeds ``bound``; an option
        costing more may then be returned in place of a better one, or (None, inf) when every option
        was abandoned (the caller's decision is the same as with the full search)."""
        x, y, w, h = n.x, n.y, n.w, n.h
        inside = x + w <= self.W and y + h <= self.H
        allowed = allowed_splits(self.lim, n)
        splits = [s for s in (QT, BT_H, BT_V, TT_H, TT_V) if allowed[s]]
        options = ([NO_SPLIT] if inside else []) + splits
        fs = self.forced.split_mode(x, y, w, h, tuple(options)) if self.forced else None
        if fs is not None:
            options = [fs]
        if len(options) == 1:
            if options[0] == NO_SPLIT:
                return self._leaf(n, allowed, ctx, bound)
            return self._split(n, options[0], allowed, inside, ctx)
        snap0 = ctx.snapshot()
        best = None  # (tree, cost)
        best_state = None  # (picture state, context snapshot) of best, when not the current state
        evaluated = False

        def start() -> None:
            nonlocal evaluated, best_state
            if evaluated:
                if best is not None and best_state is None:
                    best_state = (self._save(x, y, w, h), ctx.snapshot())
                ctx.restore(snap0)
                self._restore_empty(x, y, w, h)
            evaluated = True

        def offer(res) -> bool:
            """Keep ``res`` if it beats the best so far; True when it does."""
            nonlocal best, best_state
            if res is not None and (best is None or res[1] < best[1]):
                best, best_state = res, None
                return True
            return False

        big = w > BIG or h > BIG
        if big and QT in options:
            # 64x64: the quad split first; a leaf of several TUs only when no 32x32 child split further
            start()
            qt = self._split(n, QT, allowed, inside, ctx)
            offer(qt)
            for s in options:
                if s in (BT_H, BT_V):
                    start()
                    offer(self._split(n, s, allowed, inside, ctx, min(best[1], bound)))
            several_tus = w > self.max_tb or h > self.max_tb
            if NO_SPLIT in options and not (fs is None and several_tus and any(map(_has_split, qt[0][2]))):
                start()
                offer(self._leaf(n, allowed, ctx))
        else:
            if NO_SPLIT in options:
                start()
                leaf = self._leaf(n, allowed, ctx)
                offer(leaf)
                # a CU predicted well enough to need (almost) no luma residual is not split
                if fs is None and _luma_level_sum(leaf[0][2]) <= self.skip_levels:
                    return leaf
            bt_won = set()
            for s in (QT, BT_H, BT_V, TT_H, TT_V):
                if s not in options or (fs is None and self.prune(n, s, inside)):
                    continue
                if s in (TT_H, TT_V) and (BT_H if s == TT_H else BT_V) not in bt_won:
                    continue  # the binary split in this direction did not win: neither will this
                start()
                if s in (BT_H, BT_V):
                    # bounded by the best so far only, so that whether it wins (and the ternary
                    # split is tried) does not depend on the caller's bound
                    if offer(self._split(n, s, allowed, inside, ctx, best[1] if best else math.inf)):
                        bt_won.add(s)
                else:
                    offer(self._split(n, s, allowed, inside, ctx, min(best[1], bound) if best else bound))
        if best is None:  # every option was abandoned past the bound: the caller abandons its own
            return None, math.inf
        if best_state is not None:
            self._restore(x, y, w, h, best_state[0])
            ctx.restore(best_state[1])
        return best
