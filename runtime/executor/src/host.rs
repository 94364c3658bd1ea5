//! Cores as host threads (feature `std`), for tests and benchmarks.
//!
//! [`with_threads`] runs a closure with an executor whose cores `1..N` are scoped
//! threads, and joins them afterwards. [`HostThreads`] also implements
//! [`Platform::start_core`] with a detached thread, for a `static` executor.

use std::cell::Cell;
use std::sync::{mpsc, OnceLock};
use std::thread::{self, Thread};

use crate::{Executor, Platform};

thread_local! {
    /// The calling thread's core index; `usize::MAX` on threads that are no core.
    static CORE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// `N` cores as threads: waiting parks the thread, notifying unparks the others.
#[derive(Debug)]
pub struct HostThreads<const N: usize> {
    /// Each core's thread, registered before it can be notified.
    threads: [OnceLock<Thread>; N],
}

impl<const N: usize> HostThreads<N> {
    /// No thread registered yet.
    pub const fn new() -> Self {
        Self {
            threads: [const { OnceLock::new() }; N],
        }
    }

    /// Makes `thread` core `core`. Must happen before any core can notify it,
    /// i.e. before core 0 posts a job (see [`with_threads`]), and before the
    /// thread asks for its core id.
    fn register(&self, core: usize, thread: Thread) {
        // A second registration of the same core keeps the first thread.
        let _ = self.threads[core].set(thread);
    }
}

impl<const N: usize> Default for HostThreads<N> {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: `core_id` returns `c` only on the thread registered as core `c` of
// this platform (each slot holds one thread, set once), and `usize::MAX`, which
// `Executor::run` rejects, on every other thread.
unsafe impl<const N: usize> Platform for HostThreads<N> {
    const SPINS_BEFORE_WAIT: u32 = 2000;

    fn core_id(&self) -> usize {
        let core = CORE.get();
        match self.threads.get(core).and_then(OnceLock::get) {
            Some(thread) if thread.id() == thread::current().id() => core,
            _ => usize::MAX,
        }
    }

    fn start_core(&self, core: usize, entry: fn()) {
        let (registered, wait_for_registration) = mpsc::channel();
        let handle = thread::spawn(move || {
            CORE.set(core);
            // The core's id is valid only once it is registered.
            if wait_for_registration.recv().is_ok() {
                entry();
            }
        });
        // Registered before `start_core` returns, so before core 0 can post a job.
        self.register(core, handle.thread().clone());
        let _ = registered.send(());
    }

    fn wait(&self) {
        // A notify since the last park leaves the token set: no wake-up is lost.
        thread::park();
    }

    fn notify(&self) {
        let me = CORE.get();
        for (core, thread) in self.threads.iter().enumerate() {
            if core != me {
                if let Some(thread) = thread.get() {
                    thread.unpark();
                }
            }
        }
    }
}

/// Runs `f` with an executor whose cores `1..N` are threads; the calling thread
/// is core 0 during `f`. The threads stop and are joined before this returns.
pub fn with_threads<const N: usize, R>(f: impl FnOnce(&Executor<HostThreads<N>, N>) -> R) -> R {
    let executor = Executor::new(HostThreads::<N>::new());
    let previous = CORE.replace(0);
    executor.platform().register(0, thread::current());
    let mut f = Some(f);
    let mut result = None;
    run_cores(
        N,
        &|| executor.worker(),
        &|core, thread| executor.platform().register(core, thread),
        &|| executor.stop(),
        &mut || result = f.take().map(|f| f(&executor)),
    );
    CORE.set(previous);
    // `run_cores` calls `body` exactly once (or propagates its panic).
    result.unwrap_or_else(|| unreachable!())
}

/// The thread handling of [`with_threads`], not generic so that each core count
/// does not instantiate the standard library's thread machinery again.
fn run_cores(
    cores: usize,
    worker: &(dyn Fn() + Sync),
    register: &dyn Fn(usize, Thread),
    stop: &dyn Fn(),
    body: &mut dyn FnMut(),
) {
    thread::scope(|scope| {
        for core in 1..cores {
            let (registered, wait_for_registration) = mpsc::channel();
            let handle = scope.spawn(move || {
                CORE.set(core);
                // The core's id is valid only once it is registered.
                if wait_for_registration.recv().is_ok() {
                    worker();
                }
            });
            register(core, handle.thread().clone());
            let _ = registered.send(());
        }
        // Stops the workers even if `body` panics, so that the scope can join them.
        let _stop = StopOnDrop(stop);
        body();
    });
}

struct StopOnDrop<'a>(&'a dyn Fn());

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        (self.0)();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::NotCoreZero;

    #[derive(Debug, PartialEq)]
    enum TestError {
        Part(usize),
        NotCoreZero(NotCoreZero),
    }

    impl From<NotCoreZero> for TestError {
        fn from(error: NotCoreZero) -> Self {
            TestError::NotCoreZero(error)
        }
    }

    const PARTS: usize = 7;
    const STEPS: usize = 40;

    /// Each step, part `p` writes `sum(previous step) + p` into its cell of a
    /// double buffer with `Relaxed` stores: only the barriers make the previous
    /// step's values visible, so a missing or weak barrier shows up as a wrong sum.
    fn relay<const N: usize>(barrier_after: &[bool]) -> usize {
        let buffers: [[AtomicUsize; PARTS]; 2] = Default::default();
        with_threads::<N, _>(|executor| {
            let result: Result<(), TestError> = executor.run(PARTS, barrier_after, |part, step| {
                let (previous, current) = (&buffers[(step + 1) % 2], &buffers[step % 2]);
                let sum: usize = previous.iter().map(|v| v.load(Ordering::Relaxed)).sum();
                current[part].store(sum % 1_000_003 + part, Ordering::Relaxed);
                Ok(())
            });
            result.unwrap();
        });
        buffers[(STEPS + 1) % 2]
            .iter()
            .map(|v| v.load(Ordering::Relaxed))
            .sum()
    }

    #[test]
    fn every_core_count_computes_what_one_core_does() {
        let barriers = [true; STEPS];
        let expected = relay::<1>(&barriers);
        assert_eq!(relay::<2>(&barriers), expected);
        assert_eq!(relay::<3>(&barriers), expected);
        assert_eq!(relay::<4>(&barriers), expected);
        for _ in 0..20 {
            assert_eq!(relay::<4>(&barriers), expected);
        }
    }

    #[test]
    fn an_executor_runs_many_jobs() {
        with_threads::<3, _>(|executor| {
            let counter = AtomicUsize::new(0);
            for round in 1..=100 {
                let result: Result<(), TestError> =
                    executor.run(5, &[true, false, true], |_, _| {
                        counter.fetch_add(1, Ordering::Relaxed);
                        Ok(())
                    });
                result.unwrap();
                assert_eq!(counter.load(Ordering::Relaxed), round * 15);
            }
        });
    }

    #[test]
    fn the_lowest_failing_core_reports_and_everyone_finishes() {
        with_threads::<4, _>(|executor| {
            let calls = AtomicUsize::new(0);
            let result = executor.run(8, &[true; 3], |part, step| {
                calls.fetch_add(1, Ordering::Relaxed);
                if step == 1 && part >= 5 {
                    Err(TestError::Part(part))
                } else {
                    Ok(())
                }
            });
            // Core 1 (parts 1 and 5) fails first in core order; core 2 fails on part 6.
            assert_eq!(result, Err(TestError::Part(5)));
            // Step 0: 8 calls. Step 1: cores 1..3 stop at parts 5..7, core 0 runs 0 and 4.
            // Step 2: only core 0 continues.
            assert_eq!(calls.load(Ordering::Relaxed), 8 + 8 + 2);
        });
    }

    #[test]
    fn run_is_refused_on_other_threads() {
        let refused = Err(TestError::NotCoreZero(NotCoreZero { core: usize::MAX }));
        with_threads::<2, _>(|executor| {
            thread::scope(|scope| {
                let result = scope
                    .spawn(|| executor.run(2, &[true], |_, _| Ok::<(), TestError>(())))
                    .join()
                    .unwrap();
                assert_eq!(result, refused);
                // Core 0 of another executor is no core of this one.
                let result = scope
                    .spawn(|| {
                        with_threads::<2, _>(|_| {
                            executor.run(2, &[true], |_, _| Ok::<(), TestError>(()))
                        })
                    })
                    .join()
                    .unwrap();
                assert_eq!(result, refused);
            });
        });
    }

    static STATIC_EXECUTOR: Executor<HostThreads<2>, 2> = Executor::new(HostThreads::new());

    #[test]
    fn a_static_executor_starts_its_cores() {
        thread::spawn(|| {
            CORE.set(0);
            STATIC_EXECUTOR.platform().register(0, thread::current());
            STATIC_EXECUTOR.start(|| STATIC_EXECUTOR.worker());
            let parts = [AtomicUsize::new(0), AtomicUsize::new(0)];
            let result: Result<(), TestError> = STATIC_EXECUTOR.run(2, &[true], |part, _| {
                parts[part].store(CORE.get() + 1, Ordering::Relaxed);
                Ok(())
            });
            result.unwrap();
            assert_eq!(parts.map(|p| p.load(Ordering::Relaxed)), [1, 2]);
            STATIC_EXECUTOR.stop();
        })
        .join()
        .unwrap();
    }
}
