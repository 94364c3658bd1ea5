//! Runs a tinymlc model's step list on every core of an MCU.
//!
//! The compiler splits each layer's output into one *part* per (logical) core and
//! writes the schedule into the generated crate. [`Executor::run`] executes it:
//! every core computes its parts of step `i`, then all cores meet at a barrier
//! (skipped where the compiler found none is needed), then step `i + 1`. The
//! schedule is fixed at compile time, so results are bit-identical to one core,
//! whatever the timing.
//!
//! A chip provides a [`Platform`]: start a core, say which core is running,
//! sleep until notified, notify. [`SingleCore`] is the trivial one;
//! `host::HostThreads` (feature `std`) runs cores as threads for tests.
//!
//! # Bare metal
//!
//! ```ignore
//! static EXECUTOR: Executor<MyChip, 2> = Executor::new(MyChip);
//!
//! fn main() -> i32 {                        // core 0, after reset
//!     EXECUTOR.start(secondary);            // every other core runs `secondary`
//!     model::predict_quantized_on(&EXECUTOR, &mut arena.0, &input, &mut output)?;
//!     ...
//! }
//! fn secondary() { EXECUTOR.worker() }     // never returns on bare metal
//! ```
//!
//! # Synchronization
//!
//! Only atomic loads and stores are used (no compare-and-swap), so the same code
//! runs on Armv6-M and RV32 without the "A" extension. Core 0 coordinates: the
//! other cores publish "arrived at barrier `k`" in their own slot, core 0 waits
//! for all of them, then publishes "barrier `k` released". Every arrival is a
//! `Release` store read with `Acquire` by core 0, and the release is a `Release`
//! store read with `Acquire` by every core, so everything any core wrote before
//! barrier `k` happens before anything any core does after it. The loom model
//! check in `tests/loom.rs` explores every interleaving of that protocol.
#![cfg_attr(not(any(test, feature = "std")), no_std)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod single;
mod sync;

#[cfg(feature = "std")]
pub mod host;

pub use single::SingleCore;

use sync::{spin_loop, AtomicUsize, Ordering, UnsafeCell};

/// What a chip provides so that [`Executor`] can use its cores.
///
/// # Safety
///
/// [`Platform::core_id`] must return a different index on every core (thread of
/// execution) that can use the executor at the same time: the executor relies on
/// it for exclusive access to core-private state. [`Platform::wait`] and
/// [`Platform::notify`] only matter for progress, not for soundness.
pub unsafe trait Platform: Sync {
    /// How often a waiting core re-checks its condition before calling
    /// [`Platform::wait`] (short waits are cheaper spinning than sleeping).
    const SPINS_BEFORE_WAIT: u32 = 0;

    /// Index of the calling core: 0 on the core that calls [`Executor::run`],
    /// `1..N` on the others (e.g. from `mhartid` or the MPIDR / CPU ID register).
    fn core_id(&self) -> usize;

    /// Makes core `core` (`1..N`) start executing `entry` (e.g. write the entry
    /// to the core's boot vector and wake it). Called once per core, by
    /// [`Executor::start`] on core 0. The core must see everything core 0 wrote
    /// before this call.
    fn start_core(&self, core: usize, entry: fn());

    /// Puts the calling core to sleep until some core calls [`Platform::notify`]
    /// (`wfe`, or `wfi` with a software interrupt). May return early; it must not
    /// miss a `notify` that happens after the caller last checked its condition
    /// (as `wfe`'s event register and a pending software interrupt guarantee).
    fn wait(&self);

    /// Wakes every core sleeping in [`Platform::wait`] (`sev`, or a software
    /// interrupt to every other core). Writes before the call must be visible to
    /// woken cores; on cores with non-coherent data caches (e.g. STM32H747's M7
    /// and M4) the arena and the executor must live in memory both see coherently.
    fn notify(&self);
}

