"""Which panics can the generated code of a model reach? Asked of the linker, which cannot be
fooled: the model's crate, the runtime crates and a `no_std`, `no_main` entry that calls
`predict_tensors` on opaque buffers are linked with a panic handler that calls an undefined
symbol. Optimized code keeps a call to the panic handler only where LLVM could not prove the
panic impossible, and the linker drops every function nothing calls (--gc-sections): the link
succeeds exactly when no panic is reachable from `predict_tensors`.

Built for the host (x86_64, `no_std`, static, no start files) with rustc from PATH at
`-C opt-level=3`, `-C panic=abort`, one codegen unit per crate, static relocations (so
that calls are direct and can be attributed); bare-metal targets run the same source
through the same LLVM optimizations.
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
_CRATES = (("tinyml_kernels", "kernels"), ("tinyml_arena", "arena"), ("tinyml_executor", "executor"))
_VARIANT = {DType.INT8: ("Int8", "i8"), DType.INT16: ("Int16", "i16"), DType.INT32: ("Int32", "i32"),
            DType.FLOAT32: ("Float32", "f32")}  # fmt: skip
_PANICS = re.compile(r"<(core::panicking::\w+(?:::\w+)*|core::slice::index::\w+|core::\w+::\w*unwrap_failed)")
_MEMORY_FUNCTIONS = ("memcpy", "memmove", "memset", "memcmp", "bcmp", "strlen")
_FUNCTION = re.compile(r"^[0-9a-f]+ <(.*)>:$")


def _rustc(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hostbuild.find_rustc(), *FLAGS, *map(str, args)], capture_output=True, text=True, check=False
    )


def build_runtime(runtime_dir: Path, out: Path) -> None:
    for crate, subdir in _CRATES:
        run = _rustc("--crate-type", "rlib", "--crate-name", crate, "-L", out,
                     runtime_dir / subdir / "src" / "lib.rs", "-o", out / f"lib{crate}.rlib")  # fmt: skip
        if run.returncode != 0:
            raise hostbuild.BuildError(run.stderr)


def entry_point(compiled: CompiledModel) -> str:
    """`_start`: predict_tensors on static buffers of the model's sizes, lengths made opaque."""
    graph = compiled.graph
    lines = []
    refs, muts = [], []
    for kind, ids in (("IN", graph.inputs), ("OUT", graph.outputs)):
        for index, tensor_id in enumerate(ids):
            tensor = graph.tensors[tensor_id]
            variant, element = _VARIANT[tensor.dtype]
            length = max(tensor.num_elements, 1)
            name = f"{kind}{index}"
            lines.append(f"static mut {name}: [{element}; {length}] = [0 as {element}; {length}];")
            if kind == "IN":
                refs.append(f"TensorRef::{variant}(unsafe {{ &*core::ptr::addr_of!({name}) }})")
            else:
                muts.append(f"TensorMut::{variant}(unsafe {{ &mut *core::ptr::addr_of_mut!({name}) }})")
    return f"""#![no_std]
#![no_main]
use core::hint::black_box;
use model::{{TensorMut, TensorRef}};

extern "C" {{
    fn {PANIC_SYMBOL}() -> !;
}}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {{
    unsafe {{ {PANIC_SYMBOL}() }}
}}

#[no_mangle]
pub extern "C" fn rust_eh_personality() {{}}

static mut ARENA: [u8; {compiled.plan.arena_bytes + 16}] = [0; {compiled.plan.arena_bytes + 16}];
{chr(10).join(lines)}

#[no_mangle]
pub extern "C" fn _start() -> ! {{
    let arena: &mut [u8] = black_box(unsafe {{ &mut *core::ptr::addr_of_mut!(ARENA) }});
    let inputs = black_box([{", ".join(refs)}]);
    let mut outputs = black_box([{", ".join(muts)}]);
    black_box(model::predict_tensors(arena, &inputs, &mut outputs).is_ok());
    loop {{}}
}}
"""


def panic_paths(compiled: CompiledModel, runtime: Path, work: Path) -> Counter[str]:
    """The functions (with how many panic calls) from which `predict_tensors` can panic; empty
    when the link with the undefined panic handler succeeds."""
    (work / "lib.rs").write_text(generate_crate(compiled, "model").lib_rs)
    externs = [a for crate, _ in _CRATES for a in ("--extern", f"{crate}={runtime / f'lib{crate}.rlib'}")]
    run = _rustc("--crate-type", "rlib", "--crate-name", "model", "-L", runtime, *externs,
                 work / "lib.rs", "-o", work / "libmodel.rlib")  # fmt: skip
    if run.returncode != 0:
        raise hostbuild.BuildError(run.stderr)
    (work / "main.rs").write_text(entry_point(compiled))
    # No C library: the memory functions core calls are given address 0 (the binary only has
    # to link, never to run), so the panic handler's symbol is the only one left undefined.
    memory = [a for symbol in _MEMORY_FUNCTIONS for a in ("-C", f"link-arg=-Wl,--defsym={symbol}=0")]
    link = ("-C", "link-arg=-nostartfiles", "-C", "link-arg=-static", *memory)

    def link_binary(*extra: str) -> subprocess.CompletedProcess[str]:
        return _rustc("--crate-type", "bin", "--crate-name", "no_panic", "-L", runtime, "--extern",
                      f"model={work / 'libmodel.rlib'}", *link, *extra, work / "main.rs", "-o",
                      work / "no_panic")  # fmt: skip

    strict = link_binary()
    if strict.returncode == 0:
        return Counter()
    if PANIC_SYMBOL not in strict.stderr:
        raise hostbuild.BuildError(strict.stderr)
    # Attribute the panics: link anyway and find the calls into core's panic functions.
    lenient = link_binary("-C", "link-arg=-Wl,--unresolved-symbols=ignore-all")
    if lenient.returncode != 0:
        raise hostbuild.BuildError(lenient.stderr)
    disassembly = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", str(work / "no_panic")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    callers: Counter[str] = Counter()
    function = ""
    for line in disassembly.splitlines():
        match = _FUNCTION.match(line)
        if match:
            function = re.sub(r"::h[0-9a-f]{16}$", "", match.group(1))
        elif _PANICS.search(line) and not function.startswith("core::") and not function.endswith("@plt"):
            callers[function] += 1
    return callers or Counter({"(unattributed)": 1})
