"""Resources on a :class:`~kana_async.KanaClient`: one class per group of endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kana_async._lazy import lazy_exports as _lazy_exports

if TYPE_CHECKING:
    from kana_async.resources.history import History
    from kana_async.resources.markets import Markets
    from kana_async.resources.orders import Orders
    from kana_async.resources.payloads import Payloads
    from kana_async.resources.portfolio import Portfolio

#: Each resource's module, imported when the resource class is first read from this package.
_LAZY: dict[str, str] = {
    "History": "kana_async.resources.history",
    "Markets": "kana_async.resources.markets",
    "Orders": "kana_async.resources.orders",
    "Payloads": "kana_async.resources.payloads",
    "Portfolio": "kana_async.resources.portfolio",
}

# Run time only: type checkers see the names imported above and still flag unknown ones.
if not TYPE_CHECKING:
    __getattr__, __dir__ = _lazy_exports(__name__, globals(), _LAZY)

__all__ = ["History", "Markets", "Orders", "Payloads", "Portfolio"]
