"""Request headers whose ``repr`` never shows the API key, nor do the requests built from them.

The REST path keeps its headers (``x-api-key`` among them) in :class:`MaskedHeaders`. The values
of :data:`SECRET_HEADERS` are stored as :class:`~kana_async._secret.SecretBytes`, which httpx
and httpcore pass along unchanged into every request made from these headers (and which decode
to :class:`~kana_async._secret.SecretText`, as the aiohttp transport reads them), so an error
reporter that records the local variables of a failed request's frames, and the attributes of
the objects in them, sees ``<secret>`` instead of the key.
"""

from __future__ import annotations

from typing import Any

import httpx

from kana_async._secret import Secret, SecretBytes

__all__ = ["SECRET_HEADERS", "MaskedHeaders"]

#: Header names whose values are secrets (lower case).
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization"})
_SECRET_KEYS = frozenset(name.encode("ascii") for name in SECRET_HEADERS)


class MaskedHeaders(httpx.Headers):
    """:class:`httpx.Headers` that hold the values of :data:`SECRET_HEADERS` masked.

    Those values are kept as :class:`~kana_async._secret.SecretBytes` (set from a ``str`` or a
    :class:`~kana_async._secret.Secret`); the ``repr`` shows ``<secret>`` for them.

    Args:
        headers: as for :class:`httpx.Headers`.
        encoding: as for :class:`httpx.Headers`.
    """

    def __init__(self, headers: Any = None, encoding: str | None = None) -> None:
        super().__init__(headers, encoding)
        self._mask()

    def __setitem__(self, key: str, value: str | Secret[str]) -> None:
        super().__setitem__(key, value.reveal() if isinstance(value, Secret) else value)
        self._mask()

    def update(self, headers: Any = None) -> None:  # type: ignore[override]  # as httpx
        """Add ``headers``, replacing the values of the names they carry; secrets stay masked.

        Args:
            headers: as for :meth:`httpx.Headers.update`.

        Never raises for well-formed headers.
        """
        super().update(headers)
        self._mask()

    def _mask(self) -> None:
        self._list = [
            (raw, key, SecretBytes(value))
            if key in _SECRET_KEYS and not isinstance(value, SecretBytes)
            else (raw, key, value)
            for raw, key, value in self._list
        ]

    def __repr__(self) -> str:
        shown = {
            key: "<secret>" if key.lower() in SECRET_HEADERS else value
            for key, value in self.items()
        }
        return f"{type(self).__name__}({shown!r})"

    def copy(self) -> MaskedHeaders:
        """A copy that masks the same headers.

        Returns:
            The new :class:`MaskedHeaders`.

        Never raises.
        """
        return MaskedHeaders(self)
