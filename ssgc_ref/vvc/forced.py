"""The encoder's test hook: decisions a test fixes (splits, modes, LFNST, ISP, reference line, MIP), so
that FFmpeg can be checked on streams the rate-distortion search would rarely produce."""

from __future__ import annotations

from .partition import NO_SPLIT, QT

__all__ = ["Forced"]


class Forced:
    """Test hook: fixed decisions. Each method returns None to let the encoder decide."""

    def split(self, x: int, y: int, size: int) -> bool | None:  # pragma: no cover - interface
        """Quad-tree decision of a square block: True = QT split, False = no split."""
        return None

    def split_mode(self, x: int, y: int, w: int, h: int, options: tuple[int, ...]) -> int | None:
        """The split (partition.NO_SPLIT, QT, BT_H, ...) of the block, one of ``options`` (the
        allowed ones); by default the answer of split() for square blocks."""
        if w != h:
            return None
        s = self.split(x, y, w)
        if s is None:
            return None
        want = QT if s else NO_SPLIT
        return want if want in options else None

    def luma_mode(self, x: int, y: int, size: int) -> int | None:  # pragma: no cover
        return None

    def chroma_idx(self, x: int, y: int, size: int) -> int | None:  # pragma: no cover
        return None

    def lfnst_idx(self, x: int, y: int, w: int, h: int) -> int | None:  # pragma: no cover
        """The CU's lfnst_idx (0, 1, 2) when LFNST is on; the encoder falls back to 0 where the CU's
        blocks do not let lfnst_idx be coded."""
        return None

    def isp(self, x: int, y: int, w: int, h: int) -> int | None:  # pragma: no cover
        """IntraSubPartitionsSplitType of the CU: 0 none, 1 horizontal, 2 vertical (used only where
        isp.isp_allowed(); with ISP enabled)."""
        return None

    def ref_idx(self, x: int, y: int, w: int, h: int) -> int | None:  # pragma: no cover
        """intra_luma_ref_idx of the CU (0, 1, 2; used only where it is coded: MRL enabled, the CU
        not on its CTU's top row)."""
        return None

    def mip(self, x: int, y: int, w: int, h: int) -> tuple[int, int] | None:  # pragma: no cover
        """(intra_mip_mode, intra_mip_transposed_flag) to code the CU with (MIP enabled only; no ISP
        or intra_luma_ref_idx then); None = the encoder decides (with a forced luma_mode: regular)."""
        return None

    def mpm_idx(self, x: int, y: int, w: int, h: int) -> int | None:  # pragma: no cover
        """With a forced intra_luma_ref_idx > 0: the MPM index (0..4) of the luma mode."""
        return None
