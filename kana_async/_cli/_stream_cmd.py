"""``stream TOPIC [KEY]``: a websocket topic as JSON lines on stdout, one flushed line per item.

Made to be piped (``kana-async stream orderbook APT-USD | jq .mid``): a reader that goes away
(``head -n 3``) ends the command quietly with status 0, Ctrl-C with 130, and nothing but data is
ever written to stdout.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kana_async._cli._errors import UsageError
from kana_async._cli._fmt import json_line, row_dict
from kana_async._cli._session import connect, resolve_market, wait_connected
from kana_async._client import KanaClient
from kana_async._streams import Subscription
from kana_async.models.orderbook import OrderBook
from kana_async.models.stream_events import Reconnected

__all__ = ["ACCOUNT_TOPICS", "MARKET_TOPICS", "TOPICS", "stream"]

#: Topics keyed by a market (KEY: an id or a symbol).
MARKET_TOPICS = ("orderbook", "recent_trades", "best_price")
#: Topics keyed by a profile address (KEY: the address; default the wallet's profile).
ACCOUNT_TOPICS = (
    "positions",
    "trade_history",
    "open_orders",
    "order_history",
    "deposit_withdraw_history",
    "live_order_history",
    "live_trade_history",
)
TOPICS = (*MARKET_TOPICS, "live_funding_rate", *ACCOUNT_TOPICS)


def _item(item: Any) -> dict[str, Any]:
    """The JSON object of one item: the row itself, or a ``{"type": "reconnected"...}`` notice."""
    if isinstance(item, Reconnected):
        return {"type": "reconnected", **row_dict(item)}
    if isinstance(item, OrderBook):  # a lazy view, not a struct: its fields one by one
        return {
            "market_id": item.market_id,
            "bids": [row_dict(level) for level in item.bids],
            "asks": [row_dict(level) for level in item.asks],
            "mid": item.mid,
            "spread": item.spread,
        }
    return row_dict(item)


async def _subscribe(kana: KanaClient, topic: str, key: str | None) -> Subscription[Any]:
    streams = kana.streams
    if topic in MARKET_TOPICS:
        if key is None:
            raise UsageError(f"stream {topic} needs a market: kana-async stream {topic} APT-USD")
        market = await resolve_market(kana, key)
        opener: Any = getattr(streams, topic)
        sub: Subscription[Any] = opener(market.market_id)
        return sub
    if topic == "live_funding_rate":
        if key is not None:
            raise UsageError("stream live_funding_rate takes no KEY")
        return streams.live_funding_rate()
    if key is None and kana.wallet_address is None:
        raise UsageError(
            f"stream {topic} needs a profile address: give it as KEY, pass --address, "
            "or set KANA_PRIVATE_KEY"
        )
    account_opener: Any = getattr(streams, topic)
    account_sub: Subscription[Any] = account_opener(key)
    return account_sub


async def stream(args: argparse.Namespace) -> int:
    """``kana-async stream TOPIC [KEY]``: each item of a websocket topic as one JSON line.

    Runs until ``--count`` items, Ctrl-C, or the reader of stdout going away. Decimals are
    written as plain-digit strings; an order book also carries its ``mid`` and ``spread``; a
    reconnection is a ``{"type": "reconnected", ...}`` line.

    Args:
        args: the parsed command line: ``topic``; ``key`` (a market id or symbol for market
            topics, a profile address for account topics, none for ``live_funding_rate``);
            ``--count``; ``--network``; ``--address``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
    """
    out = sys.stdout
    count = 0
    async with connect(args) as kana:
        sub = await _subscribe(kana, args.topic, args.key)
        async with sub:
            await wait_connected(kana)
            async for item in sub:
                out.write(json_line(_item(item)))
                out.flush()
                count += 1
                if args.count is not None and count >= args.count:
                    break
    return 0
