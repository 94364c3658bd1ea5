"""No panics, shown by the linker (tests/no_panic.py): every model of models/ (.tflite and
.onnx) links, `predict_tensors` called on opaque buffers, with a panic handler that is an
undefined symbol, twice: with the kernels as generic targets build them and with the Armv7E-M
DSP fast paths taken (`portable_dsp_paths`).

Models are linked in batches: each batch is one binary whose modules are the models' generated
crates, one rustc run. A failing batch names the source lines of the panics that remain.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import no_panic
from tinymlc import hostbuild
from tinymlc.codegen import CompiledModel, compile_model
from tinymlc.frontend import load_model

MODELS_DIR = Path(__file__).absolute().parents[3] / "models"

# The zoo's models that must not compile (test_zoo_errors checks their messages).
REFUSED = {"bad_unsupported_op.tflite", "ds_cnn_float.onnx"}
MODELS = sorted(
    p.name for p in [*MODELS_DIR.glob("*.tflite"), *MODELS_DIR.glob("*.onnx")] if p.name not in REFUSED
)
BATCH = 40
BATCHES = [MODELS[i : i + BATCH] for i in range(0, len(MODELS), BATCH)]


@pytest.fixture(scope="module", params=["generic", "armv7em_dsp"])
def runtime(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp(f"no_panic_runtime_{request.param}")
    no_panic.build_runtime(hostbuild.default_runtime_dir(), out, dsp_paths=request.param == "armv7em_dsp")
    return out


def compile_zoo_model(name: str) -> CompiledModel:
    return compile_model(load_model(str(MODELS_DIR / name)))


@pytest.mark.parametrize("batch", range(len(BATCHES)), ids=lambda i: f"{BATCHES[i][0]}..")
def test_models_reach_no_panic(batch: int, runtime: Path, tmp_path: Path) -> None:
    names = BATCHES[batch]
    sites = no_panic.batch_panic_paths([compile_zoo_model(name) for name in names], runtime, tmp_path)
    assert not sites, f"one of {names} can panic at: {dict(sites)}"


def test_the_check_sees_a_panic(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The control: a model whose first layer indexes out of bounds fails the link, and the
    failure names the line."""
    runtime = tmp_path_factory.mktemp("no_panic_runtime_control")
    no_panic.build_runtime(hostbuild.default_runtime_dir(), runtime)
    compiled = compile_zoo_model("op_relu.tflite")
    panicking = "let _ = [0u8; 2][core::hint::black_box(3)];"
    sites = no_panic.batch_panic_paths(
        [compiled], runtime, tmp_path_factory.mktemp("work"), first_statement=panicking
    )
    assert any(site.startswith("model_0.rs:") for site in sites), dict(sites)
