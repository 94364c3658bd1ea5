//! Cortex-M: vector tables, reset, semihosting console and exit, and on the SSE-200 (the
//! dual Cortex-M33 of mps2_an521) the start of core 1 and the cores' sleep and wake-up.

use core::arch::asm;

type Handler = unsafe extern "C" fn() -> !;

#[link_section = ".vector_table.reset_vector"]
#[used]
static RESET_VECTOR: Handler = tinyml_reset;

/// NMI, HardFault and the other system exceptions, up to SysTick: none is expected, so each
/// one reports itself and ends the program with a failure.
#[link_section = ".vector_table.exceptions"]
#[used]
static EXCEPTIONS: [Handler; 14] = [unexpected_exception; 14];

#[no_mangle]
unsafe extern "C" fn tinyml_reset() -> ! {
    // SAFETY: first code to run after reset, on the only running core.
    unsafe { crate::memory::init_ram() };
    #[cfg(target_abi = "eabihf")]
    enable_fpu();
    #[cfg(tinyml_sse200)]
    enable_wake_interrupt();
    crate::run_app()
}

// Core 1's vector table: the linker script places it 512-byte aligned with core 1's stack top
// in front, and core 0 points core 1 at it (INITSVTOR1) before releasing it.
#[cfg(tinyml_sse200)]
#[link_section = ".vector_table.secondary_reset_vector"]
#[used]
static SECONDARY_RESET_VECTOR: Handler = tinyml_secondary_reset;

#[cfg(tinyml_sse200)]
#[link_section = ".vector_table.secondary_exceptions"]
#[used]
static SECONDARY_EXCEPTIONS: [Handler; 14] = [unexpected_exception; 14];

#[cfg(tinyml_sse200)]
unsafe extern "C" fn tinyml_secondary_reset() -> ! {
    enable_wake_interrupt();
    crate::cores::run_started_core(core_id())
}

unsafe extern "C" fn unexpected_exception() -> ! {
    crate::println!("unexpected exception or fault");
    exit(1)
}

/// Hard-float code uses FPU registers from the first function call on: grant full access to
/// coprocessors 10 and 11 (the FPU) in CPACR before anything else runs.
#[cfg(target_abi = "eabihf")]
fn enable_fpu() {
    const CPACR: *mut u32 = 0xE000_ED88 as *mut u32;
    // SAFETY: CPACR is an architectural register of every Cortex-M with an FPU; setting CP10
    // and CP11 to full access changes nothing else. The barriers make the change visible
    // before the next floating-point instruction.
    unsafe {
        CPACR.write_volatile(CPACR.read_volatile() | (0xF << 20));
        asm!("dsb", "isb", options(nomem, nostack, preserves_flags));
    }
}

/// SSE-200 system control: core 1's initial vector table address, and the bits that hold
/// each core in reset (core 1 starts held).
#[cfg(tinyml_sse200)]
const INITSVTOR1: *mut u32 = 0x5002_1114 as *mut u32;
#[cfg(tinyml_sse200)]
const CPUWAIT: *mut u32 = 0x5002_1118 as *mut u32;
/// SSE-200 CPU identity register: the reading core's index.
#[cfg(tinyml_sse200)]
const CPU_IDENTITY: *const u32 = 0x4001_F000 as *const u32;

#[cfg(tinyml_sse200)]
pub(crate) fn core_id() -> usize {
    // SAFETY: a read-only identity register of the SSE-200, readable by both cores.
    unsafe { CPU_IDENTITY.read_volatile() as usize }
}

#[cfg(not(tinyml_sse200))]
pub(crate) fn core_id() -> usize {
    0
}

#[cfg(tinyml_sse200)]
pub(crate) fn release_core(core: usize) {
    extern "C" {
        static __tinyml_secondary_vectors: u32;
    }
    debug_assert_eq!(core, 1);
    // SAFETY: SSE-200 system control registers, written only by core 0 and only here:
    // point core 1 at its own vector table, then clear its wait bit. The barriers make
    // every earlier write (the entry, RAM) visible before core 1 runs.
    unsafe {
        INITSVTOR1.write_volatile(core::ptr::addr_of!(__tinyml_secondary_vectors) as u32);
        asm!("dsb", "isb", options(nostack, preserves_flags));
        CPUWAIT.write_volatile(CPUWAIT.read_volatile() & !(1 << core));
    }
}

#[cfg(not(tinyml_sse200))]
pub(crate) fn release_core(_core: usize) {
    // Single-core boards have no other core: cores::start rejects every index first.
}

// The SSE-200's cores sleep in `wfi` and wake each other through MHU0, whose per-core
// interrupt status raises that core's interrupt 6 while any bit is set. `wfe` would do on
// silicon, but QEMU runs M-profile `wfe` as a no-op: a waiting core would spin, and the
// instruction counts of the multi-core benchmarks would depend on host scheduling.

