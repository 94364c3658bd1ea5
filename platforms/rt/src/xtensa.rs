//! Xtensa: the ESP32-S3 (console on UART0 and USB-Serial-JTAG, watchdogs off, its APP core
//! started through the SYSTEM registers) and QEMU's sim machine (semihosting console and
//! exit). Start-up is in `xtensa_start.s`: rustc accepts no inline assembly for Xtensa.
//!
//! The ESP32-S3 code follows the ESP32-S3 Technical Reference Manual and has not been run on
//! hardware (README.md, "ESP32-S3").

extern "C" {
    /// The calling core's PRID special register (`xtensa_start.s`).
    fn tinyml_xtensa_prid() -> u32;
}

/// Entered by `tinyml_core_start` (`xtensa_start.s`) on each core, on its own stack.
#[no_mangle]
extern "C" fn tinyml_xtensa_core_main(core: usize) -> ! {
    if core == 0 {
        // SAFETY: first Rust code to run, on core 0 only, before any static is touched.
        unsafe { crate::memory::init_ram() };
        board::init();
        crate::run_app()
    } else {
        crate::cores::run_started_core(core)
    }
}

/// LLVM lowers traps (`core::intrinsics::abort`) to a call of `abort`.
#[no_mangle]
extern "C" fn abort() -> ! {
    // The status a process killed by SIGABRT exits with.
    crate::exit(134)
}

pub(crate) fn core_id() -> usize {
    // SAFETY: reads the calling core's own PRID register; no memory is touched.
    let prid = unsafe { tinyml_xtensa_prid() };
    // ESP32-S3: 0xCDCD on the PRO core, 0xABAB on the APP core (bit 13 tells them apart);
    // QEMU's single sim core reads as core 0.
    ((prid >> 13) & 1) as usize
}

/// Cores poll: [`crate::cores::wait`] may return early, so waiting is a spin-loop hint and
/// notifying does nothing.
pub(crate) fn wait_for_notify() {
    core::hint::spin_loop();
}

pub(crate) fn notify_cores() {}

pub(crate) use board::{exit, release_core, write_bytes};

#[cfg(tinyml_xtensa_sim)]
mod board {
    extern "C" {
        /// SIMCALL with the call number and its arguments (`xtensa_start.s`).
        fn tinyml_xtensa_simcall(call: u32, a: usize, b: usize, c: usize) -> i32;
    }

    /// Tensilica ISS calls, as QEMU's sim machine implements them.
    const SYS_EXIT: u32 = 1;
    const SYS_WRITE: u32 = 4;
    const STDOUT: usize = 1;

    pub(super) fn init() {}

    pub(crate) fn write_bytes(bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            // SAFETY: the host reads `rest.len()` bytes at `rest.as_ptr()`, all inside `rest`.
            let written = unsafe {
                tinyml_xtensa_simcall(SYS_WRITE, STDOUT, rest.as_ptr() as usize, rest.len())
            };
            match usize::try_from(written) {
                Ok(count) if count > 0 => rest = rest.get(count..).unwrap_or_default(),
                // No semihosting host (or an error): the output has nowhere to go.
                _ => return,
            }
        }
    }

    pub(crate) fn exit(code: i32) -> ! {
        // SAFETY: ends the emulation; no memory is read.
        unsafe { tinyml_xtensa_simcall(SYS_EXIT, code as usize, 0, 0) };
        loop {
            core::hint::spin_loop();
        }
    }

    pub(crate) fn release_core(_core: usize) {}
}

#[cfg(not(tinyml_xtensa_sim))]
mod board {
    //! ESP32-S3 registers (Technical Reference Manual v1.x: chapters "System Registers",
    //! "UART Controller", "USB Serial/JTAG Controller", "Watchdog Timers").

    /// UART0: the console the ROM bootloader already set up (115200 8N1 on GPIO43/44).
    const UART0_FIFO: *mut u32 = 0x6000_0000 as *mut u32;
    const UART0_STATUS: *const u32 = 0x6000_001C as *const u32;
    const UART_TXFIFO_CNT_SHIFT: u32 = 16;
    const UART_TXFIFO_CNT_MASK: u32 = 0x3FF;
    const UART_TXFIFO_BYTES: u32 = 128;

    /// USB-Serial-JTAG: bytes to EP1, flushed by WR_DONE; skipped while no host reads them.
    const USB_SERIAL_JTAG_EP1: *mut u32 = 0x6003_8000 as *mut u32;
    const USB_SERIAL_JTAG_EP1_CONF: *mut u32 = 0x6003_8004 as *mut u32;
    const USB_SERIAL_JTAG_WR_DONE: u32 = 1 << 0;
    const USB_SERIAL_JTAG_IN_EP_DATA_FREE: u32 = 1 << 1;

    /// Watchdogs the bootloader may leave running: the RTC watchdog, the super watchdog and
    /// the main watchdogs of both timer groups. Each is unlocked by its write-protect key.
    const RTC_CNTL_WDTCONFIG0: *mut u32 = 0x6000_8098 as *mut u32;
    const RTC_CNTL_WDTWPROTECT: *mut u32 = 0x6000_80B0 as *mut u32;
    const RTC_CNTL_SWD_CONF: *mut u32 = 0x6000_80B4 as *mut u32;
    const RTC_CNTL_SWD_WPROTECT: *mut u32 = 0x6000_80B8 as *mut u32;
    const RTC_CNTL_SWD_AUTO_FEED_EN: u32 = 1 << 31;
    const WDT_WRITE_KEY: u32 = 0x50D8_3AA1;
    const SWD_WRITE_KEY: u32 = 0x8F1D_312A;
    const TIMG_WDTCONFIG0: [*mut u32; 2] = [0x6001_F048 as *mut u32, 0x6002_0048 as *mut u32];
    const TIMG_WDTWPROTECT: [*mut u32; 2] = [0x6001_F064 as *mut u32, 0x6002_0064 as *mut u32];

