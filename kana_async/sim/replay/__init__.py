"""Serve a recorded market (a :mod:`kana_async.recording` file) as the simulator's own market.

:class:`Replay` walks a recording's frames at their recorded pace (times ``speed``):

* an ``orderbook`` frame becomes the market's book: the replay wallet (:data:`REPLAY_WALLET`,
  unlimited collateral, leverage 1) cancels its previous levels and rests one limit order per
  recorded level, in one engine transaction. Your own orders match against those levels like
  against anyone's; when a new recorded book crosses one of your resting orders, the replay's
  order takes it (you are filled at your price, as the maker). What you take is back at the next
  recorded book (the recording does not know you traded);
* the index price follows the recorded mid (best bid + best ask) / 2 of each book, or a
  ``best_price`` frame's ``mid_price`` for a market recorded without its book;
* ``recent_trades`` frames are published to the hub's ``recent_trades`` subscribers (market id
  mapped, ``timestamp`` / ``last_updated`` set to now) and the latest of them join the topic's
  snapshot for new subscribers; they are market data, not trades of this exchange: they do not
  fill your orders, move the last price or appear in ``getAllTrades``. Recorded snapshot frames
  (the history the recorder got first) are skipped;
* other topics are skipped.

Recorded markets are mapped onto the simulator's by symbol (the recording header's ``markets``:
a mainnet ``APT-USD`` recording drives the simulator's ``APT-USD``), else by equal market id;
frames of markets neither finds are skipped. Levels are put on the simulator's grid: bid prices
rounded down, ask prices up to the tick, sizes down to the lot; levels below the market's minimum
size are left out, and opening levels are cut to fit the market's ``max_position_value`` (the
replay wallet is a trader like any other). :attr:`Replay.stats` counts what was served, skipped
and cut.
"""

from __future__ import annotations

from .feed import REPLAY_WALLET, Replay, ReplayStats, open_recording

__all__ = ["REPLAY_WALLET", "Replay", "ReplayStats", "open_recording"]
