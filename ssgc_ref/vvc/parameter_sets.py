"""SPS, PPS and slice header (with the picture header inside it) of the SSGC VVC ROI profile.

Fields are written in H.266 syntax order (§7.3.2.4 SPS, §7.3.2.5 PPS, §7.3.2.8 picture header
structure, §7.3.7 slice header) with the specification's names; every tool not used by the
encoder is switched off (see spec/07-roi.md for the profile constraints).
"""

from __future__ import annotations

from dataclasses import dataclass

from .bitwriter import BitWriter

LOG2_MIN_CB = 3  # MinCbSizeY = 8
LOG2_MAX_POC_LSB = 8


@dataclass(frozen=True)
class PictureParams:
    """What the parameter sets depend on."""

    width: int  # coded width: multiple of 8 (MinCbSizeY)
    height: int
    conf_right: int  # conformance window cropping, luma samples (even)
    conf_bottom: int
    bit_depth: int
    qp: int  # SliceQpY
    deblocking: bool = False
    log2_ctu: int = 5  # CtbSizeY = 32 or 64
    max_mtt_depth: int = 0  # MaxMttDepthY of intra slices: 0 = quad-tree only
    log2_max_bt: int = 5  # MaxBtSizeY (with max_mtt_depth > 0; MinQtSizeY = MinCbSizeY)
    log2_max_tt: int = 5  # MaxTtSizeY
    lfnst: bool = False  # sps_lfnst_enabled_flag
    isp: bool = False  # sps_isp_enabled_flag
    sign_hiding: bool = False  # sps_sign_data_hiding_enabled_flag = sh_sign_data_hiding_used_flag
    sao: bool = False  # sps_sao_enabled_flag
    sao_used: bool = False  # sh_sao_luma_used_flag = sh_sao_chroma_used_flag (with sao)
    tb64: bool = False  # sps_max_luma_transform_size_64_flag: MaxTbSizeY 64 (CTU 64 only), else 32
    mrl: bool = False  # sps_mrl_enabled_flag
    dep_quant: bool = False  # sps_dep_quant_enabled_flag = sh_dep_quant_used_flag (no sign hiding then)
    mip: bool = False  # sps_mip_enabled_flag


def _profile_tier_level(w: BitWriter) -> None:
    """profile_tier_level(1, 0) (§7.3.3.1): Main 10, level 6.3, no GCI, no sub-profiles."""
    w.u(7, 1)  # general_profile_idc: Main 10
    w.u(1, 0)  # general_tier_flag
    w.u(8, 105)  # general_level_idc: 6.3
    w.u(1, 1)  # ptl_frame_only_constraint_flag
    w.u(1, 0)  # ptl_multilayer_enabled_flag
    # general_constraints_info()
    w.u(1, 0)  # gci_present_flag
    w.align_zero()  # gci_alignment_zero_bit
    # no sublayers: ptl_sublayer_level_present_flag absent; ptl_reserved_zero_bit alignment
    w.align_zero()
    w.u(8, 0)  # ptl_num_sub_profiles


