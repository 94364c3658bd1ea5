"""tinyml_model: a quantized model file compiled by tinymlc into a no_std rust_library."""

load("@rules_rust//rust:defs.bzl", "rust_library")

TinymlModelInfo = provider(
    doc = "A model compiled by tinymlc: what firmware rules need to check it against a board.",
    fields = {
        "report": "File: the compiler's report.json (flash, arena, layers and their tensors).",
        "src": "File: the model it was compiled from.",
    },
)

def _tinyml_model_codegen_impl(ctx):
    lib_rs = ctx.actions.declare_file(ctx.label.name + "/lib.rs")
    report = ctx.actions.declare_file(ctx.label.name + "/report.json")
    args = ctx.actions.args()
    args.add("compile")
    args.add("--model", ctx.file.src)
    args.add("--out", lib_rs.dirname)
    args.add("--crate_name", ctx.attr.crate_name)
    args.add("--no_cargo")
    ctx.actions.run(
        executable = ctx.attr._compiler[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [ctx.file.src],
        outputs = [lib_rs, report],
        mnemonic = "TinymlCompile",
        progress_message = "Compiling model %s into Rust" % ctx.file.src.short_path,
    )
    return [
        DefaultInfo(files = depset([lib_rs])),
        OutputGroupInfo(report = depset([report])),
        TinymlModelInfo(report = report, src = ctx.file.src),
    ]

tinyml_model_codegen = rule(
    implementation = _tinyml_model_codegen_impl,
    doc = "Runs tinymlc on `src`: the generated lib.rs, and report.json as output group `report`.",
    attrs = {
        "crate_name": attr.string(mandatory = True, doc = "Name of the Rust crate the code is for."),
        "src": attr.label(
            mandatory = True,
            allow_single_file = [".tflite"],
            doc = "The quantized model.",
        ),
        "_compiler": attr.label(
            default = "//tools/tinymlc",
            executable = True,
            cfg = "exec",
        ),
    },
)

def tinyml_model(name, src, crate_name = None, **kwargs):
    """A quantized model as a no_std Rust library for the selected platform.

    Creates `name`, a rust_library with the model's API (`predict_quantized`, `predict`,
    `ARENA_BYTES`, input/output constants), and `name + "_report"`, the compiler's
    report.json (flash, arena, MACs and arena offsets per layer).

    Args:
      name: target name of the rust_library.
      src: the `.tflite` file.
      crate_name: Rust crate name; defaults to `name`.
      **kwargs: passed to the rust_library (visibility, tags, ...).
    """
    crate_name = crate_name or name.replace("-", "_")
    codegen = name + "_codegen"
    tinyml_model_codegen(
        name = codegen,
        src = src,
        crate_name = crate_name,
        visibility = ["//visibility:private"],
        tags = kwargs.get("tags", []),
    )
    native.filegroup(
        name = name + "_report",
        srcs = [":" + codegen],
        output_group = "report",
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags", []),
    )
    rust_library(
        name = name,
        srcs = [":" + codegen],
        crate_name = crate_name,
        deps = [
            Label("//runtime/arena"),
            Label("//runtime/kernels"),
        ],
        **kwargs
    )
