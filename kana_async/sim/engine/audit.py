"""The conservation check: every unit of collateral accounted for, every position matched.

:func:`check_conservation` verifies, to the last quote unit, that

* in every market the long lots equal the short lots (every position has a counterparty);
* wallets + trading balances (incl. the fee collectors, the insurance fund and the liquidator) +
  unsettled PnL + collateral reserved by open orders + the equity of open positions (margin +
  unrealised PnL) = everything minted (faucets + house capital). With long = short the
  unrealised PnL of a market sums to ``Σ short value − Σ long value`` whatever the mark, so the
  check does not depend on prices;
* every applied funding round paid out exactly what it took in (per market and round);
* nothing is negative, no closing reservation exceeds its position, no closed order holds
  collateral.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from .core import ExchangeCore

__all__ = ["Conservation", "ConservationError", "check_conservation"]


class ConservationError(AssertionError):
    """The engine's books do not balance (a bug); the message lists every discrepancy."""


@dataclass(frozen=True, slots=True)
class Conservation:
    """The totals :func:`check_conservation` compared (quote units, lots per market)."""

    minted: int
    wallets: int
    trading: int
    unsettled: int
    reserved: int
    margin: int
    open_pnl: int
    fees_collected: int
    insurance_fund: int
    long_lots: dict[int, int]
    short_lots: dict[int, int]

    @property
    def total(self) -> int:
        """Everything held, in every bucket."""
        return (
            self.wallets
            + self.trading
            + self.unsettled
            + self.reserved
            + self.margin
            + self.open_pnl
        )


def check_conservation(exchange: ExchangeCore) -> Conservation:
    """Check the exchange's books balance (see the module docstring); returns the totals.

    Raises :class:`ConservationError` naming every discrepancy.
    """
    s = exchange._s
    a = s.accounts
    problems: list[str] = []
    long_lots: dict[int, int] = {m: 0 for m in s.markets}
    short_lots: dict[int, int] = {m: 0 for m in s.markets}
    open_pnl = 0
    for pos in s.positions.values():
        if pos.size <= 0 or pos.margin < 0 or pos.basis < 0:
            problems.append(f"position {pos.wallet} {pos.market_id} {pos.trade_side}: {pos}")
        if not 0 <= pos.pending_close <= pos.size:
            problems.append(f"pending close {pos.pending_close} of size {pos.size}: {pos.wallet}")
        if pos.trade_side:
            long_lots[pos.market_id] += pos.size
            open_pnl -= pos.basis
        else:
            short_lots[pos.market_id] += pos.size
            open_pnl += pos.basis
    for m in s.markets:
        if long_lots[m] != short_lots[m]:
            problems.append(f"market {m}: {long_lots[m]} long lots but {short_lots[m]} short")
    for name, table in (("wallet", a.wallets), ("trading", a.trading), ("unsettled", a.unsettled)):
        for key, units in table.items():
            if units < 0:
                problems.append(f"negative {name} balance {units} of {key}")
    for order in s.orders.values():
        if order.reserved < 0 or (order.reserved and order.order_id not in s.open):
            problems.append(f"order {order.order_id} holds {order.reserved} units")
    rounds: dict[tuple[int, int], int] = defaultdict(int)
    for rows in s.funding_payments.values():
        for row in rows:
            rounds[(row.market_id, row.transaction_version)] += row.amount
    for (market_id, version), net in sorted(rounds.items()):
        if net:
            problems.append(f"funding of market {market_id} at version {version} nets {net}")
    report = Conservation(
        minted=a.minted["minted"],
        wallets=sum(a.wallets.values()),
        trading=sum(a.trading.values()),
        unsettled=sum(a.unsettled.values()),
        reserved=sum(o.reserved for o in s.open.values()),
        margin=sum(p.margin for p in s.positions.values()),
        open_pnl=open_pnl,
        fees_collected=exchange.fees_collected(),
        insurance_fund=exchange.insurance_fund_balance(),
        long_lots=long_lots,
        short_lots=short_lots,
    )
    if report.total != report.minted:
        problems.append(f"holdings {report.total} != minted {report.minted}: {report}")
    if problems:
        raise ConservationError("; ".join(problems))
    return report
