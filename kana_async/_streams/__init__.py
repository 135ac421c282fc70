"""Websocket streams, in the order a frame travels through them.

* :mod:`~kana_async._streams.connection`: one self-healing websocket; keepalive, watchdog,
  backoff, pause when idle. It reaches the ``websockets`` library (asyncio or trio client)
  through :mod:`~kana_async._streams.websocket`, the only module that imports it, or aiohttp's
  websocket client (``StreamOptions(transport="aiohttp")``, asyncio) through
  :mod:`~kana_async._streams.aiohttp_websocket`; both refuse handshakes by one rule
  (:mod:`~kana_async._streams.refusals`);
* :mod:`~kana_async._streams.routing`: each frame to its wire subscription (topic, key), without
  decoding its rows; bad frames counted and skipped;
* :mod:`~kana_async._streams.subscription`: per-subscriber bounded buffers and the
  :class:`Subscription` async iterator; rows decoded lazily, once per frame;
* :mod:`~kana_async._streams.topics`: the topic table: subscribe frames, row types, keys,
  policies; guarded decoding (:mod:`~kana_async._streams.frames`) and repeat filtering
  (:mod:`~kana_async._streams.dedup`).

:mod:`~kana_async._streams.manager` ties them together in :class:`StreamManager`, which runs its
background tasks in one anyio task group.
"""

from __future__ import annotations

from kana_async._streams.manager import KeySource, StreamManager, StreamStatistics
from kana_async._streams.options import ConnectionState, StreamOptions
from kana_async._streams.subscription import (
    Batch,
    OverflowPolicy,
    Subscription,
    SubscriptionStatistics,
)
from kana_async._streams.topics import TOPICS, RoutingKey, Topic, normalize_address

__all__ = [
    "TOPICS",
    "Batch",
    "ConnectionState",
    "KeySource",
    "OverflowPolicy",
    "RoutingKey",
    "StreamManager",
    "StreamOptions",
    "StreamStatistics",
    "Subscription",
    "SubscriptionStatistics",
    "Topic",
    "normalize_address",
]
