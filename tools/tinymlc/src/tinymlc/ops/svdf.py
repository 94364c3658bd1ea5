"""SVDF: TFLM's full-integer SVDF (int8 input, weights_feature and output; int16 or
int8 weights_time and activation state; int32 bias), and its float SVDF (everything
float32, the bias optional; `FloatSvdfParams`).

The activation state (input 4) is a variable tensor the kernel updates every
inference: shifted one step back in time, with the newest feature column
written at each filter's end. TFLM's integer kernel ignores the fused activation
(the output is only clamped to int8), and so do we.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinymlc import quant
from tinymlc.ir import Activation, DType, SvdfAttrs
from tinymlc.ops._common import OpView, per_tensor, require, require_arity, require_dtype

STATE_INPUT = 4
"""The input holding the activation state (kSvdfInputActivationStateTensor)."""

# TFLM's Prepare: |bias scale - state scale * weights_time scale| below this.
MAX_BIAS_SCALE_DIFFERENCE = 1e-5


@dataclass(frozen=True)
class SvdfParams:
    batches: int
    """input.dims[0] (n_batch)."""
    input_size: int
    """input.dims[1] (n_input)."""
    filters: int
    """weights_feature.dims[0] (n_filter)."""
    rank: int
    """SVDFParams.rank: filters summed into one output unit."""
    memory_size: int
    """weights_time.dims[1] (n_memory)."""
    state_dtype: DType
    """INT16 or INT8: the type of the state and of weights_time (EvalInt16/Int8SvdfReference)."""
    input_zero_point: int
    """OpDataSvdf.input_zero_point (subtracted from every input value)."""
    state_zero_point: int
    """OpDataSvdf.activation_state_zero_point."""
    output_zero_point: int
    """OpDataSvdf.output_zero_point."""
    feature_multiplier: int
    """OpDataSvdf.effective_scale_1_a: input * weights_feature -> state."""
    feature_shift: int
    """OpDataSvdf.effective_scale_1_b, positive = left."""
    output_multiplier: int
    """OpDataSvdf.effective_scale_2_a: state * weights_time -> output."""
    output_shift: int
    """OpDataSvdf.effective_scale_2_b, positive = left."""

    @property
    def units(self) -> int:
        return self.filters // self.rank


@dataclass(frozen=True)
class SvdfDims:
    batches: int
    input_size: int
    filters: int
    rank: int
    memory_size: int


@dataclass(frozen=True)
class FloatSvdfParams:
    """TFLM's EvalFloatSvdfReference: float32 input, weights, bias, state and output."""

    dims: SvdfDims
    activation: Activation
    """Applied as TFLM's ActivationValFloat."""
    has_bias: bool


def _dims(view: OpView) -> SvdfDims:
    """TFLM's PrepareSvdf checks of every type."""
    attrs = view.op.attrs
    require(isinstance(attrs, SvdfAttrs), "SVDF has no SVDFOptions", "re-export the model")
    assert isinstance(attrs, SvdfAttrs)
    require_arity(view, (5,))
    input_, weights_feature, weights_time = view.input(0), view.input(1), view.input(2)
    bias, state, output = view.optional_input(3), view.input(4), view.output()
    require(state.is_variable, "the activation state must be a variable tensor", "re-export the model", state)
    require(
        not weights_feature.is_variable and not weights_time.is_variable,
        "SVDF weights must not be variable tensors",
        "re-export the model",
    )
    require(len(input_.shape) == 2, f"input must be 2-D, is {list(input_.shape)}", "", input_)
    require(attrs.rank > 0, "rank must be positive", "re-export the model")
    batches, input_size = input_.shape
    require(len(weights_feature.shape) == 2, "weights_feature must be 2-D", "", weights_feature)
    filters = weights_feature.shape[0]
    require(
        filters % attrs.rank == 0,
        f"{filters} filters are not a multiple of rank {attrs.rank}",
        "re-export the model",
        weights_feature,
    )
    require(
        weights_feature.shape[1] == input_size, "weights_feature width != input size", "", weights_feature
    )
    require(len(weights_time.shape) == 2, "weights_time must be 2-D", "", weights_time)
    require(weights_time.shape[0] == filters, "weights_time rows != filters", "", weights_time)
    memory_size = weights_time.shape[1]
    units = filters // attrs.rank
    require(
        output.shape == (batches, units),
        f"output shape {list(output.shape)} is not [{batches}, {units}]",
        "re-export the model",
        output,
    )
    require(
        state.shape == (batches, memory_size * filters),
        f"state shape {list(state.shape)} is not [{batches}, {memory_size * filters}]",
        "re-export the model",
        state,
    )
    if bias is not None:
        require(
            bias.num_elements == units and len(bias.shape) == 1, f"bias must have {units} values", "", bias
        )
    return SvdfDims(batches, input_size, filters, attrs.rank, memory_size)


