"""A holder for secret values (private keys, seeds, API keys) that never shows what it holds.

Its ``repr`` and ``str`` are ``<secret>`` and it refuses to be pickled, so a secret kept in one
is not recorded by logging, by error reporters that capture the local variables of a traceback,
or by a pickled object graph. The value is read back only with :meth:`Secret.reveal`.

A secret that must travel as an HTTP header value is carried as :class:`SecretText` (a ``str``
whose ``repr`` is masked; :class:`LogSafeText` masks ``str()`` too) or, once encoded, as
:class:`SecretBytes`: HTTP libraries keep these objects in their header structures until they
write the request's bytes, so the headers' ``repr`` never shows the secret.
"""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar

__all__ = ["LogSafeText", "Secret", "SecretBytes", "SecretText"]

T = TypeVar("T")


class Secret(Generic[T]):
    """A value whose ``repr``/``str`` is ``<secret>`` and that cannot be pickled.

    Args:
        value: the secret (a key's text, a key object, an API key...).
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def reveal(self) -> T:
        """The secret itself; only pass it on to what must use it (a signer, a request header).

        Returns:
            The wrapped value.

        Never raises.
        """
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return "<secret>"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a secret cannot be pickled")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a secret cannot be pickled")

    def __copy__(self) -> Secret[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return self


class SecretText(str):
    """Text that is a secret (an API key as a header value): ``repr`` is ``'<secret>'``.

    It is a real ``str`` so that HTTP clients can send it: ``str()``, concatenation and
    ``format()`` give the text itself. Only :meth:`encode` differs from ``str``: it returns
    :class:`SecretBytes`, so the encoded header keeps the masked ``repr``. It cannot be pickled.

    Args:
        value: the secret text.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "'<secret>'"

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> SecretBytes:
        """The text encoded, still masked.

        Args:
            encoding: as for ``str.encode``.
            errors: as for ``str.encode``.

        Returns:
            The bytes as :class:`SecretBytes`.

        Raises:
            UnicodeEncodeError: the text cannot be encoded so.
        """
        return SecretBytes(str.encode(self, encoding, errors))

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a secret cannot be pickled")

    def __copy__(self) -> SecretText:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretText:
        return self


class LogSafeText(SecretText):
    """:class:`SecretText` whose ``str()`` and ``%s`` are ``<secret>`` as well.

    Logging formats its arguments with ``%s``; a header value of this type logged by a library
    shows ``<secret>``. Only ``format()`` (and so f-strings), concatenation and :meth:`encode`
    give the text, which is how the websocket client writes its handshake headers.

    Args:
        value: the secret text.
    """

    __slots__ = ()

    def __str__(self) -> str:
        return "<secret>"

    def __format__(self, spec: str) -> str:
        return format(str.__str__(self), spec)


class SecretBytes(bytes):
    """Bytes that are a secret (an encoded header value): ``repr``/``str`` are ``b'<secret>'``.

    :meth:`decode` returns :class:`SecretText`, so decoding keeps the mask. It cannot be
    pickled.

    Args:
        value: the secret bytes.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "b'<secret>'"

    __str__ = __repr__

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> SecretText:
        """The bytes decoded, still masked.

        Args:
            encoding: as for ``bytes.decode``.
            errors: as for ``bytes.decode``.

        Returns:
            The text as :class:`SecretText`.

        Raises:
            UnicodeDecodeError: the bytes cannot be decoded so.
        """
        return SecretText(bytes.decode(self, encoding, errors))

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a secret cannot be pickled")

    def __copy__(self) -> SecretBytes:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> SecretBytes:
        return self
