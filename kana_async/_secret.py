"""A holder for secret values (private keys, seeds, API keys) that never shows what it holds.

Its ``repr`` and ``str`` are ``<secret>`` and it refuses to be pickled, so a secret kept in one
is not recorded by logging, by error reporters that capture the local variables of a traceback,
or by a pickled object graph. The value is read back only with :meth:`Secret.reveal`.
"""

from __future__ import annotations

from typing import Any, Generic, NoReturn, TypeVar

__all__ = ["Secret"]

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
