"""Which panics can the generated code of models reach? Asked of the linker, which cannot be
fooled: the models' crates, the runtime crates and a `no_std`, `no_main` entry that calls each
model's `predict_tensors` on opaque buffers are linked with a panic handler that calls an
undefined symbol. Optimized code keeps a call to the panic handler only where LLVM could not
prove the panic impossible, and the linker drops every function nothing calls (--gc-sections):
the link succeeds exactly when no panic is reachable from any `predict_tensors`.

Built for the host (x86_64, `no_std`, static, no start files) with rustc from PATH at
`-C opt-level=3`, `-C panic=abort`, one codegen unit per crate, static relocations, line
tables (so that each remaining panic call is attributed to its source line); bare-metal
targets run the same source through the same LLVM optimizations. The kernels' Armv7E-M DSP
fast paths are compiled in with `dsp_paths`.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

from tinymlc import hostbuild
from tinymlc.codegen import CompiledModel, generate_crate
from tinymlc.ir import DType

PANIC_SYMBOL = "tinyml_panic_is_reachable"
FLAGS = (
    "-C",
    "opt-level=3",
    "-C",
    "panic=abort",
    "-C",
    "codegen-units=1",
    "-C",
    "relocation-model=static",
    "-C",
    "debuginfo=line-tables-only",
    "--edition",
    "2021",
)
# Each I/O type's `TensorRef`/`TensorMut` variant, Rust element type and zero.
_VARIANT = {DType.INT8: ("Int8", "i8", "0"), DType.UINT8: ("UInt8", "u8", "0"),
            DType.INT16: ("Int16", "i16", "0"), DType.INT32: ("Int32", "i32", "0"),
            DType.FLOAT32: ("Float32", "f32", "0.0"), DType.BOOL: ("Bool", "bool", "false")}  # fmt: skip
_PANICS = re.compile(r"<(core::panicking::\w+(?:::\w+)*|core::slice::index::\w+|core::\w+::\w*unwrap_failed)")
_MEMORY_FUNCTIONS = ("memcpy", "memmove", "memset", "memcmp", "bcmp", "strlen")
_FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")
_CALL = re.compile(r"\bcall\s+[0-9a-f]+ <(.*)>$")


def _rustc(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hostbuild.find_rustc(), *FLAGS, *map(str, args)], capture_output=True, text=True, check=False
    )


def build_runtime(runtime_dir: Path, out: Path, dsp_paths: bool = False) -> None:
    """The runtime rlibs in `out`; with `dsp_paths`, the kernels take their Armv7E-M DSP fast
    paths (with the portable lane functions: on Arm each is one instruction, which cannot
    panic), so that the link covers the code the Armv7E-M targets run."""
    features = ("--cfg", 'feature="portable_dsp_paths"') if dsp_paths else ()
    for index, crate in enumerate(hostbuild.RUNTIME_CRATES):
        externs = hostbuild.runtime_externs(out, hostbuild.RUNTIME_CRATES[:index])
        source = hostbuild.crate_sources(runtime_dir, crate) / "lib.rs"
        run = _rustc("--crate-type", "rlib", "--crate-name", crate, "-L", out, *features, *externs,
                     source, "-o", out / f"lib{crate}.rlib")  # fmt: skip
        if run.returncode != 0:
            raise hostbuild.BuildError(run.stderr)


def _call(compiled: CompiledModel, crate: str) -> tuple[list[str], str]:
    """Static buffers of the model's sizes and calls of its `predict_tensors` and (on four
    cores) `predict_tensors_on` on them, the buffers made opaque."""
    graph = compiled.graph
    statics = [f"static mut {crate.upper()}_ARENA: [u8; {compiled.plan.arena_bytes + 16}] = "
               f"[0; {compiled.plan.arena_bytes + 16}];"]  # fmt: skip
    refs, muts = [], []
    for kind, ids in (("IN", graph.inputs), ("OUT", graph.outputs)):
        for index, tensor_id in enumerate(ids):
            tensor = graph.tensors[tensor_id]
            variant, element, zero = _VARIANT[tensor.dtype]
            length = max(tensor.num_elements, 1)
            name = f"{crate.upper()}_{kind}{index}"
            statics.append(f"static mut {name}: [{element}; {length}] = [{zero}; {length}];")
            if kind == "IN":
                refs.append(f"{crate}::TensorRef::{variant}(unsafe {{ &*core::ptr::addr_of!({name}) }})")
            else:
                muts.append(
                    f"{crate}::TensorMut::{variant}(unsafe {{ &mut *core::ptr::addr_of_mut!({name}) }})"
                )
    call = f"""    {{
        let arena: &mut [u8] = black_box(unsafe {{ &mut *core::ptr::addr_of_mut!({crate.upper()}_ARENA) }});
        let inputs = black_box([{", ".join(refs)}]);
        let mut outputs = black_box([{", ".join(muts)}]);
        black_box({crate}::predict_tensors(arena, &inputs, &mut outputs).is_ok());
        black_box({crate}::predict_tensors_on(&EXECUTOR, arena, &inputs, &mut outputs).is_ok());
    }}"""
    return statics, call


def entry_point(models: list[tuple[str, CompiledModel]]) -> str:
    """`_start`: every model's `predict_tensors` and `predict_tensors_on` in turn, each model's
    crate a module (`<name>.rs` beside the entry's source)."""
    statics, calls = [], []
    modules = [f'#[path = "{crate}.rs"]\nmod {crate};' for crate, _ in models]
    for crate, compiled in models:
        model_statics, call = _call(compiled, crate)
        statics += model_statics
        calls.append(call)
    return f"""#![no_std]
#![no_main]
#![allow(static_mut_refs, unused_attributes)]
use core::hint::black_box;

{chr(10).join(modules)}

extern "C" {{
    fn {PANIC_SYMBOL}() -> !;
}}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {{
    unsafe {{ {PANIC_SYMBOL}() }}
}}

#[no_mangle]
pub extern "C" fn rust_eh_personality() {{}}

/// Four cores the optimizer knows nothing about: the executor's code for every core is linked.
struct Cores;

unsafe impl tinyml_executor::Platform for Cores {{
    fn core_id(&self) -> usize {{
        black_box(0)
    }}
    fn start_core(&self, core: usize, entry: fn()) {{
        black_box((core, entry));
    }}
    fn wait(&self) {{}}
    fn notify(&self) {{}}
}}

static EXECUTOR: tinyml_executor::Executor<Cores, 4> = tinyml_executor::Executor::new(Cores);

{chr(10).join(statics)}

#[no_mangle]
pub extern "C" fn _start() -> ! {{
{chr(10).join(calls)}
    loop {{}}
}}
"""


_PREDICT = ") -> Result<Invocation, Error> {\n    MODEL.predict_tensors(arena, inputs, outputs, "


def batch_panic_paths(
    models: list[CompiledModel], runtime: Path, work: Path, first_statement: str = ""
) -> Counter[str]:
    """The source lines (with how many panic calls) from which the `predict_tensors` of one
    of `models` can panic; empty when the link with the undefined panic handler succeeds.
    One rustc run for all: each model's generated crate is a module of the binary (the
    kernels' generic code is then compiled once per batch, not once per model), and the entry
    calls every model. `first_statement` goes first into every `predict_tensors` (the test's
    control)."""
    externs = hostbuild.runtime_externs(runtime)
    crates = []
    for index, compiled in enumerate(models):
        crate = f"model_{index}"
        lib_rs = generate_crate(compiled, crate).lib_rs
        if first_statement:
            assert _PREDICT in lib_rs
            lib_rs = lib_rs.replace(_PREDICT, _PREDICT.replace("{\n", "{\n    " + first_statement + "\n"), 1)
        (work / f"{crate}.rs").write_text(lib_rs)
        crates.append((crate, compiled))
    (work / "main.rs").write_text(entry_point(crates))
    # No C library: the memory functions core calls are given address 0 (the binary only has
    # to link, never to run), so the panic handler's symbol is the only one left undefined.
    memory = [a for symbol in _MEMORY_FUNCTIONS for a in ("-C", f"link-arg=-Wl,--defsym={symbol}=0")]
    link = ("-C", "link-arg=-nostartfiles", "-C", "link-arg=-static", *memory)

    def link_binary(*extra: str) -> subprocess.CompletedProcess[str]:
        return _rustc("--crate-type", "bin", "--crate-name", "no_panic", "-L", runtime, *externs,
                      *link, *extra, work / "main.rs", "-o", work / "no_panic")  # fmt: skip

    strict = link_binary()
    if strict.returncode == 0:
        return Counter()
    if PANIC_SYMBOL not in strict.stderr:
        raise hostbuild.BuildError(strict.stderr)
    # Attribute the panics: link anyway, find the calls into core's panic functions and ask
    # the line tables where each was inlined from.
    lenient = link_binary("-C", "link-arg=-Wl,--unresolved-symbols=ignore-all")
    if lenient.returncode != 0:
        raise hostbuild.BuildError(lenient.stderr)
    return _panic_sites(work / "no_panic") or Counter({"(unattributed)": 1})


def _panic_sites(binary: Path) -> Counter[str]:
    """`file:line` of our source (the innermost frame outside core) of each panic call, or
    the function making it where core's code was not inlined into ours (a function of core
    that the optimizer kept apart, e.g. `Iterator::zip` dividing by a chunk length)."""
    disassembly = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    addresses, functions = [], []
    callers: dict[str, set[str]] = {}
    function = ""
    for line in disassembly.splitlines():
        match = _FUNCTION.match(line)
        if match:
            function = re.sub(r"::h[0-9a-f]{16}$", "", match.group(1))
            continue
        callee = _CALL.search(line)
        if callee:
            callers.setdefault(re.sub(r"::h[0-9a-f]{16}$", "", callee.group(1)), set()).add(function)
        if _PANICS.search(line) and not _PANICS.search(f"<{function}") and not function.endswith("@plt"):
            addresses.append(line.split(":", 1)[0].strip())
            functions.append(function)
    if not addresses:
        return Counter()
    frames = subprocess.run(
        ["addr2line", "-i", "-a", "-e", str(binary), *addresses], capture_output=True, text=True, check=True
    ).stdout
    sites: Counter[str] = Counter()
    # Per address: "0x..." then its inline frames, innermost first.
    blocks = re.split(r"^0x[0-9a-f]+$", frames, flags=re.MULTILINE)[1:]
    for block, caller in zip(blocks, functions, strict=True):
        ours = [f for f in block.split() if not f.startswith("/rustc/")]
        sites[_short(ours[0]) if ours else f"{caller} (called by {sorted(callers.get(caller, []))})"] += 1
    return sites


def _short(location: str) -> str:
    """`runtime/kernels/src/x.rs:12` or `model_3.rs:40` for an absolute path."""
    path, _, line = location.rpartition(":")
    parts = Path(path).parts
    if "runtime" in parts:
        return "/".join(parts[parts.index("runtime") :]) + f":{line}"
    return f"{Path(path).name}:{line}"
