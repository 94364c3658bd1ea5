from tests.model_builder import ModelBuilder
from tinymlc.frontend import parse_model
from tinymlc.ir import OpKind
from tinymlc.passes import alias_reshapes, plan_graph_memory


def test_reshape_becomes_alias_and_shares_storage() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (1, 2, 4), scale=0.1)
    a = mb.tensor("a", (1, 2, 4), scale=0.1)
    r = mb.tensor("r", (8,), scale=0.1)
    y = mb.tensor("y", (8,), scale=0.1)
    mb.op("RELU", [x], [a])
    mb.op("RESHAPE", [a], [r])
    mb.op("RELU", [r], [y])
    graph = alias_reshapes(parse_model(mb.build([x], [y])).main)
    assert [op.kind for op in graph.operators] == [OpKind.RELU, OpKind.RELU]
    assert graph.storage_of(r) == a
    plan = plan_graph_memory(graph)
    assert plan.tensor_offsets[r] == plan.tensor_offsets[a]


def test_graph_input_to_graph_output_reshape_is_kept() -> None:
    mb = ModelBuilder()
    x = mb.tensor("x", (2, 4), scale=0.1)
    y = mb.tensor("y", (8,), scale=0.1)
    mb.op("RESHAPE", [x], [y])
    graph = alias_reshapes(parse_model(mb.build([x], [y])).main)
    assert [op.kind for op in graph.operators] == [OpKind.RESHAPE]
    assert not graph.aliases
