"""Account activity rows: deposits/withdrawals and funding payments (spec §3 #29, #29b)."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import Model

__all__ = ["FundingEntry", "Transfer"]


class Transfer(Model, frozen=True):
    """A deposit (``is_deposit``) or withdrawal of collateral, amount in quote currency."""

    amount: Decimal
    is_deposit: bool
    address: str | None = None
    market_id: int | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None


class FundingEntry(Model, frozen=True):
    """A funding payment (``getFundingHistory``). The spec leaves this row undocumented, so
    every field is optional; ``amount`` is positive when received, negative when paid."""

    market_id: int | None = None
    address: str | None = None
    trade_side: bool | None = None
    size: Decimal | None = None
    funding_rate: Decimal | None = None
    amount: Decimal | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None
