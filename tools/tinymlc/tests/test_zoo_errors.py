"""The zoo's error-path and reference-less models: what a user bringing them would see."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinymlc.codegen import compile_model, generate_crate
from tinymlc.errors import CompileError
from tinymlc.frontend import load_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (
            "bad_unsupported_op",
            ["operator 0 (TOPK_V2): unsupported operator TOPK_V2", "fix: "],
        ),
    ],
)
def test_bad_zoo_model_is_rejected_with_every_problem_named(model: str, expected: list[str]) -> None:
    with pytest.raises(CompileError) as error:
        compile_model(load_model(MODELS_DIR / f"{model}.tflite"))
    for text in expected:
        assert text in str(error.value)


@pytest.mark.parametrize("model", ["op_gelu_approximate", "op_gelu_exact"])
def test_gelu_models_compile_to_a_lookup_table_step(model: str) -> None:
    # TFLM has no GELU kernel to compare with; the kernel tests pin the table itself.
    crate = generate_crate(compile_model(load_model(MODELS_DIR / f"{model}.tflite")), model)
    assert "gelu" in crate.lib_rs
