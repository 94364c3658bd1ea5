"""The board toolchain: how rules learn the facts of the board they build for.

Bazel 7 has no per-platform flags, so board facts travel through toolchain resolution: each
board configuration in //platforms:boards.bzl has a `tinyml_board` toolchain compatible only
with its own platform, and rules that need the board ask for
`//platforms/boards:toolchain_type`.
"""

BoardInfo = provider(
    doc = "Facts of the board a target is built for.",
    fields = {
        "name": "Board configuration name, as in //platforms:<name>.",
        "description": "What the board is.",
        "triple": "Rust target triple of its cores.",
        "core_names": "List of core names; the first is the boot core.",
        "core_mhz": "List of core clocks in MHz, in the order of core_names.",
        "flash_origin": "Start address of the region for code and constant data, as a hex string.",
        "flash_bytes": "Size of that region.",
        "ram_origin": "Start address of the region for the arena, stacks and statics, as a hex string.",
        "ram_bytes": "Size of that region.",
        "linker_memory": "The linker script's MEMORY command: the FLASH and RAM regions.",
        "qemu_binary": "QEMU system emulator that runs the board, or None for real boards.",
        "esptool_chip": "esptool's --chip for Espressif boards (their app image), else empty.",
        "flash_chip_bytes": "Size of the external flash chip, for app images; 0 if none is described.",
        "qemu_args": "Arguments selecting the emulated machine (without the firmware).",
    },
)

def _tinyml_board_impl(ctx):
    board = BoardInfo(
        name = ctx.label.name,
        description = ctx.attr.description,
        triple = ctx.attr.triple,
        core_names = ctx.attr.core_names,
        core_mhz = ctx.attr.core_mhz,
        flash_origin = ctx.attr.flash_origin,
        flash_bytes = ctx.attr.flash_bytes,
        ram_origin = ctx.attr.ram_origin,
        ram_bytes = ctx.attr.ram_bytes,
        linker_memory = "MEMORY\n{\n  FLASH : ORIGIN = %s, LENGTH = %d\n  RAM : ORIGIN = %s, LENGTH = %d\n}" % (
            ctx.attr.flash_origin,
            ctx.attr.flash_bytes,
            ctx.attr.ram_origin,
            ctx.attr.ram_bytes,
        ),
        qemu_binary = ctx.attr.qemu_binary or None,
        qemu_args = ctx.attr.qemu_args,
        esptool_chip = ctx.attr.esptool_chip,
        flash_chip_bytes = ctx.attr.flash_chip_bytes,
    )
    return [board, platform_common.ToolchainInfo(board = board)]

tinyml_board = rule(
    implementation = _tinyml_board_impl,
    doc = "Facts of one board configuration; made by //platforms/boards from boards.bzl.",
    attrs = {
        "core_mhz": attr.int_list(mandatory = True, doc = "Clock of each core in MHz."),
        "core_names": attr.string_list(mandatory = True, doc = "Name of each core; the first boots."),
        "description": attr.string(mandatory = True, doc = "What the board is."),
        "esptool_chip": attr.string(doc = "esptool's --chip for Espressif boards; empty for others."),
        "flash_chip_bytes": attr.int(doc = "Size of the external flash chip app images are written to."),
        "flash_bytes": attr.int(mandatory = True, doc = "Size of the code and constant-data region."),
        "flash_origin": attr.string(mandatory = True, doc = "Start address of the code and constant-data region, in hex (addresses above 2^31 do not fit attr.int)."),
        "qemu_args": attr.string_list(doc = "QEMU arguments that select the emulated machine."),
        "qemu_binary": attr.string(doc = "QEMU system emulator for emulated boards; empty for real boards."),
        "ram_bytes": attr.int(mandatory = True, doc = "Size of the RAM region."),
        "ram_origin": attr.string(mandatory = True, doc = "Start address of the RAM region, in hex."),
        "triple": attr.string(mandatory = True, doc = "Rust target triple of the cores."),
    },
)

# A Label, not a string: the rules below are used from other repositories.
_BOARD_TOOLCHAIN_TYPE = Label("//platforms/boards:toolchain_type")

def _current_board_impl(ctx):
    board = ctx.toolchains[_BOARD_TOOLCHAIN_TYPE].board
    return [board]

current_board = rule(
    implementation = _current_board_impl,
    doc = "The BoardInfo of the target platform's board, for rules that take it as a dependency.",
    toolchains = [_BOARD_TOOLCHAIN_TYPE],
)

# Builds a dependency for the rule's `platform` attribute (a board), whatever --platforms says.
def _platform_transition_impl(_settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _host_platform_transition_impl(settings, _attr):
    return {"//command_line_option:platforms": [str(settings["//command_line_option:host_platform"])]}

# For rules whose outputs depend only on their inputs, never on the platform their dependent
# is built for (generated code, host-computed test vectors): every configuration that needs
# them (the host tests, each board's firmware) shares one action and its outputs.
host_platform_transition = transition(
    implementation = _host_platform_transition_impl,
    inputs = ["//command_line_option:host_platform"],
    outputs = ["//command_line_option:platforms"],
)

def _tinyml_for_platform_impl(ctx):
    if ctx.attr.output_group:
        files = [target[OutputGroupInfo][ctx.attr.output_group] for target in ctx.attr.srcs]
    else:
        files = [target[DefaultInfo].files for target in ctx.attr.srcs]

    # Under this target's name: the same file built for several platforms has one path.
    links = []
    for file in depset(transitive = files).to_list():
        link = ctx.actions.declare_file("%s/%s" % (ctx.label.name, file.basename))
        ctx.actions.symlink(output = link, target_file = file)
        links.append(link)
    return [DefaultInfo(files = depset(links))]

tinyml_for_platform = rule(
    implementation = _tinyml_for_platform_impl,
    doc = "The files of `srcs` built for `platform`, whatever --platforms says (e.g. to collect firmware of several boards).",
    attrs = {
        "output_group": attr.string(doc = "Take this output group of each target instead of its default outputs."),
        "platform": attr.label(mandatory = True, doc = "A board's platform, e.g. //platforms:mps2_an386."),
        "srcs": attr.label_list(mandatory = True, cfg = platform_transition, doc = "Targets to build for `platform`."),
    },
)
