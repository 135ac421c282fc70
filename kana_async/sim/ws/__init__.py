"""The simulator's websocket hub at ``/ws/``: topic subscriptions and pushes (spec §5).

Modules: :mod:`.connections` (sockets, queues, stall / malformed / backlog faults),
:mod:`.topics` (topic names, subscribe keys, snapshot rows), :mod:`.hub` (:class:`WsHub`:
subscriptions and exchange events → frames).

A client sends subscribe frames exactly as ``examples/ws/subscribe_messages.json``::

    {"topic": "positions", "address": "<profile address>"}      # account topics
    {"topic": "orderbook", "market_id": "1338"}                  # market topics (+ best_price)
    {"topic": "live_funding_rate"}

and receives ``{"message": topic, "data": [...]}`` frames. One connection may hold any number of
subscriptions. What is pushed, and when (rows come from :mod:`kana_async.sim.wire`):

=========================== ============================================================
topic                       frames
=========================== ============================================================
``positions``               on subscribe and on every change: all open positions of the
                            profile (a closed position is sent once with ``size "0"``)
``open_orders``             on subscribe and on every order change: all open orders
``order_history``           on subscribe: every order; then each changed order's row
``trade_history``           on subscribe: every fill; then each new fill
``deposit_withdraw_history`` on subscribe: every transfer; then each new transfer
``live_order_history``      on subscribe: the latest order (if any); then each change
``live_trade_history``      on subscribe: the latest fill (if any); then each new fill
``orderbook``               on subscribe and on change: the whole book as a flat list of
                            levels (bursts coalesced: one frame per market per loop turn)
``best_price``              like ``orderbook``: ``[{market_id, symbol, bid, ask, mid_price}]``
``recent_trades``           on subscribe: the latest trades (with external ones, e.g.
                            replayed, by timestamp); then each new trade
``live_funding_rate``       on subscribe and periodically: every market's current rate
=========================== ============================================================

Faults: ``faults.ws_malformed`` replaces the next N frames by garbage (not JSON, or JSON of the
wrong shape); ``faults.ws_stall`` stops all sending and pauses reading on every connection (so
pings go unanswered) until it is switched off. :meth:`WsHub.drop_connections` closes every
connection cleanly (close frame 1012) or abruptly (TCP abort).

Latency: with a :class:`~kana_async.sim.latency.LatencyModel` each connection's frames are sent
in delayed batches, in order (see :mod:`.connections`).
"""

from __future__ import annotations

from .connections import MAX_BACKLOG
from .hub import WsHub
from .topics import ACCOUNT_TOPICS, GLOBAL_TOPICS, MARKET_TOPICS

__all__ = ["ACCOUNT_TOPICS", "GLOBAL_TOPICS", "MARKET_TOPICS", "MAX_BACKLOG", "WsHub"]