def _prepare_float(view: OpView) -> FloatSvdfParams:
    dims = _dims(view)
    for index, role in ((1, "weights_feature"), (2, "weights_time"), (4, "activation state")):
        require_dtype(view.input(index), [DType.FLOAT32], role)
    require_dtype(view.output(), [DType.FLOAT32], "output")
    bias = view.optional_input(3)
    if bias is not None:
        require_dtype(bias, [DType.FLOAT32], "bias")
    attrs = view.op.attrs
    assert isinstance(attrs, SvdfAttrs)
    return FloatSvdfParams(dims, attrs.activation, bias is not None)


def prepare(view: OpView) -> SvdfParams | FloatSvdfParams:
    if view.input(0).dtype is DType.FLOAT32:
        return _prepare_float(view)
    dims = _dims(view)
    input_, weights_feature, weights_time = view.input(0), view.input(1), view.input(2)
    bias, state, output = view.optional_input(3), view.input(4), view.output()
    require_dtype(input_, [DType.INT8], "input")
    require_dtype(weights_feature, [DType.INT8], "weights_feature")
    require_dtype(weights_time, [DType.INT16, DType.INT8], "weights_time")
    require_dtype(state, [DType.INT16, DType.INT8], "activation state")
    require_dtype(output, [DType.INT8], "output")
    # TFLM's kernel reads weights_time as the state's element type.
    require(
        weights_time.dtype is state.dtype,
        f"weights_time is {weights_time.dtype.name} but the state is {state.dtype.name}",
        "quantize weights_time and the state to the same type",
        weights_time,
    )
    # TFLM's integer Prepare reads the bias scale unconditionally: it needs a bias.
    require(bias is not None, "integer SVDF needs a bias (TFLM reads its scale)", "export with a bias")
    assert bias is not None
    require_dtype(bias, [DType.INT32], "bias")
    input_quant, output_quant = per_tensor(input_), per_tensor(output)
    feature_quant, time_quant = per_tensor(weights_feature), per_tensor(weights_time)
    state_quant, bias_quant = per_tensor(state), per_tensor(bias)
    # Prepare multiplies and divides the scales in float32, then widens to double.
    state_time_scale = quant.f32(state_quant.scale) * quant.f32(time_quant.scale)
    require(
        abs(float(quant.f32(bias_quant.scale)) - float(state_time_scale)) < MAX_BIAS_SCALE_DIFFERENCE,
        f"bias scale {bias_quant.scale} differs from state * weights_time scale {float(state_time_scale)}",
        "re-quantize the bias with scale = state_scale * weights_time_scale",
        bias,
    )
    feature_scale = (
        quant.f32(input_quant.scale) * quant.f32(feature_quant.scale) / quant.f32(state_quant.scale)
    )
    output_scale = state_time_scale / quant.f32(output_quant.scale)
    feature = quant.quantize_multiplier(float(feature_scale))
    rescale = quant.quantize_multiplier(float(output_scale))
    return SvdfParams(
        batches=dims.batches,
        input_size=dims.input_size,
        filters=dims.filters,
        rank=dims.rank,
        memory_size=dims.memory_size,
        state_dtype=state.dtype,
        input_zero_point=input_quant.zero_point,
        state_zero_point=state_quant.zero_point,
        output_zero_point=output_quant.zero_point,
        feature_multiplier=feature.multiplier,
        feature_shift=feature.shift,
        output_multiplier=rescale.multiplier,
        output_shift=rescale.shift,
    )
