//! Host harness for `tinymlc check` and the golden tests (std; the generated crate is
//! `model`: linked as a crate by hostbuild.py, appended as a module by the Bazel rules).
//!
//! `harness run N [RESET_EVERY]`: reads N samples from stdin (each input's little-endian
//! bytes in `INPUTS` order) and writes records to stdout:
//! `L` u32 layer, u32 len, bytes (after every layer); `O` u32 len, bytes (every
//! output); `A` u32 layer (the layer that ended the inference early, instead of the
//! outputs); `E` u32 len, message (on error); `D` (sample done).
//! `harness errors`: calls the API with wrong arguments, one `Debug` line each.
//! `harness bench N [W]`: reads one sample, runs it N times per round, and prints the best
//! round's nanoseconds per inference (the benchmark's host latency); with `W`, on `W`
//! host threads through the multi-core executor.
//! `harness multicore S R SEED`: S seeded random samples, each run on one core and on 1, 2, 3
//! and 4 host threads R times; exits 1 with the first difference, else prints a summary.
//! Samples run in sequence on one arena (a model's state carries over from one to the
//! next, as in TFLite Micro); `run` likewise.
use std::io::{Read, Write};

use model::{DType, Invocation, TensorMut, TensorRef, INPUTS, OUTPUTS};
use tinyml_executor::host::{with_threads, HostThreads};
use tinyml_executor::Executor;

enum Owned {
    Int8(Vec<i8>),
    UInt8(Vec<u8>),
    Int16(Vec<i16>),
    Int32(Vec<i32>),
    Float32(Vec<f32>),
    Bool(Vec<bool>),
}

impl Owned {
    fn zeros(dtype: DType, len: usize) -> Self {
        match dtype {
            DType::Int8 => Owned::Int8(vec![0; len]),
            DType::UInt8 => Owned::UInt8(vec![0; len]),
            DType::Int16 => Owned::Int16(vec![0; len]),
            DType::Int32 => Owned::Int32(vec![0; len]),
            DType::Float32 => Owned::Float32(vec![0.0; len]),
            DType::Bool => Owned::Bool(vec![false; len]),
        }
    }

