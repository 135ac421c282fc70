"""Resources on a :class:`~kana_async.KanaClient`: one class per group of endpoints."""

from kana_async.resources.history import History
from kana_async.resources.markets import Markets
from kana_async.resources.orders import Orders
from kana_async.resources.payloads import Payloads
from kana_async.resources.portfolio import Portfolio

__all__ = ["History", "Markets", "Orders", "Payloads", "Portfolio"]