def sps_rbsp(p: PictureParams) -> bytes:
    w = BitWriter()
    w.u(4, 0)  # sps_seq_parameter_set_id
    w.u(4, 0)  # sps_video_parameter_set_id
    w.u(3, 0)  # sps_max_sublayers_minus1
    w.u(2, 1)  # sps_chroma_format_idc: 4:2:0
    w.u(2, p.log2_ctu - 5)  # sps_log2_ctu_size_minus5
    w.u(1, 1)  # sps_ptl_dpb_hrd_params_present_flag
    _profile_tier_level(w)
    w.u(1, 0)  # sps_gdr_enabled_flag
    w.u(1, 0)  # sps_ref_pic_resampling_enabled_flag
    w.ue(p.width)  # sps_pic_width_max_in_luma_samples
    w.ue(p.height)  # sps_pic_height_max_in_luma_samples
    conf = p.conf_right or p.conf_bottom
    w.u(1, 1 if conf else 0)  # sps_conformance_window_flag
    if conf:
        w.ue(0)  # sps_conf_win_left_offset (units of SubWidthC = 2)
        w.ue(p.conf_right // 2)
        w.ue(0)  # sps_conf_win_top_offset
        w.ue(p.conf_bottom // 2)
    w.u(1, 0)  # sps_subpic_info_present_flag
    w.ue(p.bit_depth - 8)  # sps_bitdepth_minus8
    w.u(1, 0)  # sps_entropy_coding_sync_enabled_flag
    w.u(1, 0)  # sps_entry_point_offsets_present_flag
    w.u(4, LOG2_MAX_POC_LSB - 4)  # sps_log2_max_pic_order_cnt_lsb_minus4
    w.u(1, 0)  # sps_poc_msb_cycle_flag
    w.u(2, 0)  # sps_num_extra_ph_bytes
    w.u(2, 0)  # sps_num_extra_sh_bytes
    # dpb_parameters(0, 0)
    w.ue(0)  # dpb_max_dec_pic_buffering_minus1[0]
    w.ue(0)  # dpb_max_num_reorder_pics[0]
    w.ue(0)  # dpb_max_latency_increase_plus1[0]
    w.ue(LOG2_MIN_CB - 2)  # sps_log2_min_luma_coding_block_size_minus2
    w.u(1, 0)  # sps_partition_constraints_override_enabled_flag
    w.ue(0)  # sps_log2_diff_min_qt_min_cb_intra_slice_luma: MinQtSizeY = MinCbSizeY
    w.ue(p.max_mtt_depth)  # sps_max_mtt_hierarchy_depth_intra_slice_luma (0: QT only)
    if p.max_mtt_depth:
        w.ue(p.log2_max_bt - LOG2_MIN_CB)  # sps_log2_diff_max_bt_min_qt_intra_slice_luma
        w.ue(p.log2_max_tt - LOG2_MIN_CB)  # sps_log2_diff_max_tt_min_qt_intra_slice_luma
    w.u(1, 0)  # sps_qtbtt_dual_tree_intra_flag
    w.ue(0)  # sps_log2_diff_min_qt_min_cb_inter_slice
    w.ue(0)  # sps_max_mtt_hierarchy_depth_inter_slice
    if p.tb64 and p.log2_ctu < 6:
        raise ValueError("sps_max_luma_transform_size_64_flag needs CtbSizeY 64")
    if p.log2_ctu > 5:
        w.u(1, 1 if p.tb64 else 0)  # sps_max_luma_transform_size_64_flag: MaxTbSizeY 64 or 32
    w.u(1, 0)  # sps_transform_skip_enabled_flag
    w.u(1, 0)  # sps_mts_enabled_flag
    w.u(1, 1 if p.lfnst else 0)  # sps_lfnst_enabled_flag
    w.u(1, 0)  # sps_joint_cbcr_enabled_flag
    w.u(1, 1)  # sps_same_qp_table_for_chroma_flag
    w.se(0)  # sps_qp_table_start_minus26[0]
    w.ue(0)  # sps_num_points_in_qp_table_minus1[0]
    w.ue(0)  # sps_delta_qp_in_val_minus1[0][0]
    w.ue(1)  # sps_delta_qp_diff_val[0][0]: qpOutVal step = in_minus1 ^ diff = 1 -> identity mapping
    w.u(1, 1 if p.sao else 0)  # sps_sao_enabled_flag
    w.u(1, 0)  # sps_alf_enabled_flag
    w.u(1, 0)  # sps_lmcs_enabled_flag
    w.u(1, 0)  # sps_weighted_pred_flag
    w.u(1, 0)  # sps_weighted_bipred_flag
    w.u(1, 0)  # sps_long_term_ref_pics_flag
    w.u(1, 0)  # sps_idr_rpl_present_flag
    w.u(1, 1)  # sps_rpl1_same_as_rpl0_flag
    w.ue(0)  # sps_num_ref_pic_lists[0]
    w.u(1, 0)  # sps_ref_wraparound_enabled_flag
    w.u(1, 0)  # sps_temporal_mvp_enabled_flag
    w.u(1, 0)  # sps_amvr_enabled_flag
    w.u(1, 0)  # sps_bdof_enabled_flag
    w.u(1, 0)  # sps_smvd_enabled_flag
    w.u(1, 0)  # sps_dmvr_enabled_flag
    w.u(1, 0)  # sps_mmvd_enabled_flag
    w.ue(5)  # sps_six_minus_max_num_merge_cand (MaxNumMergeCand = 1)
    w.u(1, 0)  # sps_sbt_enabled_flag
    w.u(1, 0)  # sps_affine_enabled_flag
    w.u(1, 0)  # sps_bcw_enabled_flag
    w.u(1, 0)  # sps_ciip_enabled_flag
    # MaxNumMergeCand < 2: sps_gpm_enabled_flag absent
    w.ue(0)  # sps_log2_parallel_merge_level_minus2
    w.u(1, 1 if p.isp else 0)  # sps_isp_enabled_flag
    w.u(1, 1 if p.mrl else 0)  # sps_mrl_enabled_flag
    w.u(1, 1 if p.mip else 0)  # sps_mip_enabled_flag
    w.u(1, 0)  # sps_cclm_enabled_flag
    w.u(1, 1)  # sps_chroma_horizontal_collocated_flag
    w.u(1, 1)  # sps_chroma_vertical_collocated_flag
    w.u(1, 0)  # sps_palette_enabled_flag
    w.u(1, 0)  # sps_ibc_enabled_flag
    w.u(1, 0)  # sps_ladf_enabled_flag
    w.u(1, 0)  # sps_explicit_scaling_list_enabled_flag
    if p.dep_quant and p.sign_hiding:
        raise ValueError("sign data hiding and dependent quantisation exclude each other")
    w.u(1, 1 if p.dep_quant else 0)  # sps_dep_quant_enabled_flag
    w.u(1, 1 if p.sign_hiding else 0)  # sps_sign_data_hiding_enabled_flag
    w.u(1, 0)  # sps_virtual_boundaries_enabled_flag
    w.u(1, 0)  # sps_timing_hrd_params_present_flag
    w.u(1, 0)  # sps_field_seq_flag
    w.u(1, 0)  # sps_vui_parameters_present_flag
    w.u(1, 0)  # sps_extension_flag
    w.rbsp_trailing_bits()
    return w.getvalue()


def pps_rbsp(p: PictureParams) -> bytes:
    w = BitWriter()
    w.u(6, 0)  # pps_pic_parameter_set_id
    w.u(4, 0)  # pps_seq_parameter_set_id
    w.u(1, 0)  # pps_mixed_nalu_types_in_pic_flag
    w.ue(p.width)  # pps_pic_width_in_luma_samples
    w.ue(p.height)  # pps_pic_height_in_luma_samples
    w.u(1, 0)  # pps_conformance_window_flag (inferred from the SPS: same size)
    w.u(1, 0)  # pps_scaling_window_explicit_signalling_flag
    w.u(1, 0)  # pps_output_flag_present_flag
    w.u(1, 1)  # pps_no_pic_partition_flag
    w.u(1, 0)  # pps_subpic_id_mapping_present_flag
    w.u(1, 0)  # pps_cabac_init_present_flag
    w.ue(0)  # pps_num_ref_idx_default_active_minus1[0]
    w.ue(0)  # pps_num_ref_idx_default_active_minus1[1]
    w.u(1, 0)  # pps_rpl1_idx_present_flag
    w.u(1, 0)  # pps_weighted_pred_flag
    w.u(1, 0)  # pps_weighted_bipred_flag
    w.u(1, 0)  # pps_ref_wraparound_enabled_flag
    w.se(p.qp - 26)  # pps_init_qp_minus26
    w.u(1, 0)  # pps_cu_qp_delta_enabled_flag
    w.u(1, 0)  # pps_chroma_tool_offsets_present_flag
    w.u(1, 1)  # pps_deblocking_filter_control_present_flag
    w.u(1, 0)  # pps_deblocking_filter_override_enabled_flag
    w.u(1, 0 if p.deblocking else 1)  # pps_deblocking_filter_disabled_flag
    if p.deblocking:
        w.se(0)  # pps_luma_beta_offset_div2
        w.se(0)  # pps_luma_tc_offset_div2
    w.u(1, 0)  # pps_picture_header_extension_present_flag
    w.u(1, 0)  # pps_slice_header_extension_present_flag
    w.u(1, 0)  # pps_extension_flag
    w.rbsp_trailing_bits()
    return w.getvalue()


def slice_header(w: BitWriter, p: PictureParams) -> None:
    """slice_header() of the single IDR_N_LP I slice, picture header included; ends byte aligned."""
    w.u(1, 1)  # sh_picture_header_in_slice_header_flag
    # picture_header_structure()
    w.u(1, 1)  # ph_gdr_or_irap_pic_flag
    w.u(1, 0)  # ph_non_ref_pic_flag
    w.u(1, 0)  # ph_gdr_pic_flag
    w.u(1, 0)  # ph_inter_slice_allowed_flag (intra only)
    w.ue(0)  # ph_pic_parameter_set_id
    w.u(LOG2_MAX_POC_LSB, 0)  # ph_pic_order_cnt_lsb
    # slice header proper
    w.u(1, 0)  # sh_no_output_of_prior_pics_flag (IDR)
    w.se(0)  # sh_qp_delta: SliceQpY = 26 + pps_init_qp_minus26
    if p.sao:  # pps_sao_info_in_ph_flag is 0 (absent with pps_no_pic_partition_flag)
        w.u(1, 1 if p.sao_used else 0)  # sh_sao_luma_used_flag
        w.u(1, 1 if p.sao_used else 0)  # sh_sao_chroma_used_flag
    # no deblocking override before it
    if p.dep_quant:
        w.u(1, 1)  # sh_dep_quant_used_flag (sh_sign_data_hiding_used_flag is then absent)
    if p.sign_hiding:  # never with dep_quant (sps_rbsp refuses both)
        w.u(1, 1)  # sh_sign_data_hiding_used_flag
    w.byte_alignment()
