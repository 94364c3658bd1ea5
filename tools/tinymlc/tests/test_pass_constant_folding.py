import numpy as np

from tests.model_builder import ModelBuilder
from tinymlc.frontend import parse_model
from tinymlc.ir import DType, OpKind
from tinymlc.passes import fold_constants


def test_folds_quantize_and_reshape_chain_of_constants() -> None:
    mb = ModelBuilder()
    c = mb.tensor("c", (2, 2), DType.FLOAT32, data=np.array([[0.25, -0.25], [0.75, 100.0]]))
    q = mb.tensor("q", (2, 2), scale=0.5, zero_point=0)
    r = mb.tensor("r", (4,), scale=0.5, zero_point=0)
    x = mb.tensor("x", (4,), scale=0.5, zero_point=0)
    y = mb.tensor("y", (4,), scale=0.5, zero_point=0)
    mb.op("QUANTIZE", [c], [q])
    mb.op("RESHAPE", [q], [r])
    mb.op("MAXIMUM", [x, r], [y])
    graph = fold_constants(parse_model(mb.build([x], [y])).main)
    assert [op.kind for op in graph.operators] == [OpKind.MAXIMUM]
    folded = graph.tensors[r].data
    assert folded is not None
    assert folded.tolist() == [1, -1, 2, 127]  # ties away from zero, then clamp


def test_never_folds_into_a_graph_output() -> None:
    mb = ModelBuilder()
    c = mb.tensor("c", (4,), scale=0.5, data=np.array([1, 2, 3, 4]))
    y = mb.tensor("y", (2, 2), scale=0.5)
    mb.op("RESHAPE", [c], [y])
    graph = fold_constants(parse_model(mb.build([], [y])).main)
    assert [op.kind for op in graph.operators] == [OpKind.RESHAPE]
