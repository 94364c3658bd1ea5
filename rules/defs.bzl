"""Public API of rules_tinyml. Implementations live in //rules/private."""

load("//rules/private:board.bzl", _BoardInfo = "BoardInfo")

BoardInfo = _BoardInfo
