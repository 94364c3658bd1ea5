//! RISC-V `virt`: start-up, 16550 UART console and the SiFive test device for exit.

use core::arch::{asm, global_asm};

// Every hart starts here (-bios none). Hart 0 runs the program on the stack at the top of RAM;
// the others wait for an interrupt that, in this single-core runtime, never comes.
global_asm!(
    ".section .text.tinyml_start, \"ax\"",
    ".global _start",
    "_start:",
    "    csrr t0, mhartid",
    "    bnez t0, 2f",
    "    la sp, __tinyml_stack_top",
    "    call {reset}",
    "2:  wfi",
    "    j 2b",
    reset = sym tinyml_reset,
);

extern "C" fn tinyml_reset() -> ! {
    // SAFETY: first Rust code to run, on hart 0 only, before any static is touched.
    unsafe { crate::memory::init_ram() };
    crate::run_app()
}

const UART_BASE: usize = 0x1000_0000;
const UART_THR: *mut u8 = UART_BASE as *mut u8;
const UART_LSR: *const u8 = (UART_BASE + 5) as *const u8;
const UART_LSR_THR_EMPTY: u8 = 1 << 5;
const TEST_DEVICE: *mut u32 = 0x0010_0000 as *mut u32;
const TEST_PASS: u32 = 0x5555;
const TEST_FAIL: u32 = 0x3333;

pub(crate) fn write_bytes(bytes: &[u8]) {
    for &byte in bytes {
        // SAFETY: the 16550 registers of QEMU `virt` at their fixed addresses; reading LSR
        // and writing THR have no effect beyond sending the byte.
        unsafe {
            while UART_LSR.read_volatile() & UART_LSR_THR_EMPTY == 0 {}
            UART_THR.write_volatile(byte);
        }
    }
}

pub(crate) fn exit(code: i32) -> ! {
    // The test device takes a 16-bit status with "fail"; status 0 would read as a pass.
    let command = if code == 0 {
        TEST_PASS
    } else {
        ((code as u32 & 0xFFFF).max(1) << 16) | TEST_FAIL
    };
    // SAFETY: the SiFive test device of QEMU `virt`; the write ends the emulation.
    unsafe { TEST_DEVICE.write_volatile(command) };
    loop {
        // SAFETY: `wfi` only idles the hart.
        unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
    }
}
