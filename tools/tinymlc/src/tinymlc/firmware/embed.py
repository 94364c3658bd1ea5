"""A generated model crate compiled into another crate as a module.

Test harnesses and firmware checks embed the model's lib.rs instead of linking its crate: a
per-operator model then costs one compile per harness or firmware, not one more for its own
crate in every configuration.
"""

from tinymlc.errors import CompileError

CRATE_ONLY_ATTRIBUTE = "#![no_std]"


def as_module(crate_source: str) -> str:
    """A tinymlc crate root as the body of an inline module: without `#![no_std]`, which only
    a crate root may carry (the embedding crate's root says whether it has std)."""
    lines = crate_source.splitlines()
    if CRATE_ONLY_ATTRIBUTE not in lines:
        raise CompileError(f"not a tinymlc crate: no {CRATE_ONLY_ATTRIBUTE} line", "crate_source")
    return "\n".join(line for line in lines if line != CRATE_ONLY_ATTRIBUTE)


def harness_with_model(harness_source: str, crate_source: str) -> str:
    """The host harness (templates/harness.rs, which uses the model as `model`) with the
    generated crate appended as its module `model`."""
    return (
        f"{harness_source.rstrip()}\n\n"
        "/// The model's generated crate (its lib.rs), compiled into the harness, which uses part\n"
        "/// of its API (and of its re-exports).\n"
        "#[allow(dead_code, unused_imports)]\n"
        f"mod model {{\n{as_module(crate_source)}\n}}\n"
    )
