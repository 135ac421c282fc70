"""Which failed websocket handshakes are refused for good: one rule for every socket library."""

from __future__ import annotations

from typing import Final

from kana_async._exceptions import StreamHandshakeRefusedError

__all__ = ["refused_status", "refused_url"]

#: 4xx answers that retrying may change: request timeout, too early, too many requests.
_RETRYABLE_4XX: Final = frozenset({408, 425, 429})


def refused_status(status: int) -> StreamHandshakeRefusedError | None:
    """The error ending the subscriptions for a handshake answered ``status``. Never raises.

    Args:
        status: the HTTP status the server answered the upgrade request with.

    Returns:
        The refusal for a 4xx that retrying will not change (all but 408, 425 and 429), or
        ``None`` (retry: a 5xx, a retryable 4xx, or an upgrade answered wrongly).
    """
    if 400 <= status < 500 and status not in _RETRYABLE_4XX:
        return StreamHandshakeRefusedError(
            f"the websocket server refused the connection with HTTP {status}"
            + (" (is the API key right?)" if status in (401, 403) else ""),
            status_code=status,
        )
    return None


def refused_url(exc: BaseException) -> StreamHandshakeRefusedError:
    """The error ending the subscriptions for a URL that cannot be used. Never raises.

    Args:
        exc: what the library raised for the URL.

    Returns:
        The refusal, quoting the library's reason.
    """
    return StreamHandshakeRefusedError(f"the websocket URL cannot be used: {exc}")
