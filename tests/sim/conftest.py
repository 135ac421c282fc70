"""Fixtures shared by the simulator's server tests: a quiet simulator, an HTTP and a WS client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from kana_async.sim.server import Simulator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    """A running simulator without the market maker (books change only when a test says so)."""
    async with Simulator(seed=3, market_maker=False, tick_interval=60) as s:
        yield s


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the simulator's REST API."""
    async with httpx.AsyncClient(base_url=sim.network.rest_url, timeout=10) as client:
        yield client


@pytest.fixture
async def ws(sim: Simulator) -> AsyncIterator[ClientConnection]:
    """A websocket connection to the simulator's hub."""
    async with connect(sim.network.ws_url, ping_interval=None) as conn:
        yield conn
