"""Shared test configuration: every async test runs on asyncio through anyio's pytest plugin."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# Every exchange a test creates must balance when the test ends (long = short, all units).
from tests.conservation_support import conservation_audit  # noqa: E402, F401
