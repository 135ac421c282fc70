"""Request headers whose ``repr`` never shows the API key.

The REST path keeps its headers (``x-api-key`` among them) in :class:`MaskedHeaders` so that an
error reporter which records the local variables of a failed request's frames sees
``'x-api-key': '<secret>'`` instead of the key.
"""

from __future__ import annotations

import httpx

__all__ = ["SECRET_HEADERS", "MaskedHeaders"]

#: Header names whose values are secrets (lower case).
SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization"})


class MaskedHeaders(httpx.Headers):
    """:class:`httpx.Headers` whose ``repr`` shows ``<secret>`` for :data:`SECRET_HEADERS`.

    Args:
        headers: as for :class:`httpx.Headers`.
        encoding: as for :class:`httpx.Headers`.
    """

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
