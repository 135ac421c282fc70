"""Shared test configuration: every async test runs on asyncio through anyio's pytest plugin."""

from __future__ import annotations

import pytest

# A standalone simulator for the whole session, shared by the tests/test_cli*.py modules.
from tests.cli_support import world  # noqa: F401


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Every exchange a test creates must balance when the test ends (long = short, all units).
from tests.conservation_support import conservation_audit  # noqa: E402, F401
