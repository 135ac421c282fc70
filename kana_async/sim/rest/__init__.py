"""The simulator's Kana REST API: every endpoint of spec §3 as an aiohttp application.

Modules: :mod:`.app` (routes, middleware, envelopes), :mod:`.reads` (read endpoints),
:mod:`.writes` (payload endpoints), :mod:`.params` (typed request parameters), :mod:`.body`
(bounded JSON bodies).

Conventions (see :mod:`kana_async.sim.wire` for the row shapes):

* Replies are ``{"success": true, "message": ..., "data": ...}``; errors are
  ``{"success": false, "message": ...}`` with status 400 (the message names the bad or missing
  parameter), 401 (an API key is configured and ``x-api-key`` is missing or wrong), 404 (unknown
  path, market or order), 405, 413 (a JSON body over 100 KiB), 429 / 503 (faults). No input
  reaches a 500: numbers are bounded (ASCII, at most 100 characters, magnitude within
  ``1e±100``, ``u64`` arguments within a ``u64``) before any arithmetic, and JSON bodies are
  bounded in size and nesting (32 levels) and refused when not valid UTF-8, when they hold
  ``NaN`` / ``Infinity`` or a lone surrogate.
* Request sizes, prices and amounts are **human units** (``size=1.5`` APT, ``price=5.75`` USD,
  ``amount=100`` USDT); a value off the market's lot / tick grid is a 400 naming the parameter.
* Write endpoints return ``{function, typeArguments, functionArguments}`` in **on-chain integer
  units** (lots, ticks, quote units) for the entry functions of :mod:`kana_async.sim.contract`.
  GET endpoints return every argument as a string (``"true"``, ``"1000"``); the POST endpoints
  return JSON numbers / bools / arrays, u128 order ids included (the documented precision hazard
  for clients that decode JSON numbers as doubles).
* Balances (``getWalletAccountBalance``, ``getProfileBalanceSnapshot``, ``getNetProfileBalance``)
  are JSON numbers in USDT; ``getAccountAptBalance`` is a JSON number in APT (not octas).
  ``getLastPlacedPrice`` is the last trade price (the mark price before the first trade).
* History endpoints take ``offset`` (default 0), ``limit`` (default 50) and ``order``
  (``desc``, newest first, by default; or ``asc``).
"""

from __future__ import annotations

from .app import build_rest_app
from .params import DEFAULT_LIMIT

__all__ = ["DEFAULT_LIMIT", "build_rest_app"]
