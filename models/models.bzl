"""Which models of this directory are compiled and checked bit-exact against TFLite Micro.

models/BUILD.bazel fails to load if a .tflite file is in neither list.
"""

load("//platforms:boards.bzl", "BOARDS")

# Models that are not meant to compile (error-path tests, checked by
# //tools/tinymlc:test_zoo_errors), or that TFLite Micro cannot run (it has no GELU kernel),
# so there is no reference to match.
# Emulated boards every checked model runs on as firmware (Cortex-M4, Cortex-M33 core 0,
# Cortex-M55 with Helium, RISC-V rv32imac, Xtensa LX with the ESP32-S3's instruction set but
# MUL32_HIGH): one per instruction set family the kernels are compiled for.
FIRMWARE_TEST_BOARDS = [
    "mps2_an386",
    "mps2_an521",
    "mps3_an547",
    "riscv32_virt",
    "xtensa_sim",
]

# Flash a firmware image of several whole models may fill. Boards with less (the M55's
# 512 KiB ITCM) check such models one image each.
GROUPED_WHOLE_MODELS_FLASH_BYTES = 2 * 1024 * 1024

def boards_fitting_grouped_whole_models(boards, fits):
    """`boards` whose flash holds (`fits` True) or does not hold (False) grouped whole models.

    Args:
      boards: board names of //platforms:boards.bzl.
      fits: which of the two sets to return.

    Returns:
      The boards of that set, in order.
    """
    return [
        board
        for board in boards
        if (BOARDS[board].flash.length >= GROUPED_WHOLE_MODELS_FLASH_BYTES) == fits
    ]

# Multi-core emulated boards every checked model runs on with all cores (2 Cortex-M33; 2 and 4
# RISC-V harts).
MULTICORE_FIRMWARE_TEST_BOARDS = [
    "mps2_an521",
    "riscv32_virt_smp2",
    "riscv32_virt_smp4",
]

NOT_CHECKED_MODELS = [
    "bad_unsupported_op",
    "op_gelu_approximate",
    "op_gelu_exact",
]

