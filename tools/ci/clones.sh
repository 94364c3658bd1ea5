#!/usr/bin/env bash
# Helpers for CI checks that build the commit under test from fresh clones, each with its
# own output base inside the build root. Source it after tools/offline/root.sh.

# clone_commit REPO DIR: DIR/src is a clone of REPO at its HEAD commit (uncommitted changes
# of the work tree are not part of it); DIR/output_base is its Bazel output base.
clone_commit() {
  local repo="$1" copy="$2"
  git clone --quiet "${repo}" "${copy}/src"
  git -C "${copy}/src" checkout --quiet "$(git -C "${repo}" rev-parse HEAD)"
}

# release_clones SCRATCH: stops the Bazel servers of SCRATCH/copy-*, unmounts their work trees
# from the build root and removes what they left there.
release_clones() {
  local copy
  for copy in "$1"/copy-*; do
    [[ -d "${copy}" ]] || continue
    "${copy}/src/bazelw" --output_base="${copy}/output_base" shutdown >/dev/null 2>&1 || true
    tinyml_release_workspace "${copy}/src"
    rm -rf --one-file-system "${TINYML_ROOT}${copy}"
  done
}
