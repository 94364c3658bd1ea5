"""Bazel persistent workers (JSON protocol) for tinymlc's build actions.

A codegen or firmware-vectors action spends most of its second starting Python and
importing numpy, the flatbuffer schema and the compiler; a worker pays that once per build
and serves every action of its kind. Each request starts from the flags' defaults, so no
value leaks from one action into the next, and the compiler keeps no state between calls
(its one cache, the C library's `expf`, depends on nothing an action gives).

The same binaries run without a worker (sandboxed, remotely): Bazel then passes the
arguments as one `@params` file, which `expand_params_files` reads.
"""

import io
import json
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from absl import app, flags

Main = Callable[[Sequence[str]], int]

PERSISTENT_WORKER_FLAG = "--persistent_worker"


def expand_params_files(arguments: Sequence[str]) -> list[str]:
    """Arguments with each `@file` replaced by that file's lines (Bazel's "multiline" format)."""
    expanded: list[str] = []
    for argument in arguments:
        if argument.startswith("@") and len(argument) > 1:
            expanded.extend(Path(argument[1:]).read_text().splitlines())
        else:
            expanded.append(argument)
    return expanded


def run_once(main: Main, program: str, arguments: Sequence[str]) -> int:
    """Parses `arguments` afresh into absl's flags and runs `main` as `app.run` would."""
    app.define_help_flags()
    flag_values = flags.FLAGS
    flag_values.unparse_flags()
    try:
        positional = flag_values([program, *expand_params_files(arguments)])
        return main(positional)
    except flags.Error as exc:
        print(f"{program}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 1


def serve(main: Main, program: str) -> None:
    """Answers Bazel's WorkRequests (one JSON object per line on stdin) until stdin closes.

    Everything an action prints goes into its WorkResponse's `output`, never to stdout,
    which carries the protocol.
    """
    protocol = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        output = io.StringIO()
        with redirect_stdout(output), redirect_stderr(output):
            try:
                exit_code = run_once(main, program, request.get("arguments", []))
            except Exception as exc:  # the worker must answer every request, even on a bug
                print(f"{program}: internal error: {type(exc).__name__}: {exc}")
                exit_code = 1
        response = {
            "exitCode": exit_code,
            "output": output.getvalue(),
            "requestId": request.get("requestId", 0),
        }
        protocol.write(json.dumps(response) + "\n")
        protocol.flush()


def run(main: Main, program: str) -> None:
    """The entry point of a tool that Bazel may run as a persistent worker or once."""
    arguments = sys.argv[1:]
    if PERSISTENT_WORKER_FLAG in arguments:
        serve(main, program)
        return
    sys.exit(run_once(main, program, arguments))
