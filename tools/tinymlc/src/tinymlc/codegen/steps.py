"""One emitted Rust step per layer: arena views, parameter statics and the
kernel call computing a caller-given part of the output.

A step is `fn layer_<i>(inputs, out, scratch, part)`: `out` is the layer's whole
output region, `scratch` the calling core's scratch region (empty unless the
kernel takes scratch), `part` the `OutputTile` to compute (one core: the whole
output, see `Step.space`; several cores: the partition pass's slice for each
core). Range kernels get `part.rows`.

Each emitter turns an operator's prepared parameters (`tinymlc.ops`) into the
`tinyml_kernels` call that computes it.  A step declares the views it reads
lazily through `StepBuilder`, so shape/index operands folded into the
parameters (PAD paddings, MEAN axes, ...) never reach the generated code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tinymlc.codegen import rust
from tinymlc.codegen.pipeline import CompiledModel
from tinymlc.codegen.signal_steps import SIGNAL_EMITTERS
from tinymlc.errors import CompileError
from tinymlc.ir import NO_TENSOR, DType, OpKind, Tensor
from tinymlc.ops import PreparedParams, scratch_bytes, state_inputs
from tinymlc.ops._binary import ArithmeticParams, BinaryShapes
from tinymlc.ops._conv_common import ConvQuantization
from tinymlc.ops._min_max import MinMaxParams
from tinymlc.ops._pooling import Pool2DParams
from tinymlc.ops._remap import RemapParams
from tinymlc.ops._sigmoid16 import Int16SigmoidParams
from tinymlc.ops._sigmoid_like import SigmoidLikeParams
from tinymlc.ops.arg_min_max import ArgMinMaxParams
from tinymlc.ops.batch_matmul import BatchMatMulParams
from tinymlc.ops.concatenation import ConcatenationParams
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.dequantize import DequantizeParams
from tinymlc.ops.float32 import FloatConv2DParams
from tinymlc.ops.float32_ops import FloatResizeBilinearParams, FloatSample, FloatTransposeConvParams
from tinymlc.ops.fully_connected import FullyConnectedParams
from tinymlc.ops.gelu import GeluParams
from tinymlc.ops.hard_swish import HardSwishParams
from tinymlc.ops.leaky_relu import LeakyReluParams
from tinymlc.ops.mean import MeanParams
from tinymlc.ops.mul import MulParams
from tinymlc.ops.pad import PadParams
from tinymlc.ops.quantize import QuantizeParams
from tinymlc.ops.reduce_extreme import ReduceExtremeParams
from tinymlc.ops.relu import ReluParams
from tinymlc.ops.relu6 import Relu6Params
from tinymlc.ops.reshape import ReshapeParams
from tinymlc.ops.resize_bilinear import ResizeBilinearParams, Sample
from tinymlc.ops.rsqrt import RsqrtParams
from tinymlc.ops.softmax import SoftmaxParams
from tinymlc.ops.strided_slice import StridedSliceParams
from tinymlc.ops.svdf import STATE_INPUT, SvdfParams
from tinymlc.ops.transpose import TransposeParams
from tinymlc.ops.transpose_conv import TransposeConvParams
from tinymlc.passes.partition import PartSpace


@dataclass
class Step:
    """The Rust for one layer."""

    index: int
    op_name: str
    output_tensor: int
    items: list[str] = field(default_factory=list)
    """Module-level parameter statics."""
    body: list[str] = field(default_factory=list)
    """Statements of `fn layer_<index>`, ending with the kernel call."""
    param_bytes: int = 0
    """Flash bytes of the parameter statics (arrays exact, scalars 4 bytes each)."""
    constants: set[int] = field(default_factory=set)
    """Constant tensors (weights, biases, constant operands) the step reads."""
    space: PartSpace | None = None
    """The parts the kernel can be given (set by the emitter's `tile` or `range`)."""
    in_place_region: str | None = None
    """The region the layer is lent instead of its output: for layers planned in
    place the input the output overwrites (the same bytes), for overlapped layers
    the region covering the input and the output written over it."""
    uses_scratch: bool = False
    """Whether the kernel takes the core's scratch (else `scratch` is unused)."""
    state_region: tuple[int, int] | None = None
    """(offset, bytes) of the state the layer updates (its variable inputs, adjacent in
    the state region): lent as the `scratch` of the one core computing the layer."""

    @property
    def reads_inputs(self) -> bool:
        """Whether the body reads arena tensors (else its `inputs` is unused)."""
        return any("inputs.get" in line for line in self.body)


class StepBuilder:
    def __init__(self, compiled: CompiledModel, index: int) -> None:
        self.graph = compiled.graph
        self.plan = compiled.plan
        self.op = self.graph.operators[index]
        self.params = compiled.params[index]
        self.step = Step(index, self.op.opcode_name, self.op.outputs[0])
        self._views: dict[int, str] = {}
        shared = dict(compiled.plan.in_place).get(self.op.outputs[0])
        self.in_place: int | None = None if shared is None else self.op.inputs.index(shared)
        """Position of the input the output overwrites (planned in place), or None.

        That input is never viewed through `inputs.get` (it is the output
        region): the emitter passes `out` to the kernel's `*_in_place` variant.
        """
        self.overlapped = dict(compiled.plan.overlapped).get(self.op.outputs[0])
        """The input the output is written over (planned overlapped), or None: the
        step is lent one region covering both, and the emitter calls the kernel's
        `*_overlapped` variant with each tensor's offset in it (`overlap_offsets`)."""

    @property
    def prefix(self) -> str:
        return f"L{self.step.index}"

    def tensor(self, position: int) -> Tensor:
        return self.graph.tensors[self.op.inputs[position]]

    def has_input(self, position: int) -> bool:
        return position < len(self.op.inputs) and self.op.inputs[position] != NO_TENSOR

    def input(self, position: int) -> str:
        """Name of a `&[T]` local holding input `position` (declared on first use)."""
        if position in self._views:
            return self._views[position]
        assert position != self.in_place, "the in-place operand is the output view"
        tensor_id = self.op.inputs[position]
        tensor = self.graph.tensors[tensor_id]
        name = f"in{position}"
        element = rust.element_type(tensor.dtype)
        if tensor.is_constant:
            self.step.constants.add(tensor_id)
            self.step.body.append(f"let {name}: &[{element}] = &{constant_name(tensor_id)}.0;")
        else:
            region = region_literal(self.plan.tensor_offsets[tensor_id], tensor.byte_size)
            self.step.body.append(f"let {name}: &[{element}] = inputs.get({region}).map_err(arena_error)?;")
        self._views[position] = name
        return name

    def output(self) -> str:
        return "out"

    def overlap_region(self) -> tuple[int, int]:
        """(offset, bytes) of the arena region lent to an overlapped layer: its input
        and the output written over it."""
        assert self.overlapped is not None
        tensors = (self.overlapped, self.op.outputs[0])
        offsets = self.plan.tensor_offsets
        start = min(offsets[t] for t in tensors)
        end = max(offsets[t] + self.graph.tensors[t].byte_size for t in tensors)
        return start, end - start

    def overlap_offsets(self) -> tuple[int, int]:
        """(input, output) byte offsets in the region lent to an overlapped layer."""
        assert self.overlapped is not None
        start, _ = self.overlap_region()
        offsets = self.plan.tensor_offsets
        return offsets[self.overlapped] - start, offsets[self.op.outputs[0]] - start

    def tile(self, rows: int, channels: int) -> str:
        """The kernel's `OutputTile` argument: this call's part of `rows` x `channels`."""
        self.step.space = PartSpace(rows, channels, ("rows", "channels"))
        return "part"

    def scratch(self, element: str = "i16") -> str:
        """The kernel's `&mut [element]` scratch: the calling core's planned region."""
        if not self.step.uses_scratch:
            self.step.uses_scratch = True
            self.step.body.append(
                f"let scratch: &mut [{element}] = tinyml_arena::cast_mut(scratch).map_err(arena_error)?;"
            )
        return "scratch"

    def state(self, position: int) -> str:
        """The kernel's `&mut [T]` view of the state input `position` (a variable tensor),
        which the layer updates in place. It arrives as `scratch`: the region covering
        the layer's state, lent mutably to the one core computing the layer."""
        tensor_id = self.op.inputs[position]
        tensor = self.graph.tensors[tensor_id]
        assert tensor.is_variable, "state is a variable tensor"
        assert self.step.state_region is None, "one state input per layer"
        self.step.uses_scratch = True
        self.step.state_region = (self.plan.tensor_offsets[tensor_id], tensor.byte_size)
        element = rust.element_type(tensor.dtype)
        self.step.body.append(
            f"let state: &mut [{element}] = tinyml_arena::cast_mut(scratch).map_err(arena_error)?;"
        )
        return "state"

    def states(self, *positions: int) -> list[str]:
        """The kernel's `&mut [T]` views of several state inputs (variable tensors planned
        adjacent, in this order): the region covering them arrives as `scratch`, lent to
        the one core computing the layer, and is split at each tensor's offset."""
        assert self.step.state_region is None, "one state region per layer"
        tensor_ids = [self.op.inputs[position] for position in positions]
        offsets = [self.plan.tensor_offsets[t] for t in tensor_ids]
        assert offsets == sorted(offsets), "state tensors are planned in input order"
        last = self.graph.tensors[tensor_ids[-1]]
        self.step.uses_scratch = True
        self.step.state_region = (offsets[0], offsets[-1] + last.byte_size - offsets[0])
        self.step.body.append("let rest = scratch;")
        names = []
        for index, tensor_id in enumerate(tensor_ids):
            tensor = self.graph.tensors[tensor_id]
            name = f"state{positions[index]}"
            if index + 1 < len(tensor_ids):
                self.step.body.append(
                    f"let ({name}, rest) = rest.split_at_mut_checked({offsets[index + 1] - offsets[index]})"
                    ".ok_or(arena_error(tinyml_arena::ArenaError::OutOfBounds))?;"
                )
            else:
                self.step.body.append(f"let {name} = rest;")
            self.step.body.append(
                f"let {name}: &mut [{rust.element_type(tensor.dtype)}] = "
                f"tinyml_arena::cast_mut({name}.get_mut(..{tensor.byte_size})"
                ".ok_or(arena_error(tinyml_arena::ArenaError::OutOfBounds))?).map_err(arena_error)?;"
            )
            names.append(name)
        return names

    def whole(self) -> str:
        """The `SplitRange` argument of a kernel that computes its layer as one part."""
        self.step.space = PartSpace(1, 1, ("layer", "none"))
        return "part.rows"

    def range(self, length: int, axis: str = "elements") -> str:
        """The kernel's `SplitRange` argument: this call's part of `0..length`."""
        self.step.space = PartSpace(length, 1, (axis, "none"))
        return "part.rows"

    def shape(self, name: str, dims: Sequence[int]) -> str:
        """A `Shape` local (its constructor is not `const`)."""
        self.step.body.append(f"let {name} = Shape::new(&{rust.usizes(dims)}).map_err(kernel_error)?;")
        return f"&{name}"

    def item(self, suffix: str, rust_type: str, value: str, flash_bytes: int) -> str:
        name = f"{self.prefix}_{suffix}"
        self.step.items.append(f"static {name}: {rust_type} = {value};")
        self.step.param_bytes += flash_bytes
        return name

    def int_array(self, suffix: str, element: str, values: Sequence[int]) -> str:
        size = {"i8": 1, "i16": 2, "i32": 4, "usize": 4}[element]
        return self.item(suffix, f"[{element}; {len(values)}]", rust.ints(values), size * len(values))

    def call(self, kernel: str, *arguments: str) -> None:
        args = ",\n        ".join(arguments)
        self.step.body.append(f"kernels::{kernel}(\n        {args},\n    )\n    .map_err(kernel_error)")


def constant_name(tensor_id: int) -> str:
    return f"T{tensor_id}"


def region_literal(offset: int, size: int) -> str:
    return f"Region::new({offset}, {size})"


def _nhwc(dims: Sequence[int]) -> str:
    return f"Nhwc::new({', '.join(str(d) for d in dims)})"


def _struct(name: str, **fields: object) -> str:
    """A one-line Rust struct literal: `Name { field: value, ... }`."""
    return f"{name} {{ " + ", ".join(f"{field}: {value}" for field, value in fields.items()) + " }"


def _struct_block(name: str, **fields: object) -> str:
    """A Rust struct literal with one field per line, for the larger parameter structs."""
    return f"{name} {{\n" + "".join(f"    {field}: {value},\n" for field, value in fields.items()) + "}"


def _multiplier(multiplier: int, shift: int) -> str:
    return _struct("QuantizedMultiplier", multiplier=multiplier, shift=shift)


def _activation(low: int, high: int) -> str:
    return _struct("ActivationRange", min=low, max=high)


def _element(b: StepBuilder, position: int | None = None) -> str:
    """The Rust element type of input `position`, or of the output (None): the kernel's
    type parameter, as quantization modes (int8, int16) are the tensors' types."""
    tensor_id = b.op.outputs[0] if position is None else b.op.inputs[position]
    return rust.element_type(b.graph.tensors[tensor_id].dtype)


def _output_literal(b: StepBuilder, value: float) -> str:
    """`value` as a literal of the output's element type."""
    if b.graph.tensors[b.op.outputs[0]].dtype is DType.FLOAT32:
        return rust.f32(float(value))
    return str(value)


def _elements(b: StepBuilder, tensor: Tensor) -> str:
    return b.range(tensor.num_elements)


def _output_range(b: StepBuilder, output_shape: Sequence[int]) -> str:
    return b.range(math.prod(output_shape))


def _params_ref(b: StepBuilder, name: str, scalars: int, **fields: object) -> str:
    """`&L<i>_PARAMS`: a static `name` struct of `scalars` 4-byte fields."""
    return "&" + b.item("PARAMS", name, _struct(name, **fields), scalars * 4)


def _in_place_kernel(kernel: str) -> str:
    """`module::name::<T>` -> `module::name_in_place::<T>`."""
    path, separator, generics = kernel.partition("::<")
    return f"{path}_in_place{separator}{generics}"


def _elementwise(b: StepBuilder, kernel: str, *params: str, in_place_kernel: str | None = None) -> None:
    """Kernel call over every element of input 0 into the output, or, when the
    output is planned over input 0, the in-place variant over `out` alone."""
    if b.in_place is None:
        b.call(kernel, *params, b.input(0), b.output(), _elements(b, b.tensor(0)))
        return
    assert b.in_place == 0
    b.call(in_place_kernel or _in_place_kernel(kernel), *params, b.output(), _elements(b, b.tensor(0)))


def _layout_call(
    b: StepBuilder, kernel: str, input_shape: Sequence[int], output_shape: Sequence[int], *layout: str
) -> None:
    """Kernel call that rearranges input 0 (of `input_shape`) as `layout` describes."""
    b.call(
        kernel,
        b.input(0),
        b.shape("input_shape", input_shape),
        *layout,
        b.output(),
        _output_range(b, output_shape),
    )


def _linear_quant(
    b: StepBuilder,
    offsets: tuple[int, int, int],
    multipliers: Sequence[int],
    shifts: Sequence[int],
    activation: tuple[int, int],
) -> str:
    multipliers_name = b.int_array("MULTIPLIERS", "i32", multipliers)
    shifts_name = b.int_array("SHIFTS", "i32", shifts)
    value = _struct_block(
        "LinearQuantParams",
        input_offset=offsets[0],
        weights_offset=offsets[1],
        output_offset=offsets[2],
        output_multipliers=_struct(
            "ChannelMultipliers", multipliers=f"&{multipliers_name}", shifts=f"&{shifts_name}"
        ),
        activation=_activation(*activation),
    )
    return "&" + b.item("QUANT", "LinearQuantParams<'static>", value, 5 * 4)


def _conv_quant(b: StepBuilder, q: ConvQuantization) -> str:
    return _linear_quant(
        b,
        (q.input_offset, q.weights_offset, q.output_offset),
        q.per_channel_output_multiplier,
        q.per_channel_output_shift,
        (q.output_activation_min, q.output_activation_max),
    )


def _bias(b: StepBuilder, has_bias: bool) -> str:
    return f"Some({b.input(2)})" if has_bias else "None"


def _geometry(b: StepBuilder, params: Conv2DParams | DepthwiseConv2DParams | FloatConv2DParams) -> str:
    value = _struct(
        "ConvGeometry",
        stride_height=params.stride_h,
        stride_width=params.stride_w,
        dilation_height=params.dilation_h,
        dilation_width=params.dilation_w,
        pad_top=params.padding.height,
        pad_left=params.padding.width,
    )
    return "&" + b.item("GEOMETRY", "ConvGeometry", value, 6 * 4)


def _nhwc_tile(b: StepBuilder, output_shape: Sequence[int]) -> str:
    """A part of an NHWC output: rows are `N*H`, channels `C`."""
    return b.tile(output_shape[0] * output_shape[1], output_shape[3])


def _conv_2d(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, Conv2DParams)
    out_shape = params.output_shape
    if b.overlapped is not None:
        input_at, output_at = b.overlap_offsets()
        b.call(
            "conv::conv_2d_overlapped",
            _geometry(b, params),
            _conv_quant(b, params.quantization),
            b.output(),
            f"({input_at}, {_nhwc(params.input_shape)})",
            b.input(1),
            _nhwc(params.filter_shape),
            _bias(b, params.has_bias),
            f"({output_at}, {_nhwc(out_shape)})",
            _nhwc_tile(b, out_shape),
            b.scratch(),
        )
        return
    # The optimized kernel gathers int8 windows; 16x8 runs the generic reference.
    kernel, scratch = (
        (f"reference::conv::conv_2d::<{params.mode.rust_generics}>", ())
        if params.mode.is_16x8
        else ("conv::conv_2d", (b.scratch(),))
    )
    b.call(
        kernel,
        _geometry(b, params),
        _conv_quant(b, params.quantization),
        b.input(0),
        _nhwc(params.input_shape),
        b.input(1),
        _nhwc(params.filter_shape),
        _bias(b, params.has_bias),
        b.output(),
        _nhwc(out_shape),
        _nhwc_tile(b, out_shape),
        *scratch,
    )


def _depthwise_conv_2d(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DepthwiseConv2DParams)
    out_shape = params.output_shape
    kernel = (
        f"reference::depthwise_conv::depthwise_conv_2d::<{params.mode.rust_generics}>"
        if params.mode.is_16x8
        else "depthwise_conv::depthwise_conv_2d"
    )
    b.call(
        kernel,
        _geometry(b, params),
        str(params.depth_multiplier),
        _conv_quant(b, params.quantization),
        b.input(0),
        _nhwc(params.input_shape),
        b.input(1),
        _nhwc(params.filter_shape),
        _bias(b, params.has_bias),
        b.output(),
        _nhwc(out_shape),
        _nhwc_tile(b, out_shape),
    )


def _transpose_conv_geometry(b: StepBuilder, params: TransposeConvParams | FloatTransposeConvParams) -> str:
    geometry = _struct(
        "kernels::transpose_conv::TransposeConvGeometry",
        stride_height=params.stride_h,
        stride_width=params.stride_w,
        pad_top=params.padding.height,
        pad_left=params.padding.width,
    )
    return "&" + b.item("GEOMETRY", "kernels::transpose_conv::TransposeConvGeometry", geometry, 4 * 4)


def _transpose_conv(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, TransposeConvParams)
    if params.widened_bias is not None:
        # TFLM widens an int16 bias to int64 before its 16x8 kernel; so does the compiler.
        count = len(params.widened_bias)
        widened = b.item("BIAS", f"[i64; {count}]", rust.ints(params.widened_bias), 8 * count)
        bias = f"Some(&{widened})"
    else:
        bias = f"Some({b.input(3)})" if params.has_bias else "None"
    out_shape = params.output_shape
    b.call(
        f"transpose_conv::transpose_conv::<{params.mode.rust_generics}>",
        _transpose_conv_geometry(b, params),
        _conv_quant(b, params.quantization),
        b.input(2),
        _nhwc(params.input_shape),
        b.input(1),
        _nhwc(params.filter_shape),
        bias,
        b.output(),
        _nhwc(out_shape),
        _nhwc_tile(b, out_shape),
    )


def _fully_connected(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, FullyConnectedParams)
    multipliers = params.per_channel_output_multiplier or (params.output_multiplier,)
    shifts = params.per_channel_output_shift or (params.output_shift,)
    quant = _linear_quant(
        b,
        (params.input_offset, params.weights_offset, params.output_offset),
        multipliers,
        shifts,
        (params.output_activation_min, params.output_activation_max),
    )
    dims = _struct(
        "FullyConnectedDims",
        batches=params.batches,
        input_depth=params.accum_depth,
        output_depth=params.output_depth,
    )
    # The optimized kernel is int8's; 16x8 runs the generic reference.
    kernel = (
        f"reference::fully_connected::fully_connected::<{params.mode.rust_generics}>"
        if params.mode.is_16x8
        else "fully_connected::fully_connected"
    )
    b.call(
        kernel,
        quant,
        dims,
        b.input(0),
        b.input(1),
        _bias(b, params.has_bias),
        b.output(),
        b.tile(params.batches, params.output_depth),
    )


def _pool(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, Pool2DParams)
        value = _struct(
            "PoolParams",
            stride_height=params.stride_h,
            stride_width=params.stride_w,
            filter_height=params.filter_h,
            filter_width=params.filter_w,
            pad_top=params.padding.height,
            pad_left=params.padding.width,
            activation=_activation(params.activation_min, params.activation_max),
        )
        out_shape = params.output_shape
        b.call(
            f"pooling::{kernel}::<{rust.element_type(params.element)}>",
            "&" + b.item("POOL", "PoolParams", value, 8 * 4),
            b.input(0),
            _nhwc(params.input_shape),
            b.output(),
            _nhwc(out_shape),
            _nhwc_tile(b, out_shape),
        )

    return emit


def _binary_call(b: StepBuilder, kernel: str, shapes: BinaryShapes, *params: str) -> None:
    """Broadcasting binary kernel call; when the output is planned over an input
    (which then has the output's shape), `<kernel>_in_place_first/second` with
    `out` as that operand."""
    if b.in_place is not None:
        path, separator, generics = kernel.partition("::<")
        data = (b.output(), b.shape("output_shape", shapes.output_shape))
        if b.in_place == 0:
            which, operands = "first", (*data, b.input(1), b.shape("shape2", shapes.input2_shape))
        else:
            which, operands = "second", (b.input(0), b.shape("shape1", shapes.input1_shape), *data)
        b.call(
            f"{path}_in_place_{which}{separator}{generics}",
            *params,
            *operands,
            _output_range(b, shapes.output_shape),
        )
        return
    b.call(
        kernel,
        *params,
        b.input(0),
        b.shape("shape1", shapes.input1_shape),
        b.input(1),
        b.shape("shape2", shapes.input2_shape),
        b.output(),
        b.shape("output_shape", shapes.output_shape),
        _output_range(b, shapes.output_shape),
    )


def _arithmetic(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, ArithmeticParams)
        value = _struct_block(
            "ArithmeticParams",
            left_shift=params.left_shift,
            input1_offset=params.input1_offset,
            input1_multiplier=_multiplier(params.input1_multiplier, params.input1_shift),
            input2_offset=params.input2_offset,
            input2_multiplier=_multiplier(params.input2_multiplier, params.input2_shift),
            output_offset=params.output_offset,
            output_multiplier=_multiplier(params.output_multiplier, params.output_shift),
            activation=_activation(params.output_activation_min, params.output_activation_max),
        )
        param = "&" + b.item("PARAMS", "ArithmeticParams", value, 12 * 4)
        _binary_call(b, f"binary::{kernel}::<{_element(b)}>", params.shapes, param)

    return emit


def _mul(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, MulParams)
    param = _params_ref(
        b,
        "MulParams",
        7,
        input1_offset=params.input1_offset,
        input2_offset=params.input2_offset,
        output_offset=params.output_offset,
        output_multiplier=_multiplier(params.output_multiplier, params.output_shift),
        activation=_activation(params.output_activation_min, params.output_activation_max),
    )
    _binary_call(b, f"binary::mul::<{_element(b)}>", params.shapes, param)


def _min_max(kernel: str) -> Callable[[StepBuilder, PreparedParams], None]:
    def emit(b: StepBuilder, params: PreparedParams) -> None:
        assert isinstance(params, MinMaxParams)
        _binary_call(b, f"binary::{kernel}::<{_element(b)}>", params.shapes)

    return emit


def _softmax(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SoftmaxParams)
    rows = b.range(params.outer_size, "rows")
    if params.input_dtype is DType.INT16:
        exp_lut = b.int_array("EXP_LUT", "i16", params.exp_lut)
        reciprocal_lut = b.int_array("RECIPROCAL_LUT", "i16", params.one_over_one_plus_x_lut)
        value = _struct(
            "kernels::softmax16::SoftmaxInt16Params",
            input_multiplier=params.input_multiplier,
            input_left_shift=params.input_left_shift,
            exp_lut=f"&{exp_lut}",
            one_over_one_plus_x_lut=f"&{reciprocal_lut}",
        )
        param = "&" + b.item("PARAMS", "kernels::softmax16::SoftmaxInt16Params<'static>", value, 4 * 4)
        b.call("softmax16::softmax_int16", param, str(params.depth), b.input(0), b.output(), rows)
        return
    param = _params_ref(
        b,
        "SoftmaxParams",
        3,
        input_multiplier=params.input_multiplier,
        input_left_shift=params.input_left_shift,
        diff_min=params.diff_min,
    )
    b.call(
        f"softmax::softmax::<{rust.element_type(params.output_dtype)}>",
        param,
        str(params.depth),
        b.input(0),
        b.output(),
        rows,
    )


def _sigmoid_like(function: str) -> Callable[[StepBuilder, PreparedParams], None]:
    """LOGISTIC or TANH (`function`): int8 in gemmlowp fixed point, int16 by table."""

    def emit(b: StepBuilder, params: PreparedParams) -> None:
        if isinstance(params, Int16SigmoidParams):
            _unary(
                b,
                f"sigmoid16::{function}",
                "Int16SigmoidParams",
                2,
                input_multiplier=params.input_multiplier,
                input_left_shift=params.input_left_shift,
            )
            return
        assert isinstance(params, SigmoidLikeParams)
        _unary(
            b,
            f"{function}::{function}",
            "FixedPointInputParams",
            4,
            input_zero_point=params.input_zero_point,
            input_range_radius=params.input_range_radius,
            input_multiplier=params.input_multiplier,
            input_left_shift=params.input_left_shift,
        )

    return emit


def _unary(
    b: StepBuilder, kernel: str, name: str, scalars: int, in_place_kernel: str | None = None, **fields: object
) -> None:
    """Elementwise kernel call with one parameter struct."""
    _elementwise(b, kernel, _params_ref(b, name, scalars, **fields), in_place_kernel=in_place_kernel)


def _relu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReluParams)
    _unary(
        b,
        f"activations::relu::<{_element(b)}>",
        "ReluParams",
        6,
        input_zero_point=params.input_offset,
        output_zero_point=params.output_offset,
        multiplier=_multiplier(params.output_multiplier, params.output_shift),
        activation=_activation(params.quantized_activation_min, params.quantized_activation_max),
    )


