"""Tools that stand in for a toolchain this machine cannot have, and say what to install.

Registered for platforms whose Rust target no installed toolchain builds (see
UNAVAILABLE_TRIPLES in //platforms:boards.bzl): the build then fails at its first compile
action with that advice, instead of with Bazel's "no matching toolchains" resolution dump.
"""

def _unavailable_tool_impl(ctx):
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(
        output = script,
        is_executable = True,
        content = "#!/bin/sh\ncat >&2 <<'TINYML_EOF'\n%s\nTINYML_EOF\nexit 1\n" % ctx.attr.message,
    )
    return [DefaultInfo(executable = script, files = depset([script]))]

unavailable_tool = rule(
    implementation = _unavailable_tool_impl,
    doc = "An executable that prints `message` to stderr and fails.",
    attrs = {
        "message": attr.string(mandatory = True, doc = "What is missing and how to install it."),
    },
    executable = True,
)
