"""Typed graph IR shared by the frontend, validator, passes and codegen.

Everything is immutable: passes build new graphs with `dataclasses.replace`.
Tensor and operator ids are indices into `Graph.tensors` / `Graph.operators`;
an input id of `NO_TENSOR` (-1) marks an omitted optional input, exactly as in
the TFLite schema.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from tinymlc.errors import CompileError

NO_TENSOR = -1


class DType(enum.Enum):
    """Tensor element types; values are TFLite's `TensorType` codes."""

    FLOAT32 = 0
    FLOAT16 = 1
    INT32 = 2
    UINT8 = 3
    INT64 = 4
    STRING = 5
    BOOL = 6
    INT16 = 7
    COMPLEX64 = 8
    INT8 = 9
    FLOAT64 = 10
    COMPLEX128 = 11
    UINT64 = 12
    RESOURCE = 13
    VARIANT = 14
    UINT32 = 15
    UINT16 = 16
    INT4 = 17
    BFLOAT16 = 18

    @property
    def numpy_dtype(self) -> np.dtype[np.generic] | None:
        """Little-endian numpy dtype, or None for types without a fixed layout."""
        name = _NUMPY_NAMES.get(self)
        return np.dtype(name) if name is not None else None

    @property
    def itemsize(self) -> int | None:
        """Bytes per element; None for packed (INT4) or variable-size types."""
        dtype = self.numpy_dtype
        return dtype.itemsize if dtype is not None else None

    @property
    def is_quantized_integer(self) -> bool:
        return self in (DType.INT8, DType.INT16, DType.UINT8, DType.INT4)

    @property
    def integer_range(self) -> tuple[int, int]:
        """(min, max) representable value of an integer type."""
        if self is DType.INT4:
            return (-8, 7)
        if self is DType.BOOL:
            return (0, 1)
        info = np.iinfo(_NUMPY_NAMES[self])
        return (int(info.min), int(info.max))


_NUMPY_NAMES: dict[DType, str] = {
    DType.FLOAT32: "<f4",
    DType.FLOAT16: "<f2",
    DType.FLOAT64: "<f8",
    DType.INT8: "i1",
    DType.UINT8: "u1",
    DType.INT16: "<i2",
    DType.UINT16: "<u2",
    DType.INT32: "<i4",
    DType.UINT32: "<u4",
    DType.INT64: "<i8",
    DType.UINT64: "<u8",
    DType.BOOL: "?",
    DType.COMPLEX64: "<c8",
    DType.COMPLEX128: "<c16",
}


