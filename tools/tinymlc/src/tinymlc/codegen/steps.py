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

This module holds `StepBuilder`, the helpers the emitters share and the `EMITTERS`
registry; the emitters live in one module per operator family (`steps_linear`,
`steps_elementwise`, `steps_layout`, `steps_math`, ...), each registering its own.
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
from tinymlc.ops._binary import BinaryShapes
from tinymlc.ops._pooling import Pool2DParams
from tinymlc.ops.conv_2d import Conv2DParams
from tinymlc.ops.depthwise_conv_2d import DepthwiseConv2DParams
from tinymlc.ops.float32 import FloatConv2DParams, FloatPoolParams
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


def _window_operands(
    b: StepBuilder, params: Conv2DParams | DepthwiseConv2DParams | FloatConv2DParams
) -> tuple[str, ...]:
    """The operands a convolution kernel takes after its parameters: input and filter
    with their NHWC shapes, the bias, the output with its shape and this call's tile."""
    return (
        b.input(0),
        _nhwc(params.input_shape),
        b.input(1),
        _nhwc(params.filter_shape),
        _bias(b, params.has_bias),
        b.output(),
        _nhwc(params.output_shape),
        _nhwc_tile(b, params.output_shape),
    )


def _fully_connected_call(
    b: StepBuilder,
    kernel: str,
    arithmetic: str,
    dims: tuple[int, int, int],
    has_bias: bool,
) -> None:
    """A FULLY_CONNECTED kernel's call, quantized or float: `arithmetic` (its quantization
    or float activation), `FullyConnectedDims` of (batches, input depth, output depth),
    input, filter, bias, the output and this call's tile of batches x output units."""
    batches, input_depth, output_depth = dims
    b.call(
        kernel,
        arithmetic,
        _struct("FullyConnectedDims", batches=batches, input_depth=input_depth, output_depth=output_depth),
        b.input(0),
        b.input(1),
        _bias(b, has_bias),
        b.output(),
        b.tile(batches, output_depth),
    )


def _pool_call(
    b: StepBuilder,
    kernel: str,
    leading: tuple[str, ...],
    params: Pool2DParams | FloatPoolParams,
    params_item: tuple[str, str],
    activation: str,
) -> None:
    """A pool kernel's call, quantized or float: `leading` arguments, then a static
    (`params_item`: suffix, struct type) of the window and `activation`, input 0, the
    output and this call's NHWC tile."""
    suffix, struct = params_item
    value = _struct(
        struct,
        stride_height=params.stride_h,
        stride_width=params.stride_w,
        filter_height=params.filter_h,
        filter_width=params.filter_w,
        pad_top=params.padding.height,
        pad_left=params.padding.width,
        activation=activation,
    )
    b.call(
        kernel,
        *leading,
        "&" + b.item(suffix, struct, value, 8 * 4),
        b.input(0),
        _nhwc(params.input_shape),
        b.output(),
        _nhwc(params.output_shape),
        _nhwc_tile(b, params.output_shape),
    )


def _rows_call(b: StepBuilder, kernel: str, param: str, depth: int, rows: int) -> None:
    """Call of a kernel over `rows` rows of `depth` elements (the innermost axis: SOFTMAX
    and its kin): its parameter, the row length, input 0, the output and this call's rows."""
    b.call(kernel, param, str(depth), b.input(0), b.output(), b.range(rows, "rows"))


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


def _unary(
    b: StepBuilder, kernel: str, name: str, scalars: int, in_place_kernel: str | None = None, **fields: object
) -> None:
    """Elementwise kernel call with one parameter struct."""
    _elementwise(b, kernel, _params_ref(b, name, scalars, **fields), in_place_kernel=in_place_kernel)


_Emitter = Callable[[StepBuilder, PreparedParams], None]

EMITTERS: dict[OpKind, _Emitter] = {}
"""The emitter of each operator kind; one module per operator family registers its own."""


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


# The operator families' emitters, one module each; imported last, as they build on the
# helpers above. Base families first: the math and float modules wrap their emitters.
from tinymlc.codegen.steps_elementwise import ELEMENTWISE_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_layout import LAYOUT_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_linear import LINEAR_EMITTERS  # noqa: E402

EMITTERS.update(LINEAR_EMITTERS)
EMITTERS.update(ELEMENTWISE_EMITTERS)
EMITTERS.update(LAYOUT_EMITTERS)
EMITTERS.update(SIGNAL_EMITTERS)

from tinymlc.codegen.steps_data import DATA_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_math import MATH_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_recurrent import RECURRENT_EMITTERS  # noqa: E402

EMITTERS.update(MATH_EMITTERS)
EMITTERS.update(RECURRENT_EMITTERS)
EMITTERS.update(DATA_EMITTERS)

from tinymlc.codegen.steps_float import FLOAT_EMITTERS  # noqa: E402

EMITTERS.update(FLOAT_EMITTERS)

from tinymlc.codegen.steps_control_flow import CONTROL_FLOW_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_detection import DETECTION_EMITTERS  # noqa: E402
from tinymlc.codegen.steps_float_ops import FLOAT_OP_EMITTERS  # noqa: E402

EMITTERS.update(DETECTION_EMITTERS)
EMITTERS.update(FLOAT_OP_EMITTERS)
EMITTERS.update(CONTROL_FLOW_EMITTERS)

from tinymlc.codegen.steps_circular_buffer import CIRCULAR_BUFFER_EMITTERS  # noqa: E402

EMITTERS.update(CIRCULAR_BUFFER_EMITTERS)

from tinymlc.codegen.steps_exact import EXACT_EMITTERS  # noqa: E402

EMITTERS.update(EXACT_EMITTERS)

from tinymlc.codegen.steps_mlas import MLAS_EMITTERS  # noqa: E402

EMITTERS.update(MLAS_EMITTERS)
