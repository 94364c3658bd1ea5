"""No panics, shown by the linker (tests/no_panic.py): for every model of models/ listed in
PANIC_FREE, `predict_tensors` links with a panic handler that is an undefined symbol.

The zoo is not all there yet: the models left out still reach panics in the kernels listed in
README.md ("No panics"). Each kernel made panic-free moves its models into PANIC_FREE; the
last test keeps the list honest by checking that a model left out really does reach a panic.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import no_panic
from tinymlc import hostbuild
from tinymlc.codegen import compile_model
from tinymlc.frontend import load_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"

PANIC_FREE = [
    "fc_autoencoder",
    "op_concatenation_axis1_three_inputs",
    "op_concatenation_axis_last_2d",
    "op_dequantize_float_output",
    "op_fully_connected_batch4",
    "op_fully_connected_bias_relu",
    "op_fully_connected_keep_num_dims",
    "op_fully_connected_no_bias",
    "op_gelu_approximate",
    "op_gelu_exact",
    "op_hard_swish",
    "op_leaky_relu",
    "op_logistic",
    "op_quantize_float_input",
    "op_quantize_requantize_int8",
    "op_relu",
    "op_relu6",
    "op_reshape_3d_to_4d",
    "op_reshape_4d_to_2d",
    "op_rsqrt",
    "op_squeeze_axis_2",
    "op_tanh",
    "sine",
]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("no_panic_runtime")
    no_panic.build_runtime(hostbuild.default_runtime_dir(), out)
    return out


@pytest.mark.parametrize("model", PANIC_FREE)
def test_model_reaches_no_panic(model: str, runtime: Path, tmp_path: Path) -> None:
    compiled = compile_model(load_model(str(MODELS_DIR / f"{model}.tflite")))
    paths = no_panic.panic_paths(compiled, runtime, tmp_path)
    assert not paths, f"{model} can panic in: {dict(paths)}"


def test_the_check_sees_a_remaining_panic(runtime: Path, tmp_path: Path) -> None:
    """BATCH_MATMUL's kernels still index slices the optimizer cannot prove in bounds."""
    compiled = compile_model(load_model(str(MODELS_DIR / "op_batch_matmul.tflite")))
    paths = no_panic.panic_paths(compiled, runtime, tmp_path)
    assert any("batch_matmul" in function for function in paths), dict(paths)
