"""One running ``tread up`` for the contract tests: the fuzzer, the generated clients, the
cross-scope matrix and the crash test all use it through its gateway."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tread_cli.testing import Platform, running_platform


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    with running_platform(tmp_path_factory.mktemp("contract")) as platform:
        yield platform