CHECKED_MODELS = [
    "bad_float_model",
    "ds_cnn_kws",
    "ds_cnn_kws_16x8",
    "fc_autoencoder",
    "float_cnn",
    "float_mlp_regressor",
    "lstm_kws",
    "micro_speech",
    "mobilenet_v1_025_vww",
    "op_abs",
    "op_add_broadcast",
    "op_add_broadcast_16x8",
    "op_add_int32_broadcast",
    "op_add_pot_scales_16x8",
    "op_add_relu",
    "op_add_relu_16x8",
    "op_add_same_shape",
    "op_add_same_shape_16x8",
    "op_arg_max_last_axis",
    "op_arg_min_axis1",
    "op_average_pool_2d_2x2_stride2_valid",
    "op_average_pool_2d_3x3_stride1_same",
    "op_average_pool_2d_3x3_stride2_same",
    "op_average_pool_2d_3x3_stride2_same_16x8",
    "op_average_pool_2d_3x3_stride2_valid",
    "op_batch_matmul",
    "op_batch_matmul_16x8",
    "op_batch_matmul_adj_x",
    "op_batch_matmul_adj_y",
    "op_batch_to_space_nd_cropped",
    "op_broadcast_to",
    "op_cast_bool_to_int32",
    "op_cast_int32_to_int16",
    "op_cast_int32_to_int8",
    "op_circular_buffer",
    "op_concatenation_axis1_three_inputs",
    "op_concatenation_axis2",
    "op_concatenation_axis3",
    "op_concatenation_axis3_16x8",
    "op_concatenation_axis_last_2d",
    "op_conv_2d_1x1_valid",
    "op_conv_2d_3x3_dilation2_same",
    "op_conv_2d_3x3_dilation2_valid_relu",
    "op_conv_2d_3x3_per_tensor_relu",
    "op_conv_2d_3x3_same_relu",
    "op_conv_2d_3x3_same_relu_16x8",
    "op_conv_2d_3x3_stride2_same_relu6",
    "op_conv_2d_3x3_stride2_valid",
    "op_conv_2d_3x3_stride2_valid_16x8",
    "op_conv_2d_5x5_valid_relu",
    "op_conv_2d_nonsquare_3x5_stride2x1_same",
    "op_decode_huffman_conv_2d",
    "op_decode_huffman_depthwise_bitwise",
    "op_decode_huffman_signal_window",
    "op_decode_huffman_svdf_int16",
    "op_decode_lut_conv_2d_per_channel",
    "op_decode_lut_conv_2d_per_tensor",
    "op_decode_lut_depthwise_last_axis",
    "op_decode_lut_float_fully_connected",
    "op_decode_prune_conv_2d",
    "op_decode_prune_float_fully_connected",
    "op_depth_to_space_block2",
    "op_depthwise_conv_2d_3x3_dilation2_same",
    "op_depthwise_conv_2d_3x3_dilation2_valid_mult2",
    "op_depthwise_conv_2d_3x3_mult2_same_relu6_16x8",
    "op_depthwise_conv_2d_3x3_mult2_valid",
    "op_depthwise_conv_2d_3x3_same_relu",
    "op_depthwise_conv_2d_3x3_stride2_dilation2_valid_16x8",
    "op_depthwise_conv_2d_3x3_stride2_same_relu6",
    "op_depthwise_conv_2d_3x3_stride2_valid_mult2",
    "op_depthwise_conv_2d_nonsquare_5x3_stride1x2_same",
    "op_dequantize_float_output",
    "op_detection_postprocess_fast",
    "op_detection_postprocess_fast_int8",
    "op_detection_postprocess_regular",
    "op_detection_postprocess_regular_int8",
    "op_div_int32_by_constant",
    "op_equal_bool",
    "op_equal_int32",
    "op_equal_of_maximum",
    "op_expand_dims_axis1",
    "op_expand_dims_last",
    "op_float_abs",
    "op_float_add_relu_broadcast",
    "op_float_add_same_shape",
    "op_float_average_pool_2d_3x3_stride2_same",
    "op_float_ceil",
    "op_float_conv_2d_dilated_relu6",
    "op_float_conv_2d_stride2_valid",
    "op_float_cos",
    "op_float_depthwise_conv_2d_multiplier2",
    "op_float_div_broadcast",
    "op_float_elu",
    "op_float_exp",
    "op_float_floor",
    "op_float_floor_div",
    "op_float_floor_mod",
    "op_float_fully_connected_relu",
    "op_float_hard_swish",
    "op_float_leaky_relu",
    "op_float_log",
    "op_float_log_softmax",
    "op_float_logistic",
    "op_float_max_pool_2d_2x2_stride2_valid",
    "op_float_maximum_broadcast",
    "op_float_mean_global_pool",
    "op_float_minimum_same_shape",
    "op_float_mul_broadcast",
    "op_float_neg",
    "op_float_relu",
    "op_float_relu6",
    "op_float_round",
    "op_float_rsqrt",
    "op_float_sin",
    "op_float_softmax",
    "op_float_sqrt",
    "op_float_square",
    "op_float_squared_difference",
    "op_float_sub_broadcast",
    "op_float_sum_last_axis",
    "op_float_tanh",
    "op_float_transpose",
    "op_float_arg_max_last_axis",
    "op_float_arg_min_axis1",
    "op_float_batch_to_space_nd_cropped",
    "op_float_broadcast_to",
    "op_float_depth_to_space_block2",
    "op_float_gather_axis1",
    "op_float_gather_nd_rows",
    "op_float_mirror_pad_reflect",
    "op_float_pack_axis1",
    "op_float_resize_nearest_neighbor_half_pixel",
    "op_float_reverse_v2_axis1",
    "op_float_slice_4d",
    "op_float_space_to_batch_nd_padded",
    "op_float_space_to_depth_block2",
    "op_float_split_axis3",
    "op_float_split_v_axis2",
    "op_float_unpack_axis1",
    "op_float_zeros_like",
    "op_float_l2_normalization",
    "op_float_resize_bilinear_align_corners",
    "op_float_resize_bilinear_half_pixel",
    "op_float_resize_bilinear_legacy",
    "op_float_transpose_conv_3x3_stride2_same_bias_relu",
    "op_float_transpose_conv_3x3_stride2_valid_no_bias",
    "op_float_add_n_three",
    "op_float_cumsum_axis1",
    "op_float_cumsum_exclusive_reverse",
    "op_float_svdf_rank1",
    "op_float_svdf_rank2_batch2_relu",
    "op_fully_connected_batch4",
    "op_fully_connected_bias_relu",
    "op_fully_connected_bias_relu_16x8",
    "op_fully_connected_keep_num_dims",
    "op_fully_connected_no_bias",
    "op_fully_connected_no_bias_batch4_16x8",
    "op_gather_2d_indices_last_axis",
    "op_gather_axis1",
    "op_gather_batch_dims1",
    "op_gather_nd_elements",
    "op_gather_nd_rows",
    "op_greater_equal_broadcast",
    "op_greater_equal_int32",
    "op_greater_same_shape",
    "op_hard_swish",
    "op_if",
    "op_if_float",
    "op_l2_normalization",
    "op_leaky_relu",
    "op_leaky_relu_16x8",
    "op_less_equal_broadcast",
    "op_less_int32",
    "op_less_same_shape",
    "op_log_softmax_rows",
    "op_log_softmax_wide",
    "op_logical_and_broadcast",
    "op_logical_and_of_comparisons",
    "op_logical_not",
    "op_logical_or_broadcast",
    "op_logistic",
    "op_logistic_16x8",
    "op_logistic_pot_input_16x8",
    "op_lstm_16x8",
    "op_lstm_16x8_time_major_batch2_clip",
    "op_lstm_float",
    "op_lstm_int8",
    "op_lstm_int8_batch3",
    "op_lstm_int8_time_major_batch2_clip",
    "op_max_pool_2d_2x2_stride2_valid",
    "op_max_pool_2d_3x3_stride1_same",
    "op_max_pool_2d_3x3_stride2_same",
    "op_max_pool_2d_3x3_stride2_same_16x8",
    "op_max_pool_2d_3x3_stride2_valid",
    "op_maximum_broadcast",
    "op_maximum_int32_broadcast",
    "op_maximum_same_shape",
    "op_maximum_same_shape_16x8",
    "op_mean_axes_1_2",
    "op_mean_axes_1_2_16x8",
    "op_mean_axes_1_2_keep_dims",
    "op_mean_axis_1_rank3",
    "op_mean_axis_3_keep_dims",
    "op_minimum_broadcast",
    "op_minimum_broadcast_16x8",
    "op_minimum_int32_broadcast",
    "op_minimum_same_shape",
    "op_mirror_pad_reflect",
    "op_mirror_pad_symmetric",
    "op_mul_broadcast",
    "op_mul_broadcast_16x8",
    "op_mul_int32_broadcast",
    "op_mul_relu",
    "op_mul_same_shape",
    "op_mul_same_shape_16x8",
    "op_not_equal_int32",
    "op_pack_axis1",
    "op_pack_last_axis",
    "op_pad_channels",
    "op_pad_spatial",
    "op_pad_spatial_16x8",
    "op_padv2_constant_value",
    "op_prelu_per_channel",
    "op_prelu_per_element",
    "op_quantize_dequantize_float_io_16x8",
    "op_quantize_float_input",
    "op_quantize_requantize_int16_16x8",
    "op_quantize_requantize_int8",
    "op_reduce_max_axes_1_2",
    "op_reduce_min_keep_dims",
    "op_relu",
    "op_relu6",
    "op_relu6_16x8",
    "op_relu_16x8",
    "op_reshape_16x8",
    "op_reshape_3d_to_4d",
    "op_reshape_4d_to_2d",
    "op_resize_bilinear_align_corners",
    "op_resize_bilinear_half_pixel",
    "op_resize_bilinear_legacy",
    "op_resize_nearest_neighbor_align_corners",
    "op_resize_nearest_neighbor_half_pixel",
    "op_resize_nearest_neighbor_legacy",
    "op_reverse_v2_axes_2_3",
    "op_reverse_v2_axis1",
    "op_rsqrt",
    "op_select_v2_broadcast",
    "op_signal_delay",
    "op_signal_delay_rank1",
    "op_signal_energy_log",
    "op_signal_energy_log_small",
    "op_signal_fft_auto_scale",
    "op_signal_framer",
    "op_signal_framer_prefill",
    "op_signal_irfft_48_round_trip",
    "op_signal_irfft_512",
    "op_signal_irfft_float_48_round_trip",
    "op_signal_irfft_int32_64_round_trip",
    "op_signal_overlap_add",
    "op_signal_overlap_add_float",
    "op_signal_rfft_48",
    "op_signal_rfft_512",
    "op_signal_rfft_float_48",
    "op_signal_rfft_int32_48",
    "op_signal_spectral_subtraction",
    "op_signal_spectral_subtraction_clamping",
    "op_signal_stacker",
    "op_signal_stacker_step2",
    "op_signal_window",
    "op_signal_window_saturating",
    "op_slice_2d",
    "op_slice_4d",
    "op_softmax",
    "op_softmax_16x8",
    "op_softmax_beta_0_5",
    "op_softmax_rank4_last_axis",
    "op_space_to_batch_nd_3d",
    "op_space_to_batch_nd_padded",
    "op_space_to_depth_block2",
    "op_split_axis1_three",
    "op_split_axis3",
    "op_split_slice_16x8",
    "op_split_v_axis2",
    "op_split_v_inferred_size",
    "op_squared_difference_broadcast",
    "op_squared_difference_same_shape",
    "op_squeeze_axis_2",
    "op_squeeze_axis_2_16x8",
    "op_strided_slice_negative_stride",
    "op_strided_slice_negative_stride_16x8",
    "op_strided_slice_new_axis",
    "op_strided_slice_shrink_axis",
    "op_strided_slice_stride2",
    "op_sub_broadcast",
    "op_sub_broadcast_16x8",
    "op_sub_int32_same_shape",
    "op_sub_pot_scales_16x8",
    "op_sub_relu6",
    "op_sub_same_shape",
    "op_sub_same_shape_16x8",
    "op_sum_axes_1_2",
    "op_sum_last_axis_keep_dims",
    "op_svdf_rank1",
    "op_svdf_rank2_batch2",
    "op_tanh",
    "op_tanh_16x8",
    "op_tanh_pot_input_16x8",
    "op_tanh_pot_input_shift1_16x8",
    "op_transpose_3d",
    "op_transpose_conv_3x3_stride2_same_bias_relu",
    "op_transpose_conv_3x3_stride2_same_bias_relu_16x8",
    "op_transpose_conv_3x3_stride2_same_no_bias",
    "op_transpose_conv_3x3_stride2_same_no_bias_16x8",
    "op_transpose_conv_3x3_stride2_valid_bias",
    "op_transpose_conv_3x3_stride2_valid_bias_16x8",
    "op_transpose_conv_3x3_stride2_valid_no_bias",
    "op_transpose_conv_3x3_stride2_valid_no_bias_16x8",
    "op_transpose_nhwc_to_nchw",
    "op_transpose_nhwc_to_nchw_16x8",
    "op_unpack_axis1",
    "op_unpack_last_axis",
    "op_while",
    "op_while_float",
    "op_while_if",
    "op_while_if_float",
    "person_detect",
    "quirk_maximum_rescaled_output",
    "quirk_person_detect_bias_quantization",
    "quirk_strided_slice_rescaled_output",
    "quirk_transpose_rescaled_output",
    "resnet8_cifar10",
    "resource_variable_running_mean",
    "signal_audio_front_end",
    "signal_front_end_stages",
    "signal_micro_speech_front_end",
    "signal_micro_speech_preprocessor",
    "sine",
    "streaming_wakeword",
    "svdf_kws",
    "transformer_block",
]

