"""Subcommand dispatch shared by the command-line tools (`tinymlc`, `tinymlc.firmware`)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence

from tinymlc.errors import CompileError

EXIT_ERROR = 2


def dispatch(program: str, commands: Mapping[str, Callable[[], int]], usage: str, argv: Sequence[str]) -> int:
    """Runs the subcommand named by argv[1]; a CompileError becomes one line on stderr and
    exit status 2, never a traceback."""
    if len(argv) != 2 or argv[1] not in commands:
        print(usage, file=sys.stderr)
        return EXIT_ERROR
    try:
        return commands[argv[1]]()
    except CompileError as exc:
        print(f"{program} {argv[1]}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
