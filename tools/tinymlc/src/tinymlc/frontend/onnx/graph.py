"""The walk over an ONNX graph: QuantizeLinear/DequantizeLinear bookkeeping, QDQ and
QOperator nodes dispatched to the operator modules, every problem collected.

A value is an `Act` (an IR tensor: int8, or a float graph input), a `Const`, or a
`FloatView`: the float output of a DequantizeLinear, i.e. a quantized operand seen as
reals. A float operator whose inputs are FloatViews and whose output a QuantizeLinear
reads is exactly the integer operator from the inputs' to that output's quantization,
so QDQ models need no pattern matching beyond that rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np
import onnx
from onnx import numpy_helper

from tinymlc.errors import CompileError
from tinymlc.frontend.onnx import (
    activation,
    conv,
    elementwise,
    exact,
    gather,
    gemm,
    hard_sigmoid,
    integer,
    mlas_order,
    pool,
    resize,
    shape,
)
from tinymlc.frontend.onnx.builder import Act, Builder, Const, Operand, QParams, UnsupportedNodeError
from tinymlc.frontend.onnx.node import Node
from tinymlc.frontend.onnx.qlinear import DIRECT, SPECS
from tinymlc.frontend.onnx.reader import MICROSOFT_DOMAIN
from tinymlc.ir import DType, Model, OpKind, Quantization

Lowering = Callable[[Builder, Node, list[Operand | None], list[QParams]], list[int]]
# Operators reading activations in any layout (the rest get the default layout).
_ANY_LAYOUT = frozenset(
    {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Gemm", "MatMul", "Softmax", "Gather"}
)
LOWERINGS: dict[str, Lowering] = {
    **conv.LOWERINGS,
    **gemm.LOWERINGS,
    **elementwise.LOWERINGS,
    **pool.LOWERINGS,
    **activation.LOWERINGS,
    **shape.LOWERINGS,
    **gather.LOWERINGS,
    **resize.LOWERINGS,
    **hard_sigmoid.LOWERINGS,
}
_NO_KERNEL = {
    "DynamicQuantizeLinear": "dynamic (run-time) quantization is not supported: quantize statically",
}
# Activations that only clamp: quantizing before or after them gives the same integers.
_CLAMPS = frozenset({"Relu", "Clip"})
_QUANTIZED_TYPES: dict[int, bool] = {onnx.TensorProto.INT8: False, onnx.TensorProto.UINT8: True}


@dataclass(frozen=True)
class FloatView:
    operand: Operand
    qparams: QParams


Value = Act | Const | FloatView


@dataclass(frozen=True)
class Lowered:
    model: Model
    layouts: Mapping[int, tuple[int, ...]]
    """IR graph input/output -> the ONNX axis each of its axes holds (NCHW stored NHWC:
    (0, 2, 3, 1)); the generated API takes and returns them in this order."""
    uint8: frozenset[int]
    """IR graph inputs/outputs that are uint8 in the model: int8 in the arena (zero point
    moved by -128), uint8 at the generated API (`Model.caller_dtypes`)."""


class Lowerer:
    def __init__(self, model: onnx.ModelProto, source: str, onnx_exact: bool = False) -> None:
        self.graph = model.graph
        self.source = source
        # `--onnx_exact`: integer-accumulating operators requantize as onnxruntime does.
        self.lowerings = {**LOWERINGS, **exact.LOWERINGS, **mlas_order.LOWERINGS} if onnx_exact else LOWERINGS
        self.onnx_exact = onnx_exact
        self.opsets = {(e.domain or "ai.onnx"): int(e.version) for e in model.opset_import}
        self.builder = Builder()
        self.env: dict[str, Value] = {}
        self.unquantized: set[int] = set()
        self.uint8: set[int] = set()
        self.poisoned: set[str] = set()
        self.problems: list[str] = []
        self.quantizers: dict[str, list[onnx.NodeProto]] = {}
        # MatMulInteger/ConvInteger outputs (int32 accumulators).
        self.accumulators: set[int] = set()
        # Float32 activations computed from integer accumulators (graph outputs may be these).
        self.float_results: set[int] = set()
        for node in self.graph.node:
            if node.op_type == "QuantizeLinear" and node.input:
                self.quantizers.setdefault(node.input[0], []).append(node)

    def run(self) -> Lowered:
        for initializer in self.graph.initializer:
            self.env[initializer.name] = Const(tensor_value(initializer, self.source))
        inputs = [self.graph_input(v) for v in self.graph.input if v.name not in self.env]
        for index, proto in enumerate(self.graph.node):
            node = Node(proto, index, self.opsets.get(proto.domain or "ai.onnx", 0))
            if any(name in self.poisoned for name in proto.input):
                self.poisoned.update(proto.output)
                continue
            try:
                self.lower(node)
            except UnsupportedNodeError as exc:
                self.problems.append(f"{node.describe()}: {exc}")
                self.poisoned.update(proto.output)
            except (ValueError, IndexError, KeyError, TypeError, OverflowError) as exc:
                self.problems.append(f"{node.describe()}: malformed node ({type(exc).__name__}: {exc})")
                self.poisoned.update(proto.output)
        outputs = []
        for value in self.graph.output:
            if value.name in self.poisoned:
                continue
            try:
                outputs.append(self.graph_output(value.name))
            except UnsupportedNodeError as exc:
                self.problems.append(f"graph output {value.name!r}: {exc}")
        for tensor_id in self.unquantized:
            self.problems.append(
                f"integer input {self.builder.tensor(tensor_id).name!r} is never dequantized"
            )
        if self.onnx_exact and not self.problems:
            try:
                exact.onnxruntime_conversions(self.builder)
            except UnsupportedNodeError as exc:
                self.problems.append(f"--onnx_exact: {exc}")
        if self.problems:
            count = len(self.problems)
            raise CompileError(
                f"{count} unsupported node{'s' if count > 1 else ''}:\n  " + "\n  ".join(self.problems),
                self.source,
            )
        ids = inputs + outputs
        uint8 = frozenset(t for t in ids if t in self.uint8)
        model = replace(
            self.builder.model(inputs, outputs, self.graph.name, self.source),
            caller_dtypes=dict.fromkeys(uint8, DType.UINT8),
            single_rounding=True,
        )
        return Lowered(model, {t: self.builder.layout[t] for t in ids}, uint8)

    def graph_input(self, value: onnx.ValueInfoProto) -> int:
        tensor_type = value.type.tensor_type
        shape = tuple(int(d.dim_value) for d in tensor_type.shape.dim)
        # An input only transposes read (tf2onnx's NHWC images) keeps the model's order.
        layout = tuple(range(len(shape))) if self.only_transposed(value.name) else None
        if tensor_type.elem_type == onnx.TensorProto.FLOAT:
            tensor_id = self.builder.activation(value.name, shape, None, layout)
        elif tensor_type.elem_type in _QUANTIZED_TYPES:
            unsigned = _QUANTIZED_TYPES[tensor_type.elem_type]
            # tf2onnx reshapes an integer input before dequantizing it: its quantization is
            # that of the DequantizeLinear past operators that only move values.
            ahead = self.dequantized_as(value.name, unsigned)
            tensor_id = self.builder.activation(
                value.name, shape, ahead or QParams((1.0,), (0,), unsigned=False), layout
            )
            if ahead is None:
                self.unquantized.add(tensor_id)
            if unsigned:
                self.uint8.add(tensor_id)
        else:
            name = onnx.TensorProto.DataType.Name(tensor_type.elem_type)
            raise CompileError(
                f"input {value.name!r} has type {name}; only float, int8 and uint8 inputs are supported",
                self.source,
            )
        self.env[value.name] = Act(tensor_id)
        return tensor_id

    def dequantized_as(self, name: str, unsigned: bool) -> QParams | None:
        """The per-tensor quantization a DequantizeLinear gives `name` past readers that only
        move values (Reshape, Transpose, ...), or None if no such reader dequantizes it."""
        for reader in self.graph.node:
            if not reader.input or reader.input[0] != name:
                continue
            if reader.op_type == "DequantizeLinear":
                try:
                    found = self.qparams(Node(reader, -1, self.opsets.get("ai.onnx", 0)), 1, 2, unsigned)
                except UnsupportedNodeError:
                    return None
                return found if len(found.scales) == 1 else None
            if reader.op_type in shape.VALUE_PRESERVING and reader.op_type != "Concat":
                ahead = self.dequantized_as(reader.output[0], unsigned)
                if ahead is not None:
                    return ahead
        return None

    def only_transposed(self, name: str) -> bool:
        """Whether every reader of `name`, past QuantizeLinear/DequantizeLinear, is a Transpose."""
        readers = [n for n in self.graph.node if name in n.input]
        if not readers:
            return False
        return all(
            self.only_transposed(n.output[0])
            if n.op_type in ("QuantizeLinear", "DequantizeLinear")
            else n.op_type == "Transpose"
            for n in readers
        )

    def graph_output(self, name: str) -> int:
        value = self.env.get(name)
        if isinstance(value, Act) and (
            self.builder.tensor(value.tensor).quantization is not None
            or value.tensor in self.accumulators
            or value.tensor in self.float_results
        ):
            return self.builder.standard(value.tensor)
        if isinstance(value, FloatView) and isinstance(value.operand, Act):
            source = self.builder.standard(value.operand.tensor)
            output = self.builder.activation(name, self.builder.onnx_shape[source], None)
            self.builder.op(OpKind.DEQUANTIZE, [source], [output])
            return output
        raise UnsupportedNodeError(
            "is not computed from the quantized graph (a constant, or a float input passed through)"
        )

    # -- quantization parameters -------------------------------------------------------

    def qparams(self, node: Node, scale_index: int, zero_point_index: int, unsigned_default: bool) -> QParams:
        inputs = node.proto.input
        scale = self.constant(inputs[scale_index], "scale")
        zero_name = inputs[zero_point_index] if zero_point_index < len(inputs) else ""
        zero = self.constant(zero_name, "zero point") if zero_name else None
        if zero is not None and zero.data.dtype not in (np.int8, np.uint8, np.int32):
            raise UnsupportedNodeError(f"{zero.data.dtype} quantization (only int8 and uint8 are supported)")
        unsigned = unsigned_default if zero is None else zero.data.dtype == np.uint8
        scales = tuple(float(s) for s in np.asarray(scale.data, dtype=np.float32).reshape(-1))
        zero_points = tuple(int(z) for z in zero.data.reshape(-1)) if zero is not None else (0,) * len(scales)
        if (
            not scales
            or any(not s > 0 or not np.isfinite(s) for s in scales)
            or len(zero_points) != len(scales)
        ):
            raise UnsupportedNodeError(
                f"invalid quantization scale {list(scales)} / zero point {list(zero_points)}"
            )
        if int(node.attr("block_size", 0)):
            raise UnsupportedNodeError("blocked quantization is not supported")
        return QParams(scales, zero_points, unsigned, int(node.attr("axis", 1)) if len(scales) > 1 else None)

    def constant(self, name: str, role: str) -> Const:
        value = self.env.get(name)
        if not isinstance(value, Const):
            raise UnsupportedNodeError(f"{role} {name!r} must be a constant")
        return value

    def quantized_act(self, tensor_id: int, qparams: QParams, name: str) -> int:
        """Activation `tensor_id` holding `qparams`' real values (quantizing an integer
        graph input on first use)."""
        if len(qparams.scales) > 1:
            raise UnsupportedNodeError("per-axis quantization of an activation is not supported")
        if tensor_id in self.unquantized:
            self.builder.set_quantization(tensor_id, qparams.quantization())
            self.unquantized.discard(tensor_id)
            return tensor_id
        return self.builder.requantize(tensor_id, qparams.quantization(), name)

    # -- nodes -------------------------------------------------------------------------

    def lower(self, node: Node) -> None:
        op, proto = node.op_type, node.proto
        if node.domain not in ("ai.onnx", MICROSOFT_DOMAIN):
            raise UnsupportedNodeError("operator domain is not supported")
        if op == "Constant":
            value = node.attr("value")
            if not isinstance(value, onnx.TensorProto):
                raise UnsupportedNodeError("only tensor-valued Constant nodes are supported")
            self.env[proto.output[0]] = Const(tensor_value(value, self.source))
        elif op in ("Identity", "Dropout"):
            self.env[proto.output[0]] = self.env[proto.input[0]]
        elif op == "Shape":
            self.shape_of(node)
        elif op not in ("QuantizeLinear", "DequantizeLinear") and self.all_constant(node):
            self.fold(node)
        elif op == "QuantizeLinear":
            self.quantize(node)
        elif op == "DequantizeLinear":
            self.dequantize(node)
        elif op in SPECS:
            self.qlinear(node)
        elif op in ("MatMulInteger", "ConvInteger"):
            self.integer_accumulator(node)
        elif op == "Cast" and self.accumulator_of(proto.input[0]) is not None:
            self.cast_accumulator(node)
        elif op in ("Mul", "Add") and self.float_result_operands(node) is not None:
            self.float_arithmetic(node)
        elif op in LOWERINGS and node.domain == "ai.onnx":
            self.operator(node)
        else:
            raise UnsupportedNodeError(_NO_KERNEL.get(op, "operator is not supported"))

    def integer_accumulator(self, node: Node) -> None:
        """MatMulInteger / ConvInteger: A (x) an int8/uint8 activation, B (w) constant, zero
        points constant (A's per tensor, B's per tensor or per output column/channel)."""
        inputs = list(node.proto.input)
        a = self.env[inputs[0]]
        if not isinstance(a, Act) or self.builder.tensor(a.tensor).quantization is None:
            raise UnsupportedNodeError("input 0 must be an int8 or uint8 activation")
        unsigned = a.tensor in self.uint8
        a_zero = self.zero_point(inputs, 2, unsigned)
        if a_zero.size != 1:
            raise UnsupportedNodeError("a per-row zero point of input 0 is not supported")
        zero_point = int(a_zero.reshape(-1)[0]) - (128 if unsigned else 0)
        if a.tensor in self.unquantized:
            self.builder.set_quantization(a.tensor, Quantization((1.0,), (zero_point,)))
            self.unquantized.discard(a.tensor)
        if self.builder.quantization(a.tensor).zero_point != zero_point:
            # The int8 kernels take the input's zero point from its tensor.
            raise UnsupportedNodeError(
                "input 0's zero point differs from the one its producer quantized it with"
            )
        weights = self.constant(inputs[1], "input 1")
        weights_unsigned = weights.data.dtype == np.uint8
        b_zero = self.zero_point(inputs, 3, weights_unsigned)
        lower = (
            integer.lower_matmul_integer if node.op_type == "MatMulInteger" else integer.lower_conv_integer
        )
        output = lower(self.builder, node, a.tensor, weights, b_zero.reshape(-1), weights_unsigned)
        self.accumulators.add(output)
        self.env[node.output_name()] = Act(output)

    def zero_point(self, inputs: list[str], index: int, unsigned: bool) -> np.ndarray:
        """Constant zero point `index` of an integer operator (0 when absent), of the
        operand's type."""
        if index >= len(inputs) or not inputs[index]:
            return np.zeros(1, np.int64)
        data = self.constant(inputs[index], "zero point").data
        if data.dtype != (np.uint8 if unsigned else np.int8):
            raise UnsupportedNodeError(f"zero point of type {data.dtype} does not match its operand")
        return np.asarray(data, dtype=np.int64)

    def cast_accumulator(self, node: Node) -> None:
        """Cast of an integer accumulator to float: a CAST to float32."""
        if int(node.attr("to", 0)) != onnx.TensorProto.FLOAT:
            raise UnsupportedNodeError("an integer accumulator can only be cast to float")
        accumulator = self.accumulator_of(node.proto.input[0])
        assert accumulator is not None
        shape, layout = self.builder.onnx_shape[accumulator], self.builder.layout[accumulator]
        real = self.builder.activation(node.output_name(), shape, None, layout)
        self.builder.op(OpKind.CAST, [accumulator], [real])
        self.float_results.add(real)
        self.env[node.output_name()] = Act(real)

    def accumulator_of(self, name: str) -> int | None:
        """Value `name` when it is an integer accumulator."""
        value = self.env.get(name)
        return value.tensor if isinstance(value, Act) and value.tensor in self.accumulators else None

    def float_result_operands(self, node: Node) -> tuple[int, Const] | None:
        """(activation, constant) when `node` combines a float result of an integer
        accumulator with a float constant."""
        values = [self.env.get(name) for name in node.proto.input]
        if len(values) != 2:
            return None
        for act_value, other in (values, values[::-1]):
            if (
                isinstance(act_value, Act)
                and act_value.tensor in self.float_results
                and isinstance(other, Const)
                and other.qparams is None
            ):
                return act_value.tensor, other
        return None

    def float_arithmetic(self, node: Node) -> None:
        operands = self.float_result_operands(node)
        assert operands is not None
        output = integer.lower_float_arithmetic(self.builder, node, *operands)
        self.float_results.add(output)
        self.env[node.output_name()] = Act(output)

    def shape_of(self, node: Node) -> None:
        """Shape of an activation: a constant (every shape is static here)."""
        value = self.env[node.proto.input[0]]
        operand = value.operand if isinstance(value, FloatView) else value
        if isinstance(operand, Act):
            dims = self.builder.onnx_shape[operand.tensor]
        else:
            dims = tuple(operand.data.shape)
        rank = len(dims)
        start, end = int(node.attr("start", 0)), int(node.attr("end", rank))
        self.env[node.output_name()] = Const(np.array(dims[slice(start, end)], dtype=np.int64))

    def all_constant(self, node: Node) -> bool:
        values = [self.env.get(name) for name in node.proto.input if name]
        return bool(values) and all(isinstance(v, Const) and v.qparams is None for v in values)

    def fold(self, node: Node) -> None:
        """A node on constants only (PyTorch's Shape -> Gather -> Concat -> Reshape chains):
        evaluated now with the onnx reference implementation."""
        from onnx.reference import ReferenceEvaluator  # noqa: PLC0415 -- slow import, rarely needed

        inputs = [n for n in node.proto.input if n]
        initializers = []
        for name in inputs:
            value = self.env[name]
            assert isinstance(value, Const)
            initializers.append(numpy_helper.from_array(np.asarray(value.data), name))
        outputs = [onnx.helper.make_empty_tensor_value_info(name) for name in node.proto.output if name]
        graph = onnx.helper.make_graph([node.proto], "fold", [], outputs, initializers)
        opsets = [
            onnx.helper.make_opsetid(domain if domain != "ai.onnx" else "", v)
            for domain, v in self.opsets.items()
        ]
        try:
            results = ReferenceEvaluator(onnx.helper.make_model(graph, opset_imports=opsets)).run(None, {})
        except Exception as exc:  # the reference implementation raises anything
            raise UnsupportedNodeError(f"cannot evaluate it on its constant inputs: {exc}") from exc
        for name, result in zip([n for n in node.proto.output if n], results, strict=True):
            self.env[name] = Const(np.asarray(result))

    def quantize(self, node: Node) -> None:
        output_type = int(node.attr("output_dtype", 0))
        if output_type not in (0, *_QUANTIZED_TYPES):
            raise UnsupportedNodeError(
                f"output type {onnx.TensorProto.DataType.Name(output_type)} is not supported"
            )
        qparams = self.qparams(node, 1, 2, unsigned_default=_QUANTIZED_TYPES.get(output_type, True))
        value = self.env[node.proto.input[0]]
        out_name = node.output_name()
        result: Act | Const
        if isinstance(value, FloatView) and isinstance(value.operand, Act):
            result = Act(self.quantized_act(value.operand.tensor, qparams, out_name))
        elif isinstance(value, Act) and self.builder.tensor(value.tensor).quantization is None:
            if len(qparams.scales) > 1:
                raise UnsupportedNodeError("per-axis quantization of an activation is not supported")
            shape_ = self.builder.onnx_shape[value.tensor]
            quantized = self.builder.activation(out_name, shape_, qparams, self.builder.layout[value.tensor])
            self.builder.op(OpKind.QUANTIZE, [value.tensor], [quantized])
            result = Act(quantized)
        elif isinstance(value, (Const, FloatView)):
            result = _quantize_constant(_real(value), qparams)
        else:
            raise UnsupportedNodeError("input is already quantized")
        if isinstance(result, Act) and qparams.unsigned:
            self.uint8.add(result.tensor)
        self.env[out_name] = result

    def dequantize(self, node: Node) -> None:
        value = self.env[node.proto.input[0]]
        if isinstance(value, Act):
            unsigned = value.tensor in self.uint8
            qparams = self.qparams(node, 1, 2, unsigned_default=unsigned)
            tensor_id = self.quantized_act(value.tensor, qparams, node.output_name())
            self.env[node.output_name()] = FloatView(Act(tensor_id), qparams)
        elif isinstance(value, Const):
            qparams = self.qparams(node, 1, 2, unsigned_default=value.data.dtype == np.uint8)
            self.env[node.output_name()] = FloatView(Const(value.data, qparams), qparams)
        else:
            raise UnsupportedNodeError("input is not a quantized tensor")

    def qlinear(self, node: Node) -> None:
        spec = SPECS[node.op_type]
        inputs = list(node.proto.input)
        triples = spec.operands
        if spec.variadic_from is not None:
            triples = tuple((i, i + 1, i + 2) for i in range(spec.variadic_from, len(inputs), 3))
        operands: list[Operand | None] = []
        for tensor, scale, zero in triples:
            value = self.env[inputs[tensor]]
            if isinstance(value, Act):
                qparams = self.qparams(node, scale, zero, unsigned_default=value.tensor in self.uint8)
                operands.append(Act(self.quantized_act(value.tensor, qparams, f"{node.name}/input{tensor}")))
            elif isinstance(value, Const):
                qparams = self.qparams(node, scale, zero, unsigned_default=value.data.dtype == np.uint8)
                operands.append(
                    Const(value.data, QParams(qparams.scales, qparams.zero_points, qparams.unsigned))
                )
            else:
                raise UnsupportedNodeError(f"input {tensor} is not a quantized tensor")
        if spec.bias is not None and spec.bias < len(inputs) and inputs[spec.bias]:
            bias = self.constant(inputs[spec.bias], "bias")
            operands.append(Const(bias.data, QParams((1.0,), (0,), unsigned=False)))
        if spec.output is None or spec.output[0] >= len(inputs) or not inputs[spec.output[0]]:
            raise UnsupportedNodeError("a float output (no output scale) is not supported")
        out = self.qparams(node, spec.output[0], spec.output[1], unsigned_default=False)
        (tensor_id,) = self.lowerings[spec.float_op](
            self.builder, node, self.laid_out(spec.float_op, operands), [out]
        )
        if out.unsigned:
            self.uint8.add(tensor_id)
        self.env[node.output_name()] = Act(tensor_id)

    def operator(self, node: Node) -> None:
        values = [self.env[name] if name else None for name in node.proto.input]
        views = [v for v in values if isinstance(v, FloatView)]
        acts = [v for v in values if isinstance(v, Act)]
        outputs = list(node.proto.output)
        if views:
            if acts:
                raise UnsupportedNodeError("mixes quantized and float activations")
            operands: list[Operand | None] = [v.operand if isinstance(v, FloatView) else v for v in values]
            out = [self.output_qparams(node, name, views[0].qparams) for name in outputs]
            results = self.lowerings[node.op_type](
                self.builder, node, self.laid_out(node.op_type, operands), out
            )
            for name, tensor_id, qparams in zip(outputs, results, out, strict=True):
                self.env[name] = FloatView(Act(tensor_id), qparams)
            return
        if not acts:
            raise UnsupportedNodeError("operates on constants only: fold it (e.g. onnxsim) before compiling")
        if (
            any(self.builder.tensor(a.tensor).quantization is None for a in acts)
            or node.op_type not in DIRECT
        ):
            raise UnsupportedNodeError(
                "a float operator on float tensors: quantize the model (QDQ or QOperator) first, "
                "or give tinymlc a calibration set (--calibration=DIR of .npy samples)"
            )
        first = acts[0].tensor
        unsigned = first in self.uint8
        same = self.builder.qparams(first)
        operands = [None if isinstance(v, FloatView) else v for v in values]
        results = LOWERINGS[node.op_type](
            self.builder, node, self.laid_out(node.op_type, operands), [same] * len(outputs)
        )
        for name, tensor_id in zip(outputs, results, strict=True):
            if unsigned:
                self.uint8.add(tensor_id)
            self.env[name] = Act(tensor_id)

    def laid_out(self, op_type: str, operands: list[Operand | None]) -> list[Operand | None]:
        """`operands` with every activation in the default layout, unless `op_type` reads any."""
        if op_type in _ANY_LAYOUT:
            return operands
        return [Act(self.builder.standard(o.tensor)) if isinstance(o, Act) else o for o in operands]

    def output_qparams(self, node: Node, name: str, input_qparams: QParams) -> QParams:
        """The quantization a QuantizeLinear reading `name` gives it, or for operators
        that only move values, the input's."""
        for quantizer in self.quantizers.get(name, []):
            proto_node = Node(quantizer, -1, self.opsets.get("ai.onnx", 0))
            output_type = int(proto_node.attr("output_dtype", 0))
            return self.qparams(proto_node, 1, 2, unsigned_default=_QUANTIZED_TYPES.get(output_type, True))
        if node.op_type in shape.VALUE_PRESERVING:
            return input_qparams
        # tf2onnx writes a fused activation as its own node: Conv -> Relu -> QuantizeLinear.
        # Rounding commutes with the clamp (Q(0) and Q(6) are exact), so the operator may
        # quantize to the clamp's output quantization and the clamp then clamps in it.
        readers = [n for n in self.graph.node if name in n.input]
        if len(readers) == 1 and readers[0].op_type in _CLAMPS and readers[0].input[0] == name:
            reader = Node(readers[0], -1, self.opsets.get("ai.onnx", 0))
            return self.output_qparams(reader, reader.output_name(), input_qparams)
        raise UnsupportedNodeError(
            f"output {name!r} is not quantized (no QuantizeLinear reads it): a float operator"
        )