class OpKind(enum.Enum):
    """Operators the compiler knows; values are TFLite `BuiltinOperator` codes.

    `OTHER` stands for every builtin or custom operator the compiler does not
    support; the operator's `opcode_name` then says which one it was.
    """

    ADD = 0
    AVERAGE_POOL_2D = 1
    CONCATENATION = 2
    CONV_2D = 3
    DEPTHWISE_CONV_2D = 4
    DEQUANTIZE = 6
    FULLY_CONNECTED = 9
    L2_NORMALIZATION = 11
    LOGISTIC = 14
    MAX_POOL_2D = 17
    MUL = 18
    RELU = 19
    RELU6 = 21
    RESHAPE = 22
    SOFTMAX = 25
    SVDF = 27
    TANH = 28
    PAD = 34
    TRANSPOSE = 39
    MEAN = 40
    SUB = 41
    DIV = 42
    SQUEEZE = 43
    UNIDIRECTIONAL_SEQUENCE_LSTM = 44
    STRIDED_SLICE = 45
    CAST = 53
    PRELU = 54
    MAXIMUM = 55
    MINIMUM = 57
    LESS = 58
    PADV2 = 60
    GREATER = 61
    GREATER_EQUAL = 62
    LESS_EQUAL = 63
    EQUAL = 71
    NOT_EQUAL = 72
    RSQRT = 76
    LOGICAL_OR = 84
    LOGICAL_AND = 86
    LOGICAL_NOT = 87
    LEAKY_RELU = 98
    ABS = 101
    ADD_N = 106
    SQUARED_DIFFERENCE = 99
    QUANTIZE = 114
    ELU = 111
    HARD_SWISH = 117
    SELECT_V2 = 123
    BATCH_MATMUL = 126
    CUMSUM = 128
    CALL_ONCE = 129
    IF = 118
    WHILE = 119
    VAR_HANDLE = 142
    READ_VARIABLE = 143
    ASSIGN_VARIABLE = 144
    GELU = 150
    TRANSPOSE_CONV = 67
    SLICE = 65
    SPLIT = 49
    SPLIT_V = 102
    UNPACK = 88
    DEPTH_TO_SPACE = 5
    SPACE_TO_DEPTH = 26
    RESIZE_BILINEAR = 23
    GATHER_ND = 107
    SPACE_TO_BATCH_ND = 38
    BATCH_TO_SPACE_ND = 37
    MIRROR_PAD = 100
    RESIZE_NEAREST_NEIGHBOR = 97
    BROADCAST_TO = 130
    GATHER = 36
    PACK = 83
    ARG_MAX = 56
    ARG_MIN = 79
    REDUCE_MAX = 82
    REDUCE_ALL = 140
    REDUCE_MIN = 89
    SUM = 74
    EXPAND_DIMS = 70
    FILL = 94
    ZEROS_LIKE = 93
    SHAPE = 77
    BROADCAST_ARGS = 145
    REVERSE_V2 = 105
    DYNAMIC_UPDATE_SLICE = 151
    EMBEDDING_LOOKUP = 7
    # Operators TFLM runs only in float.
    EXP = 47
    LOG = 73
    SIN = 66
    COS = 108
    SQRT = 75
    NEG = 59
    SQUARE = 92
    FLOOR = 8
    CEIL = 104
    ROUND = 116
    FLOOR_DIV = 90
    FLOOR_MOD = 95
    L2_POOL_2D = 12
    LOG_SOFTMAX = 50
    # TFLM's signal library: custom operators, values outside the builtin codes.
    SIGNAL_WINDOW = -100
    SIGNAL_ENERGY = -101
    SIGNAL_FILTER_BANK_LOG = -102
    SIGNAL_FILTER_BANK = -103
    SIGNAL_FILTER_BANK_SQUARE_ROOT = -104
    SIGNAL_PCAN = -105
    SIGNAL_RFFT = -106
    SIGNAL_FFT_AUTO_SCALE = -107
    SIGNAL_FFT_AUTO_SCALE_BITS = -108
    """SignalFftAutoScale's scale output alone (passes.signal_operators splits the two)."""
    SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION = -109
    SIGNAL_DELAY = -110
    SIGNAL_OVERLAP_ADD = -111
    SIGNAL_IRFFT = -112
    SIGNAL_FRAMER = -113
    SIGNAL_FRAMER_VALID = -114
    """SignalFramer's 'valid' output alone (passes.signal_operators splits the two)."""
    SIGNAL_STACKER = -115
    SIGNAL_STACKER_VALID = -116
    """SignalStacker's 'valid' output alone (passes.signal_operators splits the two)."""
    DETECTION_POSTPROCESS = -140
    """TFLite_Detection_PostProcess (four outputs, passes.detection_postprocess splits them)."""
    DETECTION_POSTPROCESS_BOXES = -141
    DETECTION_POSTPROCESS_CLASSES = -142
    DETECTION_POSTPROCESS_SCORES = -143
    DETECTION_POSTPROCESS_COUNT = -144
    DETECTION_POSTPROCESS_SELECT = -146
    """TFLite_Detection_PostProcess's suppression, writing the detections its four output
    layers (-141..-144) write out."""
    DECODE = -145
    """TFLM_DECODE: compressed constants expanded (passes.decode does it at compile time)."""
    CIRCULAR_BUFFER = -150
    """TFLM's CIRCULAR_BUFFER custom operator: a history of input frames that ends the
    inference early (kTfLiteAbort) until it has taken `cycles_max` new frames."""
    CIRCULAR_BUFFER_VALID = -151
    """CIRCULAR_BUFFER's 'valid' output alone (passes.circular_buffer splits the two):
    whether the buffer completed its count in this inference."""
    REQUANTIZE_FLOAT = -160
    """Not in .tflite files: float32 -> int8 as onnxruntime requantizes (`--onnx_exact`):
    `saturate(round_half_even((x * multiplier[c]) / divisor + offset) + zero_point)`."""
    LOOKUP_TABLE = -161
    """Not in .tflite files: int8 -> int8 through a 256-entry table (`--onnx_exact`: the
    unary operators whose table onnxruntime computes)."""
    QLINEAR_ADD = -162
    """Not in .tflite files: ONNX QLinearAdd as onnxruntime computes it on x86-64 with AVX2
    (`--onnx_exact`)."""
    MLAS_CONV = -165
    """Not in .tflite files: a float32 convolution (a matrix product as a 1x1 one) summed in
    onnxruntime MLAS's order (`--onnx_exact`: QDQ Conv, Gemm, MatMul)."""
    SUBGRAPH_OUTPUT = -200
    """Not in .tflite files: one output of a multi-output IF or WHILE, copied out of the
    packed tensor the control-flow layer writes (`passes.control_flow`)."""
    OTHER = -1


