//! Cortex-M: vector table, reset, semihosting console and exit.

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
    crate::run_app()
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
