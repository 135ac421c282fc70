"""The signer protocol: what the client needs from whoever holds the private key.

:class:`kana_async.Account` (an Ed25519 key held in this process) implements it; a remote or
hardware signer can too, by providing the same three members.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Signer"]


@runtime_checkable
class Signer(Protocol):
    """Signs Aptos transactions for one account.

    ``address`` is the account address (``0x`` + 64 lowercase hex), ``public_key`` the 32-byte
    Ed25519 public key, and :meth:`sign` returns the 64-byte Ed25519 signature of ``message``
    (the transaction's signing message). ``sign`` is async so that a signer may call out to a
    remote service or a device.
    """

    @property
    def address(self) -> str: ...

    @property
    def public_key(self) -> bytes: ...

    async def sign(self, message: bytes) -> bytes: ...
