"""Per-operator shape checks and TFLM-exact parameter preparation.

One module per operator; each exposes `prepare(view) -> <Op>Params`, which
raises `OpError` wherever TFLM's Prepare would fail (or abort), and returns
the constants TFLM computes in Prepare (and, where static, in Eval).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from tinymlc.errors import OpError
from tinymlc.ir import Graph, OpKind
from tinymlc.ops import (
    abs_value,
    add,
    add_n,
    arg_min_max,
    average_pool_2d,
    batch_matmul,
    batch_to_space_nd,
    broadcast_to,
    cast,
    circular_buffer,
    comparisons,
    concatenation,
    control_flow,
    conv_2d,
    cumsum,
    depth_to_space,
    depthwise_conv_2d,
    dequantize,
    detection_postprocess,
    dynamic_update_slice,
    elu,
    embedding_lookup,
    expand_dims,
    fill,
    float32,
    float32_ops,
    fully_connected,
    gather,
    gather_nd,
    gelu,
    hard_swish,
    integer_binary,
    l2_normalization,
    leaky_relu,
    log_softmax,
    logical,
    logistic,
    lookup_table,
    lstm,
    max_pool_2d,
    maximum,
    mean,
    minimum,
    mirror_pad,
    mlas_conv,
    mul,
    pack,
    pad,
    prelu,
    qlinear_add,
    quantize,
    reduce_extreme,
    relu,
    relu6,
    requantize_float,
    reshape,
    resize_bilinear,
    resize_nearest_neighbor,
    resource_variable,
    reverse_v2,
    rsqrt,
    select_v2,
    shape,
    slice,
    softmax,
    space_to_batch_nd,
    space_to_depth,
    split,
    squared_difference,
    squeeze,
    strided_slice,
    sub,
    sum,
    svdf,
    tanh,
    transpose,
    transpose_conv,
    zeros_like,
)
from tinymlc.ops._binary import ArithmeticParams
from tinymlc.ops._common import OpView
from tinymlc.ops._min_max import MinMaxParams
from tinymlc.ops._pooling import Pool2DParams
from tinymlc.ops._remap import RemapParams
from tinymlc.ops._sigmoid16 import Int16SigmoidParams
from tinymlc.ops._sigmoid_like import SigmoidLikeParams
from tinymlc.ops.signal import _streaming as signal_streaming
from tinymlc.ops.signal import delay as signal_delay
from tinymlc.ops.signal import energy as signal_energy
from tinymlc.ops.signal import fft_auto_scale as signal_fft_auto_scale
from tinymlc.ops.signal import filter_bank as signal_filter_bank
from tinymlc.ops.signal import filter_bank_log as signal_filter_bank_log
from tinymlc.ops.signal import filter_bank_square_root as signal_filter_bank_square_root
from tinymlc.ops.signal import framer as signal_framer
from tinymlc.ops.signal import overlap_add as signal_overlap_add
from tinymlc.ops.signal import pcan as signal_pcan
from tinymlc.ops.signal import rfft as signal_rfft
from tinymlc.ops.signal import spectral_subtraction as signal_spectral_subtraction
from tinymlc.ops.signal import stacker as signal_stacker
from tinymlc.ops.signal import window as signal_window

PreparedParams: TypeAlias = (
    conv_2d.Conv2DParams
    | depthwise_conv_2d.DepthwiseConv2DParams
    | fully_connected.FullyConnectedParams
    | Pool2DParams
    | softmax.SoftmaxParams
    | log_softmax.LogSoftmaxParams
    | ArithmeticParams
    | mul.MulParams
    | reshape.ReshapeParams
    | quantize.QuantizeParams
    | dequantize.DequantizeParams
    | SigmoidLikeParams
    | relu.ReluParams
    | relu6.Relu6Params
    | leaky_relu.LeakyReluParams
    | hard_swish.HardSwishParams
    | pad.PadParams
    | concatenation.ConcatenationParams
    | mean.MeanParams
    | strided_slice.StridedSliceParams
    | transpose.TransposeParams
    | batch_matmul.BatchMatMulParams
    | MinMaxParams
    | gelu.GeluParams
    | shape.ShapeValueParams
    | dynamic_update_slice.DynamicUpdateSliceParams
    | embedding_lookup.EmbeddingLookupParams
    | rsqrt.RsqrtParams
    | transpose_conv.TransposeConvParams
    | svdf.SvdfParams
    | svdf.FloatSvdfParams
    | Int16SigmoidParams
    | comparisons.ComparisonParams
    | logical.LogicalParams
    | logical.LogicalNotParams
    | select_v2.SelectV2Params
    | integer_binary.IntegerBinaryParams
    | abs_value.AbsParams
    | cast.CastParams
    | prelu.PreluParams
    | elu.EluParams
    | add_n.AddNParams
    | l2_normalization.L2NormalizationParams
    | cumsum.CumsumParams
    | control_flow.ControlFlowParams
    | control_flow.SubgraphOutputParams
    | split.SplitParams
    | RemapParams
    | reduce_extreme.ReduceExtremeParams
    | arg_min_max.ArgMinMaxParams
    | resize_bilinear.ResizeBilinearParams
    | lstm.LstmParams
    | lstm.FloatLstmParams
    | signal_window.SignalWindowParams
    | signal_energy.SignalEnergyParams
    | signal_filter_bank_log.SignalFilterBankLogParams
    | signal_filter_bank.SignalFilterBankParams
    | signal_filter_bank_square_root.SignalFilterBankSquareRootParams
    | signal_pcan.SignalPcanParams
    | signal_rfft.SignalRfftParams
    | signal_fft_auto_scale.SignalFftAutoScaleParams
    | signal_spectral_subtraction.SignalSpectralSubtractionParams
    | signal_delay.SignalDelayParams
    | signal_overlap_add.SignalOverlapAddParams
    | float32.FloatParams
    | float32_ops.FloatOpParams
    | signal_framer.SignalFramerParams
    | signal_stacker.SignalStackerParams
    | detection_postprocess.DetectionPostProcessParams
    | requantize_float.FloatRequantizeParams
    | lookup_table.LookupTableParams
    | qlinear_add.QLinearAddParams
    | mlas_conv.MlasConvParams
    | circular_buffer.CircularBufferParams
    | circular_buffer.CircularBufferValidParams
)

Preparer: TypeAlias = Callable[[OpView], PreparedParams]

PREPARERS: dict[OpKind, Preparer] = {
    OpKind.ADD: add.prepare,
    OpKind.AVERAGE_POOL_2D: average_pool_2d.prepare,
    OpKind.BATCH_MATMUL: batch_matmul.prepare,
    OpKind.CONCATENATION: concatenation.prepare,
    OpKind.CONV_2D: conv_2d.prepare,
    OpKind.DEPTHWISE_CONV_2D: depthwise_conv_2d.prepare,
    OpKind.DEQUANTIZE: dequantize.prepare,
    OpKind.FULLY_CONNECTED: fully_connected.prepare,
    OpKind.GELU: gelu.prepare,
    OpKind.HARD_SWISH: hard_swish.prepare,
    OpKind.LEAKY_RELU: leaky_relu.prepare,
    OpKind.LOGISTIC: logistic.prepare,
    OpKind.MAX_POOL_2D: max_pool_2d.prepare,
    OpKind.MAXIMUM: maximum.prepare,
    OpKind.MEAN: mean.prepare,
    OpKind.MINIMUM: minimum.prepare,
    OpKind.MUL: mul.prepare,
    OpKind.PAD: pad.prepare,
    OpKind.PADV2: pad.prepare,
    OpKind.QUANTIZE: quantize.prepare,
    OpKind.RELU: relu.prepare,
    OpKind.RELU6: relu6.prepare,
    OpKind.RESHAPE: reshape.prepare,
    OpKind.READ_VARIABLE: resource_variable.prepare,
    OpKind.ASSIGN_VARIABLE: resource_variable.prepare,
    OpKind.RSQRT: rsqrt.prepare,
    OpKind.SOFTMAX: softmax.prepare,
    OpKind.LOG_SOFTMAX: log_softmax.prepare,
    OpKind.SQUARED_DIFFERENCE: squared_difference.prepare,
    OpKind.SQUEEZE: squeeze.prepare,
    OpKind.STRIDED_SLICE: strided_slice.prepare,
    OpKind.SUB: sub.prepare,
    OpKind.SVDF: svdf.prepare,
    OpKind.TANH: tanh.prepare,
    OpKind.TRANSPOSE: transpose.prepare,
    OpKind.TRANSPOSE_CONV: transpose_conv.prepare,
    OpKind.EQUAL: comparisons.prepare,
    OpKind.NOT_EQUAL: comparisons.prepare,
    OpKind.LESS: comparisons.prepare,
    OpKind.LESS_EQUAL: comparisons.prepare,
    OpKind.GREATER: comparisons.prepare,
    OpKind.GREATER_EQUAL: comparisons.prepare,
    OpKind.LOGICAL_AND: logical.prepare,
    OpKind.LOGICAL_OR: logical.prepare,
    OpKind.LOGICAL_NOT: logical.prepare_not,
    OpKind.SELECT_V2: select_v2.prepare,
    OpKind.ABS: abs_value.prepare,
    OpKind.CAST: cast.prepare,
    OpKind.PRELU: prelu.prepare,
    OpKind.ELU: elu.prepare,
    OpKind.ADD_N: add_n.prepare,
    OpKind.L2_NORMALIZATION: l2_normalization.prepare,
    OpKind.DIV: integer_binary.prepare,
    OpKind.CUMSUM: cumsum.prepare,
    OpKind.IF: control_flow.prepare,
    OpKind.WHILE: control_flow.prepare,
    OpKind.SUBGRAPH_OUTPUT: control_flow.prepare_output,
    OpKind.SLICE: slice.prepare,
    OpKind.EXPAND_DIMS: expand_dims.prepare,
    OpKind.FILL: fill.prepare,
    OpKind.ZEROS_LIKE: zeros_like.prepare,
    OpKind.CIRCULAR_BUFFER: circular_buffer.prepare,
    OpKind.CIRCULAR_BUFFER_VALID: circular_buffer.prepare_valid,
    OpKind.SHAPE: shape.prepare_shape,
    OpKind.BROADCAST_ARGS: shape.prepare_broadcast_args,
    OpKind.REVERSE_V2: reverse_v2.prepare,
    OpKind.DYNAMIC_UPDATE_SLICE: dynamic_update_slice.prepare,
    OpKind.EMBEDDING_LOOKUP: embedding_lookup.prepare,
    OpKind.SPLIT: split.prepare,
    OpKind.SPLIT_V: split.prepare,
    OpKind.UNPACK: split.prepare,
    OpKind.DEPTH_TO_SPACE: depth_to_space.prepare,
    OpKind.SPACE_TO_DEPTH: space_to_depth.prepare,
    OpKind.SPACE_TO_BATCH_ND: space_to_batch_nd.prepare,
    OpKind.BATCH_TO_SPACE_ND: batch_to_space_nd.prepare,
    OpKind.MIRROR_PAD: mirror_pad.prepare,
    OpKind.RESIZE_NEAREST_NEIGHBOR: resize_nearest_neighbor.prepare,
    OpKind.BROADCAST_TO: broadcast_to.prepare,
    OpKind.GATHER: gather.prepare,
    OpKind.GATHER_ND: gather_nd.prepare,
    OpKind.PACK: pack.prepare,
    OpKind.REDUCE_MAX: reduce_extreme.prepare,
    OpKind.REDUCE_MIN: reduce_extreme.prepare,
    OpKind.REDUCE_ALL: reduce_extreme.prepare,
    OpKind.ARG_MAX: arg_min_max.prepare,
    OpKind.ARG_MIN: arg_min_max.prepare,
    OpKind.SUM: sum.prepare,
    OpKind.RESIZE_BILINEAR: resize_bilinear.prepare,
    OpKind.UNIDIRECTIONAL_SEQUENCE_LSTM: lstm.prepare,
    OpKind.SIGNAL_WINDOW: signal_window.prepare,
    OpKind.SIGNAL_ENERGY: signal_energy.prepare,
    OpKind.SIGNAL_FILTER_BANK_LOG: signal_filter_bank_log.prepare,
    OpKind.SIGNAL_FILTER_BANK: signal_filter_bank.prepare,
    OpKind.SIGNAL_FILTER_BANK_SQUARE_ROOT: signal_filter_bank_square_root.prepare,
    OpKind.SIGNAL_PCAN: signal_pcan.prepare,
    OpKind.SIGNAL_RFFT: signal_rfft.prepare,
    OpKind.SIGNAL_FFT_AUTO_SCALE: signal_fft_auto_scale.prepare,
    OpKind.SIGNAL_FFT_AUTO_SCALE_BITS: signal_fft_auto_scale.prepare_scale_bits,
    OpKind.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION: signal_spectral_subtraction.prepare,
    OpKind.SIGNAL_DELAY: signal_delay.prepare,
    OpKind.SIGNAL_OVERLAP_ADD: signal_overlap_add.prepare,
    OpKind.SIGNAL_IRFFT: signal_rfft.prepare_inverse,
    OpKind.SIGNAL_FRAMER: signal_framer.prepare,
    OpKind.SIGNAL_FRAMER_VALID: signal_framer.prepare,
    OpKind.SIGNAL_STACKER: signal_stacker.prepare,
    OpKind.SIGNAL_STACKER_VALID: signal_stacker.prepare,
    OpKind.DETECTION_POSTPROCESS: detection_postprocess.prepare_unlowered,
    OpKind.DETECTION_POSTPROCESS_SELECT: detection_postprocess.prepare,
    **dict.fromkeys(detection_postprocess.OUTPUT_NAMES, detection_postprocess.prepare),
    OpKind.REQUANTIZE_FLOAT: requantize_float.prepare,
    OpKind.LOOKUP_TABLE: lookup_table.prepare,
    OpKind.QLINEAR_ADD: qlinear_add.prepare,
    OpKind.MLAS_CONV: mlas_conv.prepare,
}

# INT32 ADD, SUB, MUL, MAXIMUM, MINIMUM: TFLM's plain integer path, in front of each
# operator's quantized preparation.
for _kind in integer_binary.KINDS:
    PREPARERS[_kind] = integer_binary.with_integer_path(PREPARERS[_kind])

# FLOAT32 layers: TFLM's float path, in front of each operator's quantized preparation
# (operators TFLM runs only in float have no other).
for _kind in float32.FLOAT_PREPARERS:
    _quantized = PREPARERS.get(_kind)
    PREPARERS[_kind] = float32.prepare if _quantized is None else float32.with_float_path(_quantized)

# FLOAT32 TRANSPOSE_CONV, RESIZE_BILINEAR, L2_NORMALIZATION: chosen by their data input's type.
for _kind, (_data_input, _float_prepare) in float32_ops.FLOAT_OP_PREPARERS.items():
    PREPARERS[_kind] = float32_ops.with_float_data(PREPARERS[_kind], _data_input, _float_prepare)

SUPPORTED_KINDS = frozenset(PREPARERS)


def scratch_bytes(params: PreparedParams) -> int:
    """Bytes of arena scratch each core running the layer gives its kernel (0: none)."""
    if isinstance(
        params,
        conv_2d.Conv2DParams
        | batch_matmul.BatchMatMulParams
        | signal_rfft.SignalRfftParams
        | detection_postprocess.DetectionPostProcessParams,
    ):
        return params.scratch_bytes
    if isinstance(params, control_flow.ControlFlowParams):
        return params.arena_bytes
    return 0


def state_inputs(params: PreparedParams) -> tuple[int, ...]:
    """Positions of the inputs holding state the layer's kernel updates in place (variable
    tensors): codegen lends them mutably and the partition pass counts them as written."""
    if isinstance(params, svdf.SvdfParams | svdf.FloatSvdfParams):
        return (svdf.STATE_INPUT,)
    if isinstance(params, lstm.LstmParams | lstm.FloatLstmParams):
        return (lstm.HIDDEN_STATE, lstm.CELL_STATE)
    if isinstance(params, signal_spectral_subtraction.SignalSpectralSubtractionParams):
        return (signal_spectral_subtraction.STATE_INPUT,)
    if isinstance(params, signal_delay.SignalDelayParams) and params.stateful:
        return (signal_delay.STATE_INPUT,)
    if isinstance(params, signal_overlap_add.SignalOverlapAddParams):
        return (signal_overlap_add.STATE_INPUT,)
    # The operators whose params say which inputs are their state.
    owner = (
        params
        if isinstance(
            params,
            signal_streaming.StreamingStep
            | circular_buffer.CircularBufferParams
            | control_flow.ControlFlowParams,
        )
        else None
    )
    return owner.state_inputs if owner is not None else ()


def abort_flag(params: PreparedParams) -> tuple[int, int] | None:
    """For a layer that can end the inference early (TFLM's kTfLiteAbort), its flag: (state
    input position, int32 element index), nonzero when it ended this inference; None for
    every other layer."""
    if isinstance(params, circular_buffer.CircularBufferParams) and params.ends_inference:
        return (circular_buffer.STATE_INPUT, circular_buffer.ENDED_FLAG)
    if isinstance(params, control_flow.ControlFlowParams) and any(params.ends_inference):
        assert params.state_input is not None, "its subgraphs keep the CIRCULAR_BUFFER's state"
        return (params.state_input, 0)
    return None


def overlap_distance(params: PreparedParams) -> int | None:
    """For a layer whose kernel can write its output over the input it has read (in
    one buffer, whole output on one core), the bytes the output must start below the
    input; None for every other layer."""
    # The overlapped kernel writes int8 outputs only (neither 16x8 nor int32 accumulators).
    if isinstance(params, conv_2d.Conv2DParams) and not (
        params.mode.is_16x8 or params.mode.accumulator_output
    ):
        return conv_2d.overlap_distance(params)
    return None


def prepare_operator(graph: Graph, op_index: int) -> PreparedParams:
    """Prepare one operator; raises OpError if TFLM would reject it."""
    op = graph.operators[op_index]
    preparer = PREPARERS.get(op.kind)
    if preparer is None:
        raise OpError(f"operator {op.opcode_name} is not supported")
    return preparer(OpView(graph, op))


def prepare_graph(graph: Graph) -> tuple[PreparedParams, ...]:
    """Prepare every operator in schedule order (after validation)."""
    return tuple(prepare_operator(graph, i) for i in range(len(graph.operators)))
