"""Build a generated crate for the host with plain `rustc` (no cargo, no network)
and run it through the host harness.

The runtime crates are compiled once per (rustc version, optimization level,
runtime sources) and cached under the system temp directory, so repeated checks
and tests only compile the generated crate and the harness.

`$TINYMLC_HOST_OPT_LEVEL` sets rustc's optimization level for all of it (default
2, rustc's `-O`). The test suite sets 0: its models are small, so compiling
dominates, and level 0 compiles about three times faster with the same
arithmetic (Rust's integer and IEEE float semantics do not depend on the level;
overflow checks are on there, which is stricter).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinymlc.errors import CompileError

HARNESS = Path(__file__).parent / "codegen" / "templates" / "harness.rs"
# In dependency order: tinyml_model uses the three before it.
RUNTIME_CRATES = ("tinyml_kernels", "tinyml_arena", "tinyml_executor", "tinyml_model")
# The harness runs the executor's cores as host threads.
_RUNTIME_FLAGS = {"tinyml_executor": ("--cfg", 'feature="std"')}
_RECORD_HEADER = 4
# Names what the rlibs beside it were built from (`_runtime_key`).
_KEY_FILE = "key"


class BuildError(CompileError):
    """rustc is missing or rejected the generated code (a tinymlc bug)."""


def default_runtime_dir() -> Path:
    """`$TINYML_RUNTIME_DIR`, else `<repo>/runtime` next to this package's tools/ dir."""
    configured = os.environ.get("TINYML_RUNTIME_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).absolute().parents[4] / "runtime"


def find_rustc() -> str:
    rustc = shutil.which("rustc")
    if rustc is None:
        raise BuildError("rustc not found on PATH; install Rust (https://rustup.rs) or add it to PATH")
    return rustc


def opt_level() -> str:
    """rustc's `-C opt-level` for host builds: `$TINYMLC_HOST_OPT_LEVEL`, else 2."""
    level = os.environ.get("TINYMLC_HOST_OPT_LEVEL", "2")
    if level not in ("0", "1", "2", "3"):
        raise BuildError(f"TINYMLC_HOST_OPT_LEVEL is {level!r}; expected 0, 1, 2 or 3")
    return level


def _rustc(rustc: str, *args: str | Path) -> None:
    command = [rustc, "--edition", "2021", "-C", f"opt-level={opt_level()}", *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"rustc failed: {' '.join(command)}\n{result.stderr}")


def _runtime_key(rustc: str, runtime_dir: Path) -> str:
    digest = hashlib.sha256()
    digest.update(subprocess.run([rustc, "-vV"], capture_output=True, check=True).stdout)
    digest.update(opt_level().encode())
    for crate in RUNTIME_CRATES:
        for source in sorted(crate_sources(runtime_dir, crate).rglob("*.rs")):
            digest.update(source.relative_to(runtime_dir).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:20]


def crate_sources(runtime_dir: Path, crate: str) -> Path:
    """The `src` directory of runtime crate `crate`: `<runtime_dir>/<crate without tinyml_>/src`."""
    return runtime_dir / crate.removeprefix("tinyml_") / "src"


def runtime_externs(runtime: Path, crates: Sequence[str] = RUNTIME_CRATES) -> list[str]:
    """rustc's `--extern` arguments for `crates`, built as rlibs into `runtime`."""
    return [a for crate in crates for a in ("--extern", f"{crate}={runtime / f'lib{crate}.rlib'}")]


def _compile_runtime(rustc: str, runtime_dir: Path, out_dir: Path, key: str) -> None:
    for index, crate in enumerate(RUNTIME_CRATES):
        _rustc(
            rustc,
            "--crate-type",
            "rlib",
            "--crate-name",
            crate,
            *_RUNTIME_FLAGS.get(crate, ()),
            *runtime_externs(out_dir, RUNTIME_CRATES[:index]),
            crate_sources(runtime_dir, crate) / "lib.rs",
            "-o",
            out_dir / f"lib{crate}.rlib",
        )
    (out_dir / _KEY_FILE).write_text(key)


def _checked_runtime_key(runtime_dir: Path, rustc: str) -> str:
    for crate in RUNTIME_CRATES:
        if not (crate_sources(runtime_dir, crate) / "lib.rs").is_file():
            raise BuildError(f"runtime crate {crate} not found under {runtime_dir} (set --runtime_dir)")
    return _runtime_key(rustc, runtime_dir)


def _holds_runtime(directory: Path, key: str) -> bool:
    key_file = directory / _KEY_FILE
    return key_file.is_file() and key_file.read_text() == key


def build_runtime(runtime_dir: Path, rustc: str | None = None) -> Path:
    """Directory holding the runtime rlibs: `$TINYMLC_HOST_RUNTIME` when it holds them for
    this rustc, optimization level and runtime sources (the Bazel tests get them prebuilt,
    by `main`), else a cache under the system temp directory, built if missing."""
    rustc = rustc or find_rustc()
    key = _checked_runtime_key(runtime_dir, rustc)
    prebuilt = os.environ.get("TINYMLC_HOST_RUNTIME")
    if prebuilt and _holds_runtime(Path(prebuilt), key):
        return Path(prebuilt)
    cache = Path(tempfile.gettempdir()) / f"tinymlc-runtime-{key}"
    if cache.is_dir():
        return cache
    staging = Path(tempfile.mkdtemp(prefix="tinymlc-runtime-"))
    _compile_runtime(rustc, runtime_dir, staging, key)
    try:
        staging.rename(cache)
    except OSError:  # another process cached it first
        shutil.rmtree(staging, ignore_errors=True)
    return cache


def build_harness(lib_rs: Path, runtime_dir: Path, work_dir: Path) -> Path:
    """Compile `lib_rs` (warnings are errors) and the harness; returns the binary."""
    rustc = find_rustc()
    runtime = build_runtime(runtime_dir, rustc)
    externs = runtime_externs(runtime)
    model_rlib = work_dir / "libmodel.rlib"
    _rustc(
        rustc,
        "--crate-type",
        "rlib",
        "--crate-name",
        "model",
        "-D",
        "warnings",
        *externs,
        lib_rs,
        "-o",
        model_rlib,
    )
    binary = work_dir / "harness"
    _rustc(
        rustc,
        "--crate-name",
        "harness",
        "--extern",
        f"model={model_rlib}",
        "--extern",
        f"tinyml_executor={runtime / 'libtinyml_executor.rlib'}",
        "-L",
        f"dependency={runtime}",
        HARNESS,
        "-o",
        binary,
    )
    return binary


@dataclass
class SampleResult:
    layers: dict[int, bytes]
    """Layer index -> bytes of the tensor it wrote."""
    outputs: list[bytes]
    error: str | None
    aborted_at: int | None = None
    """The layer that ended the inference early (`Invocation::Aborted`: no outputs)."""


def _sample_bytes(samples: list[list[np.ndarray]]) -> bytes:
    """The harness's stdin: each sample's inputs, in order, as little-endian bytes."""
    return b"".join(
        np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes() for s in samples for a in s
    )


def run_harness(binary: Path, samples: list[list[np.ndarray]], reset_every: int = 0) -> list[SampleResult]:
    """Run every sample (a list of input arrays) through the generated model, in sequence
    on one arena; with `reset_every`, the model's `reset` before every such many samples."""
    result = subprocess.run(
        [str(binary), "run", str(len(samples)), *([str(reset_every)] if reset_every else [])],
        input=_sample_bytes(samples),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"generated model crashed (exit {result.returncode}):\n{result.stderr.decode()}")
    return _parse_records(result.stdout)


def bench_harness(binary: Path, sample: list[np.ndarray], iterations: int, workers: int | None = None) -> int:
    """Nanoseconds per inference of the generated model on one sample (best of 5 rounds);
    with `workers`, through the multi-core entry on that many host threads."""
    result = subprocess.run(
        [str(binary), "bench", str(iterations), *([str(workers)] if workers else [])],
        input=_sample_bytes([sample]),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"generated model crashed (exit {result.returncode}):\n{result.stderr.decode()}")
    return int(result.stdout)


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at : at + _RECORD_HEADER], "little")