    /// SYSTEM_CORE_1_CONTROL_0_REG: the APP core's run-stall, clock gate and reset.
    const SYSTEM_CORE_1_CONTROL_0: *mut u32 = 0x600C_0000 as *mut u32;
    const CORE_1_RUNSTALL: u32 = 1 << 0;
    const CORE_1_CLKGATE_EN: u32 = 1 << 1;
    const CORE_1_RESETTING: u32 = 1 << 2;
    /// Software stall of the APP core: RTC_CNTL_OPTIONS0_REG bits [1:0] and
    /// RTC_CNTL_SW_CPU_STALL_REG bits [25:20] hold it stalled together when set to 0x2 and
    /// 0x21; cleared, the core runs.
    const RTC_CNTL_OPTIONS0: *mut u32 = 0x6000_8000 as *mut u32;
    const SW_STALL_APPCPU_C0_MASK: u32 = 0x3;
    const RTC_CNTL_SW_CPU_STALL: *mut u32 = 0x6000_80BC as *mut u32;
    const SW_STALL_APPCPU_C1_MASK: u32 = 0x3F << 20;
    /// ROM function `ets_set_appcpu_boot_addr` (ESP-IDF's esp32s3.rom.ld): where the ROM's
    /// APP-core start code jumps once the core leaves reset.
    const ETS_SET_APPCPU_BOOT_ADDR: usize = 0x4000_0720;

    extern "C" {
        /// The APP core's first instruction (`xtensa_start.s`).
        fn tinyml_app_core_start();
    }

    pub(super) fn init() {
        // SAFETY: the documented unlock-write-lock sequences of the watchdog registers;
        // they only stop the watchdogs (and the super watchdog by feeding itself).
        unsafe {
            RTC_CNTL_WDTWPROTECT.write_volatile(WDT_WRITE_KEY);
            RTC_CNTL_WDTCONFIG0.write_volatile(0);
            RTC_CNTL_WDTWPROTECT.write_volatile(0);
            RTC_CNTL_SWD_WPROTECT.write_volatile(SWD_WRITE_KEY);
            RTC_CNTL_SWD_CONF
                .write_volatile(RTC_CNTL_SWD_CONF.read_volatile() | RTC_CNTL_SWD_AUTO_FEED_EN);
            RTC_CNTL_SWD_WPROTECT.write_volatile(0);
            for (config, protect) in TIMG_WDTCONFIG0.into_iter().zip(TIMG_WDTWPROTECT) {
                protect.write_volatile(WDT_WRITE_KEY);
                config.write_volatile(0);
                protect.write_volatile(0);
            }
        }
    }

    pub(crate) fn write_bytes(bytes: &[u8]) {
        for &byte in bytes {
            // SAFETY: UART0's FIFO and status registers; writing the FIFO only sends the byte.
            unsafe {
                while (UART0_STATUS.read_volatile() >> UART_TXFIFO_CNT_SHIFT) & UART_TXFIFO_CNT_MASK
                    >= UART_TXFIFO_BYTES
                {}
                UART0_FIFO.write_volatile(u32::from(byte));
            }
            // SAFETY: the USB-Serial-JTAG endpoint registers; a byte is written only while
            // the endpoint has room, so nothing blocks when no host is attached.
            unsafe {
                if USB_SERIAL_JTAG_EP1_CONF.read_volatile() & USB_SERIAL_JTAG_IN_EP_DATA_FREE != 0 {
                    USB_SERIAL_JTAG_EP1.write_volatile(u32::from(byte));
                }
            }
        }
        // SAFETY: as above; WR_DONE sends what EP1 holds.
        unsafe { USB_SERIAL_JTAG_EP1_CONF.write_volatile(USB_SERIAL_JTAG_WR_DONE) };
    }

    pub(crate) fn exit(code: i32) -> ! {
        crate::println!("exit status {code}");
        loop {
            core::hint::spin_loop();
        }
    }

    /// Starts the APP core at `tinyml_app_core_start` (ESP-IDF's sequence: software stall
    /// off, clock on, out of run-stall, reset pulse, then the ROM's boot address, which the
    /// ROM's APP-core start code waits for).
    pub(crate) fn release_core(_core: usize) {
        // SAFETY: SYSTEM_CORE_1_CONTROL_0 only controls the APP core, and the ROM function
        // takes one code address; the APP core then runs our start-up code on its own stack.
        unsafe {
            RTC_CNTL_SW_CPU_STALL
                .write_volatile(RTC_CNTL_SW_CPU_STALL.read_volatile() & !SW_STALL_APPCPU_C1_MASK);
            RTC_CNTL_OPTIONS0
                .write_volatile(RTC_CNTL_OPTIONS0.read_volatile() & !SW_STALL_APPCPU_C0_MASK);
            let control = SYSTEM_CORE_1_CONTROL_0;
            control.write_volatile(control.read_volatile() | CORE_1_CLKGATE_EN);
            control.write_volatile(control.read_volatile() & !CORE_1_RUNSTALL);
            control.write_volatile(control.read_volatile() | CORE_1_RESETTING);
            control.write_volatile(control.read_volatile() & !CORE_1_RESETTING);
            let set_boot_address: extern "C" fn(usize) =
                core::mem::transmute::<usize, extern "C" fn(usize)>(ETS_SET_APPCPU_BOOT_ADDR);
            set_boot_address(tinyml_app_core_start as *const () as usize);
        }
    }
}
