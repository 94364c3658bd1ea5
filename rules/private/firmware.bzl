"""Firmware for a board: a rust_binary linked with the board's memory map, checked against
the board's flash and RAM before linking, with a size report of the linked image."""

load("@rules_rust//rust:defs.bzl", "rust_binary")
load("//platforms:boards.bzl", "APP_IMAGE_BOARDS")
load(":app_image.bzl", "tinyml_app_image")
load(":board.bzl", "BoardInfo", "platform_transition")
load(":model.bzl", "TinymlModelInfo")
load(":shell.bzl", "shell_quote")
load(":worker.bzl", "WORKER_EXECUTION_REQUIREMENTS", "use_worker_params_file")

DEFAULT_STACK_BYTES = 16 * 1024

# Section layout per architecture family, chosen by the board's Rust triple.
_SECTIONS_BY_TRIPLE_PREFIX = {
    "riscv32": "riscv",
    "thumb": "cortex_m",
    "xtensa": "xtensa",
}

def _family(triple):
    for prefix, family in _SECTIONS_BY_TRIPLE_PREFIX.items():
        if triple.startswith(prefix):
            return family
    return None

# Dual-core Cortex-M boards (the SSE-200): core 1 boots from its own table, with its stack
# below core 0's. VTOR tables need 512-byte alignment.
_SECONDARY_VECTOR_TABLE = """  .vector_table_secondary : ALIGN(512)
  {
    __tinyml_secondary_vectors = .;
    LONG(__tinyml_stack_top - __tinyml_stack_bytes);
    KEEP(*(.vector_table.secondary_reset_vector));
    KEEP(*(.vector_table.secondary_exceptions));
  } > FLASH
"""

def _tinyml_linker_script_impl(ctx):
    board = ctx.attr._board[BoardInfo]
    family = _family(board.triple)
    if family == None:
        fail("board '%s' (%s) has no linker section layout in rules_tinyml" % (board.name, board.triple))
    template = {
        "cortex_m": ctx.file._cortex_m_sections,
        "riscv": ctx.file._riscv_sections,
        "xtensa": ctx.file._xtensa_sections,
    }[family]
    script = ctx.actions.declare_file(ctx.label.name + ".ld")
    ctx.actions.expand_template(
        template = template,
        output = script,
        substitutions = {
            "%{cores}": str(len(board.core_names)),
            "%{memory}": board.linker_memory,
            "%{secondary_vector_table}": _SECONDARY_VECTOR_TABLE if len(board.core_names) > 1 else "",
            "%{stack_bytes}": str(ctx.attr.stack_bytes),
        },
    )
    return [DefaultInfo(files = depset([script]))]

tinyml_linker_script = rule(
    implementation = _tinyml_linker_script_impl,
    doc = "The linker script of the target platform's board: its memory map, sections and stack.",
    attrs = {
        "stack_bytes": attr.int(mandatory = True, doc = "Bytes of RAM reserved for each core's stack."),
        "_board": attr.label(default = Label("//platforms/boards:current"), providers = [BoardInfo]),
        "_cortex_m_sections": attr.label(default = Label("//platforms/rt:cortex_m.ld"), allow_single_file = True),
        "_riscv_sections": attr.label(default = Label("//platforms/rt:riscv.ld"), allow_single_file = True),
        "_xtensa_sections": attr.label(default = Label("//platforms/rt:xtensa.ld"), allow_single_file = True),
    },
)

_ModelReportsInfo = provider(
    doc = "Every tinyml_model a Rust target links, transitively.",
    fields = {"models": "depset of struct(label, report): the model library and its report.json."},
)

def _display(label):
    """A label as users write it: //pkg:name in the main repository."""
    return "//%s:%s" % (label.package, label.name) if label.workspace_name == "" else str(label)

def _model_reports_aspect_impl(target, ctx):
    # A tinyml_model is a rust_library whose sources come from a tinymlc codegen target.
    direct = [
        struct(label = _display(target.label), report = src[TinymlModelInfo].report)
        for src in getattr(ctx.rule.attr, "srcs", [])
        if TinymlModelInfo in src
    ]
    transitive = [
        dep[_ModelReportsInfo].models
        for dep in getattr(ctx.rule.attr, "deps", [])
        if _ModelReportsInfo in dep
    ]
    return [_ModelReportsInfo(models = depset(direct, transitive = transitive))]

_model_reports_aspect = aspect(
    implementation = _model_reports_aspect_impl,
    attr_aspects = ["deps"],
    doc = "Collects the compiler reports of the tinyml_models in a Rust target's dependencies.",
)

