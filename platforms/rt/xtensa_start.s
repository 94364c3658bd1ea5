# Xtensa start-up (ESP32-S3 and QEMU's sim machine), assembled by the Xtensa link step
# (toolchains/xtensa/xtensa_ld): rustc 1.96 accepts no asm!/global_asm! for Xtensa.
#
# llvm-mc 22 knows no `simcall` mnemonic: it is written as its encoding. Addresses come from literals in sections of their own, placed
# before their code by platforms/rt/xtensa.ld, as for the code rustc writes.

# llvm-mc takes no symbolic immediates either: PS is written as PS.WOE (bit 18, window
# overflow exceptions on) plus PS.INTLEVEL = 15 (every interrupt masked: nothing here uses
# one); ATOMCTL as 0x15 (S32C1I as read-compare-write in every kind of memory).

# The first instruction of the image: QEMU starts here; the ESP32-S3's bootloader calls the
# ELF entry. Core 0.
        .section .text.tinyml_start,"ax",@progbits
        .global _start
        .type   _start,@function
_start:
        j       tinyml_core_start

        .section .literal.text.tinyml_core_start,"ax",@progbits
        .p2align 2
.Lstack_top:
        .long   __tinyml_stack_top
.Lstack_bytes:
        .long   __tinyml_stack_bytes
.Lvectors:
        .long   tinyml_vectors
.Lcore_main:
        .long   tinyml_xtensa_core_main

# Starts the calling core from any state, windowed or not: a fresh register window, its own
# stack (core i's is i stacks below core 0's), our vectors, then tinyml_xtensa_core_main(i),
# which never returns. The APP core of the ESP32-S3 enters here too, through
# tinyml_app_core_start below.
        .section .text.tinyml_core_start,"ax",@progbits
        .p2align 2
        .global tinyml_core_start
        .type   tinyml_core_start,@function
tinyml_core_start:
        movi    a3, 15
        wsr     a3, ps
        rsync
        movi    a3, 0
        wsr     a3, windowbase
        rsync
        movi    a3, 1
        wsr     a3, windowstart
        rsync
        rsr     a2, prid
        extui   a2, a2, 13, 1           # ESP32-S3: PRO core 0xCDCD, APP core 0xABAB
        l32r    a3, .Lvectors
        wsr     a3, vecbase
        movi    a3, 0x15
        wsr     a3, atomctl
        l32r    a1, .Lstack_top
        l32r    a3, .Lstack_bytes
        mull    a3, a3, a2
        sub     a1, a1, a3
        movi    a3, 1
        slli    a3, a3, 18
        addi    a3, a3, 15
        wsr     a3, ps
        rsync
        movi    a0, 0                   # no caller: ends backtraces
        mov     a6, a2                  # call4: the callee's a2
        l32r    a3, .Lcore_main
        callx4  a3
1:      j       1b
        .size   tinyml_core_start, . - tinyml_core_start

# Where the ESP32-S3's ROM starts the APP core once platforms/rt/src/xtensa.rs has set its
# boot address and released it.
        .section .text.tinyml_app_core_start,"ax",@progbits
        .p2align 2
        .global tinyml_app_core_start
        .type   tinyml_app_core_start,@function
tinyml_app_core_start:
        j       tinyml_core_start
        .size   tinyml_app_core_start, . - tinyml_app_core_start

# PRID of the calling core (windowed ABI, called from Rust).
        .section .text.tinyml_xtensa_prid,"ax",@progbits
        .p2align 2
        .global tinyml_xtensa_prid
        .type   tinyml_xtensa_prid,@function
tinyml_xtensa_prid:
        entry   a1, 16
        rsr     a2, prid
        retw
        .size   tinyml_xtensa_prid, . - tinyml_xtensa_prid

# SIMCALL (QEMU sim semihosting, Tensilica ISS calls): a2 = call number, a3..a5 = its
# arguments; returns the result. Never called on the ESP32-S3.
        .section .text.tinyml_xtensa_simcall,"ax",@progbits
        .p2align 2
        .global tinyml_xtensa_simcall
        .type   tinyml_xtensa_simcall,@function
tinyml_xtensa_simcall:
        entry   a1, 16
        .byte   0x00, 0x51, 0x00        # simcall
        retw
        .size   tinyml_xtensa_simcall, . - tinyml_xtensa_simcall

# VECBASE: the window overflow and underflow handlers at the offsets the windowed-register
# option fixes (the standard spill sequences: a frame's a0-a3 live 16 bytes below the stack
# pointer of its callee, the rest at the end of its caller's frame). No other exception is
# handled: none is expected; one would loop at its vector (zero bytes: ILL) until a test's
# timeout, or a debugger, stops it.
        .section .tinyml_vectors,"ax",@progbits
        .p2align 10
        .global tinyml_vectors
tinyml_vectors:
        .org    tinyml_vectors + 0x000  # WindowOverflow4
        s32e    a0, a5, -16
        s32e    a1, a5, -12
        s32e    a2, a5, -8
        s32e    a3, a5, -4
        rfwo
        .org    tinyml_vectors + 0x040  # WindowUnderflow4
        l32e    a0, a5, -16
        l32e    a1, a5, -12
        l32e    a2, a5, -8
        l32e    a3, a5, -4
        rfwu
        .org    tinyml_vectors + 0x080  # WindowOverflow8
        s32e    a0, a9, -16
        l32e    a0, a1, -12
        s32e    a1, a9, -12
        s32e    a2, a9, -8
        s32e    a3, a9, -4
        s32e    a4, a0, -32
        s32e    a5, a0, -28
        s32e    a6, a0, -24
        s32e    a7, a0, -20
        rfwo
        .org    tinyml_vectors + 0x0c0  # WindowUnderflow8
        l32e    a1, a9, -12
        l32e    a0, a9, -16
        l32e    a7, a1, -12
        l32e    a2, a9, -8
        l32e    a4, a7, -32
        l32e    a3, a9, -4
        l32e    a5, a7, -28
        l32e    a6, a7, -24
        l32e    a7, a7, -20
        rfwu
        .org    tinyml_vectors + 0x100  # WindowOverflow12
        s32e    a0, a13, -16
        l32e    a0, a1, -12
        s32e    a1, a13, -12
        s32e    a2, a13, -8
        s32e    a3, a13, -4
        s32e    a4, a0, -48
        s32e    a5, a0, -44
        s32e    a6, a0, -40
        s32e    a7, a0, -36
        s32e    a8, a0, -32
        s32e    a9, a0, -28
        s32e    a10, a0, -24
        s32e    a11, a0, -20
        rfwo
        .org    tinyml_vectors + 0x140  # WindowUnderflow12
        l32e    a1, a13, -12
        l32e    a0, a13, -16
        l32e    a11, a1, -12
        l32e    a2, a13, -8
        l32e    a4, a11, -48
        l32e    a8, a11, -32
        l32e    a3, a13, -4
        l32e    a5, a11, -44
        l32e    a6, a11, -40
        l32e    a7, a11, -36
        l32e    a9, a11, -28
        l32e    a10, a11, -24
        l32e    a11, a11, -20
        rfwu
        .org    tinyml_vectors + 0x400