    fn from_bytes(dtype: DType, bytes: &[u8]) -> Self {
        match dtype {
            DType::Int8 => Owned::Int8(bytes.iter().map(|&b| b as i8).collect()),
            DType::UInt8 => Owned::UInt8(bytes.to_vec()),
            DType::Int16 => Owned::Int16(bytes.chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()),
            DType::Int32 => Owned::Int32(bytes.chunks(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            DType::Float32 => Owned::Float32(bytes.chunks(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
            DType::Bool => Owned::Bool(bytes.iter().map(|&b| b != 0).collect()),
        }
    }

    fn to_bytes(&self) -> Vec<u8> {
        match self {
            Owned::Int8(v) => v.iter().map(|&x| x as u8).collect(),
            Owned::UInt8(v) => v.clone(),
            Owned::Int16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Owned::Int32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Owned::Float32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Owned::Bool(v) => v.iter().map(|&x| u8::from(x)).collect(),
        }
    }

    fn as_ref(&self) -> TensorRef<'_> {
        match self {
            Owned::Int8(v) => TensorRef::Int8(v),
            Owned::UInt8(v) => TensorRef::UInt8(v),
            Owned::Int16(v) => TensorRef::Int16(v),
            Owned::Int32(v) => TensorRef::Int32(v),
            Owned::Float32(v) => TensorRef::Float32(v),
            Owned::Bool(v) => TensorRef::Bool(v),
        }
    }

    fn as_mut(&mut self) -> TensorMut<'_> {
        match self {
            Owned::Int8(v) => TensorMut::Int8(v),
            Owned::UInt8(v) => TensorMut::UInt8(v),
            Owned::Int16(v) => TensorMut::Int16(v),
            Owned::Int32(v) => TensorMut::Int32(v),
            Owned::Float32(v) => TensorMut::Float32(v),
            Owned::Bool(v) => TensorMut::Bool(v),
        }
    }
}

fn element_size(dtype: DType) -> usize {
    match dtype {
        DType::Int8 | DType::UInt8 | DType::Bool => 1,
        DType::Int16 => 2,
        DType::Int32 | DType::Float32 => 4,
    }
}

fn record(out: &mut impl Write, tag: u8, fields: &[u32], bytes: &[u8]) {
    out.write_all(&[tag]).unwrap();
    for field in fields {
        out.write_all(&field.to_le_bytes()).unwrap();
    }
    out.write_all(&(bytes.len() as u32).to_le_bytes()).unwrap();
    out.write_all(bytes).unwrap();
}

fn run(samples: usize, reset_every: Option<usize>) {
    let mut stdin = std::io::stdin().lock();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // One spare alignment's worth, so the generated code must realign the start.
    let mut arena = vec![0u8; model::ARENA_BYTES + model::ARENA_ALIGN + 1];
    for sample in 0..samples {
        if reset_every.is_some_and(|every| sample % every == 0) {
            model::reset(&mut arena[1..]).unwrap();
        }
        let inputs = read_sample(&mut stdin);
        let mut outputs: Vec<Owned> = OUTPUTS.iter().map(|info| Owned::zeros(info.dtype, info.len)).collect();
        let refs: Vec<TensorRef<'_>> = inputs.iter().map(Owned::as_ref).collect();
        let mut muts: Vec<TensorMut<'_>> = outputs.iter_mut().map(Owned::as_mut).collect();
        let mut hook = |layer: model::LayerInfo, bytes: &[u8]| record(&mut out, b'L', &[layer.index as u32], bytes);
        // Start one byte in, so the arena is misaligned on purpose.
        let result = model::predict_tensors_with_hook(&mut arena[1..], &refs, &mut muts, &mut hook);
        drop(muts);
        match result {
            Ok(Invocation::Complete) => {
                for output in &outputs {
                    record(&mut out, b'O', &[], &output.to_bytes());
                }
            }
            Ok(Invocation::Aborted { layer }) => {
                out.write_all(b"A").unwrap();
                out.write_all(&(layer as u32).to_le_bytes()).unwrap();
            }
            Err(error) => record(&mut out, b'E', &[], format!("{error:?}").as_bytes()),
        }
        out.write_all(b"D").unwrap();
    }
    out.flush().unwrap();
}

fn read_sample(stdin: &mut impl Read) -> Vec<Owned> {
    INPUTS
        .iter()
        .map(|info| {
            let mut bytes = vec![0u8; info.len * element_size(info.dtype)];
            stdin.read_exact(&mut bytes).unwrap();
            Owned::from_bytes(info.dtype, &bytes)
        })
        .collect()
}

/// Runs `f` with an executor of `workers` host threads (1 to 4).
fn on_threads(workers: usize, f: &mut dyn FnMut(&dyn Fn(&[TensorRef<'_>], &mut [TensorMut<'_>], &mut [u8]) -> Result<Invocation, model::Error>)) {
    fn with<const N: usize>(f: &mut dyn FnMut(&dyn Fn(&[TensorRef<'_>], &mut [TensorMut<'_>], &mut [u8]) -> Result<Invocation, model::Error>)) {
        with_threads::<N, _>(|executor: &Executor<HostThreads<N>, N>| {
            f(&|inputs, outputs, arena| model::predict_tensors_on(executor, arena, inputs, outputs))
        });
    }
    match workers {
        1 => with::<1>(f),
        2 => with::<2>(f),
        3 => with::<3>(f),
        4 => with::<4>(f),
        // Each count is a separate instance of the executor: more would slow every build.
        _ => panic!("1 to 4 workers"),
    }
}

fn bench(iterations: u32, workers: Option<usize>) {
    const ROUNDS: usize = 5;
    let inputs = read_sample(&mut std::io::stdin().lock());
    let refs: Vec<TensorRef<'_>> = inputs.iter().map(Owned::as_ref).collect();
    let mut outputs: Vec<Owned> = OUTPUTS.iter().map(|info| Owned::zeros(info.dtype, info.len)).collect();
    let mut muts: Vec<TensorMut<'_>> = outputs.iter_mut().map(Owned::as_mut).collect();
    let mut arena = vec![0u8; model::ARENA_BYTES + model::ARENA_ALIGN];
    let mut best = u128::MAX;
    let mut measure = |predict: &dyn Fn(&[TensorRef<'_>], &mut [TensorMut<'_>], &mut [u8]) -> Result<Invocation, model::Error>| {
        for _ in 0..ROUNDS {
            let start = std::time::Instant::now();
            for _ in 0..iterations {
                // black_box: the inputs must not look constant, or the loop could be folded.
                let refs = std::hint::black_box(refs.as_slice());
                predict(refs, &mut muts, &mut arena).unwrap();
            }
            best = best.min(start.elapsed().as_nanos() / u128::from(iterations));
        }
    };
    match workers {
        None => measure(&|inputs, outputs, arena| model::predict_tensors(arena, inputs, outputs)),
        Some(workers) => on_threads(workers, &mut measure),
    }
    println!("{best}");
}

/// xorshift64*: seeded inputs without dependencies.
fn random_sample(state: &mut u64) -> Vec<Owned> {
    let mut next = || {
        *state ^= *state >> 12;
        *state ^= *state << 25;
        *state ^= *state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    INPUTS
        .iter()
        .map(|info| match info.dtype {
            // Floats in [-1, 1): finite, and what float models are usually fed.
            DType::Float32 => Owned::Float32((0..info.len).map(|_| (next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0).collect()),
            dtype => {
                let bytes: Vec<u8> = (0..info.len * element_size(dtype)).map(|_| (next() >> 56) as u8).collect();
                Owned::from_bytes(dtype, &bytes)
            }
        })
        .collect()
}

/// How the inference went, and the outputs (as they were before it, zeros, if it ended early).
fn outputs_of(predict: &dyn Fn(&[TensorRef<'_>], &mut [TensorMut<'_>], &mut [u8]) -> Result<Invocation, model::Error>, inputs: &[Owned], arena: &mut [u8]) -> Result<(Invocation, Vec<Vec<u8>>), model::Error> {
    let mut outputs: Vec<Owned> = OUTPUTS.iter().map(|info| Owned::zeros(info.dtype, info.len)).collect();
    let refs: Vec<TensorRef<'_>> = inputs.iter().map(Owned::as_ref).collect();
    let mut muts: Vec<TensorMut<'_>> = outputs.iter_mut().map(Owned::as_mut).collect();
    let invocation = predict(&refs, &mut muts, arena)?;
    drop(muts);
    Ok((invocation, outputs.iter().map(Owned::to_bytes).collect()))
}

fn multicore(samples: usize, repeats: usize, seed: u64) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let inputs: Vec<Vec<Owned>> = (0..samples).map(|_| random_sample(&mut state)).collect();
    let mut arena = vec![0u8; model::ARENA_BYTES + model::ARENA_ALIGN];
    let expected: Vec<_> = inputs
        .iter()
        .map(|sample| outputs_of(&|i, o, a| model::predict_tensors(a, i, o), sample, &mut arena).unwrap())
        .collect();
    for workers in 1..=4 {
        on_threads(workers, &mut |predict| {
            for repeat in 0..repeats {
                // Each run is one sequence from the initial state: a garbage arena holds
                // no initialised state, so its first inference resets it.
                arena.fill((repeat * 29 + 7) as u8);
                let state_end = arena.as_ptr().align_offset(model::ARENA_ALIGN) + model::STATE_BYTES;
                for (index, (sample, expected)) in inputs.iter().zip(&expected).enumerate() {
                    // Garbage in the arena must not matter: every byte read is written
                    // first, except the state, which carries over to the next inference.
                    arena[state_end..].fill((repeat * 31 + index) as u8);
                    let actual = outputs_of(predict, sample, &mut arena).unwrap();
                    if &actual != expected {
                        println!("sample {index}, {workers} worker(s), run {repeat}: outputs or early end differ from one core");
                        std::process::exit(1);
                    }
                }
            }
        });
    }
    println!(
        "multicore: {samples} samples x 1, 2, 3, 4 workers x {repeats} run(s) each bit-identical to one core \
         ({} logical cores at {:?} MHz)",
        model::CORES,
        model::CORE_MHZ
    );
}

fn errors() {
    let inputs: Vec<Owned> = INPUTS.iter().map(|info| Owned::zeros(info.dtype, info.len)).collect();
    let refs: Vec<TensorRef<'_>> = inputs.iter().map(Owned::as_ref).collect();
    let mut outputs: Vec<Owned> = OUTPUTS.iter().map(|info| Owned::zeros(info.dtype, info.len)).collect();
    let mut arena = vec![0u8; model::ARENA_BYTES + model::ARENA_ALIGN];
    {
        let mut muts: Vec<TensorMut<'_>> = outputs.iter_mut().map(Owned::as_mut).collect();
        println!("{:?}", model::predict_tensors(&mut arena[..model::ARENA_BYTES / 2], &refs, &mut muts));
        println!("{:?}", model::predict_tensors(&mut arena, &refs[1..], &mut muts));
        println!("{:?}", model::predict_tensors(&mut arena, &refs, &mut muts[1..]));
    }
    let short = Owned::zeros(INPUTS[0].dtype, INPUTS[0].len - 1);
    let mut wrong_refs = refs.clone();
    wrong_refs[0] = short.as_ref();
    let mut muts: Vec<TensorMut<'_>> = outputs.iter_mut().map(Owned::as_mut).collect();
    println!("{:?}", model::predict_tensors(&mut arena, &wrong_refs, &mut muts));
    let other = Owned::zeros(if INPUTS[0].dtype == DType::Int8 { DType::Float32 } else { DType::Int8 }, INPUTS[0].len);
    wrong_refs[0] = other.as_ref();
    println!("{:?}", model::predict_tensors(&mut arena, &wrong_refs, &mut muts));
    println!("{:?}", model::predict_tensors(&mut arena, &refs, &mut muts));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("run") => run(args[2].parse().unwrap(), args.get(3).map(|every| every.parse().unwrap())),
        Some("errors") => errors(),
        Some("bench") => bench(args[2].parse().unwrap(), args.get(3).map(|w| w.parse().unwrap())),
        Some("multicore") => multicore(args[2].parse().unwrap(), args[3].parse().unwrap(), args[4].parse().unwrap()),
        _ => panic!("usage: harness run N [RESET_EVERY] | harness errors | harness bench N [WORKERS] | harness multicore S R SEED"),
    }
}
