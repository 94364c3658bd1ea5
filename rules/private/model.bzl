"""tinyml_model: a quantized model file compiled by tinymlc into a no_std rust_library."""

load("@rules_rust//rust:defs.bzl", "rust_library")
load(":board.bzl", "host_platform_transition")
load(":report.bzl", "tinyml_feasibility_report")
load(":worker.bzl", "WORKER_EXECUTION_REQUIREMENTS", "use_worker_params_file")

# The runtime crates generated code calls: every crate that compiles a model's lib.rs (its
# own library, a host harness, a firmware check) depends on these.
RUNTIME_CRATES = [
    Label("//runtime/arena"),
    Label("//runtime/executor"),
    Label("//runtime/kernels"),
    Label("//runtime/model"),
]

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
    if ctx.attr.core_mhz:
        args.add_joined("--core_mhz", ctx.attr.core_mhz, join_with = ",")
    if ctx.attr.split_every_layer:
        args.add("--split_every_layer")
    if ctx.files.calibration:
        args.add_joined(ctx.files.calibration, join_with = ",", format_joined = "--calibration=%s")
        args.add("--calibration_method=" + ctx.attr.calibration_method)
    if ctx.attr.onnx_exact:
        args.add("--onnx_exact")
    use_worker_params_file(args)
    ctx.actions.run(
        executable = ctx.attr._compiler[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [ctx.file.src] + ctx.files.calibration,
        outputs = [lib_rs, report],
        execution_requirements = WORKER_EXECUTION_REQUIREMENTS,
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
    doc = "Runs tinymlc on `src`: the generated lib.rs, and report.json as output group `report`. " +
          "Built for the host platform whatever the dependent's platform, so that one action " +
          "serves every configuration.",
    cfg = host_platform_transition,
    attrs = {
        "calibration": attr.label_list(
            allow_files = [".npy"],
            doc = "A float .onnx model's calibration samples (one .npy per sample of its input): " +
                  "tinymlc quantizes the model itself.",
        ),
        "calibration_method": attr.string(
            default = "minmax",
            values = ["minmax", "percentile"],
            doc = "How activation ranges come from the calibration samples.",
        ),
        "core_mhz": attr.int_list(
            doc = "Clock of each core in MHz (empty: one core). The compiler partitions every " +
                  "layer across them in proportion to their clocks.",
        ),
        "crate_name": attr.string(mandatory = True, doc = "Name of the Rust crate the code is for."),
        "onnx_exact": attr.bool(
            doc = "An .onnx model requantizes in float32 as onnxruntime does (bit for bit with it) " +
                  "instead of in TFLite's fixed point (within 1 LSB).",
        ),
        "split_every_layer": attr.bool(
            doc = "Split every layer across the cores even where the cost model would not (tests).",
        ),
        "src": attr.label(
            mandatory = True,
            allow_single_file = [".tflite", ".onnx"],
            doc = "The quantized model (.tflite, or .onnx in QDQ or QOperator form).",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
        "_compiler": attr.label(
            default = Label("//tools/tinymlc"),
            executable = True,
            cfg = "exec",
        ),
    },
)

def rust_crate_name(name):
    """A valid Rust crate name derived from a Bazel target name.

    Rust crate names are identifiers; Bazel target names may hold `-`, `.`, `+`, upper case
    and start with a digit. Every other character becomes `_`, upper case becomes lower case
    (rustc warns on non-snake-case crate names), and a leading digit gets a `_` before it.

    Args:
      name: a Bazel target name.

    Returns:
      The crate name.
    """
    chars = []
    for index in range(len(name)):
        char = name[index]
        if char.isalnum() or char == "_":
            chars.append(char.lower())
        else:
            chars.append("_")
    crate = "".join(chars)
    if not crate or crate[0].isdigit():
        crate = "_" + crate
    return crate

def tinyml_model(
        name,
        src,
        crate_name = None,
        core_mhz = [],
        split_every_layer = False,
        report_board = None,
        calibration = [],
        calibration_method = "minmax",
        onnx_exact = False,
        **kwargs):
    """A quantized model as a no_std Rust library for the selected platform.

    Creates `name`, a rust_library with the model's API (`predict_quantized`, `predict`,
    `ARENA_BYTES`, input/output constants; `*_on` for several cores), and `name + "_report"`,
    the compiler's report.json (flash, arena, MACs and arena offsets per layer, the schedule),
    and `name + "_report_html"`, the feasibility report `<name>_report.html` (output groups
    `json` and `text`: `<name>_report.json`, `<name>_report.txt`) against `report_board`.

    Args:
      name: target name of the rust_library.
      src: the `.tflite` or `.onnx` file.
      crate_name: Rust crate name; defaults to `name` made a valid crate name
        (`pretrainedResnet-quant` -> `pretrainedresnet_quant`, see `rust_crate_name`).
      core_mhz: clock of each core in MHz, e.g. a board's `core_mhz` from
        //platforms:boards.bzl (`BOARDS["stm32h747"].core_mhz` is `[480, 240]`); empty: one core.
      split_every_layer: split every layer whatever the cost model says (tests).
      report_board: a board of //platforms:boards.bzl the feasibility report judges the model
        against (flash, RAM, latency from its clocks); its cores must be `core_mhz`'s.
        None: the report gives the model's needs and latency on `core_mhz`, without a verdict.
      calibration: for a float `.onnx` model, its calibration samples (`.npy` files, one
        sample of the model's input each): tinymlc quantizes the model (per-channel int8
        weights, per-tensor int8 activations) with ranges from them; report.json lists them.
      calibration_method: "minmax" or "percentile" (99.99th) activation ranges.
      onnx_exact: for an `.onnx` model, requantize every integer-accumulating operator in
        float32 exactly as onnxruntime does (`tinymlc --onnx_exact`, tools/tinymlc/README.md
        "ONNX exactness"): bit for bit with onnxruntime where TFLite's fixed point is within
        1 LSB, at the cost of int32 accumulators in the arena (about 2.5x the default's)
        and a float32 requantization per output element.
      **kwargs: passed to the rust_library (visibility, tags, ...).
    """
    crate_name = crate_name or rust_crate_name(name)
    codegen = name + "_codegen"
    tinyml_model_codegen(
        name = codegen,
        src = src,
        crate_name = crate_name,
        core_mhz = core_mhz,
        split_every_layer = split_every_layer,
        calibration = calibration,
        calibration_method = calibration_method,
        onnx_exact = onnx_exact,
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
    tinyml_feasibility_report(
        name = name + "_report_html",
        basename = name + "_report",
        report = ":" + name + "_report",
        board = report_board,
        visibility = kwargs.get("visibility"),
        tags = kwargs.get("tags", []),
    )
    rust_library(
        name = name,
        srcs = [":" + codegen],
        crate_name = crate_name,
        deps = RUNTIME_CRATES,
        **kwargs
    )
