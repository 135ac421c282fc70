"""Collateral movements: faucet, deposit, withdraw (with their transfer records)."""

from __future__ import annotations

from ..contract import MoveAbort
from .core import ExchangeCore
from .records import TransferEvent, TransferRecord
from .state import EngineState, normalize_address

__all__ = ["FundsOps"]


class FundsOps(ExchangeCore):
    """Faucet, deposits and withdrawals of :class:`~.exchange.Exchange`."""

    def faucet(self, wallet: str, units: int, *, version: int | None = None) -> None:
        """Credit ``units`` of collateral to the wallet (test USDT)."""
        wallet = normalize_address(wallet)
        if units < 0:
            raise MoveAbort(1101, f"faucet amount {units} is negative")
        with self._tx(version) as s:
            s.accounts.mint(wallet, units)
            s.balance_changed(wallet)

    def deposit(
        self,
        wallet: str,
        units: int,
        *,
        beneficiary: str | None = None,
        version: int | None = None,
    ) -> TransferRecord:
        """Move ``units`` from the wallet into the trading account of ``beneficiary`` (default:
        the same wallet). Aborts 1010 when the wallet holds less, 1101 for a zero amount."""
        wallet = normalize_address(wallet)
        to = normalize_address(beneficiary) if beneficiary is not None else wallet
        if units <= 0:
            raise MoveAbort(1101, "deposit amount must be positive")
        with self._tx(version) as s:
            s.accounts.move_wallet_to_trading(wallet, to, units)
            record = self._transfer(s, to, units, True, None)
            s.balance_changed(wallet)
            s.balance_changed(to)
        return record

    def withdraw(
        self, wallet: str, market_id: int, units: int, *, version: int | None = None
    ) -> TransferRecord:
        """Move ``units`` from the trading account back to the wallet (withdraw_specific_market).

        Aborts 1003 for an unknown market, 1009 when the trading balance is short, 1101 for zero.
        """
        wallet = normalize_address(wallet)
        if units <= 0:
            raise MoveAbort(1101, "withdrawal amount must be positive")
        with self._tx(version) as s:
            s.market(market_id)
            s.accounts.move_trading_to_wallet(wallet, units)
            record = self._transfer(s, wallet, units, False, market_id)
            s.balance_changed(wallet)
        return record

    def _transfer(
        self, s: EngineState, wallet: str, units: int, is_deposit: bool, market_id: int | None
    ) -> TransferRecord:
        record = TransferRecord(
            address=s.profile(wallet),
            wallet=wallet,
            amount=units,
            is_deposit=is_deposit,
            market_id=market_id,
            **s.stamp(),
        )
        s.append(s.transfers, wallet, record)
        s.events.append(TransferEvent(record))
        return record