/// [`Executor::run`] was called on a core other than core 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotCoreZero {
    /// The calling core.
    pub core: usize,
}

/// One core's counter, on its own cache line so that cores do not contend.
#[repr(align(64))]
struct Counter(AtomicUsize);

/// The job core 0 hands to the other cores: run your parts of every step.
type Job = &'static (dyn Fn(usize) + Sync);

/// Runs step lists on `N` cores of platform `P`.
pub struct Executor<P: Platform, const N: usize> {
    platform: P,
    /// `arrived[c]`: barriers core `c` (`c >= 1`) has reached, wrapping.
    arrived: [Counter; N],
    /// Barriers core 0 has released, wrapping (only core 0 writes it).
    released: Counter,
    /// Jobs core 0 has posted, wrapping; a new value means `job` holds a new job.
    posted: Counter,
    /// The current job; `None` tells the workers to return.
    job: UnsafeCell<Option<Job>>,
}

// SAFETY: the only non-`Sync` field is `job`. Core 0 writes it only while no
// other core reads it: before the `Release` store to `posted` that lets them read
// it, and after the last barrier of the job, by which every core has finished
// reading it (their arrival stores happen after their reads and core 0 reads
// them with `Acquire`). `Job` itself is `Sync`, so sharing it is fine.
unsafe impl<P: Platform, const N: usize> Sync for Executor<P, N> {}

impl<P: Platform, const N: usize> Executor<P, N> {
    /// An executor for `N` cores of `platform`; usable in a `static`.
    #[cfg(not(loom))]
    pub const fn new(platform: P) -> Self {
        Self {
            platform,
            arrived: [const { Counter(AtomicUsize::new(0)) }; N],
            released: Counter(AtomicUsize::new(0)),
            posted: Counter(AtomicUsize::new(0)),
            job: UnsafeCell::new(None),
        }
    }

    /// An executor for `N` cores of `platform` (loom's atomics are not `const`).
    #[cfg(loom)]
    pub fn new(platform: P) -> Self {
        Self {
            platform,
            arrived: core::array::from_fn(|_| Counter(AtomicUsize::new(0))),
            released: Counter(AtomicUsize::new(0)),
            posted: Counter(AtomicUsize::new(0)),
            job: UnsafeCell::new(None),
        }
    }

    /// The platform.
    pub fn platform(&self) -> &P {
        &self.platform
    }

    /// Starts cores `1..N`, each running `entry`, which must call [`Executor::worker`].
    pub fn start(&'static self, entry: fn()) {
        for core in 1..N {
            self.platform.start_core(core, entry);
        }
    }

    /// The loop of cores `1..N`: runs every job core 0 posts; returns only when
    /// [`Executor::stop`] is called (bare-metal firmware never does).
    pub fn worker(&self) {
        let core = self.platform.core_id();
        let mut seen = 0usize;
        loop {
            self.wait_until(|| self.posted.0.load(Ordering::Acquire) != seen);
            seen = seen.wrapping_add(1);
            // SAFETY: core 0 wrote `job` before its `Release` store to `posted`,
            // which the `Acquire` load above observed, and does not write it again
            // until this core has arrived at the job's final barrier (below).
            let job = self.job.with(|job| unsafe { *job });
            match job {
                Some(job) => job(core),
                None => return,
            }
            self.barrier(core);
        }
    }

    /// Tells the workers to return from [`Executor::worker`] (host threads).
    pub fn stop(&self) {
        self.post(None);
    }

    fn post(&self, job: Option<Job>) {
        // SAFETY: only core 0 writes `job`, and no worker reads it now: each one
        // read it after the previous post and then arrived at that job's final
        // barrier, which core 0 passed before returning from `run`.
        self.job.with_mut(|slot| unsafe { *slot = job });
        self.posted.0.store(
            self.posted.0.load(Ordering::Relaxed).wrapping_add(1),
            Ordering::Release,
        );
        self.platform.notify();
    }

