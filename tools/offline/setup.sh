#!/usr/bin/env bash
# Creates, or completes, the offline build root that `./bazelw` runs Bazel in.
#
# The root is a Debian bookworm tree made by debootstrap, with Bazel 7 and its rule sets
# from Debian unstable, Debian's Rust 1.96 (rustc-web) with `core`/`alloc` prebuilt for every
# bare-metal triple, lld, QEMU and Python 3.11. Why a separate root instead of the machine:
# the unstable packages replace libc6, libstdc++ and /usr/bin/python3 of whatever they are
# installed on; inside a root of our own they cannot break the machine's tools, and every
# developer and CI machine builds in the same, exactly known, tree. See README.md.
#
# Idempotent: each step checks what is already there and does only what is missing, so a
# second run takes about a second. Needs root (debootstrap, chroot, mounts).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tools/offline/root.sh
source "${here}/root.sh"

mirror="${TINYML_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security_mirror="${TINYML_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"

# Packages of bookworm (and its security suite, where Debian ships its current Rust).
bookworm_packages=(
  ca-certificates python3.11 qemu-system-arm qemu-system-misc dpkg-dev xz-utils
  rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  llvm-22 binutils-xtensa-lx106  # Xtensa: llvm-mc, GNU ld
  chromium  # headless, for tools/tinymlc/tests/test_report.py (the feasibility report's page)
)
# Packages of unstable: Bazel 7 and the rule sets, and the C toolchain matching unstable's libc.
sid_packages=(
  bazel-bootstrap bazel-rules-rust bazel-rules-python bazel-rules-cc bazel-skylib
  bazel-platforms librust-tinyjson-dev gcc g++ libc6-dev
  esptool  # PyPI's esptool as Debian packages it: ESP32-S3 app images
)
# Bare-metal triples whose `core` and `alloc` are built from Debian's Rust sources.
bare_metal_triples=(
  thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf
  thumbv8m.main-none-eabi thumbv8m.main-none-eabihf
  riscv32imc-unknown-none-elf riscv32imac-unknown-none-elf
)

log() { printf 'tinyml-setup: %s\n' "$*" >&2; }

require_root() {
  if [[ "$(id -u)" != 0 ]]; then
    log "must run as root: it creates ${TINYML_ROOT} with debootstrap and enters it with chroot"
    exit 1
  fi
}

ensure_host_tools() {
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the machine"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
}

ensure_base() {
  if [[ -f "${TINYML_ROOT}/.tinyml/base.done" ]]; then return; fi
  log "creating a Debian bookworm root in ${TINYML_ROOT} (debootstrap, about a minute)"
  # A half-made root from an interrupted run is started over, after unmounting whatever an
  # earlier command left mounted in it (the machine's /home and /tmp among them).
  tinyml_unmount_all
  rm -rf --one-file-system "${TINYML_ROOT}"
  mkdir -p "${TINYML_ROOT}"
  debootstrap --variant=minbase bookworm "${TINYML_ROOT}" "${mirror}" >/dev/null
  mkdir -p "${TINYML_ROOT}/.tinyml"
  touch "${TINYML_ROOT}/.tinyml/base.done"
}

# Refreshed on every run: the machine's network facts (resolver, extra CA certificates of
# its package proxy) may change between runs.
sync_machine_config() {
  cp /etc/resolv.conf "${TINYML_ROOT}/etc/resolv.conf"
  mkdir -p "${TINYML_ROOT}/usr/local/share/ca-certificates"
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    local cert changed=0
    for cert in /usr/local/share/ca-certificates/*.crt; do
      if ! cmp -s "${cert}" "${TINYML_ROOT}${cert}"; then
        cp "${cert}" "${TINYML_ROOT}${cert}"
        changed=1
      fi
    done
    if [[ "${changed}" == 1 && -x "${TINYML_ROOT}/usr/sbin/update-ca-certificates" ]]; then
      tinyml_in_root / update-ca-certificates >/dev/null 2>&1
    fi
  fi
  cat >"${TINYML_ROOT}/etc/apt/sources.list" <<EOF
deb ${mirror} bookworm main
deb ${mirror} bookworm-updates main
deb ${security_mirror} bookworm-security main
deb ${mirror} sid main
deb-src ${mirror} bookworm main
deb-src ${mirror} bookworm-updates main
deb-src ${security_mirror} bookworm-security main
EOF
  cat >"${TINYML_ROOT}/etc/apt/preferences.d/sid" <<'EOF'
# unstable only where asked for (apt-get -t sid): Bazel 7 and the rule sets.
Package: *
Pin: release n=sid
Pin-Priority: 100
EOF
  cat >"${TINYML_ROOT}/etc/apt/apt.conf.d/80tinyml" <<'EOF'
// The unstable Release file of the mirror is past its Valid-Until date.
Acquire::Check-Valid-Until "false";
APT::Install-Recommends "false";
EOF
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    # shellcheck disable=SC2016 # ${Status} is dpkg-query's format, not a shell variable
    if ! tinyml_in_root / dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "${pkg}"
    fi
  done
}

# apt output goes to a log in the root; it is shown only when the install fails. Unstable's
# library transitions (libssl3 -> libssl3t64 and the like) can leave dpkg half-way on the first
# pass; `apt-get -f install` completes them, then the same install is tried once more.
apt_install_in_root() {
  local log="${TINYML_ROOT}/.tinyml/apt.log"
  local -a apt=(env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Use-Pty=0)
  if tinyml_in_root / "${apt[@]}" install "$@" >"${log}" 2>&1; then return; fi
  log "apt-get install $* failed once; completing interrupted transitions and retrying"
  if tinyml_in_root / "${apt[@]}" -f install >>"${log}" 2>&1 &&
    tinyml_in_root / "${apt[@]}" install "$@" >>"${log}" 2>&1; then
    return
  fi
  tail -n 40 "${log}" >&2
  log "apt-get install $* failed; the whole log is ${log}"
  exit 1
}

ensure_packages() {
  local missing_bookworm missing_sid
  mapfile -t missing_bookworm < <(missing_packages "${bookworm_packages[@]}")
  mapfile -t missing_sid < <(missing_packages "${sid_packages[@]}")
  if (( ${#missing_bookworm[@]} + ${#missing_sid[@]} == 0 )); then return; fi
  log "installing into the root: ${missing_bookworm[*]} ${missing_sid[*]}"
  tinyml_in_root / apt-get update -qq
  if (( ${#missing_bookworm[@]} )); then
    apt_install_in_root "${missing_bookworm[@]}"
  fi
  # The CA certificates package is now there: let it (and Java's keystore) trust the proxy.
  tinyml_in_root / update-ca-certificates >/dev/null 2>&1
  if (( ${#missing_sid[@]} )); then
    apt_install_in_root -t sid "${missing_sid[@]}"
  fi
  tinyml_in_root / update-ca-certificates >/dev/null 2>&1
  local bazel_version
  bazel_version="$(tinyml_in_root / bazel --version)"
  if [[ "${bazel_version}" != "bazel 7."* ]]; then
    log "Debian unstable now ships '${bazel_version}', not Bazel 7; pin bazel-bootstrap to 7.x"
    exit 1
  fi
}

# core + alloc for each bare-metal triple, built with cargo's build-std from Debian's Rust
# sources into /opt/tinyml/rust/lib/rustlib/<triple>/lib inside the root. A stamp records the
# rustc version, so a new Debian rustc rebuilds them and nothing else does. One cargo run
# builds every missing triple: it overlaps one target's single-threaded front end with
# another's code generation, where one run per triple left a core idle.
ensure_bare_metal_sysroots() {
  local rustc_version triple stamp
  rustc_version="$(tinyml_in_root / rustc --version)"
  local sysroot=/opt/tinyml/rust
  local build=/opt/tinyml/build-std
  local -a missing=() target_flags=()
  for triple in "${bare_metal_triples[@]}"; do
    stamp="${TINYML_ROOT}${sysroot}/lib/rustlib/${triple}/.built-by"
    if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${rustc_version}" ]]; then continue; fi
    missing+=("${triple}")
    target_flags+=(--target "${triple}")
  done
  if (( ${#missing[@]} == 0 )); then return; fi
  log "building core and alloc for ${missing[*]} (${rustc_version})"
  mkdir -p "${TINYML_ROOT}${build}/src" "${TINYML_ROOT}${build}/.cargo"
  cp "${here}/build_std/Cargo.toml" "${TINYML_ROOT}${build}/Cargo.toml"
  cp "${here}/build_std/lib.rs" "${TINYML_ROOT}${build}/src/lib.rs"
  cp "${here}/build_std/config.toml" "${TINYML_ROOT}${build}/.cargo/config.toml"
  tinyml_in_root "${build}" env RUSTC_BOOTSTRAP=1 CARGO_HOME="${build}/cargo-home" \
    cargo build --offline --release --quiet -Zbuild-std=core,alloc \
    -Zbuild-std-features=compiler-builtins-mem \
    "${target_flags[@]}" --target-dir "${build}/target"
  for triple in "${missing[@]}"; do
    local out="${TINYML_ROOT}${sysroot}/lib/rustlib/${triple}/lib"
    rm -rf "${out}"
    mkdir -p "${out}"
    cp "${TINYML_ROOT}${build}/target/${triple}/release/deps/"*.rlib "${out}/"
    # The probe crate itself is not part of the sysroot.
    rm -f "${out}"/libtinyml_build_std_probe-*.rlib
    printf '%s' "${rustc_version}" >"${TINYML_ROOT}${sysroot}/lib/rustlib/${triple}/.built-by"
  done
}

# Xtensa targets (specs in toolchains/xtensa/targets.bzl; rustc's built-in ESP32-S3 target
# does not fit Debian's LLVM): core and alloc with their LLVM bitcode, for fat LTO, and
# compiler_builtins, which LTO leaves out, assembled from its assembly with every literal
# pool moved into a section of its own (toolchains/xtensa/README.md says why). Each spec is
# written as rules_rust writes it (`<name>.target.json`, keys sorted, 4-space indent): rustc
# takes a standard library only for the same target name and byte-identical JSON.
ensure_xtensa_sysroots() {
  local rustc_version target stamp fingerprint
  rustc_version="$(tinyml_in_root / rustc --version)"
  local sysroot=/opt/tinyml/rust
  local build=/opt/tinyml/build-std-xtensa
  local toolchain_dir="${here}/../../toolchains/xtensa"
  fingerprint="${rustc_version} $(cat "${toolchain_dir}/targets.bzl" "${here}/build_std_xtensa/Cargo.toml" \
    "${here}/../../toolchains/cc/literal_sections.awk" | sha256sum | cut -d' ' -f1)"
  local -a targets
  mapfile -t targets < <(tinyml_in_root / python3.11 -c \
    'import sys; exec(sys.stdin.read()); print("\n".join(XTENSA_TARGET_SPECS))' <"${toolchain_dir}/targets.bzl")
  for target in "${targets[@]}"; do
    stamp="${TINYML_ROOT}${sysroot}/lib/rustlib/${target}/.built-by"
    if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${fingerprint}" ]]; then continue; fi
    log "building core, alloc and compiler_builtins for ${target} (${rustc_version})"
    rm -rf "${TINYML_ROOT}${build}"
    mkdir -p "${TINYML_ROOT}${build}/src" "${TINYML_ROOT}${build}/.cargo"
    cp "${here}/build_std_xtensa/Cargo.toml" "${TINYML_ROOT}${build}/Cargo.toml"
    cp "${here}/build_std/lib.rs" "${TINYML_ROOT}${build}/src/lib.rs"
    cp "${here}/build_std/config.toml" "${TINYML_ROOT}${build}/.cargo/config.toml"
    tinyml_in_root / python3.11 -c \
      'import json, sys; exec(sys.stdin.read()); print(json.dumps(XTENSA_TARGET_SPECS[sys.argv[1]], indent=4, sort_keys=True), end="")' \
      "${target}" <"${toolchain_dir}/targets.bzl" >"${TINYML_ROOT}${build}/${target}.target.json"
    tinyml_in_root "${build}" env RUSTC_BOOTSTRAP=1 CARGO_HOME="${build}/cargo-home" \
      cargo build --offline --release --quiet -Zbuild-std=core,alloc \
      -Zbuild-std-features=compiler-builtins-mem -Zjson-target-spec \
      --target "${build}/${target}.target.json" --target-dir "${build}/target"
    local deps="${TINYML_ROOT}${build}/target/${target}.target/release/deps"
    local out="${TINYML_ROOT}${sysroot}/lib/rustlib/${target}/lib"
    rm -rf "${out}"
    mkdir -p "${out}"
    cp "${deps}/"*.rlib "${out}/"
    rm -f "${out}"/libtinyml_build_std_probe-*.rlib
    awk -f "${here}/../../toolchains/cc/literal_sections.awk" "${deps}"/compiler_builtins-*.s \
      >"${TINYML_ROOT}${build}/compiler_builtins.s"
    tinyml_in_root "${build}" llvm-mc-22 -triple=xtensa -mcpu=esp32 -filetype=obj \
      -o compiler_builtins.o compiler_builtins.s
    tinyml_in_root "${build}" xtensa-lx106-elf-ar crsD \
      "${sysroot}/lib/rustlib/${target}/lib/libcompiler_builtins_xtensa.a" compiler_builtins.o
    rm -rf "${TINYML_ROOT}${build}"
    printf '%s' "${fingerprint}" >"${stamp}"
  done
}

# /opt/tinyml/rust is the @debian_rust repository (toolchains/rust/debian_rust.BUILD.bazel):
# Debian's rustc, rustdoc and cargo, its host standard library, and the bare-metal ones above.
ensure_rust_repository() {
  local repo="${TINYML_ROOT}/opt/tinyml/rust"
  local host_lib=lib/rustlib/x86_64-unknown-linux-gnu/lib tool
  mkdir -p "${repo}/bin" "$(dirname "${repo}/${host_lib}")"
  for tool in rustc rustdoc cargo; do
    ln -sfn "/usr/bin/${tool}" "${repo}/bin/${tool}"
  done
  ln -sfn "/usr/${host_lib}" "${repo}/${host_lib}"
  # Debian's lld-22 installs no plain `ld.lld`; with one on PATH, Bazel's host C toolchain
  # links with LLD (as rustc recommends) instead of the deprecated gold.
  ln -sfn "$(cd "${TINYML_ROOT}" && echo usr/lib/llvm-*/bin/ld.lld | sed 's|^|/|')" \
    "${TINYML_ROOT}/usr/local/bin/ld.lld"
}

