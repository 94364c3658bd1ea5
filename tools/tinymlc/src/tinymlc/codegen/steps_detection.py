"""Steps of TFLite_Detection_PostProcess's four output layers
(`kernels::detection_postprocess`).

The kernel takes two scratch slices, `f32` and `i32`: the layer's planned scratch
region is split between them (the floats first, so both stay 4-byte aligned).
"""

from __future__ import annotations

from collections.abc import Callable

from tinymlc.codegen import rust
from tinymlc.codegen.steps import StepBuilder, _struct_block
from tinymlc.ir import OpKind
from tinymlc.ops import PreparedParams
from tinymlc.ops.detection_postprocess import OUTPUT_NAMES, DetectionPostProcessParams

_MODULE = "kernels::detection_postprocess"


def _detection_postprocess(b: StepBuilder, params: PreparedParams) -> None:
    assert isinstance(params, DetectionPostProcessParams)
    b.step.uses_scratch = True
    b.step.body += [
        f"let (floats, ints) = scratch.split_at_mut_checked({4 * params.float_scratch})"
        ".ok_or(arena_error(tinyml_arena::ArenaError::OutOfBounds))?;",
        "let floats: &mut [f32] = tinyml_arena::cast_mut(floats).map_err(arena_error)?;",
        "let ints: &mut [i32] = tinyml_arena::cast_mut(ints).map_err(arena_error)?;",
        "// One part, the whole layer: the suppression is sequential.",
        "let _ = part;",
    ]
    b.whole()
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
    name = b.item("PARAMS", f"{_MODULE}::DetectionPostProcessParams", fields, 14 * 4)
    b.call(
        "detection_postprocess::detection_postprocess",
        f"&{name}",
        b.input(0),
        b.input(1),
        b.input(2),
        "floats",
        "ints",
        f"{_MODULE}::DetectionOutput::{params.output}",
        b.output(),
    )


DETECTION_EMITTERS: dict[OpKind, Callable[[StepBuilder, PreparedParams], None]] = dict.fromkeys(
    OUTPUT_NAMES, _detection_postprocess
)