SIGNAL_CUSTOM_KINDS: dict[str, OpKind] = {
    "SignalWindow": OpKind.SIGNAL_WINDOW,
    "SignalEnergy": OpKind.SIGNAL_ENERGY,
    "SignalFilterBankLog": OpKind.SIGNAL_FILTER_BANK_LOG,
    "SignalFilterBank": OpKind.SIGNAL_FILTER_BANK,
    "SignalFilterBankSquareRoot": OpKind.SIGNAL_FILTER_BANK_SQUARE_ROOT,
    "SignalPCAN": OpKind.SIGNAL_PCAN,
    "SignalRfft": OpKind.SIGNAL_RFFT,
    "SignalFftAutoScale": OpKind.SIGNAL_FFT_AUTO_SCALE,
    "SignalFilterBankSpectralSubtraction": OpKind.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION,
    "SignalDelay": OpKind.SIGNAL_DELAY,
    "SignalOverlapAdd": OpKind.SIGNAL_OVERLAP_ADD,
    "SignalIrfft": OpKind.SIGNAL_IRFFT,
    "SignalFramer": OpKind.SIGNAL_FRAMER,
    "SignalStacker": OpKind.SIGNAL_STACKER,
}
"""Custom operator name (as TFLM's op resolver registers it) -> kind."""

CUSTOM_KINDS: dict[str, OpKind] = {
    **SIGNAL_CUSTOM_KINDS,
    "TFLite_Detection_PostProcess": OpKind.DETECTION_POSTPROCESS,
    "TFLM_DECODE": OpKind.DECODE,
    "CIRCULAR_BUFFER": OpKind.CIRCULAR_BUFFER,
}
"""Every custom operator tinymlc reads (its options: a flexbuffer map) -> kind."""


class Activation(enum.Enum):
    """Fused activation (`ActivationFunctionType`)."""

    NONE = 0
    RELU = 1
    RELU_N1_TO_1 = 2
    RELU6 = 3
    TANH = 4
    SIGN_BIT = 5


class Padding(enum.Enum):
    """Spatial padding scheme (`Padding`)."""

    SAME = 0
    VALID = 1


@dataclass(frozen=True)
class NoAttrs:
    """Operators without builtin options, and unsupported operators."""


@dataclass(frozen=True)
class Conv2DAttrs:
    padding: Padding
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    activation: Activation
    quantized_bias_type: DType = DType.FLOAT32
    """Schema's `quantized_bias_type`: INT32 makes a bias-less 16x8 layer accumulate
    in 32 bits (anything else: 64)."""


@dataclass(frozen=True)
class DepthwiseConv2DAttrs:
    padding: Padding
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    depth_multiplier: int
    activation: Activation


