"""Control-flow micro-models: IF (tf.cond) and WHILE (tf.while_loop), int8 and float32,
and the two nested.

Float32: the converter keeps a tf.function's tf.cond and tf.while_loop as IF and WHILE
over subgraphs. Int8: the converter quantizes around control flow but not through it
(it dequantizes into a float IF or WHILE), so each subgraph is converted to int8 on its
own and the pieces are joined into one flatbuffer (`_join`): the subgraphs' boundary
tensors get the quantization of the tensors they are copied from, as TFLM copies raw
bytes. Conditions depend on the data, so the checks' inputs take both branches, and
loops run different numbers of times.

Imported by build_models.py into `all_models()`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import flatbuffers
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema

import build_models as bm
import inspect_models as inspect

VECTOR = (1, 8)


def _dense(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    weights = bm.he_normal(rng, (size, size), size)
    return weights, bm.small_bias(rng, size)


def _scale_and_shift(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Per-element weights and biases. (A float matmul in an IF branch converts to
    BATCH_MATMUL, whose float kernel is not yet free of panic paths.)"""
    return (
        rng.uniform(0.5, 1.5, VECTOR[1]).astype(np.float32),
        rng.normal(0.0, 0.5, VECTOR[1]).astype(np.float32),
    )


def _if_graph(rng: np.random.Generator) -> bm.Graph:
    """A scaled, shifted relu when the input's sum passes -1, else a halved relu."""
    weights, bias = _scale_and_shift(rng)

    def forward(x: tf.Tensor) -> tf.Tensor:
        positive = tf.reduce_sum(x) > -1.0
        return tf.cond(
            positive,
            lambda: tf.nn.relu(x * weights + bias),
            lambda: tf.nn.relu(x) * 0.5 - 0.25,
        )

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _while_graph(rng: np.random.Generator) -> bm.Graph:
    """Grows the vector until its largest magnitude passes 4 (at most 6 times): trip
    counts from 0 to 6 depending on the input."""
    weights, bias = _dense(rng, VECTOR[1])
    del bias

    def forward(x: tf.Tensor) -> tf.Tensor:
        def cond(x: tf.Tensor) -> tf.Tensor:
            return tf.reduce_max(tf.abs(x)) < 4.0

        def body(x: tf.Tensor) -> tf.Tensor:
            return x * 1.5 + tf.matmul(x, weights) * 0.25

        (result,) = tf.while_loop(cond, body, (x,), maximum_iterations=6)
        return result

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _nested_graph(rng: np.random.Generator) -> bm.Graph:
    """A loop whose body chooses between two updates by the sign of the first element:
    IF nested in WHILE's body, the trip count and the branches taken data-dependent."""
    weights, bias = _scale_and_shift(rng)

    def forward(x: tf.Tensor) -> tf.Tensor:
        def cond(step: tf.Tensor, x: tf.Tensor) -> tf.Tensor:
            return tf.reduce_sum(tf.abs(x)) < 12.0

        def body(step: tf.Tensor, x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            updated = tf.cond(
                x[0, 0] > 0.0,
                lambda: tf.nn.relu6(x * weights + bias) - 2.0,
                lambda: x * 1.75 + 0.5,
            )
            return step + 1, updated

        _, result = tf.while_loop(cond, body, (tf.constant(0), x), maximum_iterations=5)
        return result

    return bm.Graph(forward, [bm.GraphInput(VECTOR, bm.normal(VECTOR))])


def _int8_piece(
    fn: Callable[..., object], inputs: Sequence[bm.GraphInput], rng: np.random.Generator
) -> schema.ModelT:
    """`fn` converted to int8 on its own (int8 in and out; int32 and bool stay)."""
    expectations = bm.ModelExpectations(input_dtype="INT8", output_dtype="INT8")
    spec = bm.ModelSpec("piece", "", lambda _: bm.Graph(fn, list(inputs)), expectations)
    return inspect.load_model_object(bm.convert(spec, bm.Graph(fn, list(inputs)), rng))


def _join(main: schema.ModelT, pieces: Sequence[schema.ModelT]) -> None:
    """Appends each piece's subgraph to `main` (subgraphs 1, 2, ...), with its buffers and
    operator codes."""
    codes = [(c.builtinCode, c.deprecatedBuiltinCode, c.version) for c in main.operatorCodes]
    for piece in pieces:
        buffers = {0: 0}
        for index, buffer in enumerate(piece.buffers[1:], 1):
            main.buffers.append(buffer)
            buffers[index] = len(main.buffers) - 1
        (graph,) = piece.subgraphs
        for tensor in graph.tensors:
            tensor.buffer = buffers[tensor.buffer]
        for op in graph.operators:
            code = piece.operatorCodes[op.opcodeIndex]
            key = (code.builtinCode, code.deprecatedBuiltinCode, code.version)
            if key not in codes:
                main.operatorCodes.append(code)
                codes.append(key)
            op.opcodeIndex = codes.index(key)
        main.subgraphs.append(graph)


def _quantization_of(tensor: schema.TensorT, source: schema.TensorT) -> None:
    tensor.quantization = source.quantization


def _add_op(model: schema.ModelT, builtin: int, options_type: int, options: object,
            inputs: list[int], outputs: list[int], graph: schema.SubGraphT | None = None) -> None:
    """Appends an operator to `graph` (the main graph if None)."""
    codes = [c.builtinCode for c in model.operatorCodes]
    if builtin not in codes:
        code = schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
        model.operatorCodes.append(code)
        codes.append(builtin)
    op = schema.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = codes.index(builtin), inputs, outputs
    op.builtinOptionsType, op.builtinOptions = options_type, options
    (graph or model.subgraphs[0]).operators.append(op)


def _new_tensor(graph: schema.SubGraphT, like: schema.TensorT, name: str) -> int:
    tensor = schema.TensorT()
    tensor.name, tensor.shape, tensor.type = name, list(like.shape), like.type
    tensor.quantization, tensor.buffer = like.quantization, 0
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def _bytes(model: schema.ModelT) -> bytes:
    builder = flatbuffers.Builder(1 << 16)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _int8_if(rng: np.random.Generator) -> bytes:
    """Main: the condition (the input's largest value passes 2) and IF; then: dense + relu; else:
    a scaled relu. The else branch writes the then branch's output quantization."""
    weights, bias = _dense(np.random.default_rng(int(rng.integers(1 << 31))), VECTOR[1])
    x = [bm.GraphInput(VECTOR, bm.normal(VECTOR))]
    main = _int8_piece(lambda v: tf.reduce_max(v) > 2.0, x, rng)
    then = _int8_piece(lambda v: tf.nn.relu(tf.matmul(v, weights) + bias), x, rng)
    otherwise = _int8_piece(lambda v: tf.nn.relu(v) * 0.5 - 0.25, x, rng)
    graph = main.subgraphs[0]
    (source,), (condition,) = graph.inputs, graph.outputs
    _join(main, [then, otherwise])
    for branch in (then, otherwise):
        branch_graph = branch.subgraphs[0]
        _quantization_of(branch_graph.tensors[branch_graph.inputs[0]], graph.tensors[source])
    results = otherwise.subgraphs[0]
    then_output = then.subgraphs[0].tensors[then.subgraphs[0].outputs[0]]
    _quantization_of(results.tensors[results.outputs[0]], then_output)
    output = _new_tensor(graph, then_output, "if_output")
    options = schema.IfOptionsT()
    options.thenSubgraphIndex, options.elseSubgraphIndex = 1, 2
    _add_op(main, schema.BuiltinOperator.IF, schema.BuiltinOptions.IfOptions, options,
            [condition, source], [output])
    graph.outputs = [output]
    return _bytes(main)


def _finish_counted_while(main: schema.ModelT, counter_like: schema.TensorT, start: int,
                          loop_quantization: schema.TensorT) -> bytes:
    """The main graph's WHILE over (a step counter from 0, `start`), cond subgraph 1 and
    body 2; its x output is the model's output."""
    graph = main.subgraphs[0]
    zero = schema.BufferT()
    zero.data = np.zeros(4, np.uint8)
    main.buffers.append(zero)
    counter = _new_tensor(graph, counter_like, "step0")
    graph.tensors[counter].buffer = len(main.buffers) - 1
    steps = _new_tensor(graph, graph.tensors[counter], "steps")
    graph.tensors[steps].buffer = 0
    output = _new_tensor(graph, loop_quantization, "while_output")
    options = schema.WhileOptionsT()
    options.condSubgraphIndex, options.bodySubgraphIndex = 1, 2
    _add_op(main, schema.BuiltinOperator.WHILE, schema.BuiltinOptions.WhileOptions, options,
            [counter, start], [steps, output])
    graph.outputs = [output]
    return _bytes(main)


def _int8_while(rng: np.random.Generator) -> bytes:
    """WHILE over (step, x): cond is step < 6 and max |x| < 4, body counts the step and
    grows x by a dense layer. Every loop tensor has the body output's quantization."""
    weights, _ = _dense(np.random.default_rng(int(rng.integers(1 << 31))), VECTOR[1])
    step = bm.GraphInput((), lambda r: np.array(r.integers(0, 6), np.int32), dtype=tf.int32)
    wide = bm.GraphInput(VECTOR, bm.normal(VECTOR, std=3.0))
    cond = _int8_piece(
        lambda i, v: tf.logical_and(i < 6, tf.reduce_max(tf.abs(v)) < 4.0), [step, wide], rng
    )
    body = _int8_piece(
        lambda i, v: (i + 1, v * 1.5 + tf.matmul(v, weights) * 0.25), [step, wide], rng
    )
    body_graph = body.subgraphs[0]
    loop_quantization = body_graph.tensors[body_graph.outputs[1]]
    main = _int8_piece(lambda v: tf.nn.relu(v) - 1.0, [bm.GraphInput(VECTOR, bm.normal(VECTOR))], rng)
    graph = main.subgraphs[0]
    (start,) = graph.outputs
    _quantization_of(graph.tensors[start], loop_quantization)
    _join(main, [cond, body])
    for piece in (cond, body):
        piece_graph = piece.subgraphs[0]
        _quantization_of(piece_graph.tensors[piece_graph.inputs[1]], loop_quantization)
    return _finish_counted_while(main, body_graph.tensors[body_graph.inputs[0]], start, loop_quantization)


def _int8_while_if(rng: np.random.Generator) -> bytes:
    """WHILE over (step, x) whose body chooses x's update by the sign of its first element
    (IF nested in the body): cond is step < 5 and max |x| below 2.5."""
    weights, bias = _scale_and_shift(rng)
    step = bm.GraphInput((), lambda r: np.array(r.integers(0, 5), np.int32), dtype=tf.int32)
    wide = bm.GraphInput(VECTOR, bm.normal(VECTOR, std=3.0))
    cond = _int8_piece(
        lambda i, v: tf.logical_and(i < 5, tf.reduce_max(tf.abs(v)) < 2.5), [step, wide], rng
    )
    body = _int8_piece(lambda i, v: (i + 1, v[0, 0] > 0.0), [step, wide], rng)
    then = _int8_piece(lambda v: tf.nn.relu6(v * weights + bias) - 2.0, [wide], rng)
    otherwise = _int8_piece(lambda v: v * 1.75 + 0.5, [wide], rng)
    loop_quantization = otherwise.subgraphs[0].tensors[otherwise.subgraphs[0].outputs[0]]
    main = _int8_piece(lambda v: tf.nn.relu(v) - 1.0, [bm.GraphInput(VECTOR, bm.normal(VECTOR))], rng)
    graph = main.subgraphs[0]
    (start,) = graph.outputs
    _quantization_of(graph.tensors[start], loop_quantization)
    _join(main, [cond, body, then, otherwise])
    for piece, position in ((cond, 1), (body, 1), (then, 0), (otherwise, 0)):
        piece_graph = piece.subgraphs[0]
        _quantization_of(piece_graph.tensors[piece_graph.inputs[position]], loop_quantization)
    then_graph = then.subgraphs[0]
    _quantization_of(then_graph.tensors[then_graph.outputs[0]], loop_quantization)
    # The body: IF (sign of x's first element) -> then or else, x's update.
    body_graph = body.subgraphs[0]
    counted, sign = body_graph.outputs
    updated = _new_tensor(body_graph, loop_quantization, "body/updated")
    options = schema.IfOptionsT()
    options.thenSubgraphIndex, options.elseSubgraphIndex = 3, 4
    _add_op(main, schema.BuiltinOperator.IF, schema.BuiltinOptions.IfOptions, options,
            [sign, body_graph.inputs[1]], [updated], body_graph)
    body_graph.outputs = [counted, updated]
    return _finish_counted_while(main, body_graph.tensors[body_graph.inputs[0]], start, loop_quantization)


def _spec(
    name: str,
    description: str,
    build: Callable[[np.random.Generator], bm.Graph],
    op: str,
    subgraphs: int,
    quantize: bool,
) -> bm.ModelSpec:
    dtype = "INT8" if quantize else "FLOAT32"
    expectations = bm.ModelExpectations(
        required_ops=(bm.expect(op),),
        input_dtype=dtype,
        output_dtype=dtype,
        integer_only=quantize,
        subgraphs=subgraphs,
    )
    return bm.ModelSpec(name, description, build, expectations, quantize=quantize)


def control_flow_models() -> list[bm.ModelSpec]:
    models = []
    for quantize, suffix in ((False, "_float"),):
        kind = "int8" if quantize else "float32"
        models += [
            _spec(
                f"op_if{suffix}",
                f"{kind} IF: two relu branches chosen by the input's sum",
                _if_graph,
                "IF",
                3,
                quantize,
            ),
            _spec(
                f"op_while{suffix}",
                f"{kind} WHILE: grow a vector until its largest magnitude passes 4 (0..6 trips)",
                _while_graph,
                "WHILE",
                3,
                quantize,
            ),
            _spec(
                f"op_while_if{suffix}",
                f"{kind} WHILE whose body holds an IF (nested control flow)",
                _nested_graph,
                "WHILE",
                5,
                quantize,
            ),
        ]
    for name, description, builder, op, subgraphs in (
        ("op_if", "int8 IF: dense+relu or scaled relu branch by the input's maximum", _int8_if, "IF", 3),
        ("op_while", "int8 WHILE over (step, x): grow x until its largest magnitude passes 4, at most 6 times",
         _int8_while, "WHILE", 3),
        ("op_while_if", "int8 WHILE whose body holds an IF (nested control flow)", _int8_while_if,
         "WHILE", 5),
    ):
        expectations = bm.ModelExpectations(required_ops=(bm.expect(op),), subgraphs=subgraphs)
        models.append(bm.ModelSpec(name, description, bm.single_op([VECTOR], tf.identity),
                                   expectations, flatbuffer=builder))
    return models
