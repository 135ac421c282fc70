"""Out-of-band notices delivered inside stream subscriptions."""

from __future__ import annotations

from kana_async.models._base import Model

__all__ = ["Reconnected"]


class Reconnected(Model, frozen=True):
    """The websocket was re-established; frames sent while it was down may be lost.

    Event-topic subscriptions (trades, orders, positions, transfers...) yield this in order with
    their rows so the subscriber can resync over REST (e.g. ``kana.portfolio.open_orders()``)
    before trusting the stream again: a gap may exist. The rows the server replays on the new
    subscription are not delivered a second time; only rows not seen before follow. Snapshot
    topics (order book, funding, best price) do not receive it: their next frame replaces
    whatever was missed.

    Attributes:
        reconnects: how many times the connection has been re-established so far (1, 2, ...).
        downtime: seconds between losing the previous connection and the new one being subscribed.
        reason: why the previous connection ended (readable, for logs).
    """

    reconnects: int
    downtime: float
    reason: str = ""