@dataclass(frozen=True)
class FullyConnectedAttrs:
    activation: Activation
    weights_format: int  # 0 = DEFAULT; anything else is a shuffled layout.
    keep_num_dims: bool
    asymmetric_quantize_inputs: bool
    quantized_bias_type: DType = DType.FLOAT32
    """As `Conv2DAttrs.quantized_bias_type`."""


@dataclass(frozen=True)
class Pool2DAttrs:
    padding: Padding
    stride_h: int
    stride_w: int
    filter_h: int
    filter_w: int
    activation: Activation


@dataclass(frozen=True)
class TransposeConvAttrs:
    padding: Padding
    stride_h: int
    stride_w: int
    activation: Activation
    """Fused activation (schema version 4; NONE in earlier files)."""


@dataclass(frozen=True)
class SoftmaxAttrs:
    beta: float  # float32 value from the flatbuffer, held exactly.


@dataclass(frozen=True)
class ElementwiseAttrs:
    """ADD / SUB / MUL options."""

    activation: Activation
    pot_scale_int16: bool = True


@dataclass(frozen=True)
class ReshapeAttrs:
    new_shape: tuple[int, ...] | None


@dataclass(frozen=True)
class SqueezeAttrs:
    squeeze_dims: tuple[int, ...]


@dataclass(frozen=True)
class ConcatenationAttrs:
    axis: int
    activation: Activation


@dataclass(frozen=True)
class ReducerAttrs:
    keep_dims: bool


@dataclass(frozen=True)
class StridedSliceAttrs:
    begin_mask: int
    end_mask: int
    ellipsis_mask: int
    new_axis_mask: int
    shrink_axis_mask: int
    offset: bool


@dataclass(frozen=True)
class BatchMatMulAttrs:
    adj_x: bool
    adj_y: bool
    asymmetric_quantize_inputs: bool


@dataclass(frozen=True)
class LeakyReluAttrs:
    alpha: float  # float32 value, held exactly.


@dataclass(frozen=True)
class GeluAttrs:
    approximate: bool


@dataclass(frozen=True)
class VarHandleAttrs:
    container: str
    shared_name: str


@dataclass(frozen=True)
class CallOnceAttrs:
    init_subgraph_index: int


@dataclass(frozen=True)
class IfAttrs:
    then_subgraph_index: int
    else_subgraph_index: int


@dataclass(frozen=True)
class WhileAttrs:
    cond_subgraph_index: int
    body_subgraph_index: int


@dataclass(frozen=True)
class SubgraphOutputAttrs:
    offset: int
    """Byte offset of the output in the packed tensor."""


@dataclass(frozen=True)
class SvdfAttrs:
    rank: int
    activation: Activation
    asymmetric_quantize_inputs: bool


@dataclass(frozen=True)
class CumsumAttrs:
    exclusive: bool
    reverse: bool


@dataclass(frozen=True)
class UnpackAttrs:
    num: int
    axis: int


@dataclass(frozen=True)
class PackAttrs:
    values_count: int
    axis: int


@dataclass(frozen=True)
class DepthToSpaceAttrs:
    """DEPTH_TO_SPACE and SPACE_TO_DEPTH options."""

    block_size: int


@dataclass(frozen=True)
class MirrorPadAttrs:
    symmetric: bool  # MirrorPadMode SYMMETRIC (1); REFLECT (0) otherwise.


@dataclass(frozen=True)
class ResizeAttrs:
    align_corners: bool
    half_pixel_centers: bool


@dataclass(frozen=True)
class GatherAttrs:
    axis: int
    batch_dims: int


@dataclass(frozen=True)
class LstmAttrs:
    """UnidirectionalSequenceLSTMOptions."""

    activation: Activation
    cell_clip: float
    proj_clip: float
    time_major: bool
    asymmetric_quantize_inputs: bool
    diagonal_recurrent_tensors: bool


@dataclass(frozen=True)
class CustomOptionsAttrs:
    """A custom operator's flexbuffer options as TFLM's `FlexbufferWrapper` reads them:
    the map's values in key order (flexbuffer maps are sorted by key), read by index."""

    values: tuple[int | float | bool | tuple[int, ...], ...]
    keys: tuple[str, ...] = ()
    """The map's keys, in the same order (for the options TFLM looks up by key)."""


