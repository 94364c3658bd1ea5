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
//! `virt` through the 16550 UART and the SiFive test device.
#![no_std]

#[cfg(target_arch = "arm")]
mod cortex_m;
#[cfg(target_arch = "arm")]
use cortex_m as arch;

#[cfg(target_arch = "riscv32")]
mod riscv;
#[cfg(target_arch = "riscv32")]
use riscv as arch;

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
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[no_mangle]
        extern "C" fn tinyml_app_main() -> i32 {
            let main: fn() -> i32 = $main;
            main()
        }
    };
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
