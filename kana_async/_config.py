"""Networks (where the exchange lives) and client defaults.

``MAINNET`` and ``TESTNET`` carry Kana's public URLs and market ids; the simulator hands out a
custom :class:`Network` pointing at 127.0.0.1 and can write it to a JSON file that
:meth:`Network.from_file` reads back. Environment variables:

* ``KANA_API_KEY``: API key sent as ``x-api-key`` when none is given to the constructor.
* ``KANA_PRIVATE_KEY``: hex Ed25519 key for :meth:`kana_async.Account.from_env`.
* ``KANA_NETWORK``: ``testnet``, ``mainnet``, a REST URL or the path of a network file, read by
  :meth:`Network.from_env` (and so by the ``kana-async`` command line and the examples).
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError, UnknownSymbolError

__all__ = ["MAINNET", "TESTNET", "Network"]

API_KEY_ENV: Final = "KANA_API_KEY"
PRIVATE_KEY_ENV: Final = "KANA_PRIVATE_KEY"
NETWORK_ENV: Final = "KANA_NETWORK"
#: Chain id of the local simulator (what a bare URL is taken to point at).
LOCAL_CHAIN_ID: Final = 4


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

    Raises:
        ArgumentTypeError: a field of the wrong type.
        InvalidArgumentError: a chain id that is not a u8, a market id that is not a u64, or a
            plaintext ``http://`` / ``ws://`` URL for a public Kana or Aptos host (those are
            reached over TLS only; plaintext is allowed for loopback and your own hosts).
    """

    name: str
    rest_url: str
    ws_url: str
    node_url: str
    chain_id: int
    markets: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_network_fields(self)
        object.__setattr__(self, "rest_url", self.rest_url.rstrip("/"))
        object.__setattr__(self, "node_url", self.node_url.rstrip("/"))
        object.__setattr__(self, "markets", MappingProxyType(dict(self.markets)))

    def market_id(self, symbol: str) -> int:
        """The id of a market in :attr:`markets`, looked up by symbol.

        Only the base asset is compared, case-insensitively, so ``APT-USD``, ``APT/USD``,
        ``apt-usdc`` and ``APT`` all find the ``APT-USD`` market.

        Args:
            symbol: the market's symbol or just its base asset.

        Returns:
            The market id (``1338`` for ``APT-USD`` on testnet).

        Raises:
            ArgumentTypeError: ``symbol`` is not a ``str``.
            UnknownSymbolError: this network's table has no such market (the message lists the
                known ones; a custom network's table may be empty, see ``kana.markets.all()``);
                it is an :class:`UnknownMarketError` and a ``KeyError``.
        """
        if not isinstance(symbol, str):
            raise ArgumentTypeError(
                f"symbol must be a str such as 'APT-USD', not {type(symbol).__name__}"
            )
        if len(symbol) > _MAX_SYMBOL:
            raise UnknownSymbolError(f"no market {symbol[:30]!r}... on {self.name}")
        wanted = _symbol_key(symbol)
        for name, market_id in self.markets.items():
            if _symbol_key(name) == wanted:
                return market_id
        known = ", ".join(self.markets) or "none"
        raise UnknownSymbolError(f"no market {symbol!r} on {self.name}; known markets: {known}")

    # -- describing a network in JSON ---------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The network as plain JSON values (what :meth:`from_dict` and the network file hold).

        Returns:
            ``{"name", "rest_url", "ws_url", "node_url", "chain_id", "markets"}`` with
            ``markets`` a fresh ``dict`` of symbol → market id.

        Never raises.
        """
        return {
            "name": self.name,
            "rest_url": self.rest_url,
            "ws_url": self.ws_url,
            "node_url": self.node_url,
            "chain_id": self.chain_id,
            "markets": dict(self.markets),
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text.

        Returns:
            The JSON text, ending in a newline.

        Never raises.
        """
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def write_file(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_json` to ``path`` (atomically: a reader never sees half a file).

        The text goes to a hidden ``.<name>.partial`` file next to ``path`` first, which then
        replaces ``path``.

        Args:
            path: where to write; an existing file is replaced.

        Returns:
            The path written.

        Raises:
            OSError: the directory does not exist or is not writable.
        """
        target = Path(path)
        partial = target.with_name(f".{target.name}.partial")
        partial.write_text(self.to_json(), encoding="utf-8")
        partial.replace(target)
        return target

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "network description") -> Network:
        """A network from :meth:`to_dict`'s shape.

        Args:
            data: ``rest_url``, ``ws_url``, ``node_url`` (strings) and ``chain_id`` (int) are
                required; ``name`` (default ``"custom"``) and ``markets`` (symbol → id) are
                optional. Other keys are ignored.
            source: what to name in error messages (e.g. the file it came from).

        Returns:
            The network.

        Raises:
            InvalidArgumentError: a required field is missing or has the wrong type.
        """
        if not isinstance(data, Mapping):
            raise InvalidArgumentError(f"{source}: expected a JSON object")
        values: dict[str, Any] = {}
        for key in ("rest_url", "ws_url", "node_url"):
            value = data.get(key)
            if not isinstance(value, str) or not value.startswith(("http", "ws")):
                raise InvalidArgumentError(f"{source}: {key!r} must be a URL, got {value!r}")
            values[key] = value
        chain_id = data.get("chain_id")
        if isinstance(chain_id, bool) or not isinstance(chain_id, int) or chain_id < 0:
            raise InvalidArgumentError(f"{source}: 'chain_id' must be an integer, got {chain_id!r}")
        markets = data.get("markets") or {}
        if not isinstance(markets, Mapping) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
            for k, v in markets.items()
        ):
            raise InvalidArgumentError(f"{source}: 'markets' must map symbols to integer ids")
        name = data.get("name") or "custom"
        if not isinstance(name, str):
            raise InvalidArgumentError(f"{source}: 'name' must be a string")
        return cls(name=name, chain_id=chain_id, markets=dict(markets), **values)

    @classmethod
    def from_file(cls, path: str | os.PathLike[str]) -> Network:
        """The network described by a JSON file, e.g. the one ``kana-async sim --network-file``
        writes.

        Args:
            path: the file, holding :meth:`to_dict`'s shape (see :meth:`from_dict`).

        Returns:
            The network.

        Raises:
            InvalidArgumentError: the file cannot be read, is not JSON, or lacks a field.
        """
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidArgumentError(
                f"cannot read network file {os.fspath(path)}: {exc.strerror}"
            ) from None
        try:
            data = json.loads(text)
        except ValueError:
            raise InvalidArgumentError(
                f"network file {os.fspath(path)} is not valid JSON"
            ) from None
        return cls.from_dict(data, source=f"network file {os.fspath(path)}")

    @classmethod
    def from_url(
        cls,
        rest_url: str,
        *,
        node_url: str | None = None,
        ws_url: str | None = None,
        chain_id: int = LOCAL_CHAIN_ID,
        name: str | None = None,
    ) -> Network:
        """A network from the REST URL of a simulator-style venue.

        Args:
            rest_url: ``http(s)://host:port`` of the REST API.
            node_url: the Aptos node's URL; default ``http://host:(port + 1)/v1``, where
                ``kana-async sim`` puts its node unless told otherwise.
            ws_url: the websocket URL; default ``ws(s)://host:port/ws/`` on the REST server.
            chain_id: the Aptos chain id (default 4, the simulator's).
            name: a label (default: the URL's ``host:port``).

        The market table is left empty: look markets up with ``kana.markets.all()``.

        Returns:
            The network.

        Raises:
            InvalidArgumentError: ``rest_url`` is not an ``http``/``https`` URL with a host.
        """
        parts = urlsplit(rest_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidArgumentError(f"not an http(s) URL: {rest_url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise InvalidArgumentError(f"bad port in URL {rest_url!r}") from None
        base = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        ws_scheme = "wss" if parts.scheme == "https" else "ws"
        host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        return cls(
            name=name or parts.netloc,
            rest_url=base,
            ws_url=ws_url or f"{ws_scheme}://{parts.netloc}{parts.path.rstrip('/')}/ws/",
            node_url=node_url or f"{parts.scheme}://{host}:{port + 1}/v1",
            chain_id=chain_id,
        )

    @classmethod
    def resolve(cls, value: str) -> Network:
        """A network named the way the command line and ``KANA_NETWORK`` name one.

        Args:
            value: ``testnet`` or ``mainnet`` (any case); an ``http(s)://`` REST URL (see
                :meth:`from_url`); or the path of a network file (see :meth:`from_file`).

        Returns:
            :data:`TESTNET`, :data:`MAINNET`, or the network the URL or file describes.

        Raises:
            InvalidArgumentError: none of those, or a network file that does not load.
        """
        text = value.strip()
        named = {"testnet": TESTNET, "mainnet": MAINNET}.get(text.lower())
        if named is not None:
            return named
        if text.startswith(("http://", "https://")):
            return cls.from_url(text)
        if text and Path(text).is_file():
            return cls.from_file(text)
        raise InvalidArgumentError(
            f"unknown network {value!r}: expected testnet, mainnet, an http(s) URL "
            "or the path of a network file"
        )

    @classmethod
    def from_env(cls, default: Network | None = None, *, name: str = NETWORK_ENV) -> Network:
        """The network the environment variable ``name`` (``KANA_NETWORK``) names.

        Args:
            default: returned when the variable is unset or empty (default :data:`TESTNET`).
            name: the variable to read.

        Returns:
            The network the variable names, or ``default``.

        Raises:
            InvalidArgumentError: the variable is set but names no network (see :meth:`resolve`).
        """
        value = os.environ.get(name, "").strip()
        if not value:
            return default if default is not None else TESTNET
        try:
            return cls.resolve(value)
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"{name}: {exc}") from None

    @property
    def is_local(self) -> bool:
        """Whether every endpoint is on this machine (loopback addresses or ``localhost``)."""
        return all(_is_loopback(url) for url in (self.rest_url, self.ws_url, self.node_url))


def _is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_MAX_SYMBOL: Final = 64
_MAX_CHAIN_ID: Final = 255  # a u8 in every Aptos transaction
#: Domains of the public Kana and Aptos deployments: reached only over TLS, since a plaintext
#: URL would carry the API key and the signed transactions unencrypted.
_PUBLIC_DOMAINS: Final = ("kana.trade", "kanalabs.io", "aptoslabs.com")
_SECURE_SCHEME: Final = {"rest_url": "https", "ws_url": "wss", "node_url": "https"}
_MAX_MARKET_ID: Final = 2**64 - 1


def _check_network_fields(network: Network) -> None:
    """Typed errors for a :class:`Network` built with values of the wrong type or range."""
    for key in ("name", "rest_url", "ws_url", "node_url"):
        value = getattr(network, key)
        if not isinstance(value, str):
            raise ArgumentTypeError(f"Network {key} must be a str, not {type(value).__name__}")
    for key, scheme in _SECURE_SCHEME.items():
        parts = urlsplit(getattr(network, key))
        host = (parts.hostname or "").lower()
        public = any(host == domain or host.endswith("." + domain) for domain in _PUBLIC_DOMAINS)
        if public and parts.scheme.lower() != scheme:
            raise InvalidArgumentError(
                f"Network {key} must use {scheme}:// for the public host {host} (a plaintext "
                "URL would send the API key and transactions unencrypted); plain http/ws is "
                "for loopback and your own hosts"
            )
    chain_id = network.chain_id
    if isinstance(chain_id, bool) or not isinstance(chain_id, int):
        raise ArgumentTypeError(
            f"Network chain_id must be an int such as 1 (mainnet), not {type(chain_id).__name__}"
        )
    if not 0 <= chain_id <= _MAX_CHAIN_ID:
        raise InvalidArgumentError(f"Network chain_id must be 0 to {_MAX_CHAIN_ID}")
    if not isinstance(network.markets, Mapping):
        raise ArgumentTypeError(
            "Network markets must map symbols to market ids, e.g. {'APT-USD': 14}"
        )
    for symbol, market_id in network.markets.items():
        if (
            not isinstance(symbol, str)
            or isinstance(market_id, bool)
            or not isinstance(market_id, int)
        ):
            raise ArgumentTypeError(
                "Network markets must map str symbols to int market ids, e.g. {'APT-USD': 14}"
            )
        if not 0 <= market_id <= _MAX_MARKET_ID:
            raise InvalidArgumentError(f"Network market id of {symbol[:30]!r} is not a u64")


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
