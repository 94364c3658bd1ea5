//! TFLite_Detection_PostProcess: SSD box decoding and non-max suppression, in TFLM's
//! float order (`detection_postprocess.cc`), so that every output is bit-identical.
//!
//! The operator has four float outputs (boxes, classes, scores, the number of
//! detections). tinymlc computes each as its own layer: every call decodes the boxes and
//! runs the suppression again (deterministically, so the four agree) and writes only the
//! output it is asked for. Like TFLM, it writes only the slots TFLM writes: in fast mode
//! the rest keep their previous values (tinymlc plans the outputs in the state region).
//!
//! Orderings reproduce TFLM's exactly: candidates for suppression are sorted by
//! decreasing score with a stable merge sort (ties keep increasing anchor order), and the
//! top-k selections (classes of an anchor, detections across classes) order by
//! decreasing score, ties by increasing position.

use core::cmp::Ordering;

use crate::error::{element, elements, elements_mut, KernelError, KernelResult};
use crate::float::math::exp_f64;

/// Which of the operator's outputs a call writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetectionOutput {
    /// `[ymin, xmin, ymax, xmax]` per detection.
    Boxes,
    /// The class of each detection (without the background class), as a float.
    Classes,
    /// The score of each detection.
    Scores,
    /// The number of detections written, as a float (one element).
    Count,
}

/// The operator's options and the shapes its kernel needs (TFLM's `OpData`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetectionPostProcessParams {
    /// Anchors (the box encodings' and class predictions' dimension 1).
    pub num_boxes: usize,
    /// Values per box encoding (the box encodings' last dimension, at least 4: y, x, h, w first).
    pub box_code_size: usize,
    /// `num_classes` option: classes without the background class.
    pub num_classes: usize,
    /// The class predictions' last dimension (`num_classes` or one more: background first).
    pub num_classes_with_background: usize,
    /// `max_detections` option.
    pub max_detections: usize,
    /// `max_classes_per_detection` option (fast suppression), at least 1.
    pub max_classes_per_detection: usize,
    /// `detections_per_class` option (regular suppression), at least 1.
    pub detections_per_class: usize,
    /// `use_regular_nms` option.
    pub use_regular_nms: bool,
    /// `nms_score_threshold`: boxes scoring below it are dropped.
    pub score_threshold: f32,
    /// `nms_iou_threshold`: a box overlapping a kept one by more is suppressed.
    pub iou_threshold: f32,
    /// `y_scale`, `x_scale`, `h_scale`, `w_scale`.
    pub scales: [f32; 4],
}

impl DetectionPostProcessParams {
    /// Candidates regular suppression keeps across classes: the best `max_detections`
    /// so far plus one class's selection.
    fn candidates(&self) -> usize {
        self.max_detections + self.num_boxes.min(self.detections_per_class)
    }

    /// Scratch elements of each type regular suppression adds: the candidates and the
    /// best of them sorted.
    fn regular_scratch(&self) -> usize {
        if self.use_regular_nms {
            self.candidates() + self.max_detections
        } else {
            0
        }
    }

    /// `f32` scratch elements: decoded boxes, per-anchor scores, scores kept for
    /// suppression, and (regular) candidate scores plus their sorted copy.
    pub fn float_scratch(&self) -> usize {
        6 * self.num_boxes + self.regular_scratch()
    }

    /// `i32` scratch elements: kept anchors, their sorted order, the merge sort's
    /// buffer, suppression flags, selected anchors, and (regular) candidate entries
    /// plus their sorted copy.
    pub fn int_scratch(&self) -> usize {
        5 * self.num_boxes + self.regular_scratch()
    }

    /// Classes written per selected anchor in fast mode.
    fn classes_per_anchor(&self) -> usize {
        self.max_classes_per_detection.min(self.num_classes)
    }
}

/// `a` comes before `b` in TFLM's orders: the greater value first, equal values in
/// increasing position (`std::tie(values[i], j) > std::tie(values[j], i)`).
fn before(values: &[f32], a: usize, b: usize) -> bool {
    let (va, vb) = (values.get(a), values.get(b));
    match (va, vb) {
        // Values that neither exceeds (equal, or NaN) tie.
        (Some(va), Some(vb)) => match va.partial_cmp(vb) {
            Some(Ordering::Greater) => true,
            Some(Ordering::Less) => false,
            _ => a < b,
        },
        _ => false,
    }
}

