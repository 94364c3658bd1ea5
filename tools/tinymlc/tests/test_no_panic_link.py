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
    "op_logistic",
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
