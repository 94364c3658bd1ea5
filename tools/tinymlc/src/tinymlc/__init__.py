"""tinymlc: compiles quantized INT8 TFLite models to no_std Rust, bit-exact with TFLM."""

__version__ = "0.1.0"
