"""The image a chip's bootloader loads, made from a firmware ELF (ESP32-S3: esptool elf2image)."""

load(":board.bzl", "BoardInfo")

# Installed into the offline build root by tools/offline/setup.sh (Debian's esptool package).
ESPTOOL = "/usr/bin/esptool"

def _tinyml_app_image_impl(ctx):
    board = ctx.attr._board[BoardInfo]
    if not board.esptool_chip:
        fail("%s: board '%s' has no app image format (only Espressif boards do)" % (ctx.label, board.name))
    image = ctx.actions.declare_file(ctx.label.name + ".bin")
    ctx.actions.run(
        executable = ESPTOOL,
        arguments = [
            "--chip",
            board.esptool_chip,
            "elf2image",
            "--flash_mode",
            "dio",
            "--flash_freq",
            "80m",
            "--flash_size",
            "%dMB" % (board.flash_chip_bytes // (1024 * 1024)),
            "--output",
            image.path,
            ctx.file.firmware.path,
        ],
        inputs = [ctx.file.firmware],
        outputs = [image],
        mnemonic = "TinymlAppImage",
        progress_message = "Making the app image of %{label}",
    )
    return [
        DefaultInfo(files = depset([image])),
        OutputGroupInfo(app_image = depset([image])),
    ]

tinyml_app_image = rule(
    implementation = _tinyml_app_image_impl,
    doc = """The app image of a firmware ELF, as the board's 2nd-stage bootloader loads it from
flash: `<name>.bin` (also output group `app_image`). ESP32-S3: `esptool elf2image`, DIO
flash at 80 MHz of the board's flash size; flash it at the app partition's offset (README.md,
"ESP32-S3").""",
    attrs = {
        "firmware": attr.label(mandatory = True, allow_single_file = True, doc = "The firmware ELF."),
        "_board": attr.label(default = Label("//platforms/boards:current"), providers = [BoardInfo]),
    },
)
