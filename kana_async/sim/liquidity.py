"""Asyncio drivers that keep the simulated exchange moving: housekeeping + market maker, firehose.

* :class:`LiquidityDriver` calls :meth:`Exchange.tick` (funding, liquidations, TP / SL) and
  :meth:`MarketMaker.step` every ``tick_interval`` seconds, and pushes ``live_funding_rate``
  about once a second. An exception in one step is logged; the next step runs anyway.
* :class:`Firehose` pushes pre-encoded, realistic ``orderbook`` or ``recent_trades`` frames for one
  market at a fixed rate to that topic's subscribers (for benchmarks); it never touches the
  engine, so the rate is exact and cheap.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from itertools import islice
from typing import Final, Literal

from kana_async.sim import wire
from kana_async.sim.engine import Exchange, PublicTrade
from kana_async.sim.maker import MarketMaker
from kana_async.sim.ws import WsHub

__all__ = ["Firehose", "FirehoseTopic", "LiquidityDriver"]

log = logging.getLogger("kana_async.sim")

FirehoseTopic = Literal["orderbook", "recent_trades"]

#: Distinct frames a firehose cycles through.
_FRAME_VARIANTS: Final = 64
#: Levels per side of a synthetic order-book frame (≈ 2.8 KB per frame, like live mainnet).
_BOOK_LEVELS: Final = 10
#: Longest sleep between firehose batches, seconds.
_MAX_SLEEP: Final = 0.005


class LiquidityDriver:
    """Runs ``exchange.tick`` and the market maker on an interval (see the module docstring)."""

    def __init__(
        self,
        exchange: Exchange,
        hub: WsHub,
        *,
        maker: MarketMaker | None,
        tick_interval: float,
        clock: Callable[[], float] = time.time,
        funding_push_interval: float = 1.0,
    ) -> None:
        self.exchange = exchange
        self.hub = hub
        self.maker = maker
        self.tick_interval = tick_interval
        self.clock = clock
        self.funding_push_interval = funding_push_interval
        self.steps = 0

    def step(self) -> None:
        """One round: housekeeping, then the maker (each guarded)."""
        now = int(self.clock())
        try:
            self.exchange.tick(now)
        except Exception:
            log.exception("exchange tick failed")
        if self.maker is not None:
            try:
                self.maker.step(now)
            except Exception:
                log.exception("market maker step failed")
        self.steps += 1

    async def run(self) -> None:
        """Step forever (cancel to stop)."""
        loop = asyncio.get_running_loop()
        next_funding = loop.time()
        while True:
            self.step()
            if loop.time() >= next_funding:
                self.hub.publish_funding()
                next_funding = loop.time() + self.funding_push_interval
            await asyncio.sleep(self.tick_interval)


class Firehose:
    """Pushes ``rate_per_s`` pre-encoded ``topic`` frames of ``market_id`` per second.

    Frames are built once from the market's current book (or a synthetic book around its
    initial price when the book is empty), with sizes varied per frame.
    """

    def __init__(
        self,
        hub: WsHub,
        exchange: Exchange,
        market_id: int,
        rate_per_s: float,
        topic: FirehoseTopic = "orderbook",
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError(f"rate_per_s must be positive, got {rate_per_s}")
        if topic not in ("orderbook", "recent_trades"):
            raise ValueError(
                f"firehose topic must be 'orderbook' or 'recent_trades', not {topic!r}"
            )
        self.hub = hub
        self.market_id = market_id
        self.rate = float(rate_per_s)
        self.topic: FirehoseTopic = topic
        self.spec = exchange.market(market_id)
        self._rng = random.Random(seed)
        self._clock = clock
        self._version = exchange.current_version
        self.frames = self._build(exchange)
        self.sent = 0

    def _build(self, exchange: Exchange) -> list[str]:
        spec, rng = self.spec, self._rng
        bids, asks = exchange.book(self.market_id, _BOOK_LEVELS)
        mid = (bids[0][0] + asks[0][0]) // 2 if bids and asks else spec.initial_ticks
        step = max(spec.tick_size, mid // 10_000)
        frames: list[str] = []
        for i in range(_FRAME_VARIANTS):
            now = int(self._clock())
            version = self._version + i + 1
            if self.topic == "orderbook":
                lots = [spec.min_lots * rng.randint(1, 20) for _ in range(2 * _BOOK_LEVELS)]
                bid_levels = [(mid - (k + 1) * step, lots[k]) for k in range(_BOOK_LEVELS)]
                ask_levels = [
                    (mid + (k + 1) * step, lots[_BOOK_LEVELS + k]) for k in range(_BOOK_LEVELS)
                ]
                rows = wire.book_rows(spec, bid_levels, ask_levels, now, version)
            else:
                size = spec.min_lots * rng.randint(1, 20)
                price = mid + rng.randint(-5, 5) * step
                trade = PublicTrade(
                    market_id=spec.market_id,
                    trade_id=(spec.market_id << 80) | (1 << 60) | i,
                    price=price,
                    size=size,
                    order_value=spec.notional_units(size, price),
                    taker_is_buy=bool(i % 2),
                    taker_order_id=(spec.market_id << 80) | (1 << 61) | i,
                    maker_order_id=(spec.market_id << 80) | (1 << 62) | i,
                    taker_address="0x" + f"{0xF1EE + i:x}".rjust(64, "0"),
                    maker_address="0x" + f"{0xF1EF + i:x}".rjust(64, "0"),
                    timestamp=now,
                    last_updated=now,
                    transaction_version=version,
                )
                rows = [wire.public_trade_row(spec, trade)]
            frames.append(wire.ENCODER.encode({"message": self.topic, "data": rows}).decode())
        return frames

    async def run(self) -> None:
        """Push frames at the configured rate until cancelled."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        key = str(self.market_id)
        burst_cap = max(1, int(self.rate * 0.05))
        n = len(self.frames)
        while True:
            due = int((loop.time() - start) * self.rate) - self.sent
            if due > burst_cap:  # we fell behind (loop was busy): skip ahead, don't flood
                self.sent += due - burst_cap
                due = burst_cap
            if due > 0:
                first = self.sent % n
                batch = islice((self.frames[(first + k) % n] for k in range(due)), due)
                self.hub.publish_raw(self.topic, key, batch)
                self.sent += due
            await asyncio.sleep(min(_MAX_SLEEP, 1.0 / self.rate))