# The cores of the multi-core tests: four of unequal speed, so that every layer split across
# them gives every kernel uneven parts.
SPLIT_TEST_CORE_MHZ = [
    480,
    240,
    240,
    160,
]

# Per-operator micro-models (named op_*) are many and small: they are checked in groups of
# this many models, on the host in one `tinymlc check` process per group (one Python start-up
# and one test), and as firmware in one image per group and board (one link and one emulator
# run per group). Whole models keep a test and a firmware image each.
OPERATOR_MODELS_PER_FIRMWARE = 16

# Models whose check against TFLite Micro (and the one-core firmware checks made with it) are
# manual tests, with why: a known mismatch being worked on (a per-operator one is left out
# of its group's host check). Their multi-core tests, host
# threads and firmware, still run.
KNOWN_TFLM_MISMATCHES = {}

# Float32 models whose outputs may differ from TFLite Micro's by a few units in the last
# place, and by how many (`tinymlc check --max_ulp`): ours are correctly rounded, glibc's
# expf / logf / expm1f / sinf / cosf / tanhf (which TFLite Micro calls on the host) are not
# always (docs/operators.md, "Float32 models"). Measured on 100 inputs: cos 1 ULP (99 of
# 100 inputs), expm1 1 (100), exp 1 (21), log 1 (89), 1 / (1 + exp(-x)) 2 (12), sin 1 (100),
# softmax's exp 1 (1), tanh 2 (100). Every other output, and every integer, is bit-exact.
# A float LSTM carries its gates' and tanh's 1-ULP differences through its state, and a
# hidden value near zero (the tanh of a cell that cancels) differs by many of its own ULPs:
# op_lstm_float 12020 (100 inputs; its layers alone, in TFLM's order with glibc's expf and
# tanhf, are bit-exact with TFLM).
FLOAT_ULP_TOLERANCES = {
    "op_float_cos": 1,
    "op_float_elu": 1,
    "op_float_exp": 1,
    "op_float_log": 1,
    "op_float_logistic": 2,
    "op_float_sin": 1,
    "op_float_softmax": 1,
    "op_float_tanh": 2,
    "op_lstm_float": 12288,
}

