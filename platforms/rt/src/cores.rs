//! The cores of the board: which one is running, starting the others, and sleeping until
//! another core has news. This is what a multi-core executor needs from a chip.
//!
//! Core 0 boots and runs `main`; the others wait, each on its own stack (the linker script
//! reserves one per core), until core 0 calls [`start`].

use core::sync::atomic::{AtomicUsize, Ordering};

/// How many cores the board has (its platform's `core_count` constraint).
pub const COUNT: usize = match usize::from_str_radix(env!("TINYML_CORES"), 10) {
    Ok(count) => count,
    Err(_) => panic!("TINYML_CORES must be a number"),
};

/// Why [`start`] did not start a core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// Only cores `1..COUNT` can be started, once each.
    NoSuchCore(usize),
    /// The core was already started.
    AlreadyStarted(usize),
}

/// Entry function of each core, as an address; 0 until [`start`] sets it.
static ENTRIES: [AtomicUsize; COUNT] = [const { AtomicUsize::new(0) }; COUNT];

/// The calling core's index: 0 for the boot core, `1..COUNT` for the others.
pub fn id() -> usize {
    crate::arch::core_id()
}

/// Makes core `core` run `entry` on its own stack; when `entry` returns, the core sleeps for
/// good. Everything the caller wrote before is visible to `entry`.
pub fn start(core: usize, entry: fn()) -> Result<(), StartError> {
    if core == 0 || core >= COUNT {
        return Err(StartError::NoSuchCore(core));
    }
    if ENTRIES[core].load(Ordering::Relaxed) != 0 {
        return Err(StartError::AlreadyStarted(core));
    }
    ENTRIES[core].store(entry as usize, Ordering::Release);
    crate::arch::release_core(core);
    Ok(())
}

/// Sleeps until a core calls [`notify`] (or returns early). A notify that happens after the
/// caller last looked at shared state is never missed.
pub fn wait() {
    crate::arch::wait_for_notify();
}

/// Wakes every core sleeping in [`wait`]; writes before the call are visible to them.
pub fn notify() {
    crate::arch::notify_cores();
}

/// Whether core 0 has given core `core` its entry.
#[cfg_attr(any(target_arch = "arm", target_arch = "xtensa"), allow(dead_code))]
pub(crate) fn is_started(core: usize) -> bool {
    ENTRIES
        .get(core)
        .is_some_and(|entry| entry.load(Ordering::Acquire) != 0)
}

/// Runs on core `core` (>= 1) once the architecture code has it on its own stack and core 0
/// has released it: calls its entry, then sleeps for good.
// Single-core Cortex-M boards have no second core to run.
#[cfg_attr(all(target_arch = "arm", not(tinyml_sse200)), allow(dead_code))]
pub(crate) fn run_started_core(core: usize) -> ! {
    let entry = ENTRIES
        .get(core)
        .map_or(0, |entry| entry.load(Ordering::Acquire));
    if entry != 0 {
        // SAFETY: the only non-zero values `ENTRIES` ever holds are `fn()` pointers stored
        // by `start`, converted to `usize`; converting back gives the same pointer.
        let entry: fn() = unsafe { core::mem::transmute::<usize, fn()>(entry) };
        entry();
    }
    loop {
        wait();
    }
}

/// This board's cores as a [`tinyml_executor::Platform`]:
/// `static EXECUTOR: Executor<Cores, { cores::COUNT }> = Executor::new(Cores);`
pub struct Cores;

// SAFETY: `id()` reads each core's own identity (RISC-V `mhartid`, the SSE-200's CPU identity
// register; 0 on single-core boards, which have no other core): different on every core.
unsafe impl tinyml_executor::Platform for Cores {
    fn core_id(&self) -> usize {
        id()
    }

    fn start_core(&self, core: usize, entry: fn()) {
        if let Err(error) = start(core, entry) {
            // An executor for more cores than the board has would wait forever at its first
            // barrier: stop with the reason instead.
            panic!("executor cannot start core {core}: {error:?}");
        }
    }

    fn wait(&self) {
        wait();
    }

    fn notify(&self) {
        notify();
    }
}
