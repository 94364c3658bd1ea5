"""Analysis test: which Rust and C toolchains toolchain resolution picks for a platform."""

load("//rules/private:board.bzl", "platform_transition")

SelectedToolchainsInfo = provider(
    doc = "What toolchain resolution chose for one configuration.",
    fields = ["rust_triple", "rustc_path", "rust_std_paths", "cc_toolchain_id"],
)

def _selected_toolchains_impl(ctx):
    rust = ctx.toolchains["@rules_rust//rust:toolchain_type"]
    cc = ctx.toolchains["@bazel_tools//tools/cpp:toolchain_type"].cc
    return [SelectedToolchainsInfo(
        rust_triple = rust.target_flag_value,
        rustc_path = rust.rustc.path,
        rust_std_paths = [f.path for f in rust.rust_std.to_list()],
        cc_toolchain_id = cc.toolchain_id,
    )]

selected_toolchains = rule(
    implementation = _selected_toolchains_impl,
    doc = "Reports the Rust and C toolchains resolved for the target platform.",
    toolchains = [
        "@rules_rust//rust:toolchain_type",
        "@bazel_tools//tools/cpp:toolchain_type",
    ],
)

def _toolchain_selection_test_impl(ctx):
    selected = ctx.attr.selected[0][SelectedToolchainsInfo]
    problems = []

    # A JSON target spec (Xtensa) is passed to rustc as `<target>.target.json`.
    if selected.rust_triple != ctx.attr.expected_triple and not selected.rust_triple.endswith("/%s.target.json" % ctx.attr.expected_triple):
        problems.append("Rust target triple is %s, expected %s" % (selected.rust_triple, ctx.attr.expected_triple))
    if ctx.attr.expected_rustc_repository not in selected.rustc_path:
        problems.append("rustc is %s, expected one from %s" % (selected.rustc_path, ctx.attr.expected_rustc_repository))
    if ctx.attr.expect_std_for_triple:
        wrong_std = [p for p in selected.rust_std_paths if "/%s/" % ctx.attr.expected_triple not in p]
        if not selected.rust_std_paths:
            problems.append("the Rust toolchain has no standard library")
        elif wrong_std:
            problems.append("standard library files of another triple: %s" % wrong_std[:3])
    if ctx.attr.expected_cc_toolchain_id and selected.cc_toolchain_id != ctx.attr.expected_cc_toolchain_id:
        problems.append("C toolchain is %s, expected %s" % (selected.cc_toolchain_id, ctx.attr.expected_cc_toolchain_id))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    if problems:
        content = "#!/bin/sh\ncat >&2 <<'EOF'\nFAIL for %s:\n%s\nEOF\nexit 1\n" % (ctx.attr.platform, "\n".join(problems))
    else:
        content = "#!/bin/sh\necho 'PASS: %s selects %s (%s) and C toolchain %s'\n" % (
            ctx.attr.platform,
            selected.rust_triple,
            selected.rustc_path,
            selected.cc_toolchain_id,
        )
    ctx.actions.write(script, content, is_executable = True)
    library_files = depset(transitive = [library[DefaultInfo].files for library in ctx.attr.libraries])
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(transitive_files = library_files))]

toolchain_selection_test = rule(
    implementation = _toolchain_selection_test_impl,
    doc = "Checks, at analysis time, the toolchains resolved for `platform`; the test reports the result.",
    attrs = {
        "expect_std_for_triple": attr.bool(default = True, doc = "Check every std file is the triple's."),
        "expected_cc_toolchain_id": attr.string(doc = "toolchain_identifier of the C toolchain, if checked."),
        "expected_rustc_repository": attr.string(mandatory = True, doc = "Text the rustc path must contain."),
        "expected_triple": attr.string(mandatory = True, doc = "Rust target triple the platform must get."),
        "platform": attr.label(mandatory = True, doc = "Platform to resolve toolchains for."),
        "libraries": attr.label_list(
            cfg = platform_transition,
            doc = "Libraries that must build for `platform`; the test depends on their outputs.",
        ),
        "selected": attr.label(default = ":selected_toolchains", cfg = platform_transition),
    },
    test = True,
)
