"""Codegen: a validated model -> one `lib.rs` of a no_std crate + `report.json`.

`compile_model` validates, rewrites and plans; `generate_crate` renders the
Rust (templates in `templates/`) and the report.
"""

from tinymlc.codegen.generate import ONE_CORE, GeneratedCrate, Target, generate_crate, render_cargo_toml
from tinymlc.codegen.pipeline import CompiledModel, compile_model

__all__ = [
    "ONE_CORE",
    "CompiledModel",
    "GeneratedCrate",
    "Target",
    "compile_model",
    "generate_crate",
    "render_cargo_toml",
]
