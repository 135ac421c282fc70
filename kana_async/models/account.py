"""Account activity rows: deposits and withdrawals of collateral, and funding payments."""

from __future__ import annotations

from decimal import Decimal

from kana_async.models._base import Model

__all__ = ["FundingEntry", "Transfer"]


class Transfer(Model, frozen=True):
    """A deposit or withdrawal of collateral between the wallet and the trading account.

    Rows of ``GET /getDepositAndWithdrawHistory`` and of the websocket topic
    ``deposit_withdraw_history``.

    Attributes:
        amount: how much moved, in the collateral stablecoin (human units, ``Decimal``).
        is_deposit: ``True`` for a deposit into the trading account, ``False`` for a withdrawal.
        address: the profile address, where the server sends it.
        market_id: the market of a per-market withdrawal, where the server sends it.
        timestamp: when it happened, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        transaction_version: the Aptos ledger version of the transaction.
    """

    amount: Decimal
    is_deposit: bool
    address: str | None = None
    market_id: int | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None


class FundingEntry(Model, frozen=True):
    """One funding payment of one position (rows of ``GET /getFundingHistory``).

    Kana does not document this row, so every field is optional and ``None`` when not sent.

    Attributes:
        market_id: the market, e.g. ``1338``.
        address: the profile address.
        trade_side: the position's side: ``True`` long, ``False`` short.
        size: the position's size in base asset (``Decimal``).
        funding_rate: the rate applied, as a ``Decimal`` fraction.
        amount: the payment in the collateral stablecoin (``Decimal``): positive when received,
            negative when paid.
        timestamp: when it was paid, Unix time in seconds.
        last_updated: when the indexer last updated the row, Unix time in seconds.
        transaction_version: the Aptos ledger version of the transaction.
    """

    market_id: int | None = None
    address: str | None = None
    trade_side: bool | None = None
    size: Decimal | None = None
    funding_rate: Decimal | None = None
    amount: Decimal | None = None
    timestamp: int | None = None
    last_updated: int | None = None
    transaction_version: int | None = None
