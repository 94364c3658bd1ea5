"""`python -m tinymlc.firmware budget|size|vectors|harness ...`: the firmware and test rules'
build actions.

Exit status: 0 success, 2 a problem (the message says what), never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from absl import flags

from tinymlc import worker
from tinymlc.commands import dispatch
from tinymlc.errors import CompileError
from tinymlc.firmware import budget, elf, embed, size_report

USAGE = "usage: python -m tinymlc.firmware budget|size|vectors|harness ... (see --helpfull)"

FLAGS = flags.FLAGS
flags.DEFINE_string("board", None, "Board configuration name.")
flags.DEFINE_string("board_description", "", "What the board is.")
flags.DEFINE_string("flash_origin", "0x0", "size: start address of the board's flash region.")
flags.DEFINE_integer("flash_bytes", None, "Size of the board's flash region.")
flags.DEFINE_string("ram_origin", "0x0", "size: start address of the board's RAM region.")
flags.DEFINE_integer("ram_bytes", None, "Size of the board's RAM region.")
flags.DEFINE_integer("stack_bytes", 0, "budget: bytes of RAM reserved for the stacks of all cores.")
flags.DEFINE_multi_string("report", [], "LABEL=PATH of a model's tinymlc report.json (repeatable).")
flags.DEFINE_string("elf", None, "size: the linked firmware image.")
flags.DEFINE_string("model", None, "vectors: the .tflite model.")
flags.DEFINE_string("harness", None, "vectors: the host harness binary of the model's generated crate.")
flags.DEFINE_string("crate", None, "vectors: the crate name of the model's generated crate.")
flags.DEFINE_string(
    "crate_source",
    None,
    "vectors, harness: the model's generated lib.rs, compiled in as a module (the firmware check's "
    "`--crate`, the harness's `model`) instead of linking the model's crate.",
)
flags.DEFINE_string("name", None, "vectors: the model's name in the lines the firmware prints.")
flags.DEFINE_string("harness_source", None, "harness: templates/harness.rs.")
flags.DEFINE_integer("samples", 4, "vectors: number of seeded random inputs.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "vectors: random seed.")
flags.DEFINE_boolean("multicore", False, "vectors: run the model on every core of the board.")
flags.DEFINE_string(
    "out", None, "Output: budget summary, size report as JSON, firmware check module or harness source."
)
flags.DEFINE_string("out_text", None, "size: the size report as text.")


def _required(name: str) -> str:
    value = getattr(FLAGS, name)
    if value is None or value == "":
        raise CompileError(f"--{name} is required")
    return str(value)


def _read_required(name: str) -> str:
    """The text of the file that flag `--name` names."""
    path = _required(name)
    try:
        return Path(path).read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise CompileError(f"--{name}: cannot read it: {error}", path) from None


def _board() -> budget.Board:
    return budget.Board(
        name=_required("board"),
        description=FLAGS.board_description,
        flash_bytes=int(_required("flash_bytes")),
        ram_bytes=int(_required("ram_bytes")),
    )


def _models() -> list[budget.ModelReport]:
    models = []
    for entry in FLAGS.report:
        label, separator, path = entry.rpartition("=")
        if not separator:
            raise CompileError(f"--report={entry}: expected LABEL=PATH")
        models.append(budget.ModelReport.load(label, Path(path)))
    return models


def budget_command() -> int:
    summary = budget.check(_board(), FLAGS.stack_bytes, _models())
    Path(_required("out")).write_text(summary)
    return 0


def size_command() -> int:
    image = Path(_required("elf"))
    report = size_report.size_report(
        firmware=image.name,
        sections=elf.allocated_sections(image),
        board=_board(),
        flash=size_report.Region(int(FLAGS.flash_origin, 0), int(_required("flash_bytes"))),
        ram=size_report.Region(int(FLAGS.ram_origin, 0), int(_required("ram_bytes"))),
        models=_models(),
    )
    Path(_required("out")).write_text(json.dumps(report, indent=2) + "\n")
    Path(_required("out_text")).write_text(size_report.render_text(report))
    return 0


def vectors_command() -> int:
    # numpy and the compiler are only needed here: budget and size stay quick to start.
    from tinymlc.firmware import vectors  # noqa: PLC0415

    module = vectors.render(
        Path(_required("model")),
        Path(_required("harness")),
        _required("crate"),
        _read_required("crate_source"),
        _required("name"),
        FLAGS.samples,
        FLAGS.seed,
        FLAGS.multicore,
    )
    Path(_required("out")).write_text(module)
    return 0


def harness_command() -> int:
    source = embed.harness_with_model(_read_required("harness_source"), _read_required("crate_source"))
    Path(_required("out")).write_text(source)
    return 0


COMMANDS = {
    "budget": budget_command,
    "size": size_command,
    "vectors": vectors_command,
    "harness": harness_command,
}


def main(argv: Sequence[str]) -> int:
    return dispatch("tinymlc.firmware", COMMANDS, USAGE, argv)


def run() -> None:
    worker.run(main, "tinymlc.firmware")