# rules_rust's process wrapper is built from the tinyjson crate, which it would download;
# Debian packages its sources. /opt/tinyml/tinyjson is those plus rules_rust's build file.
ensure_tinyjson_repository() {
  local repo="${TINYML_ROOT}/opt/tinyml/tinyjson"
  local sources
  sources="$(cd "${TINYML_ROOT}" && echo usr/share/cargo/registry/tinyjson-*)"
  rm -rf "${repo}"
  mkdir -p "${repo}"
  cp -r "${TINYML_ROOT}/${sources}/." "${repo}/"
  cp "${TINYML_ROOT}/usr/share/bazel/rules/rust/util/process_wrapper/BUILD.tinyjson.bazel" \
    "${repo}/BUILD.bazel"
  touch "${repo}/REPO.bazel"
}

# Stand-ins for modules that Bzlmod resolves but nothing builds (offline.bazelrc overrides
# them with these), at a fixed path so that the offline bazelrc serves any workspace.
ensure_empty_modules() {
  local dir="${TINYML_ROOT}/opt/tinyml/empty_modules"
  if diff -r -q "${here}/empty_modules" "${dir}" >/dev/null 2>&1; then return; fi
  rm -rf "${dir}"
  mkdir -p "${dir}"
  cp -r "${here}/empty_modules/." "${dir}/"
}

