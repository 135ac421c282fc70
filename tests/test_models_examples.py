"""Every REST example in the spec (current and legacy generations) decodes via the public API."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from kana_async import KanaClient, MarketInfo, Network, OrderHistoryEntry, OrderStatus, Transfer
from kana_async._codec import decode
from tests.rest_support import WALLET

EXAMPLES = Path(__file__).parent / "data" / "spec_examples"
REST = EXAMPLES / "rest"

NO_MARKET_LIST = Network(
    name="examples",
    rest_url="http://kana.test",
    ws_url="ws://x/",
    node_url="http://n/v1",
    chain_id=4,
)


def rest_files(prefix: str) -> list[Path]:
    return sorted(REST.glob(f"{prefix}*.json")) if REST.is_dir() else []


def examples(prefix: str) -> list[tuple[str, bytes]]:
    """``(file name, file bytes)`` of the REST examples whose name starts with ``prefix``."""
    return [(path.name, path.read_bytes()) for path in rest_files(prefix)]


async def serve(body: bytes, call: str) -> object:

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        KanaClient(NO_MARKET_LIST, http_client=http, wallet_address=WALLET) as kana,
    ):
        if call == "info":
            market_id = int(json.loads(body)["data"][0]["market_id"])
            return await kana.markets.info(market_id)
        if call == "wallet":
            return await kana.portfolio.wallet_balance()
        return await kana.portfolio.profile_address()


def test_every_rest_example_is_covered() -> None:
    covered = set(rest_files("getMarketInfo")) | set(rest_files("getWalletAccountBalance"))
    covered |= set(rest_files("getProfileAddress"))
    assert covered == set(REST.glob("*.json")), "a new example file needs a decoding test"


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body"), examples("getMarketInfo"))
async def test_market_info_examples(name: str, body: bytes) -> None:
    info = await serve(body, "info")
    assert isinstance(info, MarketInfo), name
    raw = json.loads(body)["data"][0]
    assert info.market_id == int(raw["market_id"])
    assert info.lot_size == int(raw["lot_size"])
    assert info.maintenance_margin == int(raw["maintenance_margin"])
    assert info.tick == Decimal("0.001")
    assert info.symbol == "APT-USD"
    assert info.creator_any == raw.get("creator", raw.get("creator_address"))


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body"), examples("getWalletAccountBalance"))
async def test_wallet_balance_examples(name: str, body: bytes) -> None:
    assert await serve(body, "wallet") == Decimal(611899), name


@pytest.mark.anyio
@pytest.mark.parametrize(("name", "body"), examples("getProfileAddress"))
async def test_profile_address_example_is_normalised(name: str, body: bytes) -> None:
    profile = await serve(body, "profile")
    assert profile == "0x03c78886aa67752706b3502b12959edf92e68d85ae64b24226783d26ce6efc1e"


def test_ws_rows_shared_with_rest_history_decode() -> None:
    """``getOrderHistory`` / ``getDepositAndWithdrawHistory`` rows share the WS rows' shape."""
    orders = json.loads((EXAMPLES / "ws" / "order_history.json").read_bytes())["data"]
    rows = decode(json.dumps(orders), list[OrderHistoryEntry])
    assert rows[0].order_id == "11905620858892513160724480"
    assert rows[0].status is OrderStatus.FILLED
    assert rows[0].order_value == Decimal("57.57891400")
    transfers = json.loads((EXAMPLES / "ws" / "deposit_withdraw_history.json").read_bytes())["data"]
    assert decode(json.dumps(transfers), list[Transfer])[0].amount == Decimal(10)
