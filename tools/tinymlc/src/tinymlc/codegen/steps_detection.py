"""Steps of TFLite_Detection_PostProcess's layers (`kernels::detection_postprocess`).

The selecting layer takes two scratch slices, `f32` and `i32`: its planned scratch
region is split between them (the floats first, so both stay 4-byte aligned). The
suppression is sequential: every layer is one part, computed by one core.
"""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen import rust
from tinymlc.codegen.steps import StepBuilder, _struct_block
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.detection_postprocess import OUTPUT_NAMES, DetectionPostProcessParams

_MODULE = "kernels::detection_postprocess"


def _params(b: StepBuilder, params: DetectionPostProcessParams) -> str:
    fields = _struct_block(
        f"{_MODULE}::DetectionPostProcessParams",
        num_boxes=params.num_boxes,
        box_code_size=params.box_code_size,
        num_classes=params.num_classes,
        num_classes_with_background=params.num_classes_with_background,
        max_detections=params.max_detections,
        max_classes_per_detection=params.max_classes_per_detection,
        detections_per_class=params.detections_per_class,
        use_regular_nms=rust.boolean(params.use_regular_nms),
        score_threshold=rust.f32(params.score_threshold),
        iou_threshold=rust.f32(params.iou_threshold),
        scales="[" + ", ".join(rust.f32(scale) for scale in params.scales) + "]",
    )
    b.whole()
    b.step.body.append("let _ = part;")
    return "&" + b.item("PARAMS", f"{_MODULE}::DetectionPostProcessParams", fields, 14 * 4)


def _select(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DetectionPostProcessParams)
    b.step.uses_scratch = True
    b.step.body += [
        f"let (floats, ints) = scratch.split_at_mut_checked({4 * params.float_scratch})"
        ".ok_or(arena_error(tinyml_arena::ArenaError::OutOfBounds))?;",
        "let floats: &mut [f32] = tinyml_arena::cast_mut(floats).map_err(arena_error)?;",
        "let ints: &mut [i32] = tinyml_arena::cast_mut(ints).map_err(arena_error)?;",
    ]
    kernel_params = _params(b, params)
    b.call(
        "detection_postprocess::select",
        kernel_params,
        b.input(0),
        b.input(1),
        b.input(2),
        "floats",
        "ints",
        b.output(),
    )


def _write_output(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DetectionPostProcessParams)
    b.call(
        "detection_postprocess::write_output",
        _params(b, params),
        b.input(1),
        b.input(3),
        b.input(0),
        f"{_MODULE}::DetectionOutput::{params.output}",
        b.output(),
    )


DETECTION_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = {
    OpKind.DETECTION_POSTPROCESS_SELECT: _select,
    **dict.fromkeys(OUTPUT_NAMES, _write_output),
}
