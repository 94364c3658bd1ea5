"""Entry point of the Bazel py_tests: runs pytest on the test files given as arguments."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings


class BazelShard:
    """This shard's share of the collected tests, when the target has a `shard_count`: one
    contiguous run of them (neighbouring tests share module fixtures)."""

    def __init__(self, index: int, total: int) -> None:
        self.index, self.total = index, total

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        start, end = (len(items) * share // self.total for share in (self.index, self.index + 1))
        config.hook.pytest_deselected(items=items[:start] + items[end:])
        items[:] = items[start:end]


if __name__ == "__main__":
    # Same examples on every run, so a cached result means what it says; no example database
    # in the read-only runfiles tree.
    settings.register_profile("bazel", derandomize=True, database=None)
    settings.load_profile("bazel")
    plugins = []
    if "TEST_TOTAL_SHARDS" in os.environ:
        # Tells Bazel that this runner shards.
        Path(os.environ["TEST_SHARD_STATUS_FILE"]).touch()
        plugins.append(BazelShard(int(os.environ["TEST_SHARD_INDEX"]), int(os.environ["TEST_TOTAL_SHARDS"])))
    # pytest exits with 5 when it collected nothing: a non-zero exit, so that fails the test.
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]], plugins=plugins))
