"""Funding: the rate from the mark–index gap, and exactly zero-sum payments between positions."""

from __future__ import annotations

from decimal import Decimal

from ..markets import MarketSpec
from .positions import LivePosition
from .records import FundingEvent, FundingPaymentRecord, FundingRateRecord
from .rules import distribute, funding_rate
from .state import EngineState

__all__ = ["apply_funding", "funding_rate_record"]

_RATE_QUANTUM = Decimal("1e-8")


def funding_rate_record(s: EngineState, spec: MarketSpec, next_time: int) -> FundingRateRecord:
    """The market's current funding-rate record: ``clamp((mark − index) / index, ± max)``."""
    mark, index = s.mark(spec.market_id), s.index_price[spec.market_id]
    return FundingRateRecord(
        market_id=spec.market_id,
        rate=funding_rate(mark, index, s.max_funding_rate, _RATE_QUANTUM),
        mark_price=mark,
        index_price=index,
        next_funding_time=next_time,
        **s.stamp(),
    )


def apply_funding(s: EngineState, spec: MarketSpec, next_time: int) -> FundingRateRecord:
    """Charge / pay every open position of a market one funding interval, zero-sum to the unit.

    With ``rate > 0`` each long pays ``notional × rate`` at the mark (rounded down, at most its
    margin) out of its margin; the total is shared among the shorts in proportion to their
    notional (:func:`~.rules.distribute`: leftover units go to the largest remainders), so the
    receivers get exactly what the payers paid. ``rate < 0``: the reverse.
    """
    record = funding_rate_record(s, spec, next_time)
    mark, rate = record.mark_price, record.rate
    positions = [p for p in s.positions.values() if p.market_id == spec.market_id]
    payers = [p for p in positions if rate and (rate > 0) == p.trade_side]
    receivers = [p for p in positions if rate and (rate > 0) != p.trade_side]
    weights = [spec.notional_units(p.size, mark) for p in receivers]
    owed = [
        min(p.margin, int(Decimal(spec.notional_units(p.size, mark)) * abs(rate))) for p in payers
    ]
    if sum(weights) <= 0:
        owed = [0] * len(payers)
    shares = distribute(sum(owed), weights)
    payments: list[FundingPaymentRecord] = []
    for pos, amount in [(p, -a) for p, a in zip(payers, owed, strict=True)] + list(
        zip(receivers, shares, strict=True)
    ):
        if amount:
            payments.append(_pay(s, spec, pos, amount, rate, mark))
    s.journal.tail(s.funding_applied)
    s.funding_applied.append(record)
    s.events.append(FundingEvent(rate=record, payments=tuple(payments)))
    return record


def _pay(
    s: EngineState, spec: MarketSpec, pos: LivePosition, amount: int, rate: Decimal, mark: int
) -> FundingPaymentRecord:
    """Add ``amount`` (negative: take it) to the position's margin and record the payment."""
    s.journal.obj(pos)
    pos.margin += amount
    s.touch(pos)
    payment = FundingPaymentRecord(
        address=s.profile(pos.wallet),
        wallet=pos.wallet,
        market_id=spec.market_id,
        trade_side=pos.trade_side,
        size=pos.size,
        rate=rate,
        amount=amount,
        mark_price=mark,
        **s.stamp(),
    )
    s.append(s.funding_payments, pos.wallet, payment)
    s.position_changed(pos)
    return payment
