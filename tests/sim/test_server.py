"""Simulator lifecycle, funded accounts, the node round trip and the standalone command."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import sys
import time
from decimal import Decimal
from typing import Any, cast

import anyio
import httpx
import pytest
from anyio.streams.text import TextReceiveStream
from nacl.signing import SigningKey
from websockets.asyncio.client import connect

from kana_async._aptos.signing import Account, TransactionSpec, sign_transaction
from kana_async._config import Network
from kana_async.sim import contract
from kana_async.sim.engine import Exchange
from kana_async.sim.faults import Faults
from kana_async.sim.liquidity import LiquidityDriver
from kana_async.sim.maker import MarketMaker
from kana_async.sim.server import SIM_CHAIN_ID, Simulator
from kana_async.sim.ws import WsHub

pytestmark = pytest.mark.anyio


async def test_network_and_clean_shutdown() -> None:
    before = asyncio.all_tasks()
    sim = Simulator(seed=1, tick_interval=0.01)
    with pytest.raises(RuntimeError, match="not running"):
        sim.network  # noqa: B018
    async with sim:
        net = sim.network
        assert isinstance(net, Network) and net.name == "sim" and net.chain_id == SIM_CHAIN_ID == 4
        assert net.rest_url.startswith("http://127.0.0.1:")
        assert net.ws_url.startswith("ws://127.0.0.1:") and net.ws_url.endswith("/ws/")
        assert net.node_url.endswith("/v1")
        assert dict(net.markets) == {
            "APT-USD": 1338,
            "BTC-USD": 1339,
            "ETH-USD": 1340,
            "SOL-USD": 2387,
        }
        async with httpx.AsyncClient() as http:
            ledger = (await http.get(net.node_url)).json()
            assert int(ledger["chain_id"]) == 4
            async with connect(net.ws_url) as ws:
                await ws.send(json.dumps({"topic": "live_funding_rate"}))
                with anyio.fail_after(10):
                    assert json.loads(await ws.recv())["message"] == "live_funding_rate"
                await sim.aclose()  # with a client still connected
        await sim.aclose()  # idempotent
    assert asyncio.all_tasks() - before == set()
    with pytest.raises(RuntimeError):
        sim.network  # noqa: B018
    async with httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(net.rest_url + "/getMarketInfo?marketId=1338")


async def test_market_maker_moves_the_books() -> None:
    async with Simulator(seed=2, tick_interval=0.01) as sim:
        bid, ask = sim.exchange.best_bid_ask(1338)
        assert bid is not None and ask is not None and bid < ask  # quoted before the first request
        first = len(sim.exchange.market_trades(1338, 1000))
        with anyio.fail_after(20):  # the background task keeps trading
            while len(sim.exchange.market_trades(1338, 1000)) <= first:  # noqa: ASYNC110
                await anyio.sleep(0.02)
        assert sim.driver.steps > 1


async def test_without_market_maker_books_are_empty() -> None:
    async with Simulator(market_maker=False) as sim:
        assert sim.exchange.best_bid_ask(1338) == (None, None)


async def test_new_account_is_registered_and_funded() -> None:
    async with Simulator(seed=9, market_maker=False) as sim:
        account = sim.new_account(apt=Decimal("3"), usdt="250.5")
        key = SigningKey(bytes.fromhex(account.private_key_hex[2:]))
        public = bytes(key.verify_key)
        assert account.public_key_hex == "0x" + public.hex()
        assert account.address == "0x" + hashlib.sha3_256(public + b"\x00").hexdigest()
        assert account.private_key_hex not in repr(account)
        assert account.private_key_hex[2:] not in repr(account) and account.address in repr(account)
        assert sim.node.apt_balance(account.address) == 3 * 10**8
        assert sim.exchange.wallet_balance(account.address) == 250_500_000
        async with httpx.AsyncClient() as http:
            info = (await http.get(f"{sim.network.node_url}/accounts/{account.address}")).json()
        assert info["sequence_number"] == "0"
        assert sim.new_account().address != account.address
        with pytest.raises(ValueError):
            sim.new_account(usdt="0.0000001")
        with pytest.raises(ValueError):
            sim.new_account(apt=-1)
        assert sim.directory.wallet_of(account.profile_address) == account.address
        assert sim.directory.wallet_of("not an address") is None
    async with Simulator(seed=9, market_maker=False) as again:
        assert again.new_account().address == account.address  # same seed, same accounts


async def submit(sim: Simulator, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    """Build, sign and submit a REST payload on the fake node; return the committed tx."""
    node = sim.network.node_url
    fn = contract.entry_function(payload["function"])
    assert fn is not None
    async with httpx.AsyncClient(timeout=10) as http:
        acct = (await http.get(f"{node}/accounts/{account.address}")).json()
        spec = TransactionSpec(
            sender=account.address,
            sequence_number=int(acct["sequence_number"]),
            function=payload["function"],
            type_arguments=tuple(payload["typeArguments"]),
            arguments=tuple(payload["functionArguments"]),
            param_types=fn.params,
            max_gas_amount=10_000,
            gas_unit_price=100,
            expiration_timestamp_secs=int(time.time()) + 60,
            chain_id=sim.network.chain_id,
        )
        signed = await sign_transaction(account, spec)
        response = await http.post(
            f"{node}/transactions",
            content=signed.bytes,
            headers={"content-type": "application/x.aptos.signed_transaction+bcs"},
        )
        assert response.status_code == 202, response.text
        with anyio.fail_after(10):
            while True:
                tx = (await http.get(f"{node}/transactions/wait_by_hash/{signed.hash}")).json()
                if tx.get("type") != "pending_transaction":
                    return dict(tx)


async def test_rest_payload_executes_on_the_node() -> None:
    async with Simulator(market_maker=False) as sim:
        funded = sim.new_account()
        account = Account.from_hex(funded.private_key_hex)
        async with httpx.AsyncClient(base_url=sim.network.rest_url) as http:
            payload = (
                await http.get("/deposit", params={"userAddress": funded.address, "amount": "100"})
            ).json()["data"]
            tx = await submit(sim, account, payload)
            assert tx["success"] is True, tx["vm_status"]
            balance = await http.get(
                "/getProfileBalanceSnapshot", params={"userAddress": funded.address}
            )
            assert balance.json()["data"] == 100
            payload = (
                await http.get(
                    "/withdrawSpecifiMarket",
                    params={"userAddress": funded.address, "marketId": 1338, "amount": "1000"},
                )
            ).json()["data"]
        tx = await submit(sim, account, payload)
        assert tx["success"] is False
        assert "1009" in tx["vm_status"] or "0x3f1" in tx["vm_status"]
        wrong_type = dict(payload, typeArguments=["0x1::aptos_coin::AptosCoin"])
        tx = await submit(sim, account, wrong_type)
        assert tx["success"] is False and tx["vm_status"].startswith("TYPE_MISMATCH")


@pytest.mark.parametrize("command", [["-m", "kana_async.sim"], ["-m", "kana_async", "sim"]])
async def test_standalone_command_serves_until_terminated(command: list[str]) -> None:
    env = dict(os.environ, PYTHONWARNINGS="error")
    argv = [sys.executable, "-u", *command, "--port", "0", "--seed", "4", "--api-key", "k"]
    async with await anyio.open_process(argv, env=env) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        text = ""
        try:
            with anyio.fail_after(30):
                async for chunk in TextReceiveStream(proc.stdout):
                    text += chunk
                    if "profile" in text and text.endswith("\n"):
                        break
            lines = [line.strip() for line in text.splitlines()]
            rest = next(line.split()[1] for line in lines if line.startswith("REST"))
            assert "ws://127.0.0.1:" in text and "/v1" in text and "private key 0x" in text
            async with httpx.AsyncClient(base_url=rest, headers={"x-api-key": "k"}) as http:
                response = await http.get("/getMarketInfo", params={"marketId": 2387})
            assert response.json()["data"][0]["market_id"] == "2387"
        finally:
            proc.send_signal(signal.SIGTERM)
            with anyio.fail_after(30):
                code = await proc.wait()
        stderr = b"".join([chunk async for chunk in proc.stderr]).decode()
        rest_of_stdout = b"".join([chunk async for chunk in proc.stdout]).decode()
    assert code == 0, stderr
    assert "simulator stopped" in rest_of_stdout
    assert stderr == ""


def test_driver_survives_failing_steps(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    exchange = Exchange()

    class BrokenMaker:
        def step(self, now: int) -> None:
            raise RuntimeError("maker broke")

    def broken_tick(now: int) -> None:
        raise RuntimeError("tick broke")

    monkeypatch.setattr(exchange, "tick", broken_tick)
    driver = LiquidityDriver(
        exchange,
        WsHub(exchange, Faults()),
        maker=cast(MarketMaker, BrokenMaker()),
        tick_interval=1,
    )
    driver.step()
    driver.step()
    assert driver.steps == 2
    assert "exchange tick failed" in caplog.text and "market maker step failed" in caplog.text


async def test_start_twice_and_firehose_before_start_are_refused() -> None:
    sim = Simulator(market_maker=False)
    with pytest.raises(RuntimeError, match="start the simulator"):
        sim.start_firehose(1338, 10)
    async with sim:
        with pytest.raises(RuntimeError, match="already started"):
            await sim.start()
