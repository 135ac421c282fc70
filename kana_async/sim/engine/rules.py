"""Kana's economic rules, each written once: fees, margin, mark price, funding, liquidation split,
order ids.

Everything here is pure integer arithmetic on quote units (10^-quote_decimals of the collateral),
ticks and lots; the engine modules call these functions and never re-derive a rule.

* **Fees** (:class:`FeeSchedule`): taker 0.05 %, maker 0 % of the fill's notional, rounded down;
  a per-wallet taker rate (a VIP tier) may replace the taker rate.
* **Initial margin** (:func:`initial_margin`): ``ceil(notional / leverage)`` at the *fill* price.
* **Maintenance margin**: ``notional × maintenance_margin / 10000`` at the mark (the market's
  ``maintenance_margin`` in basis points, 250 = 2.5 % by default).
* **Mark price** (:func:`mark_price`): ``index + premium``, the premium being how far the book's
  best bid sits above the index or its best ask below it, clamped to ``± mark_premium_cap`` of
  the index; one trade can move the mark by at most that cap.
* **Funding** (:func:`funding_rate`, :func:`distribute`): ``clamp((mark − index) / index,
  ± max_funding_rate)``; what the payers pay is shared among the receivers in proportion to their
  notional with the rounding residue handed out unit by unit, so payments sum to exactly zero.
* **Liquidation** (:func:`split_remaining`): the collateral a liquidated position still has at the
  mark goes 20 % to the insurance fund (while it is below its cap), 30 % to the liquidator and the
  rest (50 % plus rounding) back to the trader.
* **Order ids** (:func:`order_id`): ``counter << 64 | market_id << 32 | price_ticks`` — the layout
  of mainnet ids (high 64 bits a per-market counter, low 32 bits the price in ticks); the middle
  bits, which on mainnet hold order-book node ids, carry the market id so ids are unique across
  markets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Final

__all__ = [
    "DEFAULT_MAKER_RATE",
    "DEFAULT_TAKER_RATE",
    "FUND_SHARE_PCT",
    "LIQUIDATOR_SHARE_PCT",
    "FeeSchedule",
    "distribute",
    "funding_rate",
    "initial_margin",
    "mark_price",
    "order_id",
    "split_remaining",
]

#: Kana's documented taker fee (0.05 %) and maker fee (0 %).
DEFAULT_TAKER_RATE: Final = Decimal("0.0005")
DEFAULT_MAKER_RATE: Final = Decimal("0")
#: Shares of a liquidated position's remaining collateral, in percent.
FUND_SHARE_PCT: Final = 20
LIQUIDATOR_SHARE_PCT: Final = 30

_PRICE_BITS: Final = 32
_COUNTER_SHIFT: Final = 64


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _rate(value: Decimal) -> Fraction:
    rate = Fraction(value)
    if not 0 <= rate < 1:
        raise ValueError(f"a fee rate must be in [0, 1), got {value}")
    return rate


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Trading fees as fractions of a fill's notional, paid to the market's fee address.

    ``taker_rate`` / ``maker_rate`` default to Kana's 0.05 % / 0 %. ``tiers`` maps a wallet
    address (any spelling) to its own taker rate (a VIP tier of the fee ladder).
    """

    taker_rate: Decimal = DEFAULT_TAKER_RATE
    maker_rate: Decimal = DEFAULT_MAKER_RATE
    tiers: Mapping[str, Decimal] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .state import normalize_address  # local: state imports this module

        _rate(self.taker_rate)
        _rate(self.maker_rate)
        tiers = {normalize_address(w): Decimal(r) for w, r in self.tiers.items()}
        for r in tiers.values():
            _rate(r)
        object.__setattr__(self, "tiers", tiers)

    def taker_rate_of(self, wallet: str) -> Fraction:
        """The taker rate of a normalised wallet address (its tier's, else the default)."""
        tier = self.tiers.get(wallet)
        return _rate(self.taker_rate if tier is None else tier)

    def fee(self, wallet: str, notional: int, is_maker: bool) -> int:
        """Fee in quote units of one fill worth ``notional`` quote units (rounded down)."""
        rate = _rate(self.maker_rate) if is_maker else self.taker_rate_of(wallet)
        return int(notional * rate)

    def fee_reserve(self, wallet: str, notional: int) -> int:
        """The worst-case fee an order worth ``notional`` may pay (taker rate, rounded up)."""
        rate = max(self.taker_rate_of(wallet), _rate(self.maker_rate))
        return math.ceil(notional * rate)


def initial_margin(notional: int, leverage: int) -> int:
    """Initial margin of ``notional`` quote units at ``leverage``: ``ceil(notional / leverage)``."""
    return _ceil_div(notional, leverage)


def mark_price(index: int, best_bid: int | None, best_ask: int | None, cap: Fraction) -> int:
    """Mark price in ticks: ``index`` plus the book's premium, clamped to ``± cap × index``.

    The premium is ``max(0, best_bid − index) − max(0, index − best_ask)`` (0 while the index lies
    inside the spread or the book is empty). ``cap`` is a fraction of the index (0.005 = 0.5 %).
    """
    above = max(0, best_bid - index) if best_bid is not None else 0
    below = max(0, index - best_ask) if best_ask is not None else 0
    bound = int(index * cap)
    return index + max(-bound, min(bound, above - below))


def funding_rate(mark: int, index: int, bound: Decimal, quantum: Decimal) -> Decimal:
    """``clamp((mark − index) / index, ± bound)``, rounded toward zero to ``quantum``."""
    if index <= 0:
        return Decimal(0)
    gap = Decimal(mark - index) / Decimal(index)
    rate = max(-bound, min(bound, gap))
    return rate.quantize(quantum, rounding="ROUND_DOWN")


def distribute(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` units in proportion to ``weights`` so the parts sum to exactly ``total``.

    Each part is first rounded down; the units left over go one each to the largest fractional
    remainders (ties: the earlier weight), so the result is deterministic. All weights 0: all 0.
    """
    whole = sum(weights)
    if whole <= 0 or total <= 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def split_remaining(remaining: int, fund_room: int | None) -> tuple[int, int, int]:
    """``(insurance fund, liquidator, trader)`` shares of a liquidated position's collateral.

    20 % to the fund (at most ``fund_room``, what it may still take below its cap; None: no
    cap), 30 % to the liquidator, the rest (50 % plus the rounding and what the fund could not
    take) to the trader. ``remaining`` <= 0 gives ``(0, 0, 0)``.
    """
    if remaining <= 0:
        return 0, 0, 0
    fund = remaining * FUND_SHARE_PCT // 100
    if fund_room is not None:
        fund = max(0, min(fund, fund_room))
    liquidator = remaining * LIQUIDATOR_SHARE_PCT // 100
    return fund, liquidator, remaining - fund - liquidator


def order_id(counter: int, market_id: int, price_ticks: int) -> int:
    """A u128 order id: ``counter << 64 | market_id << 32 | price_ticks`` (each field masked).

    ``counter`` (>= 1) counts the market's orders, so ids are > 2**64 and increase per market.
    """
    if counter < 1:
        raise ValueError("order counters start at 1")
    mask = (1 << _PRICE_BITS) - 1
    return (counter << _COUNTER_SHIFT) | ((market_id & mask) << _PRICE_BITS) | (price_ticks & mask)