def _relu6(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, Relu6Params)
    _elementwise(b, f"activations::relu6::<{_element(b)}>", f"{params.zero}", f"{params.six}")


def _leaky_relu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, LeakyReluParams)
    _unary(
        b,
        f"leaky_relu::leaky_relu::<{_element(b)}>",
        "LeakyReluParams",
        6,
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        alpha=_multiplier(params.output_multiplier_alpha, params.output_shift_alpha),
        identity=_multiplier(params.output_multiplier_identity, params.output_shift_identity),
    )


def _hard_swish(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, HardSwishParams)
    _unary(
        b,
        "hard_swish::hard_swish",
        "HardSwishParams",
        6,
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        reluish_multiplier_fixedpoint_int16=params.reluish_multiplier_fixedpoint_int16,
        reluish_multiplier_exponent=params.reluish_multiplier_exponent,
        output_multiplier_fixedpoint_int16=params.output_multiplier_fixedpoint_int16,
        output_multiplier_exponent=params.output_multiplier_exponent,
    )


def _rsqrt(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, RsqrtParams)
    _unary(
        b,
        "rsqrt::rsqrt",
        "RsqrtParams",
        4,
        input_zero_point=params.input_offset,
        output_zero_point=params.output_offset,
        multiplier=_multiplier(params.multiplier, params.shift),
    )


