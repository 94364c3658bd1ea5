//! The steps of a model, on one core or on every core of an executor.

use tinyml_arena::{ArenaError, LayerRegions, Region, SharedArena};
use tinyml_executor::{Executor, Platform};
use tinyml_kernels::KernelError;

use crate::{Error, Invocation, LayerInfo, Model};

/// Whether an abort flag (an `i32` in the state region, read as `values`) is set.
pub fn flag_is_set(values: &[i32]) -> bool {
    values.first().is_some_and(|&value| value != 0)
}

/// The first layer before `step` that ended this inference, reading each flag with `flag`.
/// A flag is this inference's: the layers before `step` ran (a layer after one that ended
/// the inference does not run, so the first set flag is always a fresh one).
fn ended_before(
    model: &Model,
    step: usize,
    flag: impl Fn(Region) -> Result<bool, ArenaError>,
) -> Result<Option<usize>, Error> {
    for &(layer, region) in model.abort_flags {
        if layer >= step {
            break;
        }
        if flag(region).map_err(|error| Error::Arena {
            layer: Some(layer),
            error,
        })? {
            return Ok(Some(layer));
        }
    }
    Ok(None)
}

/// Where logical core `core`'s views of layer `step` lie.
fn layer_regions(model: &Model, step: usize, core: usize) -> Result<LayerRegions, Error> {
    (model.layer_regions)(step, core).ok_or(Error::Kernel {
        layer: Some(step),
        error: KernelError::RangeOutOfBounds,
    })
}

fn invocation(ended: Option<usize>) -> Invocation {
    match ended {
        Some(layer) => Invocation::Aborted { layer },
        None => Invocation::Complete,
    }
}

/// Every step whole on this core, as logical core 0; `hook` sees each layer's output.
pub(crate) fn execute(
    model: &Model,
    arena: &mut [u8],
    hook: &mut dyn FnMut(LayerInfo, &[u8]),
) -> Result<Invocation, Error> {
    let layers = model
        .steps
        .iter()
        .zip(model.full_parts)
        .zip(model.layers)
        .zip(model.layer_output_regions);
    for (index, (((step, &part), &layer), &output)) in layers.enumerate() {
        let arena_error = |error| Error::Arena {
            layer: Some(index),
            error,
        };
        let views = tinyml_arena::split_layer(arena, layer_regions(model, index, 0)?)
            .map_err(arena_error)?;
        step(views.inputs, views.output, views.scratch, part)?;
        hook(
            layer,
            tinyml_arena::region::<u8>(arena, output).map_err(arena_error)?,
        );
        if let Some(layer) = ended_before(model, index + 1, |region| {
            tinyml_arena::region(arena, region).map(flag_is_set)
        })? {
            return Ok(Invocation::Aborted { layer });
        }
    }
    Ok(Invocation::Complete)
}

/// [`execute`] on every core of `executor`, each computing its parts of the schedule.
#[allow(unsafe_code)]
pub(crate) fn execute_on<P: Platform, const N: usize>(
    model: &Model,
    executor: &Executor<P, N>,
    arena: &mut [u8],
) -> Result<Invocation, Error> {
    let shared = SharedArena::new(arena);
    executor.run(model.cores, model.barrier_after, |core, step| {
        // The executor gives steps of `barrier_after` and parts of `cores`, which the
        // schedule has; a miss is an error, not a panic path.
        let (Some(part), Some(run_step)) = ((model.part)(step, core), model.steps.get(step)) else {
            return Err(Error::Kernel {
                layer: Some(step),
                error: KernelError::RangeOutOfBounds,
            });
        };
        if part.rows.is_empty() || part.channels.is_empty() {
            return Ok(());
        }
        // SAFETY: within a step, every core writes only its own part of the
        // step's output (the parts of the schedule's step are disjoint, and kernels
        // write only the part they are given) and its own scratch (tinymlc plans
        // one per logical core, disjoint from everything else live in the step),
        // and reads only other tensors; layers that share a barrier interval touch
        // disjoint bytes, scratch included; everything a layer reads was written
        // before a barrier that precedes it (tinymlc's partition pass places the
        // barriers so, and `Executor::run` orders every write before a barrier
        // before every access after it).
        let views =
            unsafe { shared.split_layer(layer_regions(model, step, core)?) }.map_err(|error| {
                Error::Arena {
                    layer: Some(step),
                    error,
                }
            })?;
        // Every core skips the steps after a layer that ended the inference: each reads
        // the same flags, which a barrier after that layer (or the same core) ordered
        // before this step (the partition pass counts them as this step's reads).
        if ended_before(model, step, |region| {
            views.inputs.get(region).map(flag_is_set)
        })?
        .is_some()
        {
            return Ok(());
        }
        run_step(views.inputs, views.output, views.scratch, part)
    })?;
    let ended = ended_before(model, model.steps.len(), |region| {
        tinyml_arena::region(arena, region).map(flag_is_set)
    })?;
    Ok(invocation(ended))
}
