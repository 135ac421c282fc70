"""An ``anyio_backend`` fixture for modules whose tests run on asyncio and on trio.

Import it into a test module (``from tests.backends_support import anyio_backend``) and every
``pytest.mark.anyio`` test of that module runs twice. A test that needs asyncio itself (an
aiohttp server in the same loop, say) overrides it with
``@pytest.mark.parametrize("anyio_backend", ["asyncio"])``.
"""

from __future__ import annotations

import pytest

__all__ = ["anyio_backend"]


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)
