"""Analysis tests of tinyml_model: the actions it creates and what it provides."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")

def _codegen_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "TinymlCompile"]
    asserts.equals(env, 1, len(actions), "one TinymlCompile action")
    action = actions[0]
    outputs = sorted([f.basename for f in action.outputs.to_list()])
    asserts.equals(env, ["lib.rs", "report.json"], outputs, "declared outputs: exactly lib.rs and report.json")
    inputs = [f.short_path for f in action.inputs.to_list()]
    asserts.true(env, "tests/rules/testdata/tiny.tflite" in inputs, "the model file is an input")
    argv = action.argv
    asserts.true(env, "-exec" in argv[0], "the compiler runs in the exec configuration: %s" % argv[0])
    asserts.true(env, argv[0].endswith("tools/tinymlc/tinymlc"), "the compiler is //tools/tinymlc")
    for flag in ["compile", "--model", "--out", "--crate_name", "--no_cargo"]:
        asserts.true(env, flag in argv, "argv has %s: %s" % (flag, argv))
    asserts.false(env, "--core_mhz" in argv, "one core unless core_mhz is set")
    asserts.false(env, "--onnx_exact" in argv, "TFLite's fixed-point requantization by default")
    asserts.equals(env, "tiny_model", argv[argv.index("--crate_name") + 1])
    target = analysistest.target_under_test(env)
    asserts.equals(
        env,
        ["report.json"],
        [f.basename for f in target[OutputGroupInfo].report.to_list()],
        "report.json is output group `report`",
    )
    return analysistest.end(env)

codegen_action_test = analysistest.make(_codegen_action_test_impl)

def _feasibility_report_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "TinymlReport"]
    asserts.equals(env, 1, len(actions), "one TinymlReport action renders every format")
    action = actions[0]
    asserts.equals(
        env,
        ["tiny_model_report.html", "tiny_model_report.json", "tiny_model_report.txt"],
        sorted([f.basename for f in action.outputs.to_list()]),
        "the HTML, JSON and text reports",
    )
    for flag in ["report", "--report_json", "--out_html", "--out_json", "--out_text"]:
        asserts.true(env, flag in action.argv, "argv has %s: %s" % (flag, action.argv))
    asserts.true(env, "report.json" in [f.basename for f in action.inputs.to_list()], "reads the compiler's report.json")
    return analysistest.end(env)

feasibility_report_action_test = analysistest.make(_feasibility_report_action_test_impl)

def _multicore_codegen_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    (action,) = [a for a in analysistest.target_actions(env) if a.mnemonic == "TinymlCompile"]
    argv = action.argv
    asserts.true(env, "--core_mhz" in argv, "argv has --core_mhz: %s" % argv)
    asserts.equals(env, "480,240", argv[argv.index("--core_mhz") + 1], "clocks in core order")
    asserts.false(env, "--split_every_layer" in argv, "the cost model decides by default")
    return analysistest.end(env)

multicore_codegen_action_test = analysistest.make(_multicore_codegen_action_test_impl)

def _onnx_exact_codegen_action_test_impl(ctx):
    env = analysistest.begin(ctx)
    (action,) = [a for a in analysistest.target_actions(env) if a.mnemonic == "TinymlCompile"]
    asserts.true(env, "--onnx_exact" in action.argv, "argv has --onnx_exact: %s" % action.argv)
    inputs = [f.short_path for f in action.inputs.to_list()]
    asserts.true(env, "models/mlp_autoencoder_qop_s8.onnx" in inputs, "the .onnx model is an input: %s" % inputs)
    return analysistest.end(env)

onnx_exact_codegen_action_test = analysistest.make(_onnx_exact_codegen_action_test_impl)

def _library_test_impl(ctx):
    env = analysistest.begin(ctx)
    rustc = [a for a in analysistest.target_actions(env) if a.mnemonic == "Rustc"]
    asserts.equals(env, 1, len(rustc), "one Rustc action builds the model library")
    sources = [f.basename for f in rustc[0].inputs.to_list() if f.extension == "rs"]
    asserts.true(env, "lib.rs" in sources, "the generated lib.rs is compiled")
    argv = rustc[0].argv
    asserts.true(env, "--crate-name=tiny_model" in argv, "crate name: %s" % argv)
    externs = [arg for arg in argv if arg.startswith("--extern=")]
    for crate in ["tinyml_kernels", "tinyml_arena"]:
        asserts.true(env, [e for e in externs if e.startswith("--extern=%s=" % crate)], "links %s" % crate)
    return analysistest.end(env)

library_test = analysistest.make(_library_test_impl)

def _crate_name_test_impl(ctx):
    env = analysistest.begin(ctx)
    (rustc,) = [a for a in analysistest.target_actions(env) if a.mnemonic == "Rustc"]
    asserts.true(
        env,
        "--crate-name=%s" % ctx.attr.expected_crate_name in rustc.argv,
        "crate name derived from the target name: %s" % rustc.argv,
    )
    return analysistest.end(env)

crate_name_test = analysistest.make(
    _crate_name_test_impl,
    attrs = {"expected_crate_name": attr.string(mandatory = True)},
)
