"""Reading a signal operator's flexbuffer options the way TFLM's Init does."""

from __future__ import annotations

from tinymlc.ir import CustomOptionsAttrs
from tinymlc.ops._common import OpView, require


def option_int32(view: OpView, index: int) -> int:
    """`FlexbufferWrapper::ElementAsInt32(index)`: value `index` of the options map in
    key order, as int32 (an absent value reads 0, a float truncates, a bool is 0/1)."""
    attrs = view.op.attrs
    require(isinstance(attrs, CustomOptionsAttrs), "has no custom options", "re-export the model")
    assert isinstance(attrs, CustomOptionsAttrs)
    if index >= len(attrs.values):
        return 0
    value = attrs.values[index]
    require(not isinstance(value, tuple), f"option {index} is a vector, expected a number", "")
    assert not isinstance(value, tuple)
    wrapped = int(value) & 0xFFFFFFFF
    return wrapped - (1 << 32) if wrapped >= 1 << 31 else wrapped


def option_int32_by_key(view: OpView, key: str) -> int | None:
    """An option TFLM looks up by key (`flexbuffers::Map::operator[]`) as int32; None
    when the map has no such key."""
    attrs = view.op.attrs
    require(isinstance(attrs, CustomOptionsAttrs), "has no custom options", "re-export the model")
    assert isinstance(attrs, CustomOptionsAttrs)
    if key not in attrs.keys:
        return None
    return option_int32(view, attrs.keys.index(key))
