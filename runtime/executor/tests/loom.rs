//! Model check of the barrier and the job hand-over: loom runs every interleaving
//! (and every weak-memory outcome it models) of cores exchanging data through
//! the executor, and fails on a data race, a lost wake-up (deadlock) or a
//! wrong value. Run by tools/ci/loom.sh:
//! `RUSTFLAGS="--cfg loom" cargo test --release --features std --test loom`.
#![cfg(loom)]

use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use tinyml_executor::{Executor, NotCoreZero, Platform};

loom::thread_local! {
    static CORE: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

/// Cores are loom threads; waiting yields (loom then runs another thread), so a
/// wait whose condition never becomes true is reported as a deadlock.
struct LoomCores;

// SAFETY: every loom thread sets its own distinct `CORE` before using the executor.
unsafe impl Platform for LoomCores {
    fn core_id(&self) -> usize {
        CORE.with(|core| core.get())
    }

    fn start_core(&self, _core: usize, _entry: fn()) {}

    fn wait(&self) {
        thread::yield_now();
    }

    fn notify(&self) {}
}

#[derive(Debug)]
struct Refused;

impl From<NotCoreZero> for Refused {
    fn from(_: NotCoreZero) -> Self {
        Refused
    }
}

/// Data written by one core in a step and read by another in a later step,
/// through cells loom tracks: a read not ordered after the write is a race.
struct Cells<const P: usize>([UnsafeCell<usize>; P]);

// SAFETY: the test itself is what checks that accesses are ordered (loom panics if not).
unsafe impl<const P: usize> Sync for Cells<P> {}

/// Interleavings with at most `preemptions` preemptions are explored exhaustively
/// (loom's advice: bugs need few preemptions; unbounded, the waits explode). Two
/// cores cover the protocol: every worker runs the same code against core 0, and
/// three cores did not finish within 10 minutes even with one preemption.
fn exchange<const N: usize, const PARTS: usize>(
    preemptions: usize,
    jobs: usize,
    barrier_after: &'static [bool],
) {
    let mut model = loom::model::Builder::new();
    model.preemption_bound = Some(preemptions);
    // Yielding waits add branches on every spin; the default limit (1000) is for
    // lock-free code without waits.
    model.max_branches = 100_000;
    model.check(move || {
        let executor = Arc::new(Executor::<LoomCores, N>::new(LoomCores));
        let workers: Vec<_> = (1..N)
            .map(|core| {
                let executor = executor.clone();
                thread::spawn(move || {
                    CORE.with(|c| c.set(core));
                    executor.worker();
                })
            })
            .collect();
        for job in 0..jobs {
            let cells = &Cells::<PARTS>(core::array::from_fn(|_| UnsafeCell::new(0)));
            let result = executor.run(PARTS, barrier_after, |part, step| {
                if step == 0 {
                    cells.0[part].with_mut(|value| unsafe { *value = part + 1 + job });
                } else {
                    // Every part reads what every other part wrote in step 0.
                    let sum: usize = cells.0.iter().map(|c| c.with(|v| unsafe { *v })).sum();
                    assert_eq!(sum, (1..=PARTS).sum::<usize>() + PARTS * job);
                }
                Ok::<(), Refused>(())
            });
            assert!(result.is_ok());
            // After `run`, core 0 sees every core's writes.
            let sum: usize = cells.0.iter().map(|c| c.with(|v| unsafe { *v })).sum();
            assert_eq!(sum, (1..=PARTS).sum::<usize>() + PARTS * job);
        }
        executor.stop();
        for worker in workers {
            worker.join().unwrap();
        }
    });
}

#[test]
fn two_cores_two_jobs() {
    exchange::<2, 2>(3, 2, &[true, true]);
}

#[test]
fn more_parts_than_cores() {
    exchange::<2, 3>(3, 1, &[true, false]);
}