def _gelu(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, GeluParams)
    lut = b.int_array("LUT", "i8", params.lut)
    _elementwise(b, "gelu::gelu", f"&{lut}")


def _quantize(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, QuantizeParams)
    output = _element(b)
    if params.from_float:
        kernel = f"quantize::quantize_f32::<{output}>"
        _scale_conversion(b, kernel, params.output_scale, params.output_zero_point)
        return
    _unary(
        b,
        f"quantize::requantize::<{_element(b, 0)}, {output}>",
        "RequantizeParams",
        4,
        in_place_kernel=f"quantize::requantize_in_place::<{output}>",
        input_zero_point=params.input_zero_point,
        output_zero_point=params.output_zero_point,
        multiplier=_multiplier(params.requantize_output_multiplier, params.requantize_output_shift),
    )


def _scale_conversion(b: StepBuilder, kernel: str, scale: float, zero_point: int) -> None:
    """QUANTIZE from / DEQUANTIZE to float: the kernel takes the scale after the input."""
    assert b.in_place is None, "a type-changing conversion is never planned in place"
    b.call(kernel, b.input(0), rust.f32(scale), str(zero_point), b.output(), _elements(b, b.tensor(0)))


def _dequantize(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DequantizeParams)
    _scale_conversion(b, f"quantize::dequantize::<{_element(b, 0)}>", params.scale, params.zero_point)


