"""CABAC context variables used by the SSGC VVC profile: initValue (initType 0, I slices) and
shiftIdx per ctxIdx (H.266 §9.3.2.2, Tables 51..127), and the context-state initialisation.

Only the syntax elements an intra, single-tree, DCT-II-only stream codes are listed.
Every number was checked by decoding streams with FFmpeg's native decoder (tests/test_vvc_*).
"""

from __future__ import annotations

# name: (initValue list for initType 0, shiftIdx list)
_TABLES: dict[str, tuple[list[int], list[int]]] = {
    "split_cu_flag": ([19, 28, 38, 27, 29, 38, 20, 30, 31], [12, 13, 8, 8, 13, 12, 5, 9, 9]),
    "split_qt_flag": ([27, 6, 15, 25, 19, 37], [0, 8, 8, 12, 12, 8]),
    "mtt_split_cu_vertical_flag": ([43, 42, 29, 27, 44], [9, 8, 9, 8, 5]),
    "mtt_split_cu_binary_flag": ([36, 45, 36, 45], [12, 13, 12, 13]),
    "intra_mip_flag": ([33, 49, 50, 25], [9, 10, 9, 6]),
    "intra_subpartitions_mode_flag": ([33], [9]),
    "intra_subpartitions_split_flag": ([43], [2]),
    "intra_luma_mpm_flag": ([45], [6]),
    "intra_luma_not_planar_flag": ([13, 28], [1, 5]),
    "intra_chroma_pred_mode": ([34], [5]),
    "tu_y_coded_flag": ([15, 12, 5, 7], [5, 1, 8, 9]),
    "tu_cb_coded_flag": ([12, 21], [5, 0]),
    "tu_cr_coded_flag": ([33, 28, 36], [2, 1, 0]),
    "last_sig_coeff_x_prefix": (
        [13, 5, 4, 21, 14, 4, 6, 14, 21, 11, 14, 7, 14, 5, 11, 21, 30, 22, 13, 42, 12, 4, 3],
        [8, 5, 4, 5, 4, 4, 5, 4, 1, 0, 4, 1, 0, 0, 0, 0, 1, 0, 0, 0, 5, 4, 4],
    ),
    "last_sig_coeff_y_prefix": (
        [13, 5, 4, 6, 13, 11, 14, 6, 5, 3, 14, 22, 6, 4, 3, 6, 22, 29, 20, 34, 12, 4, 3],
        [8, 5, 8, 5, 5, 4, 5, 5, 4, 0, 5, 4, 1, 0, 0, 1, 4, 0, 0, 0, 6, 5, 5],
    ),
    "sb_coded_flag": ([18, 31, 25, 15, 18, 20, 38], [8, 5, 5, 8, 5, 8, 8]),
    "sig_coeff_flag": (
        [25, 19, 28, 14, 25, 20, 29, 30, 19, 37, 30, 38, 11, 38, 46, 54,
         27, 39, 39, 39, 44, 39, 39, 39, 18, 39, 39, 39, 27, 39, 39, 39,
         0, 39, 39, 39, 25, 27, 28, 37, 34, 53, 53, 46, 19, 46, 38, 39,
         52, 39, 39, 39, 11, 39, 39, 39, 19, 39, 39, 39, 25, 28, 38],
        [12, 9, 9, 10, 9, 9, 9, 10, 8, 8, 8, 10, 9, 13, 8, 8,
         8, 8, 8, 5, 8, 0, 0, 0, 8, 8, 8, 8, 8, 0, 4, 4,
         0, 0, 0, 0, 12, 12, 9, 13, 4, 5, 8, 9, 8, 12, 12, 8,
         4, 0, 0, 0, 8, 8, 8, 8, 4, 0, 0, 0, 13, 13, 8],
    ),
    "par_level_flag": (
        [33, 25, 18, 26, 34, 27, 25, 26, 19, 42, 35, 33, 19, 27, 35, 35,
         34, 42, 20, 43, 20, 33, 25, 26, 42, 19, 27, 26, 50, 35, 20, 43, 11],
        [8, 9, 12, 13, 13, 13, 10, 13, 13, 13, 13, 13, 13, 13, 13, 13,
         10, 13, 13, 13, 13, 8, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 6],
    ),
    "abs_level_gtx_flag": (
        [25, 25, 11, 27, 20, 21, 33, 12, 28, 21, 22, 34, 28, 29, 29, 30,
         36, 29, 45, 30, 23, 40, 33, 27, 28, 21, 37, 36, 37, 45, 38, 46,
         25, 1, 40, 25, 33, 11, 17, 25, 25, 18, 4, 17, 33, 26, 19, 13,
         33, 19, 20, 28, 22, 40, 9, 25, 18, 26, 35, 25, 26, 35, 28, 37,
         11, 5, 5, 14, 10, 3, 3, 3],
        [9, 5, 10, 13, 13, 10, 9, 10, 13, 13, 13, 9, 10, 10, 10, 13,
         8, 9, 10, 10, 13, 8, 8, 9, 12, 12, 10, 5, 9, 9, 9, 13,
         1, 5, 9, 9, 9, 6, 5, 9, 10, 10, 9, 9, 9, 9, 9, 9,
         6, 8, 9, 9, 10, 1, 5, 8, 8, 9, 6, 6, 9, 8, 8, 9,
         4, 2, 1, 6, 1, 1, 1, 1],
    ),
    "lfnst_idx": ([28, 52, 42], [9, 9, 10]),
    # sao_merge_left_flag and sao_merge_up_flag share one context, the luma and chroma
    # sao_type_idx another (their first bin)
    "sao_merge_flag": ([60], [0]),
    "sao_type_idx": ([13], [4]),
    "intra_luma_ref_idx": ([25, 60], [5, 8]),
}

