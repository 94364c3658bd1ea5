"""Model importers: each turns a serialized model into `tinymlc.ir.Model`."""

from tinymlc.frontend.tflite import load_model, parse_model

__all__ = ["load_model", "parse_model"]
