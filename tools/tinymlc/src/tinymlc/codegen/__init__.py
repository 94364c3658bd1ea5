"""Codegen: a validated model -> one `lib.rs` of a no_std crate + `report.json`.

`compile_model` validates, rewrites and plans for a `Target`'s cores;
`generate_crate` partitions the layers over them and renders the Rust
(templates in `templates/`) and the report.
"""

from tinymlc.codegen.generate import GeneratedCrate, generate_crate, render_cargo_toml
from tinymlc.codegen.pipeline import ONE_CORE, CompiledModel, Target, compile_model

__all__ = [
    "ONE_CORE",
    "CompiledModel",
    "GeneratedCrate",
    "Target",
    "compile_model",
    "generate_crate",
    "render_cargo_toml",
]