/// The entry after `previous` (or the first when None) in `before`'s order among
/// positions `0..count` of `values`: one step of a top-k selection.
fn next_best(values: &[f32], count: usize, previous: Option<usize>) -> Option<usize> {
    let mut best: Option<usize> = None;
    for candidate in 0..count {
        if previous.is_some_and(|p| !before(values, p, candidate)) {
            continue;
        }
        if best.is_none_or(|b| before(values, candidate, b)) {
            best = Some(candidate);
        }
    }
    best
}

/// Sorts `order` (indices into `values`) by decreasing value, stably: TFLM's
/// `MergeSort` (insertion sort below 20 elements, else halves merged), whose exact
/// steps also fix the order of values that do not compare (NaN).
fn merge_sort(values: &[f32], order: &mut [i32], buffer: &mut [i32]) -> KernelResult {
    let greater = |a: i32, b: i32| -> bool {
        match (values.get(a as usize), values.get(b as usize)) {
            (Some(va), Some(vb)) => va > vb,
            _ => false,
        }
    };
    let count = order.len();
    if count < 20 {
        for i in 1..count {
            let value = element(order, i)?;
            // std::upper_bound's binary search for the first entry `value` precedes.
            let (mut first, mut len) = (0, i);
            while len > 0 {
                let half = len / 2;
                if greater(value, element(order, first + half)?) {
                    len = half;
                } else {
                    first += half + 1;
                    len -= half + 1;
                }
            }
            for at in (first..i).rev() {
                *order.get_mut(at + 1).ok_or(KernelError::ShapeMismatch)? = element(order, at)?;
            }
            *order.get_mut(first).ok_or(KernelError::ShapeMismatch)? = value;
        }
        return Ok(());
    }
    let half = count / 2;
    let (left, right) = order
        .split_at_mut_checked(half)
        .ok_or(KernelError::ShapeMismatch)?;
    merge_sort(values, left, buffer)?;
    merge_sort(values, right, buffer)?;
    let merged = elements_mut(buffer, 0, count)?;
    let (mut l, mut r) = (0, half);
    for slot in merged.iter_mut() {
        let take_right =
            l >= half || (r < count && greater(element(order, r)?, element(order, l)?));
        if take_right {
            *slot = element(order, r)?;
            r += 1;
        } else {
            *slot = element(order, l)?;
            l += 1;
        }
    }
    copy(order, merged);
    Ok(())
}

/// Decodes every anchor's box encoding into `[ymin, xmin, ymax, xmax]` (TFLM's
/// `DecodeCenterSizeBoxes`, in double precision rounded to float as it does).
fn decode_boxes(
    params: &DetectionPostProcessParams,
    box_encodings: &[f32],
    anchors: &[f32],
    decoded: &mut [f32],
) -> KernelResult {
    let [y_scale, x_scale, h_scale, w_scale] = params.scales.map(f64::from);
    for index in 0..params.num_boxes {
        let code = elements(box_encodings, index * params.box_code_size, 4)?;
        let anchor = elements(anchors, index * 4, 4)?;
        let [y, x, h, w] = [code[0], code[1], code[2], code[3]].map(f64::from);
        let [anchor_y, anchor_x, anchor_h, anchor_w] =
            [anchor[0], anchor[1], anchor[2], anchor[3]].map(f64::from);
        let y_center = (y / y_scale * anchor_h + anchor_y) as f32;
        let x_center = (x / x_scale * anchor_w + anchor_x) as f32;
        let half_h = (0.5 * exp_f64(h / h_scale) * anchor_h) as f32;
        let half_w = (0.5 * exp_f64(w / w_scale) * anchor_w) as f32;
        copy(
            elements_mut(decoded, index * 4, 4)?,
            &[
                y_center - half_h,
                x_center - half_w,
                y_center + half_h,
                x_center + half_w,
            ],
        );
    }
    Ok(())
}