def _parse_records(data: bytes) -> list[SampleResult]:
    results: list[SampleResult] = []
    current = SampleResult({}, [], None)
    at = 0
    while at < len(data):
        tag = data[at : at + 1]
        at += 1
        if tag == b"D":
            results.append(current)
            current = SampleResult({}, [], None)
            continue
        if tag == b"A":
            current.aborted_at = _u32(data, at)
            at += _RECORD_HEADER
            continue
        layer = None
        if tag == b"L":
            layer = _u32(data, at)
            at += _RECORD_HEADER
        length = _u32(data, at)
        payload = data[at + _RECORD_HEADER : at + _RECORD_HEADER + length]
        at += _RECORD_HEADER + length
        if layer is not None:
            current.layers[layer] = payload
        elif tag == b"O":
            current.outputs.append(payload)
        else:
            current.error = payload.decode()
    return results


def run_multicore(binary: Path, samples: int, repeats: int, seed: int) -> str:
    """`harness multicore`: every sample on 1, 2, 3 and 4 host threads, `repeats`
    times each, against one core; raises with the harness's report on a difference."""
    result = subprocess.run(
        [str(binary), "multicore", str(samples), str(repeats), str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"multi-core run differs from one core:\n{result.stdout}{result.stderr}")
    return result.stdout.strip()


def run_error_cases(binary: Path) -> list[str]:
    """The harness's wrong-argument calls, one `Debug`-formatted result each."""
    result = subprocess.run([str(binary), "errors"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"generated model panicked on bad arguments:\n{result.stderr}")
    return result.stdout.splitlines()


def main(argv: list[str] | None = None) -> None:
    """Builds the runtime rlibs into `--out`, for `$TINYMLC_HOST_RUNTIME`."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--runtime_dir", type=Path, required=True, help="the repository's runtime/ directory")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the rlibs into")
    args = parser.parse_args(argv)
    rustc = find_rustc()
    args.out.mkdir(parents=True, exist_ok=True)
    _compile_runtime(rustc, args.runtime_dir, args.out, _checked_runtime_key(args.runtime_dir, rustc))


if __name__ == "__main__":
    main()
