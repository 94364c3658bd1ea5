"""Runs firmware under QEMU for an emulated board: as a `bazel run` target, or as a test."""

load(":board.bzl", "BoardInfo", "platform_transition")
load(":shell.bzl", "shell_quote")

# Built by tools/offline/setup.sh from tools/qemu_plugin/insn_count.c, inside the build root
# where Bazel runs. The markers are tinyml_rt::measure's.
INSN_COUNT_PLUGIN = "/opt/tinyml/qemu/libinsn_count.so"
MEASURE_MARKERS = "begin=tinyml_measure_begin,end=tinyml_measure_end"

def _own_firmware(ctx):
    """The firmware under this target's own name.

    The same firmware built for several boards has one runfiles path, so runners collected
    together (as the benchmark does) would otherwise share one ELF.
    """
    firmware = ctx.actions.declare_file(ctx.label.name + ".elf")
    ctx.actions.symlink(output = firmware, target_file = ctx.file.firmware)
    return firmware

def _qemu_command(ctx, firmware):
    """The QEMU command line that runs `firmware` on the board of ctx.attr.platform."""
    board = ctx.attr._board[0][BoardInfo]
    if not board.qemu_binary:
        fail("%s: board '%s' is not emulated; use one of the QEMU boards of //platforms:boards.bzl" % (ctx.label, board.name))
    command = [board.qemu_binary] + board.qemu_args + ["-kernel", firmware.short_path]
    return board, " ".join([shell_quote(arg) for arg in command])

def _tinyml_qemu_run_impl(ctx):
    firmware = _own_firmware(ctx)
    board, command = _qemu_command(ctx, firmware)
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    if ctx.attr.count_instructions:
        ctx.actions.expand_template(
            template = ctx.file._counting_runner_template,
            output = runner,
            is_executable = True,
            substitutions = {
                "%{board}": board.name,
                "%{qemu_command}": command,
                "%{plugin}": shell_quote(INSN_COUNT_PLUGIN + "," + MEASURE_MARKERS),
            },
        )
    else:
        ctx.actions.write(
            output = runner,
            is_executable = True,
            content = "#!/bin/sh\n# Runs firmware on %s under QEMU; exits with the firmware's status.\nexec %s\n" % (board.name, command),
        )
    return [DefaultInfo(executable = runner, runfiles = ctx.runfiles(files = [firmware]))]

def _tinyml_qemu_test_impl(ctx):
    firmware = _own_firmware(ctx)
    board, command = _qemu_command(ctx, firmware)
    expected = ctx.actions.declare_file(ctx.label.name + ".expected")
    ctx.actions.write(expected, ctx.attr.expected_output)
    runner = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.expand_template(
        template = ctx.file._runner_template,
        output = runner,
        is_executable = True,
        substitutions = {
            "%{board}": board.name,
            "%{expected_exit_code}": str(ctx.attr.expected_exit_code),
            "%{expected_output}": expected.short_path,
            "%{qemu_command}": command,
            "%{timeout_seconds}": str(ctx.attr.timeout_seconds),
        },
    )
    return [DefaultInfo(
        executable = runner,
        runfiles = ctx.runfiles(files = [firmware, expected]),
    )]

_COMMON_ATTRS = {
    "firmware": attr.label(
        mandatory = True,
        allow_single_file = True,
        cfg = platform_transition,
        doc = "The firmware ELF (e.g. a tinyml_firmware), built for `platform`.",
    ),
    "platform": attr.label(mandatory = True, doc = "An emulated board's platform, e.g. //platforms:mps2_an386."),
    "_board": attr.label(
        default = Label("//platforms/boards:current"),
        cfg = platform_transition,
        providers = [BoardInfo],
    ),
}

tinyml_qemu_run = rule(
    implementation = _tinyml_qemu_run_impl,
    doc = """`bazel run` target that builds `firmware` for `platform` and runs it under QEMU,
printing what it prints and exiting with its status.""",
    attrs = dict(_COMMON_ATTRS, **{
        "count_instructions": attr.bool(
            default = False,
            doc = "After the run, print the instructions each core executed in every call the " +
                  "firmware wrapped in `tinyml_rt::measure` (our QEMU plugin, tools/qemu_plugin).",
        ),
        "_counting_runner_template": attr.label(default = Label(":qemu_counting_runner.sh.tpl"), allow_single_file = True),
    }),
    executable = True,
)

tinyml_qemu_test = rule(
    implementation = _tinyml_qemu_test_impl,
    doc = """Builds `firmware` for `platform`, runs it under QEMU, and checks what it prints
and its exit status. The test itself runs on the host, so `bazel test //...` includes it
whatever --platforms says.""",
    attrs = dict(_COMMON_ATTRS, **{
        "expected_exit_code": attr.int(default = 0, doc = "Exit status the firmware must end with."),
        "expected_output": attr.string(mandatory = True, doc = "Everything the firmware must print, exactly."),
        "timeout_seconds": attr.int(default = 60, doc = "QEMU is stopped after this long: a hung firmware fails."),
        "_runner_template": attr.label(default = Label(":qemu_test_runner.sh.tpl"), allow_single_file = True),
    }),
    test = True,
)
