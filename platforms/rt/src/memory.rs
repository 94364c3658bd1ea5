//! RAM initialisation before any Rust code relies on statics.

use core::ptr::{addr_of, addr_of_mut};

extern "C" {
    static mut __tinyml_data_start: u32;
    static mut __tinyml_data_end: u32;
    static __tinyml_data_load: u32;
    static mut __tinyml_bss_start: u32;
    static mut __tinyml_bss_end: u32;
}

/// Copies `.data` from its load address in flash to RAM and zeroes `.bss`.
///
/// # Safety
/// Call once, on the boot core, before anything reads or writes a static.
pub(crate) unsafe fn init_ram() {
    // SAFETY: the linker script defines these symbols word-aligned, with start <= end, around
    // regions nothing else uses yet (the caller's contract); volatile writes keep the compiler
    // from assuming anything about memory it was told nothing about.
    unsafe {
        let mut dst = addr_of_mut!(__tinyml_data_start);
        let mut src = addr_of!(__tinyml_data_load);
        while dst < addr_of_mut!(__tinyml_data_end) {
            dst.write_volatile(src.read());
            dst = dst.add(1);
            src = src.add(1);
        }
        let mut bss = addr_of_mut!(__tinyml_bss_start);
        while bss < addr_of_mut!(__tinyml_bss_end) {
            bss.write_volatile(0);
            bss = bss.add(1);
        }
    }
}
