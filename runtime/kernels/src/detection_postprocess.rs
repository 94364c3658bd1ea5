//! TFLite_Detection_PostProcess: SSD box decoding and non-max suppression, in TFLM's
//! float order (`detection_postprocess.cc`), so that every output is bit-identical.
//!
//! tinymlc computes the operator as five layers: [`select`] decodes the boxes and runs
//! the suppression once, writing the detections as a small `i32` selection (their
//! count, then anchor, class and score bits of each, in TFLM's output order); four
//! [`write_output`] layers then write the boxes, classes, scores and count from it,
//! decoding each selected anchor's box again (the same arithmetic, the same bits). Like
//! TFLM, they write only the slots TFLM writes: in fast mode the rest keep their
//! previous values (tinymlc plans the outputs in the state region).
//!
//! Box decoding is TFLM's double-precision arithmetic, rounded to float where it rounds;
//! its `std::exp` is [`crate::float::math`]'s double-precision `exp` (error below 2^-52
//! relative), so a decoded coordinate could differ from the C library's only when the
//! exact value lies within that distance of a float rounding boundary.
//!
//! Orderings reproduce TFLM's exactly: candidates for suppression are sorted by
//! decreasing score with TFLM's stable merge sort (ties keep increasing anchor order),
//! and the top-k selections (classes of an anchor, detections across classes) order by
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

    /// The most detections TFLM can write.
    fn detections(&self) -> usize {
        if self.use_regular_nms {
            self.max_detections
        } else {
            self.num_boxes.min(self.max_detections) * self.classes_per_anchor()
        }
    }

    /// `i32` elements of the selection [`select`] writes: the count, then anchor, class
    /// and score bits of each detection.
    pub fn selection_len(&self) -> usize {
        1 + 3 * self.detections()
    }

    /// The output slot of detection `index` (in TFLM's output order): in fast mode TFLM
    /// advances its output index per class and also scales it by the classes per
    /// anchor, which spreads the slots out when that is above one.
    fn slot(&self, index: usize) -> usize {
        if self.use_regular_nms {
            index
        } else {
            let per_anchor = self.classes_per_anchor();
            per_anchor * index + index % per_anchor.max(1)
        }
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

/// Anchor `index`'s box encoding decoded into `[ymin, xmin, ymax, xmax]` (TFLM's
/// `DecodeCenterSizeBoxes`, in double precision rounded to float as it does).
fn decode_box(
    params: &DetectionPostProcessParams,
    box_encodings: &[f32],
    anchors: &[f32],
    index: usize,
) -> Result<[f32; 4], KernelError> {
    let [y_scale, x_scale, h_scale, w_scale] = params.scales.map(f64::from);
    let [y, x, h, w] = quad(box_encodings, index * params.box_code_size)?.map(f64::from);
    let [anchor_y, anchor_x, anchor_h, anchor_w] = quad(anchors, index * 4)?.map(f64::from);
    let y_center = (y / y_scale * anchor_h + anchor_y) as f32;
    let x_center = (x / x_scale * anchor_w + anchor_x) as f32;
    let half_h = (0.5 * exp_f64(h / h_scale) * anchor_h) as f32;
    let half_w = (0.5 * exp_f64(w / w_scale) * anchor_w) as f32;
    Ok([
        y_center - half_h,
        x_center - half_w,
        y_center + half_h,
        x_center + half_w,
    ])
}

/// The four values of `slice` from `start`.
fn quad(slice: &[f32], start: usize) -> Result<[f32; 4], KernelError> {
    let values = elements(slice, start, 4)?;
    values.try_into().map_err(|_| KernelError::ShapeMismatch)
}

/// TFLM's `ComputeIntersectionOverUnion` of decoded boxes `i` and `j`.
fn intersection_over_union(decoded: &[f32], i: usize, j: usize) -> Result<f32, KernelError> {
    let a = quad(decoded, i * 4)?;
    let b = quad(decoded, j * 4)?;
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
        let [ymin, xmin, ymax, xmax] = quad(decoded, index * 4)?;
        if ymin >= ymax || xmin >= xmax {
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

/// Appends detection `anchor`, `class`, `score` to `selection` (after its count).
fn record(
    selection: &mut [i32],
    index: usize,
    anchor: usize,
    class: usize,
    score: f32,
) -> KernelResult {
    let entry = elements_mut(selection, 1 + 3 * index, 3)?;
    copy(
        entry,
        &[anchor as i32, class as i32, score.to_bits() as i32],
    );
    Ok(())
}

/// Runs TFLite_Detection_PostProcess's decoding and suppression and writes the
/// detections to `selection` ([`DetectionPostProcessParams::selection_len`] long):
/// `box_encodings` `[1, num_boxes, box_code_size]`, `class_predictions` `[1,
/// num_boxes, num_classes_with_background]`, `anchors` `num_boxes` x `[y, x, h, w]`;
/// `floats` and `ints` at least [`DetectionPostProcessParams::float_scratch`] and
/// [`DetectionPostProcessParams::int_scratch`] long.
///
/// Fails with [`KernelError::InvalidParameter`] where TFLM's invocation fails: a
/// decoded box with `ymin >= ymax` or `xmin >= xmax`.
pub fn select(
    params: &DetectionPostProcessParams,
    box_encodings: &[f32],
    class_predictions: &[f32],
    anchors: &[f32],
    floats: &mut [f32],
    ints: &mut [i32],
    selection: &mut [i32],
) -> KernelResult {
    let n = params.num_boxes;
    if params.box_code_size < 4
        || params.num_classes_with_background < params.num_classes
        || params.num_classes_with_background > params.num_classes + 1
    {
        return Err(KernelError::InvalidParameter);
    }
    let scores_len = n
        .checked_mul(params.num_classes_with_background)
        .ok_or(KernelError::InvalidParameter)?;
    let class_predictions = elements(class_predictions, 0, scores_len)?;
    if floats.len() < params.float_scratch() || ints.len() < params.int_scratch() {
        return Err(KernelError::EmptyScratch);
    }
    if selection.len() < params.selection_len() {
        return Err(KernelError::ShapeMismatch);
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
    for index in 0..n {
        copy(
            elements_mut(decoded, index * 4, 4)?,
            &decode_box(params, box_encodings, anchors, index)?,
        );
    }
    let label_offset = params.num_classes_with_background - params.num_classes;
    let stride = params.num_classes_with_background;
    let class_scores = |anchor: usize| {
        elements(
            class_predictions,
            anchor * stride + label_offset,
            params.num_classes,
        )
    };

    let count = if params.use_regular_nms {
        let candidates = params.candidates();
        let (candidate_scores, floats) = take(floats, candidates)?;
        let (sorted_scores, _) = take(floats, params.max_detections)?;
        let (candidate_classes, ints) = take(ints, candidates)?;
        let (sorted_classes, _) = take(ints, params.max_detections)?;
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
            // Candidates as TFLM keeps them: the flat index of anchor and class.
            let mut total = kept;
            for &anchor in elements(selected, 0, count)? {
                let anchor = anchor as usize;
                *candidate_classes
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
                *sorted_classes
                    .get_mut(rank)
                    .ok_or(KernelError::EmptyScratch)? = element(candidate_classes, best)?;
                *sorted_scores
                    .get_mut(rank)
                    .ok_or(KernelError::EmptyScratch)? = element(candidate_scores, best)?;
                previous = Some(best);
            }
            copy(
                elements_mut(candidate_classes, 0, kept)?,
                elements(sorted_classes, 0, kept)?,
            );
            copy(
                elements_mut(candidate_scores, 0, kept)?,
                elements(sorted_scores, 0, kept)?,
            );
        }
        for index in 0..kept {
            let entry = element(candidate_classes, index)? as usize;
            let anchor = entry
                .checked_div(stride)
                .ok_or(KernelError::InvalidParameter)?;
            let class = entry - anchor * stride - label_offset;
            record(
                selection,
                index,
                anchor,
                class,
                element(candidate_scores, index)?,
            )?;
        }
        kept
    } else {
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
        let mut written = 0;
        for &anchor in elements(selected, 0, count)? {
            let anchor = anchor as usize;
            let scores = class_scores(anchor)?;
            let mut previous = None;
            for _ in 0..per_anchor {
                let class = next_best(scores, params.num_classes, previous)
                    .ok_or(KernelError::InvalidParameter)?;
                previous = Some(class);
                record(selection, written, anchor, class, element(scores, class)?)?;
                written += 1;
            }
        }
        written
    };
    *selection.first_mut().ok_or(KernelError::ShapeMismatch)? = count as i32;
    Ok(())
}

/// Writes `output` from the detections [`select`] chose (`selection`): each to its
/// slot, the box decoded again from `box_encodings` and `anchors`. Regular mode also
/// zeroes the slots up to `max_detections` past the detections, as TFLM does; fast mode
/// leaves them.
pub fn write_output(
    params: &DetectionPostProcessParams,
    box_encodings: &[f32],
    anchors: &[f32],
    selection: &[i32],
    output: DetectionOutput,
    out: &mut [f32],
) -> KernelResult {
    let count = usize::try_from(element(selection, 0)?).map_err(|_| KernelError::ShapeMismatch)?;
    if output == DetectionOutput::Count {
        *out.first_mut().ok_or(KernelError::RangeOutOfBounds)? = count as f32;
        return Ok(());
    }
    let blanks = if params.use_regular_nms {
        params.max_detections.max(count)
    } else {
        count
    };
    for index in 0..blanks {
        let slot = params.slot(index);
        let detection = if index < count {
            let [anchor, class, score] =
                [0, 1, 2].map(|field| element(selection, 1 + 3 * index + field));
            Some((
                anchor? as usize,
                class? as f32,
                f32::from_bits(score? as u32),
            ))
        } else {
            None
        };
        match output {
            DetectionOutput::Boxes => {
                let value = match detection {
                    Some((anchor, _, _)) => decode_box(params, box_encodings, anchors, anchor)?,
                    None => [0.0; 4],
                };
                copy(elements_mut(out, slot * 4, 4)?, &value);
            }
            DetectionOutput::Classes | DetectionOutput::Scores => {
                let value = detection.map_or(0.0, |(_, class, score)| {
                    if output == DetectionOutput::Classes {
                        class
                    } else {
                        score
                    }
                });
                *out.get_mut(slot).ok_or(KernelError::RangeOutOfBounds)? = value;
            }
            DetectionOutput::Count => {}
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

    /// `select` into a fresh selection, with `floats` f32 scratch elements.
    fn selection(
        p: &DetectionPostProcessParams,
        anchors: &[f32],
        floats: usize,
    ) -> Result<[i32; 32], KernelError> {
        let mut float_scratch = [0.0; 64];
        let mut ints = [0; 64];
        let mut selection = [-1; 32];
        select(
            p,
            &ENCODINGS,
            &SCORES,
            anchors,
            &mut float_scratch[..floats],
            &mut ints,
            &mut selection,
        )?;
        Ok(selection)
    }

    fn run(regular: bool, output: DetectionOutput, len: usize) -> Result<[f32; 12], KernelError> {
        let p = params(regular);
        let selected = selection(&p, &ANCHORS, 64)?;
        let mut out = [-1.0; 12];
        write_output(&p, &ENCODINGS, &ANCHORS, &selected, output, &mut out[..len])?;
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
        let mut anchors = ANCHORS;
        anchors[2] = 0.0; // anchor 0 has no height: ymin == ymax
        assert_eq!(
            selection(&params(false), &anchors, 64),
            Err(KernelError::InvalidParameter)
        );
    }

    #[test]
    fn short_scratch_and_outputs_are_errors() {
        assert_eq!(
            selection(&params(true), &ANCHORS, 4),
            Err(KernelError::EmptyScratch)
        );
        assert_eq!(
            run(true, DetectionOutput::Scores, 2),
            Err(KernelError::RangeOutOfBounds)
        );
    }

    #[test]
    fn several_classes_per_anchor_take_tflm_spread_out_slots() {
        // Two classes per anchor: anchors 0 and 2 selected, their classes at slots
        // 0, 3 (anchor 0) and 4, 7 (anchor 2).
        let mut p = params(false);
        p.max_classes_per_detection = 2;
        let selected = selection(&p, &ANCHORS, 64).unwrap();
        assert_eq!(selected[0], 4);
        let mut classes = [-1.0; 8];
        write_output(
            &p,
            &ENCODINGS,
            &ANCHORS,
            &selected,
            DetectionOutput::Classes,
            &mut classes,
        )
        .unwrap();
        assert_eq!(classes, [0.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 0.0]);
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