/// TFLM's `ComputeIntersectionOverUnion` of decoded boxes `i` and `j`.
fn intersection_over_union(decoded: &[f32], i: usize, j: usize) -> Result<f32, KernelError> {
    let a = elements(decoded, i * 4, 4)?;
    let b = elements(decoded, j * 4, 4)?;
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if area_a <= 0.0 || area_b <= 0.0 {
        return Ok(0.0);
    }
    let ymin = max(a[0], b[0]);
    let xmin = max(a[1], b[1]);
    let ymax = min(a[2], b[2]);
    let xmax = min(a[3], b[3]);
    let intersection = max(ymax - ymin, 0.0) * max(xmax - xmin, 0.0);
    Ok(intersection / (area_a + area_b - intersection))
}

/// `std::max<float>`: `b` only when `a < b`.
fn max(a: f32, b: f32) -> f32 {
    if a < b {
        b
    } else {
        a
    }
}

/// `std::min<float>`: `b` only when `b < a`.
fn min(a: f32, b: f32) -> f32 {
    if b < a {
        b
    } else {
        a
    }
}

/// The scratch one suppression pass works in.
struct SuppressionScratch<'a> {
    keep_scores: &'a mut [f32],
    keep_indices: &'a mut [i32],
    sorted: &'a mut [i32],
    merge_buffer: &'a mut [i32],
    active: &'a mut [i32],
}

/// TFLM's `NonMaxSuppressionSingleClassHelper`: writes the anchors kept from
/// `scores` (one per anchor) into `selected`, best first, at most `limit`; returns how
/// many.
fn suppress(
    params: &DetectionPostProcessParams,
    decoded: &[f32],
    scores: &[f32],
    limit: usize,
    selected: &mut [i32],
    scratch: &mut SuppressionScratch<'_>,
) -> Result<usize, KernelError> {
    // TFLM validates every decoded box on each pass and fails the invocation.
    for index in 0..params.num_boxes {
        let b = elements(decoded, index * 4, 4)?;
        if b[0] >= b[2] || b[1] >= b[3] {
            return Err(KernelError::InvalidParameter);
        }
    }
    let mut kept = 0;
    for (index, &score) in scores.iter().enumerate().take(params.num_boxes) {
        if score >= params.score_threshold {
            *scratch
                .keep_scores
                .get_mut(kept)
                .ok_or(KernelError::EmptyScratch)? = score;
            *scratch
                .keep_indices
                .get_mut(kept)
                .ok_or(KernelError::EmptyScratch)? = index as i32;
            kept += 1;
        }
    }
    let sorted = elements_mut(scratch.sorted, 0, kept)?;
    for (position, slot) in sorted.iter_mut().enumerate() {
        *slot = position as i32;
    }
    merge_sort(
        elements(scratch.keep_scores, 0, kept)?,
        sorted,
        scratch.merge_buffer,
    )?;
    let active = elements_mut(scratch.active, 0, kept)?;
    active.fill(1);
    let output_size = kept.min(limit);
    let mut selected_count = 0;
    let mut active_count = kept;
    let anchor_of = |position: usize| -> Result<usize, KernelError> {
        let sorted_position = element(sorted, position)? as usize;
        Ok(element(scratch.keep_indices, sorted_position)? as usize)
    };
    for i in 0..kept {
        if active_count == 0 || selected_count >= output_size {
            break;
        }
        if element(active, i)? != 1 {
            continue;
        }
        let anchor = anchor_of(i)?;
        *selected
            .get_mut(selected_count)
            .ok_or(KernelError::EmptyScratch)? = anchor as i32;
        selected_count += 1;
        *active.get_mut(i).ok_or(KernelError::EmptyScratch)? = 0;
        active_count -= 1;
        for j in i + 1..kept {
            if element(active, j)? == 1
                && intersection_over_union(decoded, anchor, anchor_of(j)?)? > params.iou_threshold
            {
                *active.get_mut(j).ok_or(KernelError::EmptyScratch)? = 0;
                active_count -= 1;
            }
        }
    }
    Ok(selected_count)
}

/// `target.copy_from_slice(source)` for slices of equal length, without its panic.
fn copy<T: Copy>(target: &mut [T], source: &[T]) {
    for (to, &from) in target.iter_mut().zip(source) {
        *to = from;
    }
}

/// Splits `slice` at `at`, or fails as a too small scratch.
fn take<T>(slice: &mut [T], at: usize) -> Result<(&mut [T], &mut [T]), KernelError> {
    slice
        .split_at_mut_checked(at)
        .ok_or(KernelError::EmptyScratch)
}

