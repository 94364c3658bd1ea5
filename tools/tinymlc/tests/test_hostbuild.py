"""hostbuild's runtime rlibs: prebuilt ones are used only when built from the same rustc,
optimization level and sources; the level is validated."""

import tempfile
from pathlib import Path

import pytest

from tinymlc import hostbuild


@pytest.fixture
def prebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TINYMLC_HOST_OPT_LEVEL", "0")
    out = tmp_path / "runtime"
    hostbuild.main(["--runtime_dir", str(hostbuild.default_runtime_dir()), "--out", str(out)])
    monkeypatch.setenv("TINYMLC_HOST_RUNTIME", str(out))
    return out


def test_prebuilt_runtime_is_used_when_its_key_matches(prebuilt: Path) -> None:
    assert {p.name for p in prebuilt.iterdir()} == {
        "key",
        *(f"lib{c}.rlib" for c in hostbuild.RUNTIME_CRATES),
    }
    assert hostbuild.build_runtime(hostbuild.default_runtime_dir()) == prebuilt


def test_prebuilt_runtime_of_another_level_is_not_used(
    prebuilt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINYMLC_HOST_OPT_LEVEL", "1")
    monkeypatch.setattr(tempfile, "tempdir", str(prebuilt.parent))
    built = hostbuild.build_runtime(hostbuild.default_runtime_dir())
    assert built != prebuilt
    assert (built / "key").read_text() != (prebuilt / "key").read_text()


def test_prebuilt_runtime_with_a_stale_key_is_not_used(
    prebuilt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (prebuilt / "key").write_text("built-from-other-sources")
    monkeypatch.setattr(tempfile, "tempdir", str(prebuilt.parent))
    assert hostbuild.build_runtime(hostbuild.default_runtime_dir()) != prebuilt


def test_unknown_opt_level_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TINYMLC_HOST_OPT_LEVEL", "fast")
    with pytest.raises(hostbuild.BuildError, match="TINYMLC_HOST_OPT_LEVEL is 'fast'"):
        hostbuild.build_runtime(hostbuild.default_runtime_dir())
