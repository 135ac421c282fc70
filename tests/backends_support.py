"""An ``anyio_backend`` fixture for modules whose tests run on asyncio and on trio.

Import it into a test module (``from tests.backends_support import anyio_backend``) and every
``pytest.mark.anyio`` test of that module runs on each backend (on uvloop too, where it is
installed). A test that needs asyncio itself (an
aiohttp server in the same loop, say) overrides it with
``@pytest.mark.parametrize("anyio_backend", ["asyncio"])``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

__all__ = ["BACKENDS", "anyio_backend"]


def _uvloop() -> Any:
    """asyncio on a uvloop event loop, as anyio's pytest plugin names it."""
    import uvloop

    return pytest.param(("asyncio", {"loop_factory": uvloop.new_event_loop}), id="uvloop")


#: asyncio, trio, and asyncio on uvloop where uvloop is installed.
BACKENDS: list[Any] = ["asyncio", "trio"]
if importlib.util.find_spec("uvloop") is not None:
    BACKENDS.append(_uvloop())


@pytest.fixture(params=BACKENDS)
def anyio_backend(request: pytest.FixtureRequest) -> Any:
    return request.param
