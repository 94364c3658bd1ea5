//! Minimal bare-metal runtime for the boards in //platforms: reset, RAM initialisation, console
//! output, exit codes and the panic handler. Firmware names its entry point with [`entry!`]:
//!
//! ```ignore
//! #![no_std]
//! #![no_main]
//! tinyml_rt::entry!(main);
//! fn main() -> i32 {
//!     tinyml_rt::println!("hello");
//!     0
//! }
//! ```
//!
//! On Arm boards output and exit go through semihosting (QEMU, or a debug probe); on RISC-V
//! `virt` through the 16550 UART and the SiFive test device; on Xtensa through QEMU sim's
//! semihosting, or the ESP32-S3's UART0 and USB-Serial-JTAG.
#![no_std]

#[cfg(target_arch = "arm")]
mod cortex_m;
#[cfg(target_arch = "arm")]
use cortex_m as arch;

#[cfg(target_arch = "riscv32")]
mod riscv;
#[cfg(target_arch = "riscv32")]
use riscv as arch;

#[cfg(target_arch = "xtensa")]
mod xtensa;
#[cfg(target_arch = "xtensa")]
use xtensa as arch;

pub mod cores;
mod memory;

use core::fmt;

/// Writes to the board's console.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        arch::write_bytes(text.as_bytes());
        Ok(())
    }
}

/// Ends the program with an exit status: 0 for success, as a process would.
pub fn exit(code: i32) -> ! {
    arch::exit(code)
}

/// Prints to the board's console, like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        // Console output cannot fail: the console drops nothing and reports no error.
        let _ = write!($crate::Console, $($arg)*);
    }};
}

/// Prints a line to the board's console, like `std::println!`.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let _ = writeln!($crate::Console, $($arg)*);
    }};
}

/// Declares the firmware's entry point: a `fn() -> i32` whose result is the exit status.
///
/// `entry!(main, arena_bytes = N)` instead calls `fn(&'static mut [u8]) -> i32` with a
/// zeroed, 16-byte aligned buffer of `N` bytes in `.bss`: the model arena, counted in the
/// firmware's RAM like any static.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        extern "C" fn tinyml_app_main() -> i32 {
            let main: fn() -> i32 = $main;
            main()
        }
    };
    ($main:path, arena_bytes = $bytes:expr) => {
        #[no_mangle]
        extern "C" fn tinyml_app_main() -> i32 {
            #[repr(C, align(16))]
            struct Arena([u8; $bytes]);
            static mut ARENA: Arena = Arena([0; $bytes]);
            let main: fn(&'static mut [u8]) -> i32 = $main;
            // SAFETY: the runtime calls `tinyml_app_main` exactly once, on the boot core, and
            // this is the only place that names `ARENA`: the reference is unique.
            let arena = unsafe { &mut (*core::ptr::addr_of_mut!(ARENA)).0 };
            main(arena)
        }
    };
}

/// Runs `work` between two marker functions that instruction counters recognise by name:
/// our QEMU plugin (tools/qemu_plugin, `begin=tinyml_measure_begin,end=tinyml_measure_end`)
/// reports the instructions each core executed between them, once per call.
pub fn measure<R>(work: impl FnOnce() -> R) -> R {
    tinyml_measure_begin();
    let result = work();
    tinyml_measure_end();
    result
}

/// Marker at which a measurement starts (see [`measure`]); does nothing itself.
#[no_mangle]
#[inline(never)]
pub extern "C" fn tinyml_measure_begin() {
    // Distinct bodies: identical functions may be merged into one address, and the counter
    // tells the markers apart by address.
    core::hint::black_box(1_u32);
}

/// Marker at which a measurement ends (see [`measure`]); does nothing itself.
#[no_mangle]
#[inline(never)]
pub extern "C" fn tinyml_measure_end() {
    core::hint::black_box(2_u32);
}

extern "C" {
    /// Defined by [`entry!`].
    fn tinyml_app_main() -> i32;
}

/// Runs the application once RAM is initialised, and exits with its status.
fn run_app() -> ! {
    // SAFETY: `tinyml_app_main` is defined by the `entry!` macro with exactly this signature
    // and is safe Rust; the call only crosses the crate boundary by symbol name.
    let status = unsafe { tinyml_app_main() };
    exit(status)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    println!("{info}");
    // The status Rust's test harness uses for a panic.
    exit(101)
}
