"""Funded test accounts the simulator hands out: Ed25519 keys with their Aptos addresses.

Keys are derived deterministically from the simulator's seed and a counter, so a standalone
simulator started with the same ``--seed`` prints the same first account every time. The private
key never appears in ``repr`` (it is an explicit field a test or bot reads on purpose).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from nacl.signing import SigningKey

from kana_async.sim.engine import normalize_address, profile_address

__all__ = ["FundedAccount", "ProfileDirectory", "aptos_address", "derive_key"]

#: Single-signature Ed25519 authentication-key scheme byte of Aptos.
_ED25519_SCHEME = b"\x00"


@dataclass(frozen=True, slots=True)
class FundedAccount:
    """A wallet registered on the simulator's node and funded with APT and USDT.

    Attributes:
        address: the wallet's Aptos address (``0x`` + 64 hex digits).
        private_key_hex: the Ed25519 private key (``0x`` + 64 hex digits); hidden from ``repr``.
        public_key_hex: the Ed25519 public key (``0x`` + 64 hex digits).
        profile_address: the wallet's Kana profile address (what WS topics take).
    """

    address: str
    private_key_hex: str = field(repr=False)
    public_key_hex: str = ""
    profile_address: str = ""

    def __str__(self) -> str:
        return self.address


def aptos_address(public_key: bytes) -> str:
    """The Aptos address of an Ed25519 public key: ``sha3-256(public_key ‖ 0x00)``."""
    return "0x" + hashlib.sha3_256(public_key + _ED25519_SCHEME).hexdigest()


def derive_key(seed: int, index: int) -> SigningKey:
    """The ``index``-th test key of a simulator seeded with ``seed``."""
    material = hashlib.sha256(f"kana-async-sim-account:{seed}:{index}".encode()).digest()
    return SigningKey(material)


class ProfileDirectory:
    """Profile address → wallet, for the places that receive a profile address (WS, ``getFills``).

    Profile addresses are one-way hashes of wallets, so the simulator remembers every wallet it
    has seen (REST ``userAddress`` parameters, engine events, funded accounts).
    """

    __slots__ = ("_wallets",)

    def __init__(self) -> None:
        self._wallets: dict[str, str] = {}

    def remember(self, wallet: str) -> str:
        """Record ``wallet``; returns its profile address."""
        wallet = normalize_address(wallet)
        profile = profile_address(wallet)
        self._wallets[profile] = wallet
        return profile

    def add(self, profile: str, wallet: str) -> None:
        """Record a known ``(profile, wallet)`` pair (both already normalised)."""
        self._wallets[profile] = wallet

    def wallet_of(self, profile: str) -> str | None:
        """The wallet of ``profile`` (any spelling), or ``None`` when never seen."""
        try:
            return self._wallets.get(normalize_address(profile))
        except ValueError:
            return None
