"""tinyml_feasibility_report: a compiled model's feasibility report (HTML, JSON, text) for a board."""

load(":worker.bzl", "WORKER_EXECUTION_REQUIREMENTS", "use_worker_params_file")

def _tinyml_feasibility_report_impl(ctx):
    basename = ctx.attr.basename or ctx.label.name
    outputs = {
        format: ctx.actions.declare_file("%s.%s" % (basename, extension))
        for format, extension in [("html", "html"), ("json", "json"), ("text", "txt")]
    }
    args = ctx.actions.args()
    args.add("report")
    args.add("--report_json", ctx.file.report)
    for format, out in outputs.items():
        args.add("--out_" + format, out)
    if ctx.attr.board:
        args.add("--board", ctx.attr.board)
        args.add("--boards_bzl", ctx.file._boards_bzl)
    use_worker_params_file(args)

    # One action renders all three formats from one reading of the report.
    ctx.actions.run(
        executable = ctx.attr._compiler[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [ctx.file.report, ctx.file._boards_bzl],
        outputs = outputs.values(),
        mnemonic = "TinymlReport",
        progress_message = "Writing the feasibility report of %{label}",
        execution_requirements = WORKER_EXECUTION_REQUIREMENTS,
    )
    return [
        DefaultInfo(files = depset([outputs["html"]])),
        OutputGroupInfo(
            html = depset([outputs["html"]]),
            json = depset([outputs["json"]]),
            text = depset([outputs["text"]]),
        ),
    ]

tinyml_feasibility_report = rule(
    implementation = _tinyml_feasibility_report_impl,
    doc = "Reads a tinyml_model's report.json (output group `report` of its codegen): the " +
          "feasibility report as a self-contained HTML page (default output) and, as output " +
          "groups `json` and `text`, the same as JSON and plain text.",
    attrs = {
        "basename": attr.string(doc = "Name of the output files without extension; default: the target's name."),
        "board": attr.string(doc = "A board of //platforms:boards.bzl to judge against; empty: the model's cores only."),
        "report": attr.label(mandatory = True, allow_single_file = [".json"], doc = "The compiler's report.json."),
        "_boards_bzl": attr.label(default = Label("//platforms:boards.bzl"), allow_single_file = True),
        "_compiler": attr.label(default = Label("//tools/tinymlc"), executable = True, cfg = "exec"),
    },
)