def _reshape(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReshapeParams)
    _elementwise(b, "reshape::reshape")


def _pad(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, PadParams)
    axes = ", ".join(
        _struct("AxisPadding", before=lo, after=hi)
        for lo, hi in zip(params.left_padding, params.right_padding, strict=True)
    )
    padding = b.item(
        "PADDING", f"[AxisPadding; {len(params.left_padding)}]", f"[{axes}]", 8 * len(params.left_padding)
    )
    _layout_call(
        b,
        f"pad::pad::<{_element(b)}>",
        params.input_shape,
        params.output_shape,
        f"&{padding}",
        _output_literal(b, params.pad_value),
    )


def _concatenation(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ConcatenationParams)
    axis_sizes = b.int_array("AXIS_SIZES", "usize", [shape[params.axis] for shape in params.input_shapes])
    inner = math.prod(params.output_shape[params.axis + 1 :])
    value = _struct("ConcatLayout", outer=params.outer_size, inner=inner, axis_sizes=f"&{axis_sizes}")
    layout = b.item("LAYOUT", "ConcatLayout<'static>", value, 3 * 4)
    inputs = ", ".join(b.input(i) for i in range(params.inputs_count))
    b.call(
        f"concatenation::concatenation::<{_element(b)}>",
        f"&{layout}",
        f"&[{inputs}]",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _mean(b: StepBuilder, params: PreparedParams, kernel: str = "mean::mean") -> None:
    assert isinstance(params, MeanParams)
    axes = b.int_array("AXES", "usize", params.axes)
    b.call(
        f"{kernel}::<{rust.element_type(params.element)}>",
        _params_ref(
            b,
            "MeanParams",
            4,
            input_zero_point=params.input_zero_point,
            output_zero_point=params.output_zero_point,
            multiplier=_multiplier(params.multiplier, params.shift),
        ),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        f"&{axes}",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _slice_count(start: int, stop: int, stride: int) -> int:
    """Iterations of `for (i = start; stride > 0 ? i < stop : i > stop; i += stride)`."""
    span = stop - start if stride > 0 else start - stop
    return max(0, -(-span // abs(stride)))


def _strided_slice(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, StridedSliceParams)
    axes = ", ".join(
        _struct("SliceAxis", start=start, stride=stride, count=_slice_count(start, stop, stride))
        for start, stop, stride in zip(params.starts, params.stops, params.strides, strict=True)
    )
    slices = b.item("AXES", f"[SliceAxis; {len(params.starts)}]", f"[{axes}]", 12 * len(params.starts))
    _layout_call(
        b,
        f"strided_slice::strided_slice::<{_element(b)}>",
        params.input_shape_5d,
        params.output_shape,
        f"&{slices}",
    )


def _remap(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, RemapParams)
    table = b.item(
        "CONTRIBUTIONS",
        f"[i32; {len(params.contributions)}]",
        rust.ints(params.contributions),
        4 * len(params.contributions),
    )
    b.call(
        "remap::remap",
        b.input(params.data_input),
        b.shape("input_shape", params.input_shape),
        b.shape("output_shape", params.output_shape),
        f"&{table}",
        _output_literal(b, params.pad_value),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _extreme(maximum: bool) -> str:
    return "kernels::reduce::Extreme::Max" if maximum else "kernels::reduce::Extreme::Min"


def _reduce_extreme(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ReduceExtremeParams)
    axes = b.int_array("AXES", "usize", params.axes)
    b.call(
        "reduce::reduce_extreme",
        _extreme(params.maximum),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        f"&{axes}",
        b.output(),
        _output_range(b, params.output_shape),
    )


def _arg_min_max(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ArgMinMaxParams)
    b.call(
        "reduce::arg_extreme",
        _extreme(params.maximum),
        b.input(0),
        b.shape("input_shape", params.input_shape),
        str(params.axis),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _resize_bilinear(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, ResizeBilinearParams | FloatResizeBilinearParams)
    is_float = isinstance(params, FloatResizeBilinearParams)
    sample = "kernels::resize_bilinear::Sample"  # not among the template's imports
    table_type = f"{sample}<f32>" if is_float else sample  # a literal infers the fraction type

    def table(suffix: str, samples: tuple[Sample | FloatSample, ...]) -> str:
        values = ", ".join(
            _struct(
                sample,
                lower=s.lower,
                upper=s.upper,
                fraction=rust.f32(s.fraction) if is_float else s.fraction,
            )
            for s in samples
        )
        return "&" + b.item(suffix, f"[{table_type}; {len(samples)}]", f"[{values}]", 12 * len(samples))

    b.call(
        "float::resize_bilinear::resize_bilinear" if is_float else "resize_bilinear::resize_bilinear",
        b.input(0),
        f"&{_nhwc(params.input_shape)}",
        table("ROWS", params.rows),
        table("COLUMNS", params.columns),
        b.output(),
        _output_range(b, params.output_shape),
    )


def _transpose(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, TransposeParams)
    perm = b.int_array("PERM", "usize", params.perm)
    kernel = f"transpose::transpose::<{_element(b)}>"
    _layout_call(b, kernel, params.input_shape, params.output_shape, f"&{perm}")


def _batch_matmul(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, BatchMatMulParams)
    quant = _linear_quant(
        b,
        (params.lhs_offset, params.rhs_offset, params.output_offset),
        (params.output_multiplier,),
        (params.output_shift,),
        (params.output_activation_min, params.output_activation_max),
    )
    lhs = b.shape("lhs_shape", params.lhs_shape)
    rhs = b.shape("rhs_shape", params.rhs_shape)
    shapes = _struct(
        "BatchMatMulShapes",
        lhs=f"*{lhs}",
        rhs=f"*{rhs}",
        adj_x=rust.boolean(params.adj_x),
        adj_y=rust.boolean(params.adj_y),
    )
    b.step.body.append(f"let shapes = {shapes};")
    *batch, rows, columns = params.output_shape
    tile = b.tile(math.prod(batch) * rows, columns)
    if b.tensor(0).dtype is DType.INT16:
        b.call(
            "reference::batch_matmul::batch_matmul_int16",
            quant,
            "&shapes",
            b.input(0),
            b.input(1),
            b.output(),
            tile,
        )
        return
    b.call(
        "batch_matmul::batch_matmul", quant, "&shapes", b.input(0), b.input(1), b.output(), tile, b.scratch()
    )


def _svdf(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, SvdfParams)
    quant = _struct(
        "SvdfQuant",
        input_zero_point=params.input_zero_point,
        state_zero_point=params.state_zero_point,
        output_zero_point=params.output_zero_point,
        feature=_multiplier(params.feature_multiplier, params.feature_shift),
        output=_multiplier(params.output_multiplier, params.output_shift),
    )
    dims = _struct(
        "SvdfDims",
        batches=params.batches,
        input_size=params.input_size,
        filters=params.filters,
        rank=params.rank,
        memory_size=params.memory_size,
    )
    b.call(
        "svdf::svdf",
        "&" + b.item("QUANT", "SvdfQuant", quant, 7 * 4),
        dims,
        b.input(0),
        b.input(1),
        b.input(2),
        b.input(3),
        b.state(STATE_INPUT),
        b.output(),
        b.whole(),
    )


_Emitter = Callable[[StepBuilder, PreparedParams], None]

EMITTERS: dict[OpKind, _Emitter] = {
    OpKind.ADD: _arithmetic("add"),
    OpKind.AVERAGE_POOL_2D: _pool("average_pool_2d"),
    OpKind.BATCH_MATMUL: _batch_matmul,
    OpKind.CONCATENATION: _concatenation,
    OpKind.CONV_2D: _conv_2d,
    OpKind.DEPTHWISE_CONV_2D: _depthwise_conv_2d,
    OpKind.DEQUANTIZE: _dequantize,
    OpKind.FULLY_CONNECTED: _fully_connected,
    OpKind.GELU: _gelu,
    OpKind.HARD_SWISH: _hard_swish,
    OpKind.LEAKY_RELU: _leaky_relu,
    OpKind.LOGISTIC: _sigmoid_like("logistic"),
    OpKind.MAX_POOL_2D: _pool("max_pool_2d"),
    OpKind.MAXIMUM: _min_max("maximum"),
    OpKind.MEAN: _mean,
    OpKind.MINIMUM: _min_max("minimum"),
    OpKind.MUL: _mul,
    OpKind.PAD: _pad,
    OpKind.PADV2: _pad,
    OpKind.QUANTIZE: _quantize,
    OpKind.RELU: _relu,
    OpKind.RELU6: _relu6,
    OpKind.RESHAPE: _reshape,
    OpKind.READ_VARIABLE: _reshape,
    OpKind.ASSIGN_VARIABLE: _reshape,
    OpKind.RSQRT: _rsqrt,
    OpKind.SOFTMAX: _softmax,
    OpKind.SQUARED_DIFFERENCE: _arithmetic("squared_difference"),
    OpKind.SQUEEZE: _reshape,
    OpKind.STRIDED_SLICE: _strided_slice,
    OpKind.SLICE: _strided_slice,
    OpKind.EXPAND_DIMS: _reshape,
    OpKind.DEPTH_TO_SPACE: _remap,
    OpKind.SPACE_TO_DEPTH: _remap,
    OpKind.SPACE_TO_BATCH_ND: _remap,
    OpKind.BATCH_TO_SPACE_ND: _remap,
    OpKind.MIRROR_PAD: _remap,
    OpKind.RESIZE_NEAREST_NEIGHBOR: _remap,
    OpKind.BROADCAST_TO: _remap,
    OpKind.FILL: _remap,
    OpKind.ZEROS_LIKE: _remap,
    OpKind.REVERSE_V2: _remap,
    OpKind.GATHER: _remap,
    OpKind.GATHER_ND: _remap,
    OpKind.PACK: _concatenation,
    OpKind.REDUCE_MAX: _reduce_extreme,
    OpKind.REDUCE_MIN: _reduce_extreme,
    OpKind.REDUCE_ALL: _reduce_extreme,
    OpKind.ARG_MAX: _arg_min_max,
    OpKind.ARG_MIN: _arg_min_max,
    OpKind.SUM: lambda b, params: _mean(b, params, "mean::sum"),
    OpKind.RESIZE_BILINEAR: _resize_bilinear,
    OpKind.SUB: _arithmetic("sub"),
    OpKind.SVDF: _svdf,
    OpKind.TANH: _sigmoid_like("tanh"),
    OpKind.TRANSPOSE: _transpose,
    OpKind.TRANSPOSE_CONV: _transpose_conv,
    **SIGNAL_EMITTERS,
}


def build_step(compiled: CompiledModel, index: int) -> Step:
    builder = StepBuilder(compiled, index)
    emitter = EMITTERS.get(builder.op.kind)
    if emitter is None:
        raise CompileError(
            f"operator {index} ({builder.op.opcode_name}) has no code generator", compiled.model.source
        )
    output = compiled.graph.tensors[builder.step.output_tensor]
    element = rust.element_type(output.dtype)
    emitter(builder, builder.params)
    if builder.step.space is None:
        raise CompileError(f"operator {index} ({builder.op.opcode_name}) has no part to compute")
    if builder.step.uses_scratch != bool(scratch_bytes(builder.params) or state_inputs(builder.params)):
        raise CompileError(f"operator {index} ({builder.op.opcode_name}): kernel scratch and plan disagree")
    if builder.in_place is not None:
        if not any("_in_place" in line for line in builder.step.body):
            raise CompileError(f"operator {index} ({builder.op.opcode_name}) has no in-place kernel")
        shared_id = builder.op.inputs[builder.in_place]
        shared = compiled.graph.tensors[shared_id]
        # The output overwrites input `in_place`: that one region is lent mutably.
        builder.step.in_place_region = region_literal(
            compiled.plan.tensor_offsets[shared_id], shared.byte_size
        )
    if builder.overlapped is not None:
        if not any("_overlapped" in line for line in builder.step.body):
            raise CompileError(f"operator {index} ({builder.op.opcode_name}) has no overlapped kernel")
        # The output is written over the input: the region covering both is lent mutably.
        builder.step.in_place_region = region_literal(*builder.overlap_region())
    # The caller splits the arena into `inputs` and the output region `out`.
    builder.step.body.insert(
        0, f"let out: &mut [{element}] = tinyml_arena::cast_mut(out).map_err(arena_error)?;"
    )
    return builder.step


def build_steps(compiled: CompiledModel) -> list[Step]:
    return [build_step(compiled, index) for index in range(len(compiled.graph.operators))]


def constant_item(tensor_id: int, tensor: Tensor) -> str:
    """`static T<id>: Aligned<[T; N]> = Aligned([...]);` for a constant tensor."""
    assert tensor.data is not None
    element = rust.element_type(tensor.dtype)
    values = tensor.data.reshape(-1)
    if tensor.dtype is DType.FLOAT32:
        literal = "[" + ", ".join(rust.f32(float(v)) for v in values) + "]"
    else:
        literal = rust.ints(int(v) for v in values)
    return (
        f"/// {rust.string(tensor.name)[1:-1]} {list(tensor.shape)}\n"
        f"static {constant_name(tensor_id)}: Aligned<[{element}; {values.size}]> = Aligned({literal});"
    )


# Emitters of further operator families live in their own modules (this one's size);
# imported last, as they build on the helpers above.
from tinymlc.codegen.steps_data import DATA_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_math import MATH_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_recurrent import RECURRENT_EMITTERS  # noqa: E402

EMITTERS.update(MATH_EMITTERS)
EMITTERS.update(RECURRENT_EMITTERS)
EMITTERS.update(DATA_EMITTERS)

from tinymlc.codegen.steps_float import FLOAT_EMITTERS  # noqa: E402

EMITTERS.update(FLOAT_EMITTERS)

from tinymlc.codegen.steps_detection import DETECTION_EMITTERS  # noqa: E402

EMITTERS.update(DETECTION_EMITTERS)
from tinymlc.codegen.steps_float_ops import FLOAT_OP_EMITTERS  # noqa: E402

EMITTERS.update(FLOAT_OP_EMITTERS)

from tinymlc.codegen.steps_control_flow import CONTROL_FLOW_EMITTERS  # noqa: E402

EMITTERS.update(CONTROL_FLOW_EMITTERS)
