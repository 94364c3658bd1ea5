//! RISC-V `virt`: start-up, 16550 UART console, the SiFive test device for exit, and harts
//! woken by CLINT software interrupts.

use core::arch::{asm, global_asm};

// Every hart starts here (-bios none), each on its own stack below the boot hart's. Hart 0
// runs the program; the others wait for core 0 to release them (see `secondary_hart`).
global_asm!(
    ".section .text.tinyml_start, \"ax\"",
    ".global _start",
    "_start:",
    "    csrr t0, mhartid",
    "    la sp, __tinyml_stack_top",
    // sp -= hart * stack bytes, by repeated subtraction: the assembler is not told about M.
    "    la t1, __tinyml_stack_bytes",
    "    mv t2, t0",
    "1:  beqz t2, 2f",
    "    sub sp, sp, t1",
    "    addi t2, t2, -1",
    "    j 1b",
    "2:  bnez t0, 3f",
    "    call {reset}",
    "3:  mv a0, t0",
    "    call {secondary}",
    reset = sym tinyml_reset,
    secondary = sym secondary_hart,
);

/// Machine software interrupt enable bit of `mie`.
const MIE_MSIE: usize = 1 << 3;
/// CLINT: one machine software interrupt pending register per hart.
const CLINT_MSIP: *mut u32 = 0x0200_0000 as *mut u32;

extern "C" fn tinyml_reset() -> ! {
    // SAFETY: first Rust code to run, on hart 0 only, before any static is touched.
    unsafe { crate::memory::init_ram() };
    enable_software_interrupt_wakeup();
    crate::run_app()
}

/// Lets `wfi` return when this hart's software interrupt is pending. Interrupts stay
/// globally disabled (`mstatus.MIE` = 0), so no trap is ever taken: there is no handler.
fn enable_software_interrupt_wakeup() {
    // SAFETY: sets one enable bit of this hart's `mie`; with `mstatus.MIE` clear this only
    // affects when `wfi` returns.
    unsafe { asm!("csrs mie, {bit}", bit = in(reg) MIE_MSIE, options(nomem, nostack)) };
}

/// Harts other than 0 sleep until `release_core` has stored their entry. Software interrupts
/// also come from started harts notifying their peers, this one included, so each wake-up
/// checks the entry; it is read only after an interrupt, and none is raised before hart 0
/// has initialised RAM.
extern "C" fn secondary_hart(hart: usize) -> ! {
    enable_software_interrupt_wakeup();
    loop {
        wait_for_interrupt();
        if take_software_interrupt(hart) && crate::cores::is_started(hart) {
            break;
        }
    }
    crate::cores::run_started_core(hart)
}

pub(crate) fn core_id() -> usize {
    let hart: usize;
    // SAFETY: reads the hart's own id register.
    unsafe { asm!("csrr {0}, mhartid", out(reg) hart, options(nomem, nostack)) };
    hart
}

fn wait_for_interrupt() {
    // SAFETY: `wfi` only idles the hart until an interrupt is pending.
    unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
}

/// Clears this hart's pending software interrupt; true if one was pending.
fn take_software_interrupt(hart: usize) -> bool {
    // SAFETY: the hart's own MSIP register of QEMU virt's CLINT; reading it and writing 0
    // only clears the hart's pending software interrupt.
    unsafe {
        let register = CLINT_MSIP.add(hart);
        let pending = register.read_volatile() & 1 != 0;
        register.write_volatile(0);
        pending
    }
}

fn raise_software_interrupt(hart: usize) {
    // SAFETY: another hart's MSIP register of QEMU virt's CLINT (hart < COUNT harts exist);
    // writing 1 only makes its software interrupt pending. The fence orders every earlier
    // memory write before the device write.
    unsafe {
        asm!("fence rw, w", options(nostack, preserves_flags));
        CLINT_MSIP.add(hart).write_volatile(1);
    }
}

pub(crate) fn release_core(hart: usize) {
    raise_software_interrupt(hart);
}

pub(crate) fn wait_for_notify() {
    // Sleeping and then clearing cannot lose a notify: one that comes after the caller last
    // looked leaves the interrupt pending, so `wfi` returns at once.
    wait_for_interrupt();
    take_software_interrupt(core_id());
}

pub(crate) fn notify_cores() {
    let me = core_id();
    for hart in (0..crate::cores::COUNT).filter(|&hart| hart != me) {
        raise_software_interrupt(hart);
    }
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
        wait_for_interrupt();
    }
}