@dataclass(frozen=True)
class FloatRequantizeAttrs:
    """REQUANTIZE_FLOAT's float32 constants (exact float32 values)."""

    multipliers: tuple[float, ...]
    """One per channel of the last axis, or one for the whole tensor."""
    divisor: float
    offset: int = 0
    """The part of the output zero point added in float before rounding (QLinearMul adds
    its whole zero point so); the rest is added to the rounded integer."""


@dataclass(frozen=True)
class LookupTableAttrs:
    """LOOKUP_TABLE's 256 int8 entries, indexed by the input's bit pattern as uint8."""

    table: tuple[int, ...]


@dataclass(frozen=True)
class QLinearAddAttrs:
    """QLINEAR_ADD's float32 constants as onnxruntime derives them (exact float32 values)."""

    ratio_a: float
    ratio_b: float
    fixed: float
    unsigned: bool
    """The model stores the operands and the output as uint8."""
    scalar: int
    """0: neither operand, 1: the first, 2: the second is a single value per innermost run."""


class BlockSum(enum.Enum):
    """How MLAS sums one K block (values: `kernels::mlas_conv::BlockSum`'s variants)."""

    FUSED = "Fused"
    """One fused multiply-add per term from zero."""
    UNFUSED_GROUPS = "UnfusedGroups"
    """Rounded products in groups of four (MLAS's single-row kernel)."""
    EIGHT_LANES = "EightLanes"
    """Eight unfused lane sums reduced per output channel's run (MLAS's single-row kernel
    for transposed weights)."""


@dataclass(frozen=True)
class MlasConvAttrs:
    """MLAS_CONV's window and summation order. Inputs: float32 NHWC input, float32 filter
    `[output_channels, k]` (k in MLAS's column order: channel, window row, window column),
    optional float32 bias; output float32 NHWC."""

    kernel: tuple[int, int]
    strides: tuple[int, int]
    dilations: tuple[int, int]
    pads: tuple[int, int]
    """Zero rows above and columns left of the input (MLAS pads the others by its output size)."""
    groups: int
    block: int
    """Terms per K block: each block's sum is added to the output."""
    block_sum: BlockSum
    bias_first: bool
    """The bias is the initial value (Gemm), else added after the sum (Conv)."""


OpAttrs: TypeAlias = (
    NoAttrs
    | CustomOptionsAttrs
    | Conv2DAttrs
    | DepthwiseConv2DAttrs
    | FullyConnectedAttrs
    | Pool2DAttrs
    | SoftmaxAttrs
    | ElementwiseAttrs
    | ReshapeAttrs
    | SqueezeAttrs
    | ConcatenationAttrs
    | ReducerAttrs
    | StridedSliceAttrs
    | BatchMatMulAttrs
    | LeakyReluAttrs
    | GeluAttrs
    | TransposeConvAttrs
    | SvdfAttrs
    | LstmAttrs
    | VarHandleAttrs
    | CallOnceAttrs
    | IfAttrs
    | WhileAttrs
    | SubgraphOutputAttrs
    | CumsumAttrs
    | UnpackAttrs
    | PackAttrs
    | DepthToSpaceAttrs
    | MirrorPadAttrs
    | ResizeAttrs
    | GatherAttrs
    | FloatRequantizeAttrs
    | LookupTableAttrs
    | QLinearAddAttrs
    | MlasConvAttrs
)


@dataclass(frozen=True)
class Quantization:
    """Affine quantization: real = scale * (q - zero_point).

    Scales are the float32 values from the model held as Python floats (exact);
    per-channel tensors have one scale/zero point per index of
    `quantized_dimension`.
    """

    scales: tuple[float, ...]
    zero_points: tuple[int, ...]
    quantized_dimension: int = 0

    @property
    def is_per_channel(self) -> bool:
        return len(self.scales) > 1

    @property
    def scale(self) -> float:
        """TFLM's `params.scale`: the first scale (per-tensor view)."""
        return self.scales[0]

    @property
    def zero_point(self) -> int:
        """TFLM's `params.zero_point`: the first zero point (0 if absent)."""
        return self.zero_points[0] if self.zero_points else 0


