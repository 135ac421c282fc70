"""``Simulator(replay=...)``: recorded books become the market's book, trades are published.

The shipped sample (``tests/data/replay/sample.jsonl``) was recorded from the simulator itself
with ``kana_async.recording.record`` (``tests/data/replay/record_sample.py``).
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import anyio
import pytest
from websockets.asyncio.client import ClientConnection, connect

from kana_async._aptos.signing import Account
from kana_async._client import KanaClient
from kana_async.models.enums import Side
from kana_async.models.trades import Trade
from kana_async.recording import load_recording
from kana_async.sim.latency import LatencyModel
from kana_async.sim.replay import REPLAY_WALLET
from kana_async.sim.server import Simulator

pytestmark = pytest.mark.anyio

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "replay" / "sample.jsonl"
APT = 1338
FAST = 10_000.0  # replay speed: the whole sample in well under a second


def recorded_books() -> list[tuple[list[tuple[int, int]], list[tuple[int, int]]]]:
    """Every orderbook frame of the sample as (bids, asks) of (ticks, lots), read independently.

    APT on the simulator: tick $0.001 (price × 1000), lot 0.001 APT (size × 1000).
    """
    books = []
    for line in SAMPLE.read_text().splitlines()[1:]:
        frame = json.loads(line, parse_float=Decimal)["frame"]
        if frame["message"] != "orderbook":
            continue
        bids, asks = [], []
        for row in frame["data"]:
            level = (int(row["price"] * 1000), int(Decimal(row["size"]) * 1000))
            (asks if row["is_ask"] else bids).append(level)
        books.append((sorted(bids, reverse=True), sorted(asks)))
    return books


def recorded_trades() -> list[dict[str, Any]]:
    """The rows of every recent_trades frame except the subscription's snapshot."""
    rows: list[dict[str, Any]] = []
    for line in SAMPLE.read_text().splitlines()[1:]:
        entry = json.loads(line, parse_float=Decimal)
        if entry["frame"]["message"] == "recent_trades" and not entry.get("snapshot"):
            rows.extend(entry["frame"]["data"])
    return rows


def index_ticks(sim: Simulator, market_id: int) -> int:
    (rate,) = [r for r in sim.exchange.funding_rates() if r.market_id == market_id]
    return rate.index_price


async def recv_json(ws: ClientConnection) -> dict[str, Any]:
    with anyio.fail_after(10):
        msg = json.loads(await ws.recv(), parse_float=Decimal)
    assert isinstance(msg, dict)
    return msg


def test_the_sample_is_small_and_has_books_and_trades() -> None:
    rec = load_recording(SAMPLE)
    assert 200 <= len(rec.frames) <= 400 and SAMPLE.stat().st_size < 250_000
    assert len(recorded_books()) > 100 and len(recorded_trades()) > 20


async def test_first_recorded_book_is_the_market_book_at_start() -> None:
    async with Simulator(seed=1, replay=SAMPLE, replay_paused=True) as sim:
        assert sim.replay is not None and sim.replay.paused
        first_bids, first_asks = recorded_books()[0]
        assert sim.exchange.book(APT) == (first_bids, first_asks)
        assert {o.address for o in sim.exchange.open_orders(REPLAY_WALLET, APT)} == {
            sim.exchange.profile_address(REPLAY_WALLET)
        }
        assert index_ticks(sim, APT) == (first_bids[0][0] + first_asks[0][0]) // 2
        # The house maker still runs the markets the sample does not drive, not APT.
        assert sim.maker is not None and APT not in sim.maker.mids
        assert set(sim.maker.mids) == set(sim.markets) - {APT}


async def test_replay_serves_every_book_and_trade_in_order() -> None:
    books = recorded_books()
    trades = recorded_trades()
    async with Simulator(seed=1, replay=SAMPLE, replay_speed=FAST, replay_paused=True) as sim:
        replay = sim.replay
        assert replay is not None
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            assert (await recv_json(ws))["data"] == []  # no trade on this exchange yet
            replay.resume()
            with anyio.fail_after(20):
                await replay.wait_finished()
                published: list[dict[str, Any]] = []
                while len(published) < len(trades):
                    published.extend((await recv_json(ws))["data"])
        assert replay.stats.books == len(books) and replay.stats.books_refused == 0
        assert replay.stats.trades == len(trades)
        assert sim.exchange.book(APT) == books[-1]
        last_bids, last_asks = books[-1]
        assert index_ticks(sim, APT) == (last_bids[0][0] + last_asks[0][0]) // 2
        assert sim.exchange.market_trades(APT) == []  # recorded trades are market data only
        async with connect(sim.network.ws_url, ping_interval=None) as late:
            await late.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            snapshot = (await recv_json(late))["data"]
        assert [t["trade_id"] for t in snapshot] == [t["trade_id"] for t in trades[-50:]]
    assert [(t["trade_id"], t["price"], t["size"]) for t in published] == [
        (t["trade_id"], t["price"], t["size"]) for t in trades
    ]
    assert {t["market_id"] for t in published} == {str(APT)}


