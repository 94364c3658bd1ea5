"""Graph-to-graph passes and the memory planner.

Each pass takes a `Graph` and returns a new one; none changes any value the
model computes (every rewrite is proven bit-exact against TFLM's kernels).
"""

from tinymlc.passes.alias_reshapes import alias_reshapes
from tinymlc.passes.constant_folding import fold_constants
from tinymlc.passes.fuse_activation import fuse_activations
from tinymlc.passes.io_conversions import IoConversion, IoConversions, fold_io_conversions
from tinymlc.passes.memory_planner import BufferRequest, MemoryPlan, plan_graph_memory
from tinymlc.passes.split_outputs import split_outputs

__all__ = [
    "BufferRequest",
    "IoConversion",
    "IoConversions",
    "MemoryPlan",
    "alias_reshapes",
    "fold_constants",
    "fold_io_conversions",
    "fuse_activations",
    "plan_graph_memory",
    "split_outputs",
]
