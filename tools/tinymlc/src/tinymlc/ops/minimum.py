"""MINIMUM (int8 or int16, broadcasting)."""

from tinymlc.ops._common import OpView
from tinymlc.ops._min_max import MinMaxParams, prepare_min_max


def prepare(view: OpView) -> MinMaxParams:
    return prepare_min_max(view)