async def test_a_slow_replay_waits_for_the_recorded_times() -> None:
    # One recorded second per 1000 real ones: nothing after the snapshots is due for minutes.
    async with Simulator(seed=1, replay=SAMPLE, replay_speed=0.001) as sim:
        replay = sim.replay
        assert replay is not None
        primed = replay.position
        assert primed == 3  # the three subscriptions' snapshots, served at start
        await anyio.sleep(0.05)
        assert replay.position == primed and not replay.finished
        frames = replay.recording.frames
        assert replay.due(4) == pytest.approx((frames[4].t - frames[0].t) * 1000)


async def test_as_fast_as_possible_serves_everything() -> None:
    async with Simulator(seed=1, replay=SAMPLE, replay_speed=math.inf) as sim:
        replay = sim.replay
        assert replay is not None and replay.due(100) == 0.0
        with anyio.fail_after(20):
            await replay.wait_finished()
        assert replay.stats.frames == len(replay.recording.frames)
        assert replay.stats.books == len(recorded_books())
        assert sim.exchange.book(APT) == recorded_books()[-1]


async def test_pause_holds_the_replay_until_resumed() -> None:
    async with Simulator(seed=1, replay=SAMPLE, replay_speed=FAST) as sim:
        replay = sim.replay
        assert replay is not None
        replay.pause()
        held = replay.position
        await anyio.sleep(0.05)
        assert replay.position == held and replay.paused
        replay.resume()
        with anyio.fail_after(20):
            await replay.wait_finished()
        assert replay.position == len(replay.recording.frames)


def test_bad_replay_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed"):
        Simulator(replay=SAMPLE, replay_speed=0)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something else"}\n')
    with pytest.raises(ValueError, match="not a kana-async-recording"):
        Simulator(replay=bad)


async def run_bot(seed: int) -> list[tuple[object, ...]]:
    """A simple bot: one market buy, two resting bids below the market; then the whole replay.

    No house maker on the other markets: order and trade ids count every order of the exchange,
    so the maker's wall-clock steps would change them (not the prices, sizes or fees).
    """
    async with Simulator(
        seed=seed, replay=SAMPLE, replay_speed=FAST, replay_paused=True, market_maker=False
    ) as sim:
        funded = sim.new_account()
        async with KanaClient(
            sim.network, account=Account.from_hex(funded.private_key_hex)
        ) as kana:
            await kana.trading.deposit(Decimal("500"))
            await kana.trading.place_market_order(
                APT, side=Side.LONG, size=Decimal("1.5"), leverage=2
            )
            for price in (Decimal("5.725"), Decimal("5.705")):
                await kana.trading.place_limit_order(
                    APT, side=Side.LONG, size=Decimal("1"), price=price, leverage=2
                )
            resting = {o.order_id for o in await kana.portfolio.open_orders(market_id=APT)}
            assert len(resting) == 2
            assert sim.replay is not None
            sim.replay.resume()
            with anyio.fail_after(20):
                await sim.replay.wait_finished()
            trades = await kana.history.trades(APT, limit=100)
        fills = [
            (t.trade_id, t.order_id, t.price, t.size, t.fee, t.pnl, t.order_value) for t in trades
        ]
    # The market buy took recorded asks; the recorded book later fell through both bids.
    assert {t.order_id for t in trades} >= resting
    assert {t.price for t in trades if t.order_id in resting} == {
        Decimal("5.725"),
        Decimal("5.705"),
    }
    assert sum(t.size for t in trades) == Decimal("3.5")
    return fills


async def test_a_bot_gets_the_same_fills_twice_with_the_same_seed() -> None:
    first = await run_bot(seed=21)
    second = await run_bot(seed=21)
    assert first == second
    assert len(first) >= 3


