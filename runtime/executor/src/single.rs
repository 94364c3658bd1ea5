//! The platform of a single core: no other core to start, wait for or notify.

use crate::Platform;

/// One core. Use it as `Executor<SingleCore, 1>` ([`SingleCore::executor`]); with
/// `N > 1` nothing would ever run the other cores' parts.
#[derive(Clone, Copy, Debug, Default)]
pub struct SingleCore;

impl SingleCore {
    /// The executor of this one core.
    #[cfg(not(loom))]
    pub const fn executor() -> crate::Executor<SingleCore, 1> {
        crate::Executor::new(SingleCore)
    }
}

// SAFETY: there is only one core, and it is core 0.
unsafe impl Platform for SingleCore {
    fn core_id(&self) -> usize {
        0
    }

    /// Never called: an `Executor<SingleCore, 1>` has no other core to start.
    fn start_core(&self, _core: usize, _entry: fn()) {}

    /// Never called: with one core nobody waits.
    fn wait(&self) {}

    fn notify(&self) {}
}
