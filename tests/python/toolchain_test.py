"""The Python toolchain and the hash-locked packages work under Bazel."""

import sys
import unittest

import numpy as np
import tflite


class PythonToolchainTest(unittest.TestCase):
    def test_interpreter_is_the_pinned_311(self) -> None:
        # The locked wheels are built for CPython 3.11.
        self.assertEqual(sys.version_info[:2], (3, 11))

    def test_numpy_integer_math_is_exact(self) -> None:
        acc = np.dot(np.full(1024, -128, dtype=np.int32), np.full(1024, -128, dtype=np.int32))
        self.assertEqual(int(acc), 1024 * 128 * 128)

    def test_tflite_schema_names_builtin_operators(self) -> None:
        self.assertEqual(tflite.BuiltinOperator.CONV_2D, 3)


if __name__ == "__main__":
    unittest.main()
