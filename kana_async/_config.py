"""Networks (where the exchange lives) and client defaults.

``MAINNET`` and ``TESTNET`` carry the URLs and market ids of spec §1; the simulator hands out a
custom :class:`Network` pointing at 127.0.0.1. Environment variables read by the client:

* ``KANA_API_KEY``: API key sent as ``x-api-key`` when none is given to the constructor.
* ``KANA_PRIVATE_KEY``: hex Ed25519 key for :meth:`kana_async.Account.from_env`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

__all__ = ["MAINNET", "TESTNET", "Network"]

API_KEY_ENV: Final = "KANA_API_KEY"
PRIVATE_KEY_ENV: Final = "KANA_PRIVATE_KEY"


@dataclass(frozen=True, slots=True)
class Network:
    """Where one Kana deployment lives.

    Args:
        name: a label (``"mainnet"``, ``"testnet"``, ``"sim"``...).
        rest_url: base URL of the Kana REST API, without a trailing slash.
        ws_url: websocket URL, exactly as the server expects it (Kana's ends in ``/ws/``).
        node_url: Aptos fullnode REST URL including ``/v1``.
        chain_id: Aptos chain id signed into every transaction.
        markets: known market ids by symbol (``"APT-USD"`` style).
    """

    name: str
    rest_url: str
    ws_url: str
    node_url: str
    chain_id: int
    markets: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rest_url", self.rest_url.rstrip("/"))
        object.__setattr__(self, "node_url", self.node_url.rstrip("/"))
        object.__setattr__(self, "markets", MappingProxyType(dict(self.markets)))

    def market_id(self, symbol: str) -> int:
        """The id of a market by symbol; accepts ``APT-USD``, ``APT/USD``, ``apt-usdc``, ``APT``."""
        wanted = _symbol_key(symbol)
        for name, market_id in self.markets.items():
            if _symbol_key(name) == wanted:
                return market_id
        known = ", ".join(self.markets) or "none"
        raise KeyError(f"no market {symbol!r} on {self.name}; known markets: {known}")


def _symbol_key(symbol: str) -> str:
    base = symbol.upper().replace("/", "-").split("-", 1)[0]
    return base.strip()


MAINNET: Final = Network(
    name="mainnet",
    rest_url="https://perps-tradeapi.kana.trade",
    ws_url="wss://perpetuals-indexer-ws.kana.trade/ws/",
    node_url="https://api.mainnet.aptoslabs.com/v1",
    chain_id=1,
    markets={"APT-USD": 14, "BTC-USD": 15, "ETH-USD": 16, "SOL-USD": 31},
)

TESTNET: Final = Network(
    name="testnet",
    rest_url="https://perps-tradeapi.kanalabs.io",
    ws_url="wss://perpetuals-indexer-ws-develop.kanalabs.io/ws/",
    node_url="https://api.testnet.aptoslabs.com/v1",
    chain_id=2,
    markets={"APT-USD": 1338, "BTC-USD": 1339, "ETH-USD": 1340, "SOL-USD": 2387},
)
