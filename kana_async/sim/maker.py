"""A seeded house market maker that keeps the simulated books alive.

:class:`MarketMaker` quotes a ladder of limit orders on both sides of a random-walk mid price in
every market and, now and then, sends a small market order from a second house wallet so public
trades happen. It is pure (no I/O, no clock of its own): the REST / WS server drives
:meth:`MarketMaker.step` from an asyncio task (and calls :meth:`Exchange.tick` itself).

Both house wallets start with effectively unlimited collateral, trade at leverage 1 and close
existing positions before opening new ones, so their positions stay small; the maker's opening
quotes never add up past the market's ``max_position_value``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass

from .contract import MoveAbort
from .engine import Exchange, OrderRequest, normalize_address
from .markets import MarketSpec

__all__ = ["HOUSE_TAKER", "HOUSE_WALLET", "MakerConfig", "MarketMaker"]

_log = logging.getLogger("kana_async.sim")

#: The market maker's wallet.
HOUSE_WALLET = normalize_address("0x40053")
#: The wallet the maker's occasional crossing market orders come from.
HOUSE_TAKER = normalize_address("0x40054")

_BANKROLL = 10**18  # quote units: a trillion dollars, effectively unlimited
_LEVERAGE = 1


@dataclass(frozen=True, slots=True)
class MakerConfig:
    """Tuning of the house maker. Basis points are of the mid price."""

    #: Quote levels per side.
    levels: int = 5
    #: Distance from the mid to the first bid / ask.
    half_spread_bps: int = 5
    #: Distance between consecutive levels.
    level_step_bps: int = 5
    #: Quote sizes are ``min_lots × randint(1, max_size_multiple)``.
    max_size_multiple: int = 10
    #: Standard deviation of one step's mid move.
    volatility_bps: int = 5
    #: Pull towards the initial price per step, in percent of the gap.
    mean_reversion_pct: int = 1
    #: Probability that a step also sends a crossing market order.
    cross_probability: float = 0.3


class MarketMaker:
    """House liquidity for ``markets`` (default: every market of the exchange)."""

    def __init__(
        self,
        exchange: Exchange,
        seed: int = 0,
        *,
        markets: Iterable[int] | None = None,
        config: MakerConfig | None = None,
        wallet: str = HOUSE_WALLET,
        taker: str = HOUSE_TAKER,
    ) -> None:
        self.exchange = exchange
        self.config = config or MakerConfig()
        self.wallet = normalize_address(wallet)
        self.taker = normalize_address(taker)
        self._rng = random.Random(seed)
        ids = list(markets) if markets is not None else list(exchange.markets)
        self._specs: list[MarketSpec] = [exchange.market(m) for m in ids]
        self.mids: dict[int, int] = {s.market_id: s.initial_ticks for s in self._specs}
        self._quotes: dict[int, list[tuple[int, bool]]] = {s.market_id: [] for s in self._specs}
        self._funded = False

    def _fund(self) -> None:
        for w in (self.wallet, self.taker):
            self.exchange.faucet(w, _BANKROLL)
            self.exchange.deposit(w, _BANKROLL)
        self._funded = True

    def step(self, now: int) -> None:
        """Move every mid, re-quote the ladders and maybe cross. Never raises on a Move abort."""
        if not self._funded:
            self._fund()
        for spec in self._specs:
            mid = self._walk(spec)
            self.exchange.set_index_price(spec.market_id, mid)
            try:
                self._requote(spec, mid)
            except MoveAbort as exc:
                _log.debug("maker requote on %s failed: %s", spec.market_id, exc)
                self._quotes[spec.market_id] = [
                    (o.order_id, o.trade_side)
                    for o in self.exchange.open_orders(self.wallet, spec.market_id)
                ]
            if self._rng.random() < self.config.cross_probability:
                try:
                    self._cross(spec)
                except MoveAbort as exc:
                    _log.debug("maker cross on %s failed: %s", spec.market_id, exc)

    def _walk(self, spec: MarketSpec) -> int:
        cfg = self.config
        mid = self.mids[spec.market_id]
        shock = round(mid * cfg.volatility_bps * self._rng.gauss(0.0, 1.0) / 10_000)
        pull = (spec.initial_ticks - mid) * cfg.mean_reversion_pct // 100
        floor = spec.tick_size * 10 * max(1, cfg.levels)
        mid = max(floor, mid + shock + pull)
        mid -= mid % spec.tick_size
        self.mids[spec.market_id] = mid
        return mid

    def _sizes(self, spec: MarketSpec) -> int:
        lots = spec.min_lots * self._rng.randint(1, self.config.max_size_multiple)
        return min(lots, spec.max_lots)

    def _requote(self, spec: MarketSpec, mid: int) -> None:
        cfg, tick = self.config, spec.tick_size
        half = max(tick, mid * cfg.half_spread_bps // 10_000)
        step = max(tick, mid * cfg.level_step_bps // 10_000)
        own = self.exchange.open_orders(self.wallet, spec.market_id)
        live = {o.order_id for o in own}
        stale = [(oid, side) for oid, side in self._quotes[spec.market_id] if oid in live]
        # Closing capacity once the stale quotes are cancelled, per position side.
        positions = self.exchange.positions(self.wallet, spec.market_id)
        closable = {
            p.trade_side: p.available_order_size
            + sum(o.remaining_size for o in own if o.direction and o.trade_side == p.trade_side)
            for p in positions
        }
        # Opening quotes stay within max_position_value even if all of them fill.
        cap = spec.max_position_value
        room = {side: cap for side in (True, False)}
        for p in positions:
            room[p.trade_side] -= p.value
        orders: list[OrderRequest] = []
        for i in range(cfg.levels):
            bid = mid - half - i * step
            bid -= bid % tick
            ask = mid + half + i * step
            ask += -ask % tick
            for is_buy, price in ((True, bid), (False, ask)):
                if price <= 0:
                    continue
                size = self._sizes(spec)
                # A buy closes a short, a sell closes a long; otherwise it opens.
                close_side = not is_buy
                if closable.get(close_side, 0) >= size:
                    closable[close_side] -= size
                    orders.append(OrderRequest(True, close_side, True, size, price, _LEVERAGE))
                    continue
                if cap:  # shrink an opening quote to the room left under the cap
                    value = spec.notional_units(size, price)
                    if value > room[is_buy]:
                        size = max(0, size * room[is_buy] // value)
                        size -= size % spec.min_lots
                        value = spec.notional_units(size, price)
                    room[is_buy] -= value
                if size:
                    orders.append(OrderRequest(True, is_buy, False, size, price, _LEVERAGE))
                elif closable.get(close_side, 0):  # no room to open: close what is left
                    size, closable[close_side] = closable[close_side], 0
                    orders.append(OrderRequest(True, close_side, True, size, price, _LEVERAGE))
        _, placed = self.exchange.cancel_and_place_orders(
            self.wallet,
            spec.market_id,
            [oid for oid, _ in stale],
            [side for _, side in stale],
            orders,
        )
        self._quotes[spec.market_id] = [
            (o.order_id, o.trade_side) for o in placed if o.remaining_size and o.status != "Filled"
        ]

    def _buy_probability(self, spec: MarketSpec) -> float:
        """0.5, leaning against the maker's exposure as it nears ``max_position_value``.

        A house buy hits the maker's asks (the maker sells), so when the maker holds more short
        than long value the house taker sells more often, and vice versa: the maker never sits
        at the cap on one side with nothing left to quote there.
        """
        cap = spec.max_position_value
        if not cap:
            return 0.5
        held = {True: 0, False: 0}
        for p in self.exchange.positions(self.wallet, spec.market_id):
            held[p.trade_side] += p.value
        imbalance = max(-1.0, min(1.0, 2 * (held[False] - held[True]) / cap))
        return 0.5 - 0.5 * imbalance

    def _cross(self, spec: MarketSpec) -> None:
        is_buy = self._rng.random() < self._buy_probability(spec)
        size = self._sizes(spec)
        close_side = not is_buy
        for p in self.exchange.positions(self.taker, spec.market_id):
            if p.trade_side == close_side and p.available_order_size >= size:
                self.exchange.place_market_order(
                    self.taker, spec.market_id, close_side, True, size, _LEVERAGE
                )
                return
        self.exchange.place_market_order(self.taker, spec.market_id, is_buy, False, size, _LEVERAGE)
