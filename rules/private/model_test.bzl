"""tinyml_model_test: a compiled model checked against TFLite Micro on the host, and against
the host build as firmware on emulated boards."""

load("@rules_rust//rust:defs.bzl", "rust_binary")
load(":firmware.bzl", "tinyml_firmware")
load(":qemu.bzl", "tinyml_qemu_test")

def _tinyml_firmware_vectors_impl(ctx):
    main_rs = ctx.actions.declare_file(ctx.label.name + ".rs")
    args = ctx.actions.args()
    args.add("vectors")
    args.add("--model", ctx.file.src)
    args.add("--harness", ctx.executable.harness)
    args.add("--samples", ctx.attr.samples)
    args.add("--seed", ctx.attr.seed)
    if ctx.attr.multicore:
        args.add("--multicore")
    args.add("--out", main_rs)
    ctx.actions.run(
        executable = ctx.attr._tool[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = [ctx.file.src],
        tools = [ctx.attr.harness[DefaultInfo].files_to_run],
        outputs = [main_rs],
        mnemonic = "TinymlFirmwareVectors",
        progress_message = "Running %s on the host for the firmware check of %%{label}" % ctx.file.src.short_path,
    )
    return [DefaultInfo(files = depset([main_rs]))]

tinyml_firmware_vectors = rule(
    implementation = _tinyml_firmware_vectors_impl,
    doc = """The main.rs of a firmware that runs a model on `samples` seeded random inputs and
compares its outputs bit for bit with the host build's (run here, at build time, by `harness`).
The firmware calls the model crate `model`; each inference runs in `tinyml_rt::measure`.""",
    attrs = {
        "harness": attr.label(
            mandatory = True,
            executable = True,
            cfg = "exec",
            doc = "The host harness of the model's generated crate (templates/harness.rs).",
        ),
        "multicore": attr.bool(
            default = False,
            doc = "Run the model on every core of the board (`predict_tensors_on`, tinyml_rt::cores).",
        ),
        "samples": attr.int(default = 4, doc = "How many inputs to embed."),
        "seed": attr.int(default = 0, doc = "Seed of the random inputs."),
        "src": attr.label(mandatory = True, allow_single_file = [".tflite", ".onnx"], doc = "The model file."),
        "_tool": attr.label(default = "//tools/tinymlc:firmware", executable = True, cfg = "exec"),
    },
)

def _firmware_expected_output(samples, multicore):
    """What templates/firmware_check.rs.j2 prints when every output is equal."""
    runs = ["", " again"] if multicore else [""]
    lines = [
        "sample %d%s: outputs equal the host build's" % (i + 1, again)
        for again in runs
        for i in range(samples)
    ]
    total = samples * len(runs)
    lines.append("%d of %d samples bit-equal to the host build" % (total, total))
    return "\n".join(lines) + "\n"

def tinyml_model_test(name, model, src, inputs = 100, firmware_platforms = [], firmware_samples = 4, **kwargs):
    """Checks that a tinyml_model is bit-exact with TensorFlow Lite Micro, on the host and on boards.

    Builds a host harness around the `model` library, then runs it and TFLite Micro (the
    `tflite-micro` package) on `inputs` seeded random inputs and compares every output bit
    for bit; on a mismatch the log names the first diverging layer with both values. The
    log also gives both arena sizes.

    For each emulated board in `firmware_platforms`, `name + "_on_" + board` runs the model
    as firmware under QEMU on `firmware_samples` inputs whose host outputs were embedded at
    build time, and passes when every output is bit-equal.

    Args:
      name: test name.
      model: a tinyml_model target.
      src: the `.tflite` file `model` was compiled from.
      inputs: how many random inputs to compare.
      firmware_platforms: emulated boards' platforms, e.g. //platforms:mps2_an386.
      firmware_samples: how many inputs each firmware check runs.
      **kwargs: passed to the tests (size, tags, ...).
    """
    harness = name + "_harness"
    _harness(harness, model, kwargs.get("visibility"))
    native.sh_test(
        name = name,
        srcs = [Label("//rules/private:model_check_test.sh")],
        args = [
            "$(rootpath %s)" % Label("//tools/tinymlc"),
            "$(rootpath %s)" % src,
            "$(rootpath :%s)" % harness,
            str(inputs),
        ],
        data = [
            Label("//tools/tinymlc"),
            src,
            ":" + harness,
        ],
        **kwargs
    )
    _firmware_checks(name, model, src, harness, firmware_platforms, firmware_samples, False, kwargs)

def _firmware_checks(name, model, src, harness, platforms, samples, multicore, test_kwargs):
    """`name + "_on_" + board` per platform: the model as firmware, bit-equal to `harness`."""
    if not platforms:
        return
    tags = test_kwargs.get("tags", [])
    firmware_main = name + "_firmware_main"
    tinyml_firmware_vectors(
        name = firmware_main,
        testonly = True,
        harness = ":" + harness,
        multicore = multicore,
        samples = samples,
        src = src,
        tags = tags,
    )
    firmware = name + "_firmware"
    tinyml_firmware(
        name = firmware,
        srcs = [":" + firmware_main],
        aliases = {model: "model"},
        testonly = True,
        deps = [model] + ([Label("//runtime/executor")] if multicore else []),
        tags = tags,
    )
    for platform in platforms:
        tinyml_qemu_test(
            name = "%s_on_%s" % (name, Label(platform).name),
            expected_output = _firmware_expected_output(samples, multicore),
            firmware = ":" + firmware,
            platform = platform,
            **test_kwargs
        )

def _harness(name, model, visibility):
    """The host harness (templates/harness.rs) around a tinyml_model library."""
    rust_binary(
        name = name,
        srcs = [Label("//tools/tinymlc:src/tinymlc/codegen/templates/harness.rs")],
        aliases = {model: "model"},
        crate_root = Label("//tools/tinymlc:src/tinymlc/codegen/templates/harness.rs"),
        testonly = True,
        # Benchmarks time this same binary (harness bench N [WORKERS]).
        visibility = visibility,
        deps = [
            model,
            Label("//runtime/executor"),
        ],
    )

def tinyml_model_multicore_test(name, model, src = None, samples = 10, repeats = 2, seed = 0, firmware_platforms = [], firmware_samples = 4, **kwargs):
    """Checks that a tinyml_model's multi-core entry is bit-identical to one core.

    Runs `samples` seeded random inputs through `predict_tensors` on one core, then through
    `predict_tensors_on` with 1, 2, 3 and 4 host threads (the model's schedule mapped onto
    them), `repeats` times each with the arena refilled with garbage, and fails on the first
    difference. Tagged `multicore`, so `bazel test //... --test_tag_filters=multicore` runs it.

    For each multi-core board in `firmware_platforms`, `name + "_on_" + board` runs the model
    as firmware on every core of the board under QEMU (tinyml_rt::cores as the executor's
    platform) and compares its outputs with the host's single-core ones, bit for bit.

    Args:
      name: test name.
      model: a tinyml_model target (usually compiled with `core_mhz` for several cores).
      samples: how many random inputs.
      repeats: runs of each input per thread count.
      seed: seed of the random inputs.
      src: the `.tflite` file `model` was compiled from (needed for `firmware_platforms`).
      firmware_platforms: multi-core emulated boards' platforms, e.g. //platforms:mps2_an521.
      firmware_samples: how many inputs each firmware check runs.
      **kwargs: passed to the tests (size, tags, ...).
    """
    harness = name + "_harness"
    _harness(harness, model, kwargs.get("visibility"))
    tags = kwargs.pop("tags", [])
    if firmware_platforms and not src:
        fail("%s: firmware_platforms needs src, the model's .tflite file" % name)
    _firmware_checks(name, model, src, harness, firmware_platforms, firmware_samples, True, dict(kwargs, tags = tags + ["multicore"]))
    native.sh_test(
        name = name,
        srcs = [Label("//rules/private:multicore_test.sh")],
        args = [
            "$(rootpath :%s)" % harness,
            str(samples),
            str(repeats),
            str(seed),
        ],
        data = [":" + harness],
        tags = tags + ["multicore"],
        **kwargs
    )
