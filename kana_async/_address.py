"""Aptos account addresses: validation and the one canonical form the SDK uses everywhere.

The canonical form is ``0x`` followed by 64 lowercase hex digits. Short forms (``0x1``) and
addresses whose leading zeros were dropped (the docs' 63-digit profile address) are padded.
"""

from __future__ import annotations

import re
from typing import Final

from kana_async._exceptions import ArgumentTypeError, InvalidAddressError

__all__ = ["is_address", "normalize_address"]

_HEX_DIGITS: Final = 64
_ADDRESS_RE: Final = re.compile(r"0[xX]([0-9a-fA-F]{1,64})")


def normalize_address(value: object, *, what: str = "address") -> str:
    """An Aptos address in the one canonical form the SDK uses: ``0x`` + 64 lowercase hex digits.

    Short forms (``"0x1"``) and addresses whose leading zeros were dropped are padded with
    zeros; surrounding spaces are ignored.

    Args:
        value: an address string, ``0x``-prefixed, 1 to 64 hex digits, any case.
        what: how the argument is named in error messages (``"user_address"``...).

    Returns:
        The canonical address, e.g. ``"0x0000…0001"`` for ``"0x1"``.

    Raises:
        ArgumentTypeError: ``value`` is not a string.
        InvalidAddressError: the string is not an Aptos address.
    """
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"{what} must be a string like '0x1a2b…', not {type(value).__name__}"
        )
    match = _ADDRESS_RE.fullmatch(value.strip())
    if match is None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidAddressError(
            f"{what} {shown!r} is not an Aptos address: expected '0x' followed by 1 to "
            f"{_HEX_DIGITS} hex digits"
        )
    return "0x" + match.group(1).lower().rjust(_HEX_DIGITS, "0")


def is_address(value: object) -> bool:
    """Whether ``value`` is a string that :func:`normalize_address` accepts. Never raises.

    Args:
        value: anything.

    Returns:
        ``True`` for ``0x`` followed by 1 to 64 hex digits (any case, surrounding spaces
        allowed), ``False`` otherwise (including non-strings).
    """
    return isinstance(value, str) and _ADDRESS_RE.fullmatch(value.strip()) is not None
