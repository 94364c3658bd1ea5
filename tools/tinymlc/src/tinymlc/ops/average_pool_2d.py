"""AVERAGE_POOL_2D: int8, same input/output quantization."""

from tinymlc.ops._common import OpView
from tinymlc.ops._pooling import Pool2DParams, prepare_pool


def prepare(view: OpView) -> Pool2DParams:
    return prepare_pool(view)
