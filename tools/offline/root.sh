# Shared by setup.sh and ../../bazelw: where the offline build root lives and how to enter it.
# shellcheck shell=bash

TINYML_ROOT="${TINYML_ROOT:-/var/lib/rules_tinyml/root}"

_tinyml_offline_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# Mounts what a command inside the root needs, at the same paths as outside, unless it is
# mounted already: /proc, /dev, /sys and (if TINYML_WORKSPACE is set) the work tree, and the
# work tree of a repository that uses rules_tinyml (TINYML_CONSUMER_WORKSPACE, set by bazelw
# when run from one). The mounts stay: the Bazel server outlives each command, and its client
# finds it again only when both see the work tree through the same mount.
_tinyml_mount() {
  local kind="$1" source="$2" target="${TINYML_ROOT}$2"
  mkdir -p "${target}"
  if mountpoint -q "${target}"; then return; fi
  case "${kind}" in
    proc) mount -t proc proc "${target}" ;;
    rbind) mount --rbind "${source}" "${target}" && mount --make-rslave "${target}" ;;
    bind) mount --bind "${source}" "${target}" ;;
  esac
}

# Makes work tree $1 visible inside the root at its own path.
_tinyml_mount_work_tree() {
  local work_tree="$1"
  # A work tree under one of the shared directories is visible already; a second mount on top
  # of it would pile up, one per command.
  local inside="${TINYML_ROOT}${work_tree}"
  if [[ "$(stat -c %d:%i "${work_tree}")" != "$(stat -c %d:%i "${inside}" 2>/dev/null)" ]]; then
    # A mount that is there but shows another directory was made for an earlier work tree at
    # this path (a clone since removed and made again): it still shows the removed one.
    while mountpoint -q "${inside}"; do umount -l "${inside}"; done
    _tinyml_mount bind "${work_tree}"
  fi
}

# Runs a command inside the root, in directory $1. Only a known, small environment crosses in.
tinyml_in_root() {
  local cwd="$1"
  shift
  local -a env_vars=(
    HOME=/root USER=root LANG=C.UTF-8
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  )
  local name
  for name in TERM CI PIP_DEFAULT_TIMEOUT PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CERT \
    PIP_TRUSTED_HOST HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do
    if [[ -n "${!name:-}" ]]; then env_vars+=("${name}=${!name}"); fi
  done
  _tinyml_mount proc /proc
  _tinyml_mount rbind /dev
  _tinyml_mount rbind /sys
  if [[ -n "${TINYML_WORKSPACE:-}" ]]; then
    # Where users keep the models and outputs they name on the command line (`bazel run
    # //tools/tinymlc -- compile --model=/home/...`): the same paths inside as outside.
    local shared
    for shared in /home /tmp /mnt /media /srv; do
      if [[ -d "${shared}" ]]; then _tinyml_mount rbind "${shared}"; fi
    done
    _tinyml_mount_work_tree "${TINYML_WORKSPACE}"
    if [[ -n "${TINYML_CONSUMER_WORKSPACE:-}" ]]; then
      _tinyml_mount_work_tree "${TINYML_CONSUMER_WORKSPACE}"
    fi
  fi
  # shellcheck disable=SC2016 # expanded by the shell inside the root, not here
  chroot "${TINYML_ROOT}" /bin/sh -c 'cd "$0" && exec "$@"' "${cwd}" /usr/bin/env -i "${env_vars[@]}" "$@"
}

# A fingerprint of everything that decides what the root contains.
_tinyml_setup_fingerprint() {
  cat "${_tinyml_offline_dir}/setup.sh" "${_tinyml_offline_dir}/root.sh" \
    "${_tinyml_offline_dir}"/build_std/* "${_tinyml_offline_dir}"/empty_modules/*/* \
    "${_tinyml_offline_dir}"/build_std_xtensa/* "${_tinyml_offline_dir}"/../../toolchains/xtensa/targets.bzl \
    "${_tinyml_offline_dir}"/../../toolchains/cc/literal_sections.awk \
    "${_tinyml_offline_dir}/../qemu_plugin/insn_count.c" |
    sha256sum | cut -d' ' -f1
}

tinyml_mark_ready() {
  _tinyml_setup_fingerprint >"${TINYML_ROOT}/.tinyml/ready"
}

tinyml_is_ready() {
  [[ -f "${TINYML_ROOT}/.tinyml/ready" ]] &&
    [[ "$(cat "${TINYML_ROOT}/.tinyml/ready")" == "$(_tinyml_setup_fingerprint)" ]]
}

# Unmounts everything mounted inside the root, deepest first. Must precede any removal of
# the root: /home and /tmp are bind mounts on the same device, which rm --one-file-system
# would not stop at.
tinyml_unmount_all() {
  local mount_point
  while read -r mount_point; do
    umount -l "${mount_point}"
  done < <(awk -v root="${TINYML_ROOT}/" 'index($2, root) == 1 { print $2 }' /proc/mounts | sort -r)
}

# Unmounts a work tree that tinyml_in_root mounted, e.g. a temporary clone about to be removed.
tinyml_release_workspace() {
  local target="${TINYML_ROOT}$1"
  if mountpoint -q "${target}"; then umount "${target}"; fi
}
