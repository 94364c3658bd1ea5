"""Every fact about every board, in one place.

A board entry gives its Rust target triple, its cores (name and clock, from which the
partitioner derives each core's share of a layer), and its memory map: one `flash` region for
code and constant data (weights), one `ram` region for the arena, stacks and statics. The
platforms in //platforms, the board toolchains in //platforms/boards (which rules read through
toolchain resolution), the linker memory maps and the rust toolchain selection are all
generated from this file.

To add a board: add an entry here (and its triple to RUST_TRIPLES if it is new). Nothing else
needs to change for the board to build; see README.md, "Adding a board".
"""

KIB = 1024
MIB = 1024 * 1024

# Rust target triples the toolchains are built for, and the constraint values of a platform
# that selects each one. `float_abi` and `atomic_cas` separate triples that share a cpu value.
_RUST_TRIPLE_CONSTRAINTS = {
    "riscv32imac-unknown-none-elf": ["@platforms//cpu:riscv32", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_yes"],
    "riscv32imc-unknown-none-elf": ["@platforms//cpu:riscv32", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_no"],
    "thumbv6m-none-eabi": ["@platforms//cpu:armv6-m", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_no"],
    "thumbv7em-none-eabihf": ["@platforms//cpu:armv7e-mf", "@platforms//os:none", "//platforms/constraints:float_abi_hard", "//platforms/constraints:atomic_cas_yes"],
    "thumbv7m-none-eabi": ["@platforms//cpu:armv7-m", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_yes"],
    "thumbv8m.main-none-eabi": ["@platforms//cpu:armv8-m", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_yes"],
    "thumbv8m.main-none-eabihf": ["@platforms//cpu:armv8-m", "@platforms//os:none", "//platforms/constraints:float_abi_hard", "//platforms/constraints:atomic_cas_yes"],
}

# Labels, not strings, so that other repositories (such as @debian_rust) mean the same targets.
RUST_TRIPLES = {
    triple: [Label(c) for c in constraints]
    for triple, constraints in _RUST_TRIPLE_CONSTRAINTS.items()
}

# Xtensa targets, built by Debian's rustc from JSON specs (//toolchains/xtensa:targets.bzl),
# and the constraint values of a platform that selects each one.
_XTENSA_TARGET_CONSTRAINTS = {
    "xtensa-esp32s3-none-elf": ["//platforms/constraints:xtensa", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_yes", "//platforms/constraints:xtensa_mul32high_yes"],
    "xtensa-sim-none-elf": ["//platforms/constraints:xtensa", "@platforms//os:none", "//platforms/constraints:float_abi_soft", "//platforms/constraints:atomic_cas_yes", "//platforms/constraints:xtensa_mul32high_no"],
}

XTENSA_TARGETS = {
    target: [Label(c) for c in constraints]
    for target, constraints in _XTENSA_TARGET_CONSTRAINTS.items()
}

# Triples that only some modes build, with what to do elsewhere: the Xtensa targets build
# offline (./bazelw: Debian's rustc and setup.sh's standard library), not with the BCR's
# toolchains, where resolution falls back to one whose rustc explains this.
UNAVAILABLE_TRIPLES = {
    target: struct(
        constraints = constraints,
        remedy = (
            "Xtensa builds offline: run Bazel through ./bazelw (tools/offline/setup.sh builds " +
            "Debian's Rust for it). Or install Espressif's Rust fork with `espup install`, " +
            "declare a rust_toolchain over it for these constraints and register it (and a C " +
            "toolchain that links Xtensa) with --extra_toolchains (README.md, \"ESP32-S3\")"
        ),
    )
    for target, constraints in XTENSA_TARGETS.items()
}

def _core(name, mhz):
    return struct(name = name, mhz = mhz)

def _region(origin, length):
    return struct(origin = origin, length = length)

def _board(board, description, triple, cores, flash, ram, emulator = None, esptool_chip = "", flash_chip_bytes = 0):
    """One board configuration.

    Args:
      board: the board constraint value (several configurations may share a board).
      description: what the board is.
      triple: the Rust target triple of its cores.
      cores: list of _core(name, mhz); the first is the boot core.
      flash: _region for code and constant data.
      ram: _region for the arena, stacks and statics.
      emulator: QEMU invocation facts when the board runs under emulation, else None.
      esptool_chip: esptool's --chip for Espressif boards whose firmware is an app image.
      flash_chip_bytes: size of the flash chip the app image is written to.
    """
    return struct(
        board = board,
        description = description,
        triple = triple,
        cores = cores,
        flash = flash,
        ram = ram,
        emulator = emulator,
        esptool_chip = esptool_chip,
        flash_chip_bytes = flash_chip_bytes,
    )

# No window, no monitor; the firmware's console is the only output.
_QEMU_HEADLESS = ["-display", "none", "-monitor", "none"]

# Arm boards print and exit through semihosting, sent to QEMU's stdout.
_QEMU_ARM_SEMIHOSTING = _QEMU_HEADLESS + [
    "-serial",
    "none",
    "-semihosting-config",
    "enable=on,target=native,chardev=console",
    "-chardev",
    "stdio,id=console",
]

def _qemu_arm(machine):
    return struct(binary = "qemu-system-arm", machine = machine, extra_args = _QEMU_ARM_SEMIHOSTING)

# RISC-V virt prints through its UART; -bios none starts every hart at the image in RAM.
def _qemu_riscv32_virt(harts):
    return struct(
        binary = "qemu-system-riscv32",
        machine = "virt",
        extra_args = _QEMU_HEADLESS + ["-serial", "stdio", "-bios", "none", "-smp", str(harts)],
    )

BOARDS = {
    # Emulated under QEMU: firmware for these runs in tests.
    "mps2_an386": _board(
        board = "mps2_an386",
        description = "Arm MPS2+ AN386: Cortex-M4F (QEMU mps2-an386)",
        triple = "thumbv7em-none-eabihf",
        cores = [_core("cortex-m4", 25)],
        flash = _region(0x00000000, 4 * MIB),  # ZBT SSRAM1
        ram = _region(0x20000000, 4 * MIB),  # ZBT SSRAM2/3
        emulator = _qemu_arm("mps2-an386"),
    ),
    "mps2_an500": _board(
        board = "mps2_an500",
        description = "Arm MPS2+ AN500: Cortex-M7 (QEMU mps2-an500)",
        triple = "thumbv7em-none-eabihf",
        cores = [_core("cortex-m7", 25)],
        flash = _region(0x00000000, 4 * MIB),
        ram = _region(0x20000000, 4 * MIB),
        emulator = _qemu_arm("mps2-an500"),
    ),
    "mps2_an521": _board(
        board = "mps2_an521",
        description = "Arm MPS2+ AN521: SSE-200, two Cortex-M33 (QEMU mps2-an521)",
        # Soft-float: CPU0 of the SSE-200 has no FPU, and both cores run the same code.
        triple = "thumbv8m.main-none-eabi",
        cores = [_core("cortex-m33", 20), _core("cortex-m33", 20)],
        # Secure alias of the 4 MiB ZBT SSRAM1, split between code and data: the only RAM
        # QEMU's an521 model lets both cores boot from.
        flash = _region(0x10000000, 2 * MIB),
        ram = _region(0x10200000, 2 * MIB),
        emulator = _qemu_arm("mps2-an521"),
    ),
    "mps3_an547": _board(
        board = "mps3_an547",
        description = "Arm MPS3 AN547: SSE-300, Cortex-M55 (QEMU mps3-an547)",
        triple = "thumbv8m.main-none-eabihf",
        cores = [_core("cortex-m55", 32)],
        # The core boots in Secure state from the secure alias of the ITCM (INITSVTOR0).
        flash = _region(0x10000000, 512 * KIB),  # ITCM, secure alias
        ram = _region(0x30000000, 512 * KIB),  # DTCM, secure alias
        emulator = _qemu_arm("mps3-an547"),
    ),
    "riscv32_virt": _board(
        board = "riscv32_virt",
        description = "QEMU riscv32 virt, one hart",
        triple = "riscv32imac-unknown-none-elf",
        cores = [_core("rv32imac", 100)],
        # -bios none: every hart starts at 0x80000000, where the image is loaded.
        flash = _region(0x80000000, 4 * MIB),
        ram = _region(0x80400000, 4 * MIB),
        emulator = _qemu_riscv32_virt(1),
    ),
    "riscv32_virt_smp2": _board(
        board = "riscv32_virt",
        description = "QEMU riscv32 virt, two harts",
        triple = "riscv32imac-unknown-none-elf",
        cores = [_core("rv32imac", 100), _core("rv32imac", 100)],
        flash = _region(0x80000000, 4 * MIB),
        ram = _region(0x80400000, 4 * MIB),
        emulator = _qemu_riscv32_virt(2),
    ),
    "riscv32_virt_smp4": _board(
        board = "riscv32_virt",
        description = "QEMU riscv32 virt, four harts",
        triple = "riscv32imac-unknown-none-elf",
        cores = [_core("rv32imac", 100) for _ in range(4)],
        flash = _region(0x80000000, 4 * MIB),
        ram = _region(0x80400000, 4 * MIB),
        emulator = _qemu_riscv32_virt(4),
    ),
    "xtensa_sim": _board(
        board = "xtensa_sim",
        description = "QEMU Xtensa sim, generic LX core (sample_controller): ESP32-S3's ISA without MUL32_HIGH",
        triple = "xtensa-sim-none-elf",
        cores = [_core("xtensa-lx", 100)],
        # The sim machine's RAM; the firmware starts at its first byte (the QEMU loader sets
        # the PC there: the sim machine starts at the core's reset vector otherwise).
        flash = _region(0x60000000, 4 * MIB),
        ram = _region(0x60400000, 4 * MIB),
        emulator = struct(
            binary = "qemu-system-xtensa",
            machine = "sim",
            # Semihosting (SIMCALL) as on the Arm boards: console to QEMU's stdout.
            extra_args = ["-cpu", "sample_controller", "-device", "loader,addr=0x60000000,cpu-num=0"] + _QEMU_ARM_SEMIHOSTING,
        ),
    ),

    # Real boards: firmware builds with their true memory maps; it is not run here.
    "nrf52840": _board(
        board = "nrf52840",
        description = "Nordic nRF52840: Cortex-M4F at 64 MHz",
        triple = "thumbv7em-none-eabihf",
        cores = [_core("cortex-m4", 64)],
        flash = _region(0x00000000, 1 * MIB),
        ram = _region(0x20000000, 256 * KIB),
    ),
    "stm32h743": _board(
        board = "stm32h743",
        description = "ST STM32H743: Cortex-M7 at 480 MHz",
        triple = "thumbv7em-none-eabihf",
        cores = [_core("cortex-m7", 480)],
        flash = _region(0x08000000, 2 * MIB),
        ram = _region(0x24000000, 512 * KIB),  # AXI SRAM
    ),
    "stm32h747": _board(
        board = "stm32h747",
        description = "ST STM32H747: Cortex-M7 at 480 MHz and Cortex-M4 at 240 MHz",
        triple = "thumbv7em-none-eabihf",
        cores = [_core("cortex-m7", 480), _core("cortex-m4", 240)],
        flash = _region(0x08000000, 2 * MIB),
        ram = _region(0x24000000, 512 * KIB),  # AXI SRAM, reachable by both cores
    ),
    "rp2040": _board(
        board = "rp2040",
        description = "Raspberry Pi RP2040: two Cortex-M0+ at 133 MHz",
        triple = "thumbv6m-none-eabi",
        cores = [_core("cortex-m0plus", 133), _core("cortex-m0plus", 133)],
        flash = _region(0x10000000, 2 * MIB),  # external QSPI flash (XIP), as on the Pico
        ram = _region(0x20000000, 264 * KIB),
    ),
    "rp2350": _board(
        board = "rp2350",
        description = "Raspberry Pi RP2350: two Cortex-M33 at 150 MHz",
        triple = "thumbv8m.main-none-eabihf",
        cores = [_core("cortex-m33", 150), _core("cortex-m33", 150)],
        flash = _region(0x10000000, 4 * MIB),  # external QSPI flash (XIP), as on the Pico 2
        ram = _region(0x20000000, 520 * KIB),
    ),
    "esp32c3": _board(
        board = "esp32c3",
        description = "Espressif ESP32-C3: RISC-V RV32IMC at 160 MHz",
        triple = "riscv32imc-unknown-none-elf",
        cores = [_core("rv32imc", 160)],
        flash = _region(0x42000000, 4 * MIB),  # instruction bus view of the external flash
        ram = _region(0x3FC80000, 384 * KIB),  # internal SRAM, data bus view
    ),
    "esp32s3": _board(
        board = "esp32s3",
        description = "Espressif ESP32-S3: two Xtensa LX7 at 240 MHz",
        triple = "xtensa-esp32s3-none-elf",
        cores = [_core("xtensa-lx7", 240), _core("xtensa-lx7", 240)],
        # Internal SRAM, loaded by the 2nd-stage bootloader: one memory seen twice, through
        # the instruction bus (IRAM, 0x4037_8000..) and the data bus (DRAM, 0x3FC8_8000..).
        # Code goes to IRAM, everything else to DRAM after the code's alias
        # (platforms/rt/xtensa.ld), up to 0x3FCD_8700, where ESP-IDF's 2nd-stage bootloader
        # runs while it loads the app (its bootloader.ld for the S3). Both regions name the
        # same bytes.
        flash = _region(0x40378000, 0x3FCD8700 - 0x3FC88000),
        ram = _region(0x3FC88000, 0x3FCD8700 - 0x3FC88000),
        esptool_chip = "esp32s3",
        flash_chip_bytes = 8 * MIB,
    ),
    "gd32vf103": _board(
        board = "gd32vf103",
        description = "GigaDevice GD32VF103: RISC-V Bumblebee (RV32IMAC) at 108 MHz",
        triple = "riscv32imac-unknown-none-elf",
        cores = [_core("rv32imac", 108)],
        flash = _region(0x08000000, 128 * KIB),
        ram = _region(0x20000000, 32 * KIB),
    ),
}

# Tags of the tests that run firmware on a board configuration, beyond the tests' own:
# `--test_tag_filters=xtensa` selects (or `-xtensa` skips) everything run on Xtensa.
BOARD_TEST_TAGS = {
    "xtensa_sim": ["xtensa"],
}

# Boards whose firmware becomes an app image (rules/private/app_image.bzl).
APP_IMAGE_BOARDS = sorted({info.board: None for info in BOARDS.values() if info.esptool_chip}.keys())

# Core counts that some board configuration has; each is a value of //platforms/constraints:core_count.
CORE_COUNTS = sorted({len(b.cores): None for b in BOARDS.values()}.keys())

# Cores with the M-profile Vector Extension (Helium), whose boards get
# //platforms/constraints:arm_mve.
MVE_CORES = ["cortex-m55", "cortex-m85"]

def board_constraints(name):
    """The constraint values of the platform of a board configuration.

    Args:
      name: a key of BOARDS.

    Returns:
      List of constraint value Labels: cpu, os, float ABI, atomics, vector extension (where the
      cores have one), board and core count.
    """
    info = BOARDS[name]
    if info.triple in RUST_TRIPLES:
        triple_constraints = RUST_TRIPLES[info.triple]
    else:
        triple_constraints = XTENSA_TARGETS[info.triple]
    mve_cores = [core for core in info.cores if core.name in MVE_CORES]
    vector_extension = [Label("//platforms/constraints:arm_mve")] if mve_cores else []
    return triple_constraints + vector_extension + [
        Label("//platforms/constraints:board_" + info.board),
        Label("//platforms/constraints:core_count_%d" % len(info.cores)),
    ]
