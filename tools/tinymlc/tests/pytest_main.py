"""Entry point of the Bazel py_tests: runs pytest on the test files given as arguments."""

import sys

import pytest
from hypothesis import settings

if __name__ == "__main__":
    # Same examples on every run, so a cached result means what it says; no example database
    # in the read-only runfiles tree.
    settings.register_profile("bazel", derandomize=True, database=None)
    settings.load_profile("bazel")
    # pytest exits with 5 when it collected nothing: a non-zero exit, so that fails the test.
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
