#!/usr/bin/env bash
# Makes the release archive of rules_tinyml VERSION from the git tag vVERSION: the file that
# .bcr/source.template.json points the Bazel Central Registry at, and the one to attach to the
# GitHub release of that tag.
#
#   tools/release/archive.sh 0.1.0    # -> rules_tinyml-0.1.0.tar.gz, and its BCR integrity
#
# `git archive` of a tag is byte-for-byte the same on every run, so the integrity printed here
# is the one the registry computes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

if [[ $# != 1 ]]; then
  echo "usage: $0 VERSION  (archives the tag vVERSION)" >&2
  exit 2
fi
version="$1"
tag="v${version}"
if ! git rev-parse -q --verify "refs/tags/${tag}" >/dev/null; then
  echo "$0: no tag ${tag}; tag the release commit first: git tag ${tag}" >&2
  exit 1
fi
# The registry serves the module under the version in its MODULE.bazel.
module_version="$(git show "${tag}:MODULE.bazel" | sed -n 's/^ *version = "\(.*\)",$/\1/p' | head -n1)"
if [[ "${module_version}" != "${version}" ]]; then
  echo "$0: MODULE.bazel at ${tag} says version \"${module_version}\", not \"${version}\"" >&2
  exit 1
fi

archive="rules_tinyml-${version}.tar.gz"
git archive --format=tar.gz --prefix="rules_tinyml-${version}/" -o "${archive}" "${tag}"
integrity="sha256-$(openssl dgst -sha256 -binary "${archive}" | base64 -w0)"
echo "${archive}"
echo "integrity: ${integrity}"