def is_operator_model(model):
    """Whether `model` is a per-operator micro-model (checked as firmware in groups).

    Args:
      model: a model name of CHECKED_MODELS.

    Returns:
      True for per-operator models.
    """
    return model.startswith("op_")

def groups(items, size):
    """`items` cut into consecutive lists of at most `size` elements.

    Args:
      items: a list.
      size: the largest group.

    Returns:
      The list of groups.
    """
    return [items[start:start + size] for start in range(0, len(items), size)]

def check_every_model_listed(files):
    """Fails loading models/BUILD.bazel if a model file is in neither list.

    Args:
      files: the .tflite files of the package.
    """
    unlisted = [f for f in files if f[:-len(".tflite")] not in CHECKED_MODELS + NOT_CHECKED_MODELS]
    if unlisted:
        fail("models.bzl lists these neither in CHECKED_MODELS nor in NOT_CHECKED_MODELS: %s" % unlisted)

# ONNX models whose check against onnxruntime is a manual test, with why: a known mismatch
# being worked on. Their firmware checks against the host build still run.
ONNX_KNOWN_MISMATCHES = {
    # (none: the transformer block's 2 LSB came from TFLM's fixed-point Softmax exponential;
    # a Softmax at another output quantization than TFLM's is now computed in float32)
}

# ONNX models built by models/build_onnx.py (<family>_<qdq|qop>_<u8|s8>): quantized by
# onnxruntime's static quantizer (integer_cnn_u8: ConvInteger and MatMulInteger, written
# directly), checked against onnxruntime with graph optimizations disabled (`tinymlc check`:
# at most 1 LSB on every output element, the same argmax), and as firmware against the host
# build (all of them).
ONNX_MODELS = [
    "ds_cnn_qdq_s8",
    "ds_cnn_qdq_u8",
    "ds_cnn_qop_s8",
    "ds_cnn_qop_u8",
    "integer_cnn_u8",
    "mlp_autoencoder_qdq_s8",
    "mlp_autoencoder_qdq_u8",
    "mlp_autoencoder_qop_s8",
    "mlp_autoencoder_qop_u8",
    "mobilenet_qdq_s8",
    "mobilenet_qdq_u8",
    "mobilenet_qop_s8",
    "mobilenet_qop_u8",
    "resnet8_qdq_s8",
    "resnet8_qdq_u8",
    "resnet8_qop_s8",
    "resnet8_qop_u8",
    "transformer_block_qdq_s8",
    "transformer_block_qdq_u8",
    "transformer_block_qop_s8",
    "transformer_block_qop_u8",
]
