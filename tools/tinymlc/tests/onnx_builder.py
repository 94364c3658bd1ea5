"""Small quantized ONNX graphs for the frontend tests, written with `onnx.helper`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tinymlc import hostbuild
from tinymlc.codegen import compile_model, generate_crate
from tinymlc.frontend.onnx import parse_onnx
from tinymlc.onnx_check import caller_output, from_model_layout, to_model_layout


@dataclass
class QdqGraph:
    """A QDQ graph under construction: float input -> QuantizeLinear -> ... ."""

    unsigned: bool = True
    opset: int = 13
    nodes: list[onnx.NodeProto] = field(default_factory=list)
    initializers: list[onnx.TensorProto] = field(default_factory=list)
    count: int = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def const(self, value: Any, dtype: Any = None) -> str:
        name = self.name("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def zero_point(self, value: int) -> str:
        return self.const(value, np.uint8 if self.unsigned else np.int8)

    def quantize(self, x: str, scale: float, zero_point: int) -> str:
        """x -> QuantizeLinear -> DequantizeLinear: the quantized tensor as reals."""
        s, z = self.const(np.float32(scale)), self.zero_point(zero_point)
        q = self.node("QuantizeLinear", [x, s, z])
        return self.node("DequantizeLinear", [q, s, z])

    def weights(self, values: np.ndarray, scales: np.ndarray, axis: int = 0) -> str:
        w = self.const(values.astype(np.int8))
        s = self.const(scales.astype(np.float32))
        z = self.const(np.zeros(scales.shape, np.int8))
        return self.node("DequantizeLinear", [w, s, z], axis=axis)

    def node(self, op: str, inputs: list[str], domain: str = "", outputs: int = 1, **attrs: Any) -> str:
        names = [self.name(op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=names[0], domain=domain, **attrs))
        return names[0]

    def model(
        self,
        input_shape: Sequence[int | str],
        outputs: list[str],
        input_type: int = TensorProto.FLOAT,
        output_type: int = TensorProto.FLOAT,
    ) -> onnx.ModelProto:
        graph = helper.make_graph(
            self.nodes,
            "test",
            [helper.make_tensor_value_info("input", input_type, list(input_shape))],
            [helper.make_tensor_value_info(o, output_type, None) for o in outputs],
            self.initializers,
        )
        opsets = [helper.make_opsetid("", self.opset), helper.make_opsetid("com.microsoft", 1)]
        model = helper.make_model(graph, opset_imports=opsets)
        model.ir_version = 8
        return model


def conv_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    return rng.integers(-127, 128, size=shape), rng.uniform(0.002, 0.01, size=shape[0])


def run_against_onnxruntime(
    model: onnx.ModelProto, samples: list[np.ndarray], tmp_path: Path, onnx_exact: bool = False
) -> None:
    """Every output of the generated code (compiled with `onnx_exact` or not) equals
    onnxruntime's (ORT_DISABLE_ALL), bit for bit."""
    import onnxruntime  # type: ignore[import-untyped]  # noqa: PLC0415 -- optional dependency

    data = model.SerializeToString()
    lowered = parse_onnx(data, "model.onnx", onnx_exact=onnx_exact)
    compiled = compile_model(lowered.model)
    lib_rs = tmp_path / "lib.rs"
    lib_rs.write_text(generate_crate(compiled, "model").lib_rs)
    binary = hostbuild.build_harness(lib_rs, hostbuild.default_runtime_dir(), tmp_path)
    graph = compiled.graph
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1  # the order `--onnx_exact` reproduces (mlas_order.py)
    session = onnxruntime.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    arena_samples = [[from_model_layout(lowered, graph.inputs[0], s)] for s in samples]
    results = hostbuild.run_harness(binary, arena_samples)
    for sample, result in zip(samples, results, strict=True):
        assert result.error is None
        expected = session.run(None, {session.get_inputs()[0].name: sample})
        for index, (tensor_id, want) in enumerate(zip(graph.outputs, expected, strict=True)):
            got = to_model_layout(
                lowered, tensor_id, caller_output(compiled, tensor_id, result.outputs[index])
            )
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want)
