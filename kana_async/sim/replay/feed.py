"""The :class:`Replay`: pacing, pause / resume, and what each recorded frame does to the engine."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from kana_async.recording import RecordedFrame, Recording, load_recording
from kana_async.sim.contract import MoveAbort
from kana_async.sim.engine import Exchange, normalize_address
from kana_async.sim.markets import MarketSpec
from kana_async.sim.wire import symbol_of
from kana_async.sim.ws import WsHub

from .book import decimal_of, level_orders, levels, recorded_mid, to_grid

__all__ = ["REPLAY_WALLET", "Replay", "ReplayStats", "open_recording"]

log = logging.getLogger("kana_async.sim")

#: The wallet whose orders carry the replayed books.
REPLAY_WALLET: Final = normalize_address("0x4e71a7")
_BANKROLL: Final = 10**18  # quote units: effectively unlimited
#: Frames served between two yields to the event loop when replaying as fast as possible.
_BURST: Final = 64


@dataclass(slots=True)
class ReplayStats:
    """What a :class:`Replay` did so far."""

    #: Frames taken from the recording (served or skipped).
    frames: int = 0
    #: Recorded books applied to the engine.
    books: int = 0
    #: Recorded books the engine refused (the replay then keeps its previous levels).
    books_refused: int = 0
    #: Recorded trades published on ``recent_trades``.
    trades: int = 0
    #: Index price updates.
    index_updates: int = 0
    #: Frames skipped: unknown topic or market, snapshots of trades, frames that are not JSON.
    skipped: int = 0
    #: Levels left out (below the minimum size) or cut (``max_position_value``).
    levels_cut: int = 0
    #: Times a looping replay started again from its first frame.
    loops: int = 0


def open_recording(source: str | Path | Recording) -> Recording:
    """``source`` itself, or the recording read from that file (``ValueError`` if invalid)."""
    return source if isinstance(source, Recording) else load_recording(source)


def _base(symbol: str) -> str:
    return symbol.upper().replace("/", "-").split("-", 1)[0].strip()


class Replay:
    """Serves ``recording`` into ``exchange`` and ``hub`` (see the module docstring).

    Args:
        recording: the frames to serve.
        exchange: the engine whose books the recorded books become.
        hub: where recorded trades are published.
        speed: recorded seconds per real second (``2.0``: twice as fast; ``math.inf``: as fast as
            possible, yielding to the event loop every few frames).
        clock: unix seconds (timestamps of the published trades).
        wallet: the wallet carrying the replayed books.
        loop: start again from the first frame after the last one, forever (the recorded
            trades then repeat with their recorded ids); :meth:`wait_finished` never returns.
    """

    def __init__(
        self,
        recording: Recording,
        exchange: Exchange,
        hub: WsHub,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = time.time,
        wallet: str = REPLAY_WALLET,
        loop: bool = False,
    ) -> None:
        if not speed > 0:  # also refuses NaN
            raise ValueError(
                f"replay speed must be > 0 (math.inf: as fast as possible), got {speed}"
            )
        self.recording = recording
        self.exchange = exchange
        self.hub = hub
        self.speed = float(speed)
        self.loop = loop
        self.wallet = normalize_address(wallet)
        self.stats = ReplayStats()
        self._clock = clock
        self._position = 0
        self._funded = False
        self._running = asyncio.Event()
        self._running.set()
        self._done = asyncio.Event()
        self.market_map = self._map_markets()
        booked = {
            self.market_map[f.key]
            for f in recording.frames
            if f.topic == "orderbook" and isinstance(f.key, int) and f.key in self.market_map
        }
        #: The simulator markets whose books the recording drives.
        self.book_markets: frozenset[int] = frozenset(booked)
        #: The simulator markets the recording drives in any way (books, index or trades).
        self.markets: frozenset[int] = frozenset(
            self.market_map[f.key]
            for f in recording.frames
            if isinstance(f.key, int) and f.key in self.market_map
        )
        if not recording.frames:
            self._done.set()

    def _map_markets(self) -> dict[int, int]:
        """Recorded market id → simulator market id."""
        ours = {_base(symbol_of(spec)): spec.market_id for spec in self.exchange.markets.values()}
        mapping: dict[int, int] = {}
        for symbol, recorded in self.recording.markets.items():
            mine = ours.get(_base(symbol))
            if mine is not None:
                mapping[recorded] = mine
        for frame in self.recording.frames:
            key = frame.key
            if isinstance(key, int) and key not in mapping and key in self.exchange.markets:
                mapping[key] = key
        return mapping

    # -- control --------------------------------------------------------------------------------

    @property
    def position(self) -> int:
        """Index of the next frame to serve."""
        return self._position

    @property
    def finished(self) -> bool:
        """True once every frame was served (never for a looping replay)."""
        return self._done.is_set()

    @property
    def paused(self) -> bool:
        """True while :meth:`run` is held by :meth:`pause`."""
        return not self._running.is_set()

    def pause(self) -> None:
        """Hold :meth:`run` before its next frame (the book stays as it is)."""
        self._running.clear()

    def resume(self) -> None:
        """Let :meth:`run` go on, paced from now as if the last frame had just been served."""
        self._running.set()

    async def wait_finished(self) -> None:
        """Wait until every frame was served."""
        await self._done.wait()

    def due(self, index: int) -> float:
        """Seconds after the first frame at which frame ``index`` is due at this speed."""
        frames = self.recording.frames
        if math.isinf(self.speed) or not frames:
            return 0.0
        return (frames[index].t - frames[0].t) / self.speed

    # -- serving --------------------------------------------------------------------------------

    def prime(self) -> int:
        """Serve the leading snapshot frames now (at least one frame); returns how many."""
        served = 0
        frames = self.recording.frames
        while self._position < len(frames) and (served == 0 or frames[self._position].snapshot):
            self.serve_next()
            served += 1
        return served

    def serve_next(self) -> bool:
        """Serve the next frame now; False when there was none left (:meth:`run` wraps a loop)."""
        frames = self.recording.frames
        if self._position >= len(frames):
            if not self.loop:
                self._done.set()
            return False
        frame = frames[self._position]
        self._position += 1
        self.stats.frames += 1
        try:
            self._serve(frame)
        except Exception:  # a bad frame must not stop the replay
            log.exception("replay: frame %d could not be served", self._position - 1)
            self.stats.skipped += 1
        if self._position >= len(frames) and not self.loop:
            self._done.set()
        return True

    async def run(self) -> None:
        """Serve the remaining frames at the recorded pace (cancel to stop)."""
        loop = asyncio.get_running_loop()
        frames = self.recording.frames
        # Pace from the last frame served: frame i is due (t[i] - t[anchor]) / speed after it.
        anchor_index = max(0, self._position - 1)
        anchor_time = loop.time()
        burst = 0
        while True:
            while self._position < len(frames):
                if not self._running.is_set():
                    await self._running.wait()
                    anchor_index, anchor_time = max(0, self._position - 1), loop.time()
                    continue
                if math.isinf(self.speed):
                    burst += 1
                    if burst >= _BURST:
                        burst = 0
                        await asyncio.sleep(0)
                        continue
                else:
                    wait = anchor_time + self.due(self._position) - self.due(anchor_index)
                    wait -= loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                        continue  # pause / cancel may have happened meanwhile
                self.serve_next()
            if not (self.loop and frames):
                break
            self._position = 0  # the recorded time starts again: frame 0 is due at once
            self.stats.loops += 1
            anchor_index, anchor_time = 0, loop.time()
            await asyncio.sleep(0)
        self._done.set()

    def _serve(self, frame: RecordedFrame) -> None:
        key = frame.key
        market_id = self.market_map.get(key) if isinstance(key, int) else None
        if market_id is None or frame.topic is None:
            self.stats.skipped += 1
            return
        msg = json.loads(frame.raw, parse_float=Decimal)
        rows = msg.get("data") if isinstance(msg, dict) else None
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list):
            self.stats.skipped += 1
            return
        spec = self.exchange.market(market_id)
        if frame.topic == "orderbook":
            self._apply_book(spec, rows)
        elif frame.topic == "recent_trades" and not frame.snapshot:
            self._publish_trades(spec, rows)
        elif frame.topic == "best_price" and market_id not in self.book_markets:
            mid = (
                decimal_of(rows[0].get("mid_price")) if rows and isinstance(rows[0], dict) else None
            )
            self._set_index(spec, mid)
        else:
            self.stats.skipped += 1

    # -- books ----------------------------------------------------------------------------------

    def _fund(self) -> None:
        self.exchange.faucet(self.wallet, _BANKROLL)
        self.exchange.deposit(self.wallet, _BANKROLL)
        self._funded = True

    def _apply_book(self, spec: MarketSpec, rows: list[Any]) -> None:
        if not self._funded:
            self._fund()
        bids, asks = levels(spec, rows)
        market_id = spec.market_id
        own = self.exchange.open_orders(self.wallet, market_id)  # all of them replay levels
        positions = self.exchange.positions(self.wallet, market_id)
        # Each opening level is checked against the position cap when placed; if earlier levels
        # of the batch fill (they cross resting orders) a later one can fail the check, so the
        # second attempt keeps the opening levels of a side within the cap together.
        for shared_room in (False, True):
            orders, cut = level_orders(spec, bids, asks, positions, own, shared_room=shared_room)
            try:
                self.exchange.cancel_and_place_orders(
                    self.wallet,
                    market_id,
                    [o.order_id for o in own],
                    [o.trade_side for o in own],
                    orders,
                )
            except MoveAbort as exc:
                log.debug("replay: book of market %d refused: %s", market_id, exc)
                if shared_room:
                    self.stats.books_refused += 1
            else:
                self.stats.books += 1
                self.stats.levels_cut += cut
                break
        self._set_index(spec, recorded_mid(rows))

    def _set_index(self, spec: MarketSpec, mid: Decimal | None) -> None:
        if mid is None or mid <= 0:
            return
        ticks = to_grid(mid.scaleb(spec.quote_precision), spec.tick_size, up=False)
        if ticks > 0:
            self.exchange.set_index_price(spec.market_id, ticks)
            self.stats.index_updates += 1

    # -- trades ---------------------------------------------------------------------------------

    def _publish_trades(self, spec: MarketSpec, rows: list[Any]) -> None:
        now = int(self._clock())
        key = str(spec.market_id)
        out = []
        for row in rows:
            if isinstance(row, dict):
                out.append({**row, "market_id": key, "timestamp": now, "last_updated": now})
        if out:
            self.hub.publish_external_trades(spec.market_id, out)
            self.stats.trades += len(out)
