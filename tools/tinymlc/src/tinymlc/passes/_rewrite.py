"""Small helpers for building rewritten graphs."""

from __future__ import annotations

from dataclasses import replace

from tinymlc.ir import Graph, Operator


def without_operators(graph: Graph, removed: set[int], **changes: object) -> Graph:
    """The graph with the operators at `removed` dropped (order kept)."""
    operators = tuple(op for i, op in enumerate(graph.operators) if i not in removed)
    return replace(graph, operators=operators, **changes)  # type: ignore[arg-type]


def with_operator(graph: Graph, index: int, op: Operator) -> Graph:
    operators = list(graph.operators)
    operators[index] = op
    return replace(graph, operators=tuple(operators))
