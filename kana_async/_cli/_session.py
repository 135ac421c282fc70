"""Where a command runs: the network it names, an open client, and the market it means.

Keys come only from the environment: ``KANA_PRIVATE_KEY`` (hex Ed25519) for commands that sign
or that read "my" account, ``KANA_API_KEY`` for Kana's REST API (read by the client itself).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator

from kana_async._aptos.signing import Account
from kana_async._cli._errors import UsageError
from kana_async._client import KanaClient
from kana_async._config import NETWORK_ENV, PRIVATE_KEY_ENV, Network
from kana_async._exceptions import ConnectError, KanaError, UnknownMarketError
from kana_async._streams import ConnectionState
from kana_async.models.markets import MarketInfo

__all__ = ["LOCAL_SIM_URL", "connect", "network_of", "resolve_market", "wait_connected"]

#: ``--network sim``: a ``kana-async sim`` on this machine with its default ports.
LOCAL_SIM_URL = "http://127.0.0.1:8080"
#: Failed websocket connection attempts in a row before a command gives up.
CONNECT_ATTEMPTS = 3


def network_of(args: argparse.Namespace) -> Network:
    """The network ``--network`` names, else ``KANA_NETWORK``, else testnet.

    ``--network sim`` means a ``kana-async sim`` on this machine with its default ports
    (REST on 127.0.0.1:8080, node on 8081).

    Args:
        args: the parsed command line (its ``network``, when present).

    Returns:
        The network.

    Raises:
        Exception: a ``UsageError`` naming ``--network`` or ``KANA_NETWORK`` when the value
            names no network.
    """
    spec: str | None = getattr(args, "network", None)
    try:
        if spec is None:
            return Network.from_env()
        if spec.strip().lower() == "sim":
            return Network.from_url(LOCAL_SIM_URL, name="sim")
        return Network.resolve(spec)
    except KanaError as exc:
        where = "--network" if spec is not None else NETWORK_ENV
        raise UsageError(f"{where}: {exc}") from None


def _account(needed_for: str | None) -> Account | None:
    """The account in ``KANA_PRIVATE_KEY``; ``None`` when unset and not ``needed_for`` anything."""
    if not os.environ.get(PRIVATE_KEY_ENV):
        if needed_for is None:
            return None
        raise UsageError(f"{needed_for} needs a private key: set {PRIVATE_KEY_ENV} (hex Ed25519)")
    try:
        return Account.from_env()
    except KanaError as exc:
        raise UsageError(str(exc)) from None


@contextlib.asynccontextmanager
async def connect(
    args: argparse.Namespace, *, signer_for: str | None = None, wallet_for: str | None = None
) -> AsyncIterator[KanaClient]:
    """An open client on the command's network.

    Args:
        args: the parsed command line (``--network``, ``--address``).
        signer_for: the command name when it signs: ``KANA_PRIVATE_KEY`` is then required.
        wallet_for: the command name when it reads an account: ``--address`` or the key's.

    Returns:
        An async context manager yielding the open client (closed on exit).

    Raises:
        Exception: a ``UsageError`` for a bad network, a missing or unreadable
            ``KANA_PRIVATE_KEY``, a missing wallet or a bad ``--address``.
    """
    network = network_of(args)
    address: str | None = getattr(args, "address", None)
    if signer_for is not None:
        account = _account(signer_for)
    elif address is None:
        account = _account(None)  # "my" account when the key is set
    else:
        account = None  # --address: read that wallet, whatever key is set
    if account is None and address is None and wallet_for is not None:
        raise UsageError(
            f"{wallet_for} needs a wallet: pass --address 0x… or set {PRIVATE_KEY_ENV}"
        )
    try:
        client = KanaClient(network, account=account, wallet_address=address)
    except KanaError as exc:
        raise UsageError(str(exc)) from None
    async with client as kana:
        yield kana


async def resolve_market(kana: KanaClient, market: str) -> MarketInfo:
    """The market a command-line argument names.

    An id is checked against ``kana.markets.all()`` (``GET /getPerpetualAssetsInfo/allMarkets``);
    a symbol is looked up in the network's table, else among every market by base asset.

    Args:
        kana: an open client.
        market: an id (``1338``) or a symbol (``APT-USD``, ``APT/USD``, ``apt``).

    Returns:
        The market's parameters.

    Raises:
        Exception: a ``UsageError`` when no market matches (the message lists the known ones).
        KanaError: the exchange or the network failed.
    """
    text = market.strip()
    if text.isdigit():
        wanted = int(text)
        for info in await kana.markets.all():
            if info.market_id == wanted:
                return info
        raise UsageError(f"no market with id {wanted} on {kana.network.name}")
    with contextlib.suppress(UnknownMarketError):
        return await kana.markets.info(kana.network.market_id(text))
    infos = await kana.markets.all()
    key = text.upper().replace("/", "-").split("-", 1)[0]
    for info in infos:
        if info.symbol.split("-", 1)[0] == key:
            return info
    known = ", ".join(f"{i.symbol} ({i.market_id})" for i in infos) or "none"
    raise UsageError(f"no market {market!r} on {kana.network.name}; known markets: {known}")


async def wait_connected(kana: KanaClient) -> None:
    """Wait until the client's websocket (started by a subscription) is connected.

    The client itself reconnects forever, which is right for a bot; a command gives up after
    :data:`CONNECT_ATTEMPTS` failed attempts in a row instead of waiting silently.

    Args:
        kana: an open client with at least one subscription.

    Raises:
        ConnectError: the websocket could not be reached.
    """
    streams = kana.streams
    while True:
        state = await streams.wait_for_state(ConnectionState.CONNECTED, ConnectionState.BACKOFF)
        if state is ConnectionState.CONNECTED:
            return
        stats = streams.statistics()
        if stats.failed_attempts >= CONNECT_ATTEMPTS:
            raise ConnectError(
                f"websocket {kana.network.ws_url} failed {stats.failed_attempts} times "
                f"(last: {stats.last_error})"
            )
        await streams.wait_for_state(ConnectionState.CONNECTING, ConnectionState.CONNECTED)