    /// Spins, then sleeps, until `done()`.
    fn wait_until(&self, done: impl Fn() -> bool) {
        let mut spins = 0;
        while !done() {
            if spins < P::SPINS_BEFORE_WAIT {
                spins += 1;
                spin_loop();
            } else {
                self.platform.wait();
            }
        }
    }

    /// Waits until every core has called `barrier` as often as core `core` has.
    fn barrier(&self, core: usize) {
        if N == 1 {
            return;
        }
        if core == 0 {
            let next = self.released.0.load(Ordering::Relaxed).wrapping_add(1);
            for other in &self.arrived[1..] {
                self.wait_until(|| other.0.load(Ordering::Acquire) == next);
            }
            self.released.0.store(next, Ordering::Release);
        } else {
            // `Platform` promises core ids below N; `get` spares the executor a panic path.
            let Some(arrived) = self.arrived.get(core) else {
                return;
            };
            let next = arrived.0.load(Ordering::Relaxed).wrapping_add(1);
            arrived.0.store(next, Ordering::Release);
            self.platform.notify();
            self.wait_until(|| self.released.0.load(Ordering::Acquire) == next);
            return;
        }
        self.platform.notify();
    }

    /// Runs a schedule of `barrier_after.len()` steps split into `parts` parts:
    /// every core `c` calls `work(part, step)` for its parts (`part % N == c`, so
    /// a schedule made for more cores than `N` still runs), in step order, with a
    /// barrier after each step whose `barrier_after` is `true` and after the last.
    ///
    /// A core whose `work` fails skips its remaining work but keeps meeting the
    /// barriers; the error of the lowest-numbered failing core is returned.
    /// Must be called on core 0, with the other cores in [`Executor::worker`].
    pub fn run<E: Send + From<NotCoreZero>>(
        &self,
        parts: usize,
        barrier_after: &[bool],
        work: impl Fn(usize, usize) -> Result<(), E> + Sync,
    ) -> Result<(), E> {
        let core = self.platform.core_id();
        if core != 0 {
            return Err(NotCoreZero { core }.into());
        }
        let errors: [ErrorSlot<E>; N] = core::array::from_fn(|_| ErrorSlot(UnsafeCell::new(None)));
        let job = |core: usize| {
            let mut failed = None;
            for (step, &barrier) in barrier_after.iter().enumerate() {
                if failed.is_none() {
                    failed = (core..parts)
                        .step_by(N)
                        .find_map(|part| work(part, step).err());
                }
                if barrier {
                    self.barrier(core);
                }
            }
            if let Some(error) = errors.get(core) {
                // SAFETY: slot `core` is written only by core `core` (core ids are
                // unique, see `Platform`), and read by core 0 only after the job's
                // final barrier, which this write happens before.
                error.0.with_mut(|slot| unsafe { *slot = failed });
            }
        };
        let job: &(dyn Fn(usize) + Sync) = &job;
        if N > 1 {
            // SAFETY: only the lifetime is extended. The workers use the job only
            // between this post and their arrival at its final barrier, and core 0
            // returns (ending the borrow) only after passing that barrier.
            self.post(Some(unsafe {
                core::mem::transmute::<&(dyn Fn(usize) + Sync), Job>(job)
            }));
        }
        job(0);
        self.barrier(0);
        errors
            .iter()
            // SAFETY: every core wrote its slot before the final barrier, which
            // core 0 has passed; no core touches the slots after it.
            .find_map(|slot| slot.0.with_mut(|error| unsafe { (*error).take() }))
            .map_or(Ok(()), Err)
    }
}

/// The first error of one core's share of a job.
struct ErrorSlot<E>(UnsafeCell<Option<E>>);

// SAFETY: each slot is written by exactly one core and read by core 0 after a
// barrier that orders the write before the read; `E: Send` may move between cores.
unsafe impl<E: Send> Sync for ErrorSlot<E> {}
