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

    Any class with these three members is a ``Signer`` (``isinstance`` checks that they exist);
    the protocol itself is never instantiated.

    Args:
        *args: none are taken: calling ``Signer(...)`` raises ``TypeError``; implement the
            protocol instead.
    """

    @property
    def address(self) -> str:
        """The account address the signer signs for: ``0x`` + 64 lowercase hex digits."""
        ...

    @property
    def public_key(self) -> bytes:
        """The account's 32-byte Ed25519 public key."""
        ...

    async def sign(self, message: bytes) -> bytes:
        """Sign a transaction's signing message.

        Args:
            message: the bytes to sign: a domain prefix and the BCS raw transaction.

        Returns:
            The 64-byte Ed25519 signature; the client checks it against :attr:`public_key`
            before submitting and refuses a transaction whose signature does not verify.

        Raises:
            Exception: whatever the signer raises when it cannot sign (a remote signer's
                network error, say); it reaches the caller of the trading method unchanged.
        """
        ...