def tensor_value(tensor: onnx.TensorProto, source: str) -> np.ndarray:
    """The tensor's data as an array; a CompileError naming it when the data does not fit
    its type and dims (a truncated or mutated file)."""
    try:
        return numpy_helper.to_array(tensor)
    except (ValueError, TypeError, KeyError) as exc:
        raise CompileError(
            f"tensor {tensor.name!r}: its data does not match its type and shape {list(tensor.dims)} ({exc})",
            source,
        ) from exc


def _real(value: Const | FloatView) -> np.ndarray:
    if isinstance(value, FloatView):
        if not isinstance(value.operand, Const):
            raise UnsupportedNodeError("input is not a constant")
        value = value.operand
    if value.qparams is None:
        return np.asarray(value.data, dtype=np.float64)
    qparams = value.qparams
    shape_ = [1] * value.data.ndim
    if qparams.axis is not None:
        shape_[qparams.axis] = -1
    scales = np.array(qparams.scales, dtype=np.float64).reshape(shape_ if qparams.axis is not None else [1])
    zeros = np.array(qparams.zero_points, dtype=np.float64).reshape(
        shape_ if qparams.axis is not None else [1]
    )
    return (value.data.astype(np.float64) - zeros) * scales


def _quantize_constant(real: np.ndarray, qparams: QParams) -> Const:
    """QuantizeLinear of a constant at compile time (round half to even, saturate)."""
    shape_ = [1] * real.ndim
    if qparams.axis is not None:
        shape_[qparams.axis] = -1
    scales = np.array(qparams.scales, dtype=np.float32).reshape(shape_ if qparams.axis is not None else [1])
    zeros = np.array(qparams.zero_points, dtype=np.float64).reshape(
        shape_ if qparams.axis is not None else [1]
    )
    low, high = (0, 255) if qparams.unsigned else (-128, 127)
    values = np.clip(np.rint(real.astype(np.float32) / scales) + zeros, low, high)
    return Const(values.astype(np.uint8 if qparams.unsigned else np.int8), qparams)