@dataclass(frozen=True)
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: DType
    quantization: Quantization | None = None
    # Constant payload, already shaped and typed; None for activations.
    data: npt.NDArray[np.generic] | None = field(default=None, compare=False, repr=False)
    # TFLite's shape_signature (-1 marks a dynamic dimension); None if absent.
    shape_signature: tuple[int, ...] | None = None
    is_variable: bool = False

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def num_elements(self) -> int:
        return math.prod(self.shape)

    @property
    def byte_size(self) -> int:
        """Storage bytes; INT4 is packed two per byte as TFLite stores it."""
        if self.dtype is DType.INT4:
            return (self.num_elements + 1) // 2
        itemsize = self.dtype.itemsize
        if itemsize is None:
            raise CompileError(f"tensor {self.name!r} of type {self.dtype.name} has no fixed size")
        return self.num_elements * itemsize

    @property
    def has_dynamic_shape(self) -> bool:
        return self.shape_signature is not None and any(d < 0 for d in self.shape_signature)


@dataclass(frozen=True)
class Operator:
    kind: OpKind
    # Builtin name ("CONV_2D") or "CUSTOM:<custom code>"; names unsupported ops.
    opcode_name: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    attrs: OpAttrs = NoAttrs()
    version: int = 1
    intermediates: tuple[int, ...] = ()


@dataclass(frozen=True)
class Graph:
    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    name: str = ""
    # tensor id -> tensor id whose storage it shares (set by no-op reshape
    # removal); codegen must give both the same memory.
    aliases: Mapping[int, int] = field(default_factory=dict, compare=False)
    # variable tensor id -> its initial bytes (a resource variable's value from the
    # CALL_ONCE init subgraph); variables not listed start as TFLM resets them.
    state_initial: Mapping[int, bytes] = field(default_factory=dict, compare=False)
    # variable tensor id -> what the generated `reset` writes over its reset byte, where
    # TFLM's Reset leaves other than its initial bytes: a resource variable's allocation
    # value (Reset runs no CALL_ONCE again); None: nothing, TFLM's Reset leaves it as it was
    # (a plain tensor whose last value TFLM's arena keeps, `passes.state.hold_in_state`).
    state_reset: Mapping[int, bytes | None] = field(default_factory=dict, compare=False)

    def producers(self) -> dict[int, int]:
        """tensor id -> index of the operator writing it."""
        return {t: i for i, op in enumerate(self.operators) for t in op.outputs}

    def consumers(self) -> dict[int, list[int]]:
        """tensor id -> indices of operators reading it, in schedule order."""
        result: dict[int, list[int]] = {}
        for i, op in enumerate(self.operators):
            for t in op.inputs:
                if t != NO_TENSOR:
                    result.setdefault(t, []).append(i)
        return result

    def storage_of(self, tensor_id: int) -> int:
        """The tensor that owns `tensor_id`'s memory (itself unless aliased)."""
        while tensor_id in self.aliases:
            tensor_id = self.aliases[tensor_id]
        return tensor_id


@dataclass(frozen=True)
class Model:
    subgraphs: tuple[Graph, ...]
    source: str
    version: int = 3
    description: str = ""
    # Graph input/output tensor id -> the type the caller passes it in, where that differs
    # from the arena's: UINT8 for an int8 tensor whose zero point was moved by -128 (ONNX
    # uint8 models); the generated I/O copy flips the sign bit.
    caller_dtypes: Mapping[int, DType] = field(default_factory=dict, compare=False)
    # Requantize with one rounding where TFLM's two lose more (`quant.quantize_multiplier`):
    # ONNX models, whose reference rounds once in float, not TFLM.
    single_rounding: bool = field(default=False, compare=False)

    @property
    def main(self) -> Graph:
        return self.subgraphs[0]

    def caller_dtype(self, tensor_id: int) -> DType:
        """The type the caller passes main graph input/output `tensor_id` in."""
        return self.caller_dtypes.get(tensor_id, self.main.tensors[tensor_id].dtype)
