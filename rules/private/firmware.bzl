"""Firmware for a board: a rust_binary linked with the board's memory map."""

load("@rules_rust//rust:defs.bzl", "rust_binary")
load(":board.bzl", "BoardInfo")

# Section layout per architecture family, chosen by the board's Rust triple.
_SECTIONS_BY_TRIPLE_PREFIX = {
    "riscv32": "riscv",
    "thumb": "cortex_m",
}

def _family(triple):
    for prefix, family in _SECTIONS_BY_TRIPLE_PREFIX.items():
        if triple.startswith(prefix):
            return family
    return None

def _tinyml_linker_script_impl(ctx):
    board = ctx.attr._board[BoardInfo]
    family = _family(board.triple)
    if family == None:
        fail("board '%s' (%s) has no linker section layout in rules_tinyml" % (board.name, board.triple))
    template = ctx.file._cortex_m_sections if family == "cortex_m" else ctx.file._riscv_sections
    script = ctx.actions.declare_file(ctx.label.name + ".ld")
    ctx.actions.expand_template(
        template = template,
        output = script,
        substitutions = {"%{memory}": board.linker_memory},
    )
    return [DefaultInfo(files = depset([script]))]

tinyml_linker_script = rule(
    implementation = _tinyml_linker_script_impl,
    doc = "The linker script of the target platform's board: its memory map and sections.",
    attrs = {
        "_board": attr.label(default = "//platforms/boards:current", providers = [BoardInfo]),
        "_cortex_m_sections": attr.label(default = "//platforms/rt:cortex_m.ld", allow_single_file = True),
        "_riscv_sections": attr.label(default = "//platforms/rt:riscv.ld", allow_single_file = True),
    },
)

def tinyml_firmware(name, srcs, deps = [], **kwargs):
    """Firmware for the board of the target platform (--platforms=//platforms:<board>).

    Builds a `rust_binary` with the board's memory map and the start-up code of
    //platforms/rt. The sources declare their entry point with `tinyml_rt::entry!`.

    Args:
      name: name of the firmware ELF target.
      srcs: Rust sources; the first is the crate root unless `crate_root` is given.
      deps: Rust libraries the firmware uses (//platforms/rt is added).
      **kwargs: passed to rust_binary.
    """
    linker_script = name + "_linker_script"
    bare_metal_only = ["@platforms//os:none"]
    tinyml_linker_script(
        name = linker_script,
        target_compatible_with = bare_metal_only,
        visibility = ["//visibility:private"],
    )
    rust_binary(
        name = name,
        srcs = srcs,
        compile_data = [":" + linker_script],
        rustc_flags = ["-Clink-arg=-T$(execpath :%s)" % linker_script],
        target_compatible_with = bare_metal_only,
        deps = deps + [Label("//platforms/rt")],
        **kwargs
    )
