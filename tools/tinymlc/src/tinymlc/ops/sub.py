"""SUB (int8): TFLM CalculateOpDataSub.

Its parameters are ADD's: both inputs rescaled, in double, to twice the larger input scale,
with a left shift of 20. Forming the quotients in float32 instead changes the last bits of
some multipliers and, through them, outputs by one (models/op_sub_broadcast.tflite).
"""

from tinymlc.ops.add import prepare

__all__ = ["prepare"]
