"""Delegate keys: one per user, optionally time-bounded, allowed to trade but not to withdraw.

:class:`DelegateRegistry` is the on-chain state behind ``perpetual_scripts::set_delegate`` /
``remove_delegate`` and the checks of every ``delegated_scripts`` call (see
:mod:`kana_async.sim.contract`). Addresses are normalised (``0x`` + 64 lowercase hex).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .engine import normalize_address

__all__ = ["Delegate", "DelegateRegistry"]


@dataclass(frozen=True, slots=True)
class Delegate:
    """A user's delegate key: its address and its expiration (unix seconds; 0 = none)."""

    address: str
    expiration_secs: int = 0


class DelegateRegistry:
    """Each user's current delegate.

    Args:
        clock: unix seconds, for expirations.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._by_user: dict[str, Delegate] = {}

    def set(self, user: str, delegate: str, expiration_secs: int = 0) -> None:
        """Make ``delegate`` the user's one delegate (replacing any earlier one)."""
        self._by_user[normalize_address(user)] = Delegate(
            normalize_address(delegate), expiration_secs
        )

    def remove(self, user: str) -> None:
        """The user has no delegate any more."""
        self._by_user.pop(normalize_address(user), None)

    def of(self, user: str) -> Delegate | None:
        """The user's delegate (expired or not), or ``None``."""
        return self._by_user.get(normalize_address(user))

    def allows(self, user: str, signer: str) -> bool:
        """True when ``signer`` is the user's delegate now (set and not expired)."""
        delegate = self.of(user)
        if delegate is None or delegate.address != normalize_address(signer):
            return False
        return not delegate.expiration_secs or self._clock() < delegate.expiration_secs

    def copy(self) -> DelegateRegistry:
        """An independent copy (for dry runs)."""
        other = DelegateRegistry(self._clock)
        other._by_user = dict(self._by_user)
        return other
