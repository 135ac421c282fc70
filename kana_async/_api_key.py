"""The API key argument: checked before anything is sent, then held masked.

An API key travels as the ``x-api-key`` header of every REST request and of the websocket
handshake, so it must be header-safe text. :func:`check_api_key` refuses anything else with a
message that never quotes the key (it may be a real key with one wrong character).
"""

from __future__ import annotations

from typing import Any, Final

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._secret import Secret

__all__ = ["MAX_API_KEY_LENGTH", "check_api_key"]

#: The longest API key accepted, in characters.
MAX_API_KEY_LENGTH: Final = 1024
_FIRST_VISIBLE: Final = 0x21
_LAST_VISIBLE: Final = 0x7E


def check_api_key(given: Secret[Any]) -> Secret[str] | None:
    """The key held in ``given``, checked, as a ``Secret[str]``; ``None`` for no key.

    The key arrives already in a :class:`~kana_async._secret.Secret`, so that no frame of this
    check or of its callers holds it in plain text when the check raises.

    Args:
        given: the key as the caller passed it (``api_key=`` or the ``KANA_API_KEY``
            environment variable): a ``str`` of 1 to :data:`MAX_API_KEY_LENGTH` visible ASCII
            characters (no spaces or control characters); ``None`` or ``""`` for none.

    Returns:
        The key as a ``Secret[str]``, or ``None``.

    Raises:
        ArgumentTypeError: the key is not a ``str``.
        InvalidArgumentError: it is too long or has a character an HTTP header cannot carry
            (the message gives the position, never the key).
    """
    if given.reveal() is None or given.reveal() == "":
        return None
    if not isinstance(given.reveal(), str):
        raise ArgumentTypeError(
            f"api_key must be a str (the key Kana issued), not {type(given.reveal()).__name__}"
        )
    if len(str(given.reveal())) > MAX_API_KEY_LENGTH:
        raise InvalidArgumentError(
            f"the API key (api_key= or KANA_API_KEY) is {len(str(given.reveal()))} characters "
            f"long; at most {MAX_API_KEY_LENGTH} are accepted"
        )
    for position, char in enumerate(str(given.reveal())):
        if not _FIRST_VISIBLE <= ord(char) <= _LAST_VISIBLE:
            raise InvalidArgumentError(
                "the API key (api_key= or KANA_API_KEY) has a character an HTTP header cannot "
                f"carry at position {position} (a space, a control character or non-ASCII "
                "text); pass the key exactly as issued"
            )
    return Secret(str(given.reveal()))
