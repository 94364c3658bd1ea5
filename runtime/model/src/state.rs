//! The state region: initialised on a fresh arena's first inference, reset on request.

use tinyml_arena::Region;

use crate::{Error, Model};

/// A variable tensor's region, the byte it is filled with and the bytes written over that.
pub type StateTensor = (Region, u8, &'static [u8]);

fn write(arena: &mut [u8], tensors: &[StateTensor]) -> Result<(), Error> {
    for &(region, fill, initial) in tensors {
        let bytes = tinyml_arena::region_mut::<u8>(arena, region)
            .map_err(|error| Error::Arena { layer: None, error })?;
        bytes.fill(fill);
        if let Some(start) = bytes.get_mut(..initial.len()) {
            start.copy_from_slice(initial);
        }
    }
    Ok(())
}

/// Whether the (aligned) arena holds `model`'s initialised state (always, for a model
/// without state).
fn holds_state(model: &Model, arena: &[u8]) -> bool {
    arena.get(..model.state.marker.len()) == Some(model.state.marker)
}

/// Initialises the state unless the (aligned) arena holds `model`'s.
pub(crate) fn ensure(model: &Model, arena: &mut [u8]) -> Result<(), Error> {
    if holds_state(model, arena) {
        return Ok(());
    }
    write(arena, model.state.tensors)?;
    tinyml_arena::region_mut::<u8>(arena, Region::new(0, model.state.marker.len()))
        .map_err(|error| Error::Arena { layer: None, error })?
        .copy_from_slice(model.state.marker);
    Ok(())
}

/// Writes what `reset` writes, if the (aligned) arena holds `model`'s state: an arena
/// never initialised for it changes nothing, as `Reset` of a new interpreter does not.
pub(crate) fn reset(model: &Model, arena: &mut [u8]) -> Result<(), Error> {
    if holds_state(model, arena) {
        write(arena, model.state.reset)?;
    }
    Ok(())
}