/// Writes detection `slot` of `output`: the decoded box of `anchor`, `class`, `score`.
fn write_slot(
    output: DetectionOutput,
    out: &mut [f32],
    slot: usize,
    decoded: &[f32],
    detection: Option<(usize, usize, f32)>,
) -> KernelResult {
    match output {
        DetectionOutput::Boxes => {
            let target = elements_mut(out, slot * 4, 4)?;
            match detection {
                Some((anchor, _, _)) => copy(target, elements(decoded, anchor * 4, 4)?),
                None => target.fill(0.0),
            }
        }
        DetectionOutput::Classes => {
            *out.get_mut(slot).ok_or(KernelError::RangeOutOfBounds)? =
                detection.map_or(0.0, |(_, class, _)| class as f32);
        }
        DetectionOutput::Scores => {
            *out.get_mut(slot).ok_or(KernelError::RangeOutOfBounds)? =
                detection.map_or(0.0, |(_, _, score)| score);
        }
        DetectionOutput::Count => {}
    }
    Ok(())
}

/// Computes `output` of TFLite_Detection_PostProcess: `box_encodings` `[1, num_boxes,
/// box_code_size]`, `class_predictions` `[1, num_boxes, num_classes_with_background]`,
/// `anchors` `num_boxes` x `[y, x, h, w]`; `floats` and `ints` at least
/// [`DetectionPostProcessParams::float_scratch`] and
/// [`DetectionPostProcessParams::int_scratch`] long.
///
/// Fails with [`KernelError::InvalidParameter`] where TFLM's invocation fails: a
/// decoded box with `ymin >= ymax` or `xmin >= xmax`.
#[allow(clippy::too_many_arguments)]
pub fn detection_postprocess(
    params: &DetectionPostProcessParams,
    box_encodings: &[f32],
    class_predictions: &[f32],
    anchors: &[f32],
    floats: &mut [f32],
    ints: &mut [i32],
    output: DetectionOutput,
    out: &mut [f32],
) -> KernelResult {
    let n = params.num_boxes;
    if params.box_code_size < 4
        || params.num_classes_with_background < params.num_classes
        || params.num_classes_with_background > params.num_classes + 1
    {
        return Err(KernelError::InvalidParameter);
    }
    let code_len = n
        .checked_mul(params.box_code_size)
        .ok_or(KernelError::InvalidParameter)?;
    let scores_len = n
        .checked_mul(params.num_classes_with_background)
        .ok_or(KernelError::InvalidParameter)?;
    let box_encodings = elements(box_encodings, 0, code_len)?;
    let class_predictions = elements(class_predictions, 0, scores_len)?;
    if floats.len() < params.float_scratch() || ints.len() < params.int_scratch() {
        return Err(KernelError::EmptyScratch);
    }
    let (decoded, floats) = take(floats, 4 * n)?;
    let (anchor_scores, floats) = take(floats, n)?;
    let (keep_scores, floats) = take(floats, n)?;
    let (keep_indices, ints) = take(ints, n)?;
    let (sorted, ints) = take(ints, n)?;
    let (merge_buffer, ints) = take(ints, n)?;
    let (active, ints) = take(ints, n)?;
    let (selected, ints) = take(ints, n)?;
    let mut scratch = SuppressionScratch {
        keep_scores,
        keep_indices,
        sorted,
        merge_buffer,
        active,
    };
    decode_boxes(params, box_encodings, anchors, decoded)?;
    let label_offset = params.num_classes_with_background - params.num_classes;
    let stride = params.num_classes_with_background;
    let class_scores = |anchor: usize| {
        elements(
            class_predictions,
            anchor * stride + label_offset,
            params.num_classes,
        )
    };

    if params.use_regular_nms {
        let candidates = params.candidates();
        let (candidate_scores, floats) = take(floats, candidates)?;
        let (sorted_scores, _) = take(floats, params.max_detections)?;
        let (candidate_entries, ints) = take(ints, candidates)?;
        let (sorted_entries, _) = take(ints, params.max_detections)?;
        let mut kept = 0;
        for class in 0..params.num_classes {
            for (anchor, score) in anchor_scores.iter_mut().enumerate() {
                *score = element(class_predictions, anchor * stride + class + label_offset)?;
            }
            let count = suppress(
                params,
                decoded,
                anchor_scores,
                params.detections_per_class,
                selected,
                &mut scratch,
            )?;
            let mut total = kept;
            for &anchor in elements(selected, 0, count)? {
                let anchor = anchor as usize;
                *candidate_entries
                    .get_mut(total)
                    .ok_or(KernelError::EmptyScratch)? =
                    (anchor * stride + class + label_offset) as i32;
                *candidate_scores
                    .get_mut(total)
                    .ok_or(KernelError::EmptyScratch)? = element(anchor_scores, anchor)?;
                total += 1;
            }
            kept = total.min(params.max_detections);
            let mut previous = None;
            for rank in 0..kept {
                let best = next_best(candidate_scores, total, previous)
                    .ok_or(KernelError::InvalidParameter)?;
                *sorted_entries
                    .get_mut(rank)
                    .ok_or(KernelError::EmptyScratch)? = element(candidate_entries, best)?;
                *sorted_scores
                    .get_mut(rank)
                    .ok_or(KernelError::EmptyScratch)? = element(candidate_scores, best)?;
                previous = Some(best);
            }
            copy(
                elements_mut(candidate_entries, 0, kept)?,
                elements(sorted_entries, 0, kept)?,
            );
            copy(
                elements_mut(candidate_scores, 0, kept)?,
                elements(sorted_scores, 0, kept)?,
            );
        }
        if output == DetectionOutput::Count {
            *out.first_mut().ok_or(KernelError::RangeOutOfBounds)? = kept as f32;
            return Ok(());
        }
        for slot in 0..params.max_detections {
            let detection = if slot < kept {
                let entry = element(candidate_entries, slot)? as usize;
                let anchor = entry
                    .checked_div(stride)
                    .ok_or(KernelError::InvalidParameter)?;
                let class = entry - anchor * stride - label_offset;
                Some((anchor, class, element(candidate_scores, slot)?))
            } else {
                None
            };
            write_slot(output, out, slot, decoded, detection)?;
        }
        return Ok(());
    }

    let per_anchor = params.classes_per_anchor();
    if per_anchor == 0 {
        return Err(KernelError::InvalidParameter);
    }
    for (anchor, best_score) in anchor_scores.iter_mut().enumerate() {
        let scores = class_scores(anchor)?;
        let best =
            next_best(scores, params.num_classes, None).ok_or(KernelError::InvalidParameter)?;
        *best_score = element(scores, best)?;
    }
    let count = suppress(
        params,
        decoded,
        anchor_scores,
        params.max_detections,
        selected,
        &mut scratch,
    )?;
    if output == DetectionOutput::Count {
        *out.first_mut().ok_or(KernelError::RangeOutOfBounds)? = (count * per_anchor) as f32;
        return Ok(());
    }
    let mut written = 0;
    for &anchor in elements(selected, 0, count)? {
        let anchor = anchor as usize;
        let scores = class_scores(anchor)?;
        let mut previous = None;
        for column in 0..per_anchor {
            let class = next_best(scores, params.num_classes, previous)
                .ok_or(KernelError::InvalidParameter)?;
            previous = Some(class);
            // TFLM advances its output index per class and also scales it by the
            // classes per anchor: with more than one, slots are spread out this way.
            let slot = per_anchor * written + column;
            write_slot(
                output,
                out,
                slot,
                decoded,
                Some((anchor, class, element(scores, class)?)),
            )?;
            written += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(regular: bool) -> DetectionPostProcessParams {
        DetectionPostProcessParams {
            num_boxes: 3,
            box_code_size: 4,
            num_classes: 2,
            num_classes_with_background: 3,
            max_detections: 3,
            max_classes_per_detection: 1,
            detections_per_class: 3,
            use_regular_nms: regular,
            score_threshold: 0.3,
            iou_threshold: 0.5,
            scales: [10.0, 10.0, 5.0, 5.0],
        }
    }

    /// Zero encodings decode to the anchors themselves: two overlapping boxes (IoU
    /// 0.6) and one apart.
    const ANCHORS: [f32; 12] = [0.5, 0.5, 1.0, 1.0, 0.5, 0.6, 1.0, 1.0, 3.0, 3.0, 1.0, 1.0];
    const ENCODINGS: [f32; 12] = [0.0; 12];
    /// Background first; anchor 0 and 1 tie on class 0.
    const SCORES: [f32; 9] = [0.0, 0.9, 0.1, 0.0, 0.9, 0.8, 0.0, 0.2, 0.7];

    fn run(regular: bool, output: DetectionOutput, len: usize) -> Result<[f32; 12], KernelError> {
        let p = params(regular);
        let mut floats = [0.0; 64];
        let mut ints = [0; 64];
        let mut out = [-1.0; 12];
        detection_postprocess(
            &p,
            &ENCODINGS,
            &SCORES,
            &ANCHORS,
            &mut floats,
            &mut ints,
            output,
            &mut out[..len],
        )?;
        Ok(out)
    }

    #[test]
    fn fast_suppression_keeps_the_lower_anchor_of_a_tie() {
        // Anchor 0 wins the tie on 0.9 and suppresses anchor 1; anchor 2 (0.7) stays.
        let classes = run(false, DetectionOutput::Classes, 3).unwrap();
        assert_eq!(&classes[..3], &[0.0, 1.0, -1.0]);
        let scores = run(false, DetectionOutput::Scores, 3).unwrap();
        assert_eq!(&scores[..3], &[0.9, 0.7, -1.0]);
        assert_eq!(run(false, DetectionOutput::Count, 1).unwrap()[0], 2.0);
        let boxes = run(false, DetectionOutput::Boxes, 12).unwrap();
        assert_eq!(&boxes[..8], &[0.0, 0.0, 1.0, 1.0, 2.5, 2.5, 3.5, 3.5]);
        assert_eq!(boxes[8], -1.0, "fast mode leaves the rest unwritten");
    }

    #[test]
    fn regular_suppression_runs_per_class_and_zero_fills() {
        // Class 0: anchor 0 (0.9) suppresses anchor 1 (0.9, tie). Class 1: anchor 1
        // (0.8) and anchor 2 (0.7); anchor 0 scores 0.1 < 0.3.
        let scores = run(true, DetectionOutput::Scores, 3).unwrap();
        assert_eq!(&scores[..3], &[0.9, 0.8, 0.7]);
        let classes = run(true, DetectionOutput::Classes, 3).unwrap();
        assert_eq!(&classes[..3], &[0.0, 1.0, 1.0]);
        assert_eq!(run(true, DetectionOutput::Count, 1).unwrap()[0], 3.0);
    }

    #[test]
    fn an_empty_decoded_box_fails_as_tflm_does() {
        let mut p = params(false);
        p.scales[2] = 1e-30; // exp(0 / 1e-30) = 1: still valid
        let mut anchors = ANCHORS;
        anchors[2] = 0.0; // anchor 0 has no height: ymin == ymax
        let mut floats = [0.0; 64];
        let mut ints = [0; 64];
        let mut out = [0.0; 3];
        let result = detection_postprocess(
            &p,
            &ENCODINGS,
            &SCORES,
            &anchors,
            &mut floats,
            &mut ints,
            DetectionOutput::Scores,
            &mut out,
        );
        assert_eq!(result, Err(KernelError::InvalidParameter));
    }

    #[test]
    fn short_scratch_and_outputs_are_errors() {
        let p = params(true);
        let mut floats = [0.0; 4];
        let mut ints = [0; 64];
        let mut out = [0.0; 3];
        let short = detection_postprocess(
            &p,
            &ENCODINGS,
            &SCORES,
            &ANCHORS,
            &mut floats,
            &mut ints,
            DetectionOutput::Scores,
            &mut out,
        );
        assert_eq!(short, Err(KernelError::EmptyScratch));
        assert_eq!(
            run(true, DetectionOutput::Scores, 2),
            Err(KernelError::RangeOutOfBounds)
        );
    }

    #[test]
    fn merge_sort_is_stable_past_the_insertion_threshold() {
        let values: [f32; 25] = core::array::from_fn(|i| (i % 3) as f32);
        let mut order: [i32; 25] = core::array::from_fn(|i| i as i32);
        let mut buffer = [0; 25];
        merge_sort(&values, &mut order, &mut buffer).unwrap();
        let expected: [i32; 25] = [
            2, 5, 8, 11, 14, 17, 20, 23, 1, 4, 7, 10, 13, 16, 19, 22, 0, 3, 6, 9, 12, 15, 18, 21,
            24,
        ];
        assert_eq!(order, expected);
    }
}