def jsonl(header: dict[str, Any], entries: list[dict[str, Any]]) -> str:
    return "\n".join(json.dumps(line) for line in [header, *entries]) + "\n"


def level(market: str, is_ask: bool, price: str, size: str) -> dict[str, Any]:
    return {"market_id": market, "is_ask": is_ask, "price": price, "size": size}


async def test_a_mainnet_recording_drives_the_markets_of_the_same_symbol(tmp_path: Path) -> None:
    """Market 14 (mainnet APT-USD) drives the simulator's APT-USD; levels go onto its grid."""
    header = {
        "format": "kana-async-recording",
        "version": 1,
        "network": "mainnet",
        "started_at": 1_700_000_000,
        "markets": {"APT-USD": 14, "BTC-USD": 15},
    }
    book = [
        level("14", False, "5.7405", "2"),  # off the tick: bids round down to 5.740
        level("14", False, "5.7301", "0.3"),  # under APT's 0.5 minimum: left out
        level("14", False, "5.7202", "0.0004"),  # under one lot: left out
        level("14", True, "5.7505", "1.2345"),  # asks round up to 5.751, size down to 1.234
        level("14", True, "5.760", "100"),  # $576 > the $125 position cap: cut to fit
    ]
    trade = {"market_id": "14", "trade_id": "77", "price": "5.745", "size": "0.5"}
    entries = [
        {"t": 0.0, "snapshot": True, "frame": {"message": "orderbook", "data": book}},
        {"t": 0.1, "frame": {"message": "recent_trades", "data": [trade]}},
        {
            "t": 0.2,
            "frame": {
                "message": "best_price",
                "data": [{"market_id": "15", "mid_price": 98765.43}],
            },
        },
        {"t": 0.3, "frame": {"message": "orderbook", "data": [level("999", True, "1", "1")]}},
        {"t": 0.4, "text": "{not json"},
    ]
    path = tmp_path / "mainnet.jsonl"
    path.write_text(jsonl(header, entries))
    async with Simulator(seed=1, replay=path, replay_speed=FAST, replay_paused=True) as sim:
        replay = sim.replay
        assert replay is not None and replay.market_map == {14: APT, 15: 1339}
        assert replay.book_markets == {APT} and replay.markets == {APT, 1339}
        bids, asks = sim.exchange.book(APT)
        assert bids == [(5740, 2000)]
        assert asks[0] == (5751, 1234)
        # One order may add at most $125 of position: floor(100 APT × 125 / 576) lots.
        assert asks[1] == (5760, 100_000 * 125_000_000 // 576_000_000)
        assert replay.stats.levels_cut == 2
        assert index_ticks(sim, APT) == 5745  # (5.7405 + 5.7505) / 2, recorded prices
        async with connect(sim.network.ws_url, ping_interval=None) as ws:
            await ws.send(json.dumps({"topic": "recent_trades", "market_id": str(APT)}))
            await recv_json(ws)
            replay.resume()
            (row,) = (await recv_json(ws))["data"]
            with anyio.fail_after(10):
                await replay.wait_finished()
        assert row["market_id"] == str(APT) and row["trade_id"] == "77"
        assert row["price"] == "5.745" and row["size"] == "0.5"
        assert isinstance(row["timestamp"], int) and row["timestamp"] > 1_700_000_000
        assert index_ticks(sim, 1339) == 987654  # BTC: tick $0.1, no book recorded
        assert (replay.stats.books, replay.stats.trades, replay.stats.index_updates) == (1, 1, 2)
        assert replay.stats.skipped == 2  # market 999 and the frame that is not JSON
        assert replay.stats.frames == 5


async def test_sdk_streams_read_the_replay_through_a_delayed_hub() -> None:
    """The SDK's typed streams decode the replayed trades and books, with websocket latency."""
    trades = recorded_trades()
    model = LatencyModel.realistic(seed=7, scale=0.02)
    async with (
        Simulator(
            seed=1,
            replay=SAMPLE,
            replay_speed=FAST,
            replay_paused=True,
            market_maker=False,
            latency=model,
        ) as sim,
        KanaClient(sim.network) as kana,
        kana.streams.recent_trades(APT) as stream,
        kana.streams.orderbook(APT) as books,
    ):
        assert sim.replay is not None
        with anyio.fail_after(20):
            first_book = await anext(books)
            await until_subscribed(sim)
            sim.replay.resume()
            got: list[Trade] = []
            async for item in stream:
                assert isinstance(item, Trade)  # no reconnect: no Reconnected notice
                got.append(item)
                if len(got) == len(trades):
                    break
    first_bids, first_asks = recorded_books()[0]
    assert first_book.bids[0].price == Decimal(first_bids[0][0]) / 1000
    assert first_book.asks[0].price == Decimal(first_asks[0][0]) / 1000
    assert [t.trade_id for t in got] == [t["trade_id"] for t in trades]
    assert [t.price for t in got] == [Decimal(t["price"]) for t in trades]
    assert all(t.market_id == APT for t in got)
    assert model.applied("ws#0")  # the frames went through the batched writer
    assert all(index == 0 for index, _, _ in sim.hub.batches)


async def until_subscribed(sim: Simulator) -> None:
    """Wait until the SDK's connection subscribed both topics on the hub."""
    while not (  # noqa: ASYNC110 - polling state owned by the server
        sim.hub.subscriber_count("recent_trades", str(APT))
        and sim.hub.subscriber_count("orderbook", str(APT))
    ):
        await anyio.sleep(0.005)


async def test_a_book_that_fills_a_resting_order_still_fits_the_position_cap(
    tmp_path: Path,
) -> None:
    """Levels cut to the cap one by one would fail once the first one fills: retried together."""
    header = {"format": "kana-async-recording", "version": 1, "network": "sim", "markets": {}}
    quiet = [level(str(APT), False, "5.50", "1"), level(str(APT), True, "5.90", "1")]
    # Each ask alone is cut to $125; after the first fills 1 APT the second would pass the cap.
    crossing = [level(str(APT), True, "5.75", "100"), level(str(APT), True, "5.76", "100")]
    entries = [
        {"t": 0.0, "snapshot": True, "frame": {"message": "orderbook", "data": quiet}},
        {"t": 0.1, "frame": {"message": "orderbook", "data": crossing}},
    ]
    path = tmp_path / "cap.jsonl"
    path.write_text(jsonl(header, entries))
    async with Simulator(
        seed=1, replay=path, replay_speed=FAST, replay_paused=True, market_maker=False
    ) as sim:
        replay = sim.replay
        assert replay is not None
        bot = sim.new_account()
        sim.exchange.deposit(bot.address, 1000 * 10**6)
        bid = sim.exchange.place_limit_order(bot.address, APT, True, False, 1000, 5800, 2)
        replay.resume()
        with anyio.fail_after(10):
            await replay.wait_finished()
        assert replay.stats.books == 2 and replay.stats.books_refused == 0
        assert sim.exchange.order(APT, bid.order_id).status == "Filled"  # type: ignore[union-attr]
        (short,) = sim.exchange.positions(REPLAY_WALLET, APT)
        assert short.size == 1000 and not short.trade_side
        _, asks = sim.exchange.book(APT)
        # Together the opening asks add at most $125 to the short: 21.739 APT at $5.75.
        assert asks == [(5750, 125_000_000 // 5750 - 1000)]


async def test_a_looping_replay_starts_again_from_its_first_frame(tmp_path: Path) -> None:
    header = {"format": "kana-async-recording", "version": 1, "network": "sim", "markets": {}}
    books = [
        [level(str(APT), False, "5.50", "1"), level(str(APT), True, "5.60", "1")],
        [level(str(APT), False, "5.40", "2"), level(str(APT), True, "5.70", "2")],
    ]
    entries = [
        {"t": 0.1 * i, "frame": {"message": "orderbook", "data": data}}
        for i, data in enumerate(books)
    ]
    path = tmp_path / "loop.jsonl"
    path.write_text(jsonl(header, entries))
    async with Simulator(
        seed=1, replay=path, replay_speed=FAST, replay_loop=True, market_maker=False
    ) as sim:
        replay = sim.replay
        assert replay is not None
        with anyio.fail_after(10):
            while replay.stats.loops < 3:  # noqa: ASYNC110 - polling the replay's counters
                await anyio.sleep(0.005)
        replay.pause()
        assert not replay.finished
        assert replay.stats.books == replay.stats.frames >= 6
        served = replay.stats.frames
        expected = books[(served - 1) % 2]
        bids, asks = sim.exchange.book(APT)
        (bid,), (ask,) = bids, asks
        assert (bid[0], ask[0]) == (
            int(Decimal(expected[0]["price"]) * 1000),
            int(Decimal(expected[1]["price"]) * 1000),
        )