# Our instruction-counting QEMU plugin (tools/qemu_plugin), compiled against the plugin header
# of the installed QEMU's own Debian source package (Debian ships no plugin header).
ensure_qemu_plugin() {
  local dir=/opt/tinyml/qemu
  local qemu_source plugin_source="${here}/../qemu_plugin/insn_count.c"
  # shellcheck disable=SC2016 # dpkg-query's format, not shell variables
  qemu_source="$(tinyml_in_root / dpkg-query -W -f='${source:Package}=${source:Version}' qemu-system-arm)"
  local stamp="${TINYML_ROOT}${dir}/.built-from"
  local fingerprint
  fingerprint="${qemu_source} $(sha256sum "${plugin_source}" | cut -d' ' -f1)"
  if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${fingerprint}" ]]; then return; fi
  log "building the QEMU instruction-count plugin against ${qemu_source}"
  mkdir -p "${TINYML_ROOT}${dir}/source"
  if [[ ! -f "${TINYML_ROOT}${dir}/include/qemu-plugin.h" ]]; then
    tinyml_in_root / apt-get update -qq
    tinyml_in_root "${dir}/source" apt-get source -qq --download-only "${qemu_source}" >/dev/null
    mkdir -p "${TINYML_ROOT}${dir}/include"
    tar -xOf "$(echo "${TINYML_ROOT}${dir}"/source/qemu_*.orig.tar.*)" --wildcards \
      '*/include/qemu/qemu-plugin.h' >"${TINYML_ROOT}${dir}/include/qemu-plugin.h"
  fi
  rm -rf "${TINYML_ROOT}${dir}/source"
  cp "${plugin_source}" "${TINYML_ROOT}${dir}/insn_count.c"
  # -Wno-unused-parameter: QEMU fixes the callbacks' signatures, not all use every argument.
  tinyml_in_root "${dir}" gcc -O2 -Wall -Wextra -Wno-unused-parameter -Werror -shared -fPIC -I include \
    -o libinsn_count.so insn_count.c
  printf '%s' "${fingerprint}" >"${stamp}"
}

main() {
  require_root
  ensure_host_tools
  ensure_base
  sync_machine_config
  ensure_packages
  ensure_bare_metal_sysroots
  ensure_xtensa_sysroots
  ensure_rust_repository
  ensure_tinyjson_repository
  ensure_empty_modules
  ensure_qemu_plugin
  tinyml_mark_ready
}

main "$@"