OFFSET: dict[str, int] = {}
INIT_VALUE: list[int] = []
SHIFT_IDX: list[int] = []
for _name, (_iv, _sh) in _TABLES.items():
    assert len(_iv) == len(_sh), _name
    OFFSET[_name] = len(INIT_VALUE)
    INIT_VALUE += _iv
    SHIFT_IDX += _sh
NUM_CTX = len(INIT_VALUE)

SPLIT_CU = OFFSET["split_cu_flag"]
SPLIT_QT = OFFSET["split_qt_flag"]
MTT_VER = OFFSET["mtt_split_cu_vertical_flag"]
MTT_BIN = OFFSET["mtt_split_cu_binary_flag"]
MIP_FLAG = OFFSET["intra_mip_flag"]
ISP_MODE = OFFSET["intra_subpartitions_mode_flag"]
ISP_SPLIT = OFFSET["intra_subpartitions_split_flag"]
MPM_FLAG = OFFSET["intra_luma_mpm_flag"]
NOT_PLANAR = OFFSET["intra_luma_not_planar_flag"]
CHROMA_MODE = OFFSET["intra_chroma_pred_mode"]
TU_Y = OFFSET["tu_y_coded_flag"]
TU_CB = OFFSET["tu_cb_coded_flag"]
TU_CR = OFFSET["tu_cr_coded_flag"]
LAST_X = OFFSET["last_sig_coeff_x_prefix"]
LAST_Y = OFFSET["last_sig_coeff_y_prefix"]
SB_CODED = OFFSET["sb_coded_flag"]
SIG = OFFSET["sig_coeff_flag"]
PAR = OFFSET["par_level_flag"]
GTX = OFFSET["abs_level_gtx_flag"]
LFNST_IDX = OFFSET["lfnst_idx"]
SAO_MERGE = OFFSET["sao_merge_flag"]
SAO_TYPE = OFFSET["sao_type_idx"]
REF_IDX = OFFSET["intra_luma_ref_idx"]


def init_states(slice_qp: int) -> tuple[list[int], list[int], list[int], list[int]]:
    """Initial (state0, state1, shift0, shift1) of every context for SliceQpY (§9.3.2.2):
    m = (initValue >> 3) - 4, n = (initValue & 7) * 18 + 1,
    preCtxState = Clip3(1, 127, ((m * (Clip3(0, 63, SliceQpY) - 16)) >> 1) + n),
    pStateIdx0 = preCtxState << 3, pStateIdx1 = preCtxState << 7,
    shift0 = (shiftIdx >> 2) + 2, shift1 = (shiftIdx & 3) + 3 + shift0."""
    qp = min(max(slice_qp, 0), 63)
    s0, s1, r0, r1 = [], [], [], []
    for iv, si in zip(INIT_VALUE, SHIFT_IDX):
        m = (iv >> 3) - 4
        n = (iv & 7) * 18 + 1
        pre = min(max(((m * (qp - 16)) >> 1) + n, 1), 127)
        s0.append(pre << 3)
        s1.append(pre << 7)
        a = (si >> 2) + 2
        r0.append(a)
        r1.append((si & 3) + 3 + a)
    return s0, s1, r0, r1
