"""Public API of rules_tinyml. Implementations live in //rules/private."""

load("//rules/private:board.bzl", _BoardInfo = "BoardInfo")
load("//rules/private:firmware.bzl", _tinyml_firmware = "tinyml_firmware")
load("//rules/private:model.bzl", _tinyml_model = "tinyml_model")
load(
    "//rules/private:model_test.bzl",
    _tinyml_model_multicore_test = "tinyml_model_multicore_test",
    _tinyml_model_test = "tinyml_model_test",
    _tinyml_models_firmware_test = "tinyml_models_firmware_test",
    _tinyml_models_test = "tinyml_models_test",
)
load("//rules/private:qemu.bzl", _tinyml_qemu_run = "tinyml_qemu_run", _tinyml_qemu_test = "tinyml_qemu_test")

BoardInfo = _BoardInfo
tinyml_firmware = _tinyml_firmware
tinyml_model = _tinyml_model
tinyml_model_multicore_test = _tinyml_model_multicore_test
tinyml_model_test = _tinyml_model_test
tinyml_models_firmware_test = _tinyml_models_firmware_test
tinyml_models_test = _tinyml_models_test
tinyml_qemu_run = _tinyml_qemu_run
tinyml_qemu_test = _tinyml_qemu_test
