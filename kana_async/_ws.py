"""Former home of the websocket options; they live in :mod:`kana_async._streams` now.

Kept so that imports of ``StreamOptions`` and ``ConnectionState`` from here keep working.
"""

from __future__ import annotations

from kana_async._streams.options import ConnectionState, StreamOptions

__all__ = ["ConnectionState", "StreamOptions"]
