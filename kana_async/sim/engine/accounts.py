"""Collateral balances: wallets, trading accounts and unsettled PnL.

Every amount is in quote units. Money only moves between these buckets, the margin held by
positions and the collateral reserved by orders; realised PnL is paid out of what the open
positions hold (their margin plus unrealised PnL), so the grand total always equals everything
the faucet minted (see :mod:`.audit`). There is no hidden account: the insurance fund, the
liquidator and the fee collector are ordinary trading accounts.
"""

from __future__ import annotations

from typing import TypeVar

from ..contract import MoveAbort
from .journal import Journal

__all__ = ["Accounts"]

_K = TypeVar("_K")


class Accounts:
    """Balances keyed by normalised wallet address; mutations go through a :class:`Journal`."""

    __slots__ = ("_j", "minted", "trading", "unsettled", "wallets")

    def __init__(self, journal: Journal) -> None:
        self._j = journal
        self.wallets: dict[str, int] = {}
        self.trading: dict[str, int] = {}
        #: Realised profit not yet settled, per (wallet, market id).
        self.unsettled: dict[tuple[str, int], int] = {}
        #: ``{"minted": faucet total}`` kept in a dict so it is journaled.
        self.minted: dict[str, int] = {"minted": 0}

    # -- wallet ---------------------------------------------------------------------------------
    def mint(self, wallet: str, units: int) -> None:
        """Faucet: create ``units`` in ``wallet``."""
        self._j.key(self.minted, "minted")
        self.minted["minted"] += units
        self._add(self.wallets, wallet, units)

    def capitalise(self, account: str, units: int) -> None:
        """Create ``units`` directly in ``account``'s trading balance (house capital at start)."""
        self._j.key(self.minted, "minted")
        self.minted["minted"] += units
        self._add(self.trading, account, units)

    def move_wallet_to_trading(self, wallet: str, to: str, units: int) -> None:
        """Deposit: ``wallet``'s wallet → ``to``'s trading account; 1010 if the wallet is short."""
        have = self.wallets.get(wallet, 0)
        if have < units:
            raise MoveAbort(1010, f"wallet holds {have} units, deposit needs {units}")
        self._add(self.wallets, wallet, -units)
        self._add(self.trading, to, units)

    def move_trading_to_wallet(self, wallet: str, units: int) -> None:
        """Withdraw: trading account → wallet; 1009 if the trading balance is short."""
        have = self.trading.get(wallet, 0)
        if have < units:
            raise MoveAbort(1009, f"trading balance is {have} units, withdrawal needs {units}")
        self._add(self.trading, wallet, -units)
        self._add(self.wallets, wallet, units)

    # -- trading account ------------------------------------------------------------------------
    def debit_trading(self, wallet: str, units: int, code: int, what: str) -> None:
        """Take ``units`` from the trading balance, aborting with ``code`` if it is short."""
        have = self.trading.get(wallet, 0)
        if have < units:
            raise MoveAbort(code, f"{what} needs {units} units, trading balance is {have}")
        self._add(self.trading, wallet, -units)

    def credit_trading(self, wallet: str, units: int) -> None:
        """Add ``units`` (>= 0) to the trading balance."""
        if units:
            self._add(self.trading, wallet, units)

    def add_unsettled(self, wallet: str, market_id: int, units: int) -> None:
        """Book realised profit as unsettled until :meth:`settle`."""
        if units:
            self._add(self.unsettled, (wallet, market_id), units)

    def settle(self, wallet: str, market_id: int) -> int:
        """Move the unsettled profit of a market into the trading balance; returns the amount."""
        units = self.unsettled.get((wallet, market_id), 0)
        if units:
            self._j.key(self.unsettled, (wallet, market_id))
            del self.unsettled[(wallet, market_id)]
            self._add(self.trading, wallet, units)
        return units

    def unsettled_of(self, wallet: str, market_id: int | None = None) -> int:
        """Unsettled profit of ``wallet`` in one market or all."""
        return sum(
            v for (w, m), v in self.unsettled.items() if w == wallet and market_id in (None, m)
        )

    # -- internals ------------------------------------------------------------------------------
    def _add(self, table: dict[_K, int], key: _K, units: int) -> None:
        self._j.key(table, key)
        table[key] = table.get(key, 0) + units