def _models(ctx):
    return depset(transitive = [dep[_ModelReportsInfo].models for dep in ctx.attr.deps]).to_list()

def _board_arguments(board):
    return [
        "--board=" + board.name,
        "--board_description=" + board.description,
        "--flash_origin=" + board.flash_origin,
        "--flash_bytes=%d" % board.flash_bytes,
        "--ram_origin=" + board.ram_origin,
        "--ram_bytes=%d" % board.ram_bytes,
    ]

def _model_arguments(models, path_of):
    return ["--report=%s=%s" % (model.label, path_of(model.report)) for model in models]

def _budget_arguments(board, stack_bytes, models, path_of):
    """The budget command line, with `path_of(file)` naming a report where the tool runs."""
    stacks = stack_bytes * len(board.core_names)
    return (["budget", "--stack_bytes=%d" % stacks] + _board_arguments(board) +
            _model_arguments(models, path_of))

def _tinyml_budget_impl(ctx):
    summary = ctx.actions.declare_file(ctx.label.name + ".txt")
    args = ctx.actions.args()
    args.add_all(_budget_arguments(ctx.attr._board[BoardInfo], ctx.attr.stack_bytes, _models(ctx), lambda file: file.path))
    args.add("--out", summary)
    use_worker_params_file(args)
    ctx.actions.run(
        executable = ctx.attr._tool[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [model.report for model in _models(ctx)],
        outputs = [summary],
        mnemonic = "TinymlBudget",
        execution_requirements = WORKER_EXECUTION_REQUIREMENTS,
        progress_message = "Checking that the models of %{label} fit the board",
    )
    return [DefaultInfo(files = depset([summary]))]

_COMMON_ATTRS = {
    "deps": attr.label_list(
        aspects = [_model_reports_aspect],
        doc = "The firmware's Rust dependencies; every tinyml_model among them, transitively, is checked.",
    ),
    "_board": attr.label(default = Label("//platforms/boards:current"), providers = [BoardInfo]),
    "_tool": attr.label(default = Label("//tools/tinymlc:firmware"), executable = True, cfg = "exec"),
}

tinyml_budget = rule(
    implementation = _tinyml_budget_impl,
    doc = """Checks, before linking, that the models a firmware links fit the board: weights
and parameters in flash, arenas plus stack in RAM. Fails the build with a message naming the
model, the board, the numbers and the largest tensor or layer; else writes a one-line summary.""",
    attrs = dict(_COMMON_ATTRS, **{
        "stack_bytes": attr.int(mandatory = True, doc = "Bytes of RAM reserved for the stack."),
    }),
)

def _tinyml_size_report_impl(ctx):
    board = ctx.attr._board[BoardInfo]
    json_report = ctx.actions.declare_file(ctx.label.name + ".json")
    text_report = ctx.actions.declare_file(ctx.label.name + ".txt")
    models = _models(ctx)
    args = ctx.actions.args()
    args.add("size")
    args.add_all(_board_arguments(board))
    args.add_all(_model_arguments(models, lambda file: file.path))
    args.add("--elf", ctx.file.firmware)
    args.add("--out", json_report)
    args.add("--out_text", text_report)
    use_worker_params_file(args)
    ctx.actions.run(
        executable = ctx.attr._tool[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [model.report for model in models] + [ctx.file.firmware],
        outputs = [json_report, text_report],
        mnemonic = "TinymlSizeReport",
        execution_requirements = WORKER_EXECUTION_REQUIREMENTS,
        progress_message = "Measuring flash and RAM of %{label}",
    )
    return [
        DefaultInfo(files = depset([text_report, json_report])),
        OutputGroupInfo(json = depset([json_report])),
    ]

tinyml_size_report = rule(
    implementation = _tinyml_size_report_impl,
    doc = """Flash and RAM of a linked firmware, per section, against the board's sizes and next
to what tinymlc planned for each model (weights and parameters, arena): `<name>.txt` and
`<name>.json` (also output group `json`).""",
    attrs = dict(_COMMON_ATTRS, **{
        "firmware": attr.label(mandatory = True, allow_single_file = True, doc = "The firmware ELF."),
    }),
)

def tinyml_firmware(name, srcs, deps = [], compile_data = [], stack_bytes = DEFAULT_STACK_BYTES, **kwargs):
    """Firmware for the board of the target platform (--platforms=//platforms:<board>).

    Builds `name`, a `rust_binary` with the board's memory map and the start-up code of
    //platforms/rt, after checking that every tinyml_model in `deps` fits the board
    (`name_budget`); `name_size`, the size report of the linked ELF; and on Espressif boards
    `name_app_image`, the image their bootloader loads (output group `app_image`). The sources declare
    their entry point with `tinyml_rt::entry!`.

    Args:
      name: name of the firmware ELF target.
      srcs: Rust sources; the first is the crate root unless `crate_root` is given.
      deps: Rust libraries the firmware uses (//platforms/rt is added).
      compile_data: files the sources read at compile time (e.g. with `include_bytes!`).
      stack_bytes: RAM reserved for each core's stack, after the statics (the arena is a static).
      **kwargs: passed to rust_binary.
    """
    bare_metal_only = [Label("@platforms//os:none")]
    tags = kwargs.get("tags", [])
    linker_script = name + "_linker_script"
    tinyml_linker_script(
        name = linker_script,
        stack_bytes = stack_bytes,
        target_compatible_with = bare_metal_only,
        visibility = ["//visibility:private"],
        tags = tags,
    )
    budget = name + "_budget"
    tinyml_budget(
        name = budget,
        deps = deps,
        stack_bytes = stack_bytes,
        target_compatible_with = bare_metal_only,
        visibility = ["//visibility:private"],
        tags = tags,
        testonly = kwargs.get("testonly", False),
    )
    xtensa_start = Label("//platforms/rt:xtensa_start.s")
    rust_binary(
        name = name,
        srcs = srcs,
        # The budget summary is an input only so that the check runs, and fails, before rustc.
        compile_data = compile_data + [":" + linker_script, ":" + budget, xtensa_start],
        rustc_flags = ["-Clink-arg=-T$(execpath :%s)" % linker_script] + select({
            # Xtensa start-up is assembly (rustc has no Xtensa asm!), assembled by the link step.
            Label("//platforms/constraints:xtensa"): ["-Clink-arg=$(execpath %s)" % xtensa_start],
            "//conditions:default": [],
        }),
        target_compatible_with = bare_metal_only,
        deps = deps + [Label("//platforms/rt")],
        **kwargs
    )
    tinyml_size_report(
        name = name + "_size",
        firmware = ":" + name,
        deps = deps,
        target_compatible_with = bare_metal_only,
        visibility = kwargs.get("visibility"),
        tags = tags,
        testonly = kwargs.get("testonly", False),
    )
    tinyml_app_image(
        name = name + "_app_image",
        firmware = ":" + name,
        target_compatible_with = select(dict(
            [(Label("//platforms/constraints:board_" + board), []) for board in APP_IMAGE_BOARDS],
            **{"//conditions:default": [Label("@platforms//:incompatible")]}
        )),
        visibility = kwargs.get("visibility"),
        tags = tags,
        testonly = kwargs.get("testonly", False),
    )

def _tinyml_budget_test_impl(ctx):
    models = _models(ctx)
    command = [ctx.executable._tool.short_path] + _budget_arguments(
        ctx.attr._board[0][BoardInfo],
        ctx.attr.stack_bytes,
        models,
        lambda file: file.short_path,
    )
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._runner_template,
        output = script,
        is_executable = True,
        substitutions = {
            "%{budget_command}": " ".join([shell_quote(arg) for arg in command]),
            "%{expected_messages}": " ".join([shell_quote(m) for m in ctx.attr.expected_messages]),
        },
    )
    runfiles = ctx.runfiles(files = [model.report for model in models])
    return [DefaultInfo(
        executable = script,
        runfiles = runfiles.merge(ctx.attr._tool[DefaultInfo].default_runfiles),
    )]

tinyml_budget_test = rule(
    implementation = _tinyml_budget_test_impl,
    doc = """Runs the budget check that `tinyml_firmware` would run for `deps` on the board of
`platform`, and passes when it rejects them with a message containing every
`expected_messages` entry: how a too-large model is proven to fail the build.""",
    attrs = {
        "deps": attr.label_list(
            aspects = [_model_reports_aspect],
            cfg = platform_transition,
            doc = "Rust dependencies of the would-be firmware, with the tinyml_models to check.",
        ),
        "expected_messages": attr.string_list(mandatory = True, doc = "Texts the error must contain."),
        "platform": attr.label(mandatory = True, doc = "The board's platform."),
        "stack_bytes": attr.int(default = DEFAULT_STACK_BYTES, doc = "Stack, as tinyml_firmware's."),
        "_board": attr.label(default = Label("//platforms/boards:current"), cfg = platform_transition, providers = [BoardInfo]),
        "_runner_template": attr.label(default = Label(":budget_test_runner.sh.tpl"), allow_single_file = True),
        "_tool": attr.label(default = Label("//tools/tinymlc:firmware"), executable = True, cfg = "target"),
    },
    test = True,
)
