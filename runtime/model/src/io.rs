//! Inputs into the arena, outputs out of it, as each one's [`Transfer`] says.

use tinyml_arena::{ArenaError, Region};
use tinyml_kernels::{optimized as kernels, KernelError, SplitRange};

use crate::{DType, Error, Model, TensorMut, TensorRef, Transfer};

fn io_error(error: ArenaError) -> Error {
    Error::Arena { layer: None, error }
}

fn conversion_error(error: KernelError) -> Error {
    Error::Kernel { layer: None, error }
}

fn copy<T: Copy>(source: &[T], target: &mut [T]) {
    for (to, from) in target.iter_mut().zip(source) {
        *to = *from;
    }
}

fn view_mut<T: tinyml_arena::Element>(arena: &mut [u8], region: Region) -> Result<&mut [T], Error> {
    tinyml_arena::region_mut(arena, region).map_err(io_error)
}

fn view<T: tinyml_arena::Element>(arena: &[u8], region: Region) -> Result<&[T], Error> {
    tinyml_arena::region(arena, region).map_err(io_error)
}

pub(crate) fn write_inputs(
    model: &Model,
    arena: &mut [u8],
    inputs: &[TensorRef<'_>],
) -> Result<(), Error> {
    if inputs.len() != model.inputs.len() {
        return Err(Error::InputCount {
            expected: model.inputs.len(),
            actual: inputs.len(),
        });
    }
    let tables = model
        .inputs
        .iter()
        .zip(model.input_regions)
        .zip(model.input_transfers);
    for (index, (input, ((info, &region), &transfer))) in inputs.iter().zip(tables).enumerate() {
        let actual = match *input {
            TensorRef::Int8(data) => data.len(),
            TensorRef::UInt8(data) => data.len(),
            TensorRef::Int16(data) => data.len(),
            TensorRef::Int32(data) => data.len(),
            TensorRef::Float32(data) => data.len(),
            TensorRef::Bool(data) => data.len(),
        };
        if actual != info.len {
            return Err(Error::InputLength {
                index,
                expected: info.len,
                actual,
            });
        }
        match (*input, info.dtype, transfer) {
            (
                TensorRef::Float32(data),
                DType::Float32,
                Transfer::Quantize { scale, zero_point },
            ) => {
                let quantized = view_mut::<i8>(arena, region)?;
                kernels::quantize::quantize_f32(
                    data,
                    scale,
                    zero_point,
                    quantized,
                    SplitRange::full(info.len),
                )
                .map_err(conversion_error)?;
            }
            (TensorRef::UInt8(data), DType::UInt8, Transfer::FlipSignBit) => {
                for (to, from) in view_mut::<i8>(arena, region)?.iter_mut().zip(data) {
                    *to = (*from ^ 0x80) as i8;
                }
            }
            (TensorRef::Int8(data), DType::Int8, Transfer::Copy) => {
                copy(data, view_mut(arena, region)?)
            }
            (TensorRef::Int16(data), DType::Int16, Transfer::Copy) => {
                copy(data, view_mut(arena, region)?)
            }
            (TensorRef::Int32(data), DType::Int32, Transfer::Copy) => {
                copy(data, view_mut(arena, region)?)
            }
            (TensorRef::Float32(data), DType::Float32, Transfer::Copy) => {
                copy(data, view_mut(arena, region)?)
            }
            (TensorRef::Bool(data), DType::Bool, Transfer::Copy) => {
                for (to, &from) in view_mut::<u8>(arena, region)?.iter_mut().zip(data) {
                    *to = u8::from(from);
                }
            }
            _ => {
                return Err(Error::InputType {
                    index,
                    expected: info.dtype,
                })
            }
        }
    }
    Ok(())
}

pub(crate) fn check_outputs(model: &Model, outputs: &[TensorMut<'_>]) -> Result<(), Error> {
    if outputs.len() != model.outputs.len() {
        return Err(Error::OutputCount {
            expected: model.outputs.len(),
            actual: outputs.len(),
        });
    }
    for (index, (output, info)) in outputs.iter().zip(model.outputs).enumerate() {
        let (dtype, actual) = match output {
            TensorMut::Int8(data) => (DType::Int8, data.len()),
            TensorMut::UInt8(data) => (DType::UInt8, data.len()),
            TensorMut::Int16(data) => (DType::Int16, data.len()),
            TensorMut::Int32(data) => (DType::Int32, data.len()),
            TensorMut::Float32(data) => (DType::Float32, data.len()),
            TensorMut::Bool(data) => (DType::Bool, data.len()),
        };
        if dtype != info.dtype {
            return Err(Error::OutputType {
                index,
                expected: info.dtype,
            });
        }
        if actual != info.len {
            return Err(Error::OutputLength {
                index,
                expected: info.len,
                actual,
            });
        }
    }
    Ok(())
}

/// Only after `check_outputs`: the types match the model's outputs, and so the transfers.
pub(crate) fn read_outputs(
    model: &Model,
    arena: &[u8],
    outputs: &mut [TensorMut<'_>],
) -> Result<(), Error> {
    let tables = model.output_regions.iter().zip(model.output_transfers);
    for (output, (&region, &transfer)) in outputs.iter_mut().zip(tables) {
        match (output, transfer) {
            (TensorMut::Float32(data), Transfer::Dequantize { scale, zero_point }) => {
                let range = SplitRange::full(data.len());
                kernels::quantize::dequantize(
                    view::<i8>(arena, region)?,
                    scale,
                    zero_point,
                    data,
                    range,
                )
                .map_err(conversion_error)?;
            }
            (TensorMut::UInt8(data), _) => {
                for (to, from) in data.iter_mut().zip(view::<i8>(arena, region)?) {
                    *to = (*from as u8) ^ 0x80;
                }
            }
            (TensorMut::Int8(data), _) => copy(view(arena, region)?, data),
            (TensorMut::Int16(data), _) => copy(view(arena, region)?, data),
            (TensorMut::Int32(data), _) => copy(view(arena, region)?, data),
            (TensorMut::Float32(data), _) => copy(view(arena, region)?, data),
            (TensorMut::Bool(data), _) => {
                for (to, &from) in data.iter_mut().zip(view::<u8>(arena, region)?) {
                    *to = from != 0;
                }
            }
        }
    }
    Ok(())
}

/// The only input and output of a model with one of each, both real-valued (int8, int16
/// or float32): `Model::predict`'s.
fn only(model: &Model) -> Result<(crate::TensorInfo, Region, crate::TensorInfo, Region), Error> {
    match (
        model.inputs,
        model.input_regions,
        model.outputs,
        model.output_regions,
    ) {
        (&[input], &[input_region], &[output], &[output_region]) => {
            Ok((input, input_region, output, output_region))
        }
        _ if model.inputs.len() != 1 => Err(Error::InputCount {
            expected: 1,
            actual: model.inputs.len(),
        }),
        _ => Err(Error::OutputCount {
            expected: 1,
            actual: model.outputs.len(),
        }),
    }
}

/// `input` quantized into the only input's arena tensor (copied if it is float32), after
/// checking both lengths.
pub(crate) fn write_real_input(
    model: &Model,
    arena: &mut [u8],
    input: &[f32],
    output_len: usize,
) -> Result<(), Error> {
    let (info, region, output, _) = only(model)?;
    if input.len() != info.len {
        return Err(Error::InputLength {
            index: 0,
            expected: info.len,
            actual: input.len(),
        });
    }
    if output_len != output.len {
        return Err(Error::OutputLength {
            index: 0,
            expected: output.len,
            actual: output_len,
        });
    }
    let range = SplitRange::full(info.len);
    match info.dtype {
        DType::Float32 => write_inputs(model, arena, &[TensorRef::Float32(input)]),
        DType::Int8 => kernels::quantize::quantize_f32(
            input,
            info.scale,
            info.zero_point,
            view_mut::<i8>(arena, region)?,
            range,
        )
        .map_err(conversion_error),
        DType::Int16 => kernels::quantize::quantize_f32(
            input,
            info.scale,
            info.zero_point,
            view_mut::<i16>(arena, region)?,
            range,
        )
        .map_err(conversion_error),
        expected => Err(Error::InputType { index: 0, expected }),
    }
}

/// The only output's arena tensor dequantized into `output` (copied if it is float32).
pub(crate) fn read_real_output(
    model: &Model,
    arena: &[u8],
    output: &mut [f32],
) -> Result<(), Error> {
    let (_, _, info, region) = only(model)?;
    let range = SplitRange::full(info.len);
    match info.dtype {
        DType::Float32 => read_outputs(model, arena, &mut [TensorMut::Float32(output)]),
        DType::Int8 => kernels::quantize::dequantize(
            view::<i8>(arena, region)?,
            info.scale,
            info.zero_point,
            output,
            range,
        )
        .map_err(conversion_error),
        DType::Int16 => kernels::quantize::dequantize(
            view::<i16>(arena, region)?,
            info.scale,
            info.zero_point,
            output,
            range,
        )
        .map_err(conversion_error),
        expected => Err(Error::OutputType { index: 0, expected }),
    }
}
