"""A C toolchain config for bare-metal targets that only links, with LLD.

rules_rust resolves a C toolchain for every target and links `rust_binary` through it; on
bare-metal targets all it needs is a linker. LLD links every architecture here from one binary.
"""

load("@rules_cc//cc:cc_toolchain_config_lib.bzl", "tool_path")
load("@rules_cc//cc:defs.bzl", "cc_toolchain")

def _bare_metal_toolchain_config_impl(ctx):
    tools = {name: "no_c_compiler.sh" for name in ["ar", "cpp", "gcov", "nm", "objdump", "strip"]}
    tools["gcc"] = ctx.attr.linker
    tools["ld"] = ctx.attr.linker
    return cc_common.create_cc_toolchain_config_info(
        ctx = ctx,
        toolchain_identifier = "bare_metal_lld" if ctx.attr.linker == "ld.lld" else "bare_metal_" + ctx.attr.linker,
        host_system_name = "x86_64-unknown-linux-gnu",
        target_system_name = "none",
        target_cpu = "bare_metal",
        target_libc = "none",
        compiler = "lld",
        abi_version = "none",
        abi_libc_version = "none",
        tool_paths = [tool_path(name = name, path = path) for name, path in sorted(tools.items())],
    )

bare_metal_toolchain_config = rule(
    implementation = _bare_metal_toolchain_config_impl,
    doc = "CcToolchainConfigInfo of a link-only C toolchain for bare-metal targets.",
    attrs = {
        "linker": attr.string(
            default = "ld.lld",
            doc = "The link tool, relative to the package: rustc picks the argument style from its name.",
        ),
    },
    provides = [CcToolchainConfigInfo],
)

def link_only_toolchain(name, linker, tools, target_compatible_with):
    """A registrable link-only C toolchain `name` whose linker is `linker`.

    Args:
      name: name of the toolchain() target.
      linker: the link tool, a file of this package; rustc picks the argument style from its name.
      tools: every file the link step runs or reads, `linker` among them.
      target_compatible_with: the platforms it links for.
    """
    native.filegroup(
        name = name + "_tools",
        srcs = tools + ["no_c_compiler.sh"],
    )
    bare_metal_toolchain_config(
        name = name + "_config",
        linker = linker,
    )
    tool_files = ":%s_tools" % name
    cc_toolchain(
        name = name + "_cc",
        all_files = tool_files,
        ar_files = tool_files,
        compiler_files = tool_files,
        dwp_files = tool_files,
        linker_files = tool_files,
        objcopy_files = tool_files,
        strip_files = tool_files,
        supports_param_files = False,
        toolchain_config = ":%s_config" % name,
    )
    native.toolchain(
        name = name,
        exec_compatible_with = [
            "@platforms//cpu:x86_64",
            "@platforms//os:linux",
        ],
        target_compatible_with = target_compatible_with,
        toolchain = ":%s_cc" % name,
        toolchain_type = "@bazel_tools//tools/cpp:toolchain_type",
    )