/// MHU0 through the secure alias (the firmware runs secure): core `c`'s status, set and
/// clear registers are at `0x10 * c` + 0, 4, 8.
#[cfg(tinyml_sse200)]
const MHU0: usize = 0x5000_3000;
#[cfg(tinyml_sse200)]
const MHU_SET: usize = 0x4;
#[cfg(tinyml_sse200)]
const MHU_CLEAR: usize = 0x8;
/// MHU0's interrupt line on each core.
#[cfg(tinyml_sse200)]
const MHU0_IRQ: u32 = 6;
#[cfg(tinyml_sse200)]
const NVIC_ISER0: *mut u32 = 0xE000_E100 as *mut u32;
#[cfg(tinyml_sse200)]
const NVIC_ICPR0: *mut u32 = 0xE000_E280 as *mut u32;

#[cfg(tinyml_sse200)]
fn mhu0_register(core: usize, offset: usize) -> *mut u32 {
    (MHU0 + 0x10 * core + offset) as *mut u32
}

/// Lets MHU0's interrupt end this core's `wfi` without ever being taken: PRIMASK masks
/// every configurable interrupt, and `wfi` still wakes for one that is enabled and pending.
#[cfg(tinyml_sse200)]
fn enable_wake_interrupt() {
    // SAFETY: runs first on each core, before anything depends on interrupts: masking them
    // (nothing here uses one) and enabling line 6 in this core's own NVIC change nothing else.
    unsafe {
        asm!("cpsid i", options(nomem, nostack, preserves_flags));
        NVIC_ISER0.write_volatile(1 << MHU0_IRQ);
    }
}

#[cfg(tinyml_sse200)]
pub(crate) fn wait_for_notify() {
    let status_clear = mhu0_register(core_id(), MHU_CLEAR);
    // SAFETY: `wfi` idles the core until MHU0 raises its line, at once if a notify is still
    // pending, so one that came after the caller last looked is never missed. Clearing this
    // core's MHU0 bit (only this core clears it), then the NVIC's latched pending bit, re-arms
    // the wake-up; the barriers order that before the caller looks at shared state again.
    unsafe {
        asm!("wfi", options(nomem, nostack, preserves_flags));
        status_clear.write_volatile(1);
        NVIC_ICPR0.write_volatile(1 << MHU0_IRQ);
        asm!("dsb", "isb", options(nostack, preserves_flags));
    }
}

#[cfg(tinyml_sse200)]
pub(crate) fn notify_cores() {
    let me = core_id();
    // SAFETY: `dsb` completes earlier writes before the other cores' MHU0 bits are set;
    // setting a bit only raises that core's wake-up interrupt.
    unsafe {
        asm!("dsb", options(nostack, preserves_flags));
        for core in (0..crate::cores::COUNT).filter(|&core| core != me) {
            mhu0_register(core, MHU_SET).write_volatile(1);
        }
    }
}

#[cfg(not(tinyml_sse200))]
pub(crate) fn wait_for_notify() {
    // SAFETY: `wfe` only idles the core until an event; `sev` on another core sets the
    // event register, so a notify after the caller last looked is never missed.
    unsafe { asm!("wfe", options(nomem, nostack, preserves_flags)) };
}

#[cfg(not(tinyml_sse200))]
pub(crate) fn notify_cores() {
    // SAFETY: `dsb` completes earlier writes before `sev` signals an event to every core.
    unsafe { asm!("dsb", "sev", options(nostack, preserves_flags)) };
}

const SYS_WRITEC: u32 = 0x03;
const SYS_EXIT_EXTENDED: u32 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x20026;

fn semihosting_call(operation: u32, parameter: usize) -> u32 {
    let result: u32;
    // SAFETY: `bkpt 0xAB` is the semihosting trap; the host reads only what `parameter`
    // points to, which every caller keeps alive for the duration of the call.
    unsafe {
        asm!("bkpt 0xAB", inout("r0") operation => result, in("r1") parameter, options(nostack));
    }
    result
}

pub(crate) fn write_bytes(bytes: &[u8]) {
    for byte in bytes {
        semihosting_call(SYS_WRITEC, byte as *const u8 as usize);
    }
}

pub(crate) fn exit(code: i32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as u32];
    semihosting_call(SYS_EXIT_EXTENDED, block.as_ptr() as usize);
    // Without a semihosting host there is nobody to stop the core: wait for a debugger.
    loop {
        // SAFETY: `wfi` only idles the core until an interrupt.
        unsafe { asm!("wfi", options(nomem, nostack, preserves_flags)) };
    }
}
