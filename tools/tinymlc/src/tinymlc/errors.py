"""Errors raised by the compiler.

Every failure the user can cause (bad file, unsupported model) surfaces as a
`CompileError`; anything else escaping the compiler is a compiler bug.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class CompileError(Exception):
    """A problem with the user's model or input file.

    `source` names the file (or other origin) the problem belongs to so the
    message is actionable without a traceback.
    """

    def __init__(self, message: str, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class OpError(Exception):
    """Raised by an operator's shape inference or prepare step.

    Mirrors a failing TF_LITE_ENSURE / TFLITE_CHECK in TFLM's Prepare: the model
    would be rejected (or abort) on the device too.  The validator turns these
    into diagnostics; they carry enough context to tell the user what to change.
    """

    def __init__(self, reason: str, suggestion: str = "", tensor_name: str | None = None) -> None:
        self.reason = reason
        self.suggestion = suggestion
        self.tensor_name = tensor_name
        super().__init__(reason)


@contextmanager
def naming_source(source: str | None) -> Iterator[None]:
    """Gives `source` to the `CompileError`s raised inside that name no file: problems found
    past validation (a type no arena holds, ...) name their tensor, the caller the model."""
    try:
        yield
    except CompileError as error:
        if error.source is not None or source is None:
            raise
        raise CompileError(error.message, source) from None
