"""``kana.portfolio``: a wallet's balances, profile address, open orders and positions.

Every method reads for the client's wallet unless ``user_address=`` names another wallet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from kana_async._address import normalize_address
from kana_async.models.orders import OpenOrder
from kana_async.models.positions import Position
from kana_async.resources._base import Resource

if TYPE_CHECKING:
    from kana_async._context import ClientContext

__all__ = ["Portfolio"]

T = TypeVar("T")


class Portfolio(Resource):
    """``kana.portfolio``: what a wallet holds and has open (read-only REST endpoints).

    Every method takes the **wallet** address (``userAddress`` on the wire; the server finds the
    profile from it) and defaults to the client's own wallet. Amounts are ``Decimal`` exactly as
    the server sends them, never ``float``.

    Args:
        context: the client's context (its HTTP path, caches and wallet).
    """

    def __init__(self, context: ClientContext) -> None:
        super().__init__(context)
        self._profiles = context.shared.profiles

    def _params(self, user_address: str | None, market_id: int | None = None) -> dict[str, str]:
        params = {"userAddress": self._user(user_address)}
        if market_id is not None:
            params["marketId"] = str(self._market(market_id))
        return params

    async def _number(self, path: str, user_address: str | None) -> Decimal:
        result: Decimal = await self._read(path, Decimal, self._params(user_address))
        return result

    async def wallet_balance(self, *, user_address: str | None = None) -> Decimal:
        """Collateral held in the wallet, not yet deposited for trading.

        Calls ``GET /getWalletAccountBalance`` with ``userAddress``.

        Args:
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The amount in the collateral stablecoin (human units, e.g. ``Decimal("1250.5")``
            USDT on the simulator).

        Raises:
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._number("/getWalletAccountBalance", user_address)

    async def profile_balance(self, *, user_address: str | None = None) -> Decimal:
        """Collateral available in the trading (profile) account.

        Calls ``GET /getProfileBalanceSnapshot`` with ``userAddress``.

        Kana answers with an error for a wallet that never deposited (it has no profile yet).

        Args:
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The amount in the collateral stablecoin (human units, e.g. ``Decimal("980.25")``).

        Raises:
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._number("/getProfileBalanceSnapshot", user_address)

    async def net_profile_balance(self, *, user_address: str | None = None) -> Decimal:
        """Trading-account balance plus the unsettled PnL of closed positions.

        Calls ``GET /getNetProfileBalance`` with ``userAddress``.

        Args:
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The amount in the collateral stablecoin (human units), summed over all markets; the
            server may send it as a number or a numeric string, both are accepted.

        Raises:
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._number("/getNetProfileBalance", user_address)

    async def apt_balance(self, *, user_address: str | None = None) -> Decimal:
        """The wallet's APT balance, which pays for gas.

        Calls ``GET /getAccountAptBalance`` with ``userAddress``.

        Args:
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The balance as the server sends it (in APT, not octas, on the simulator).

        Raises:
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._number("/getAccountAptBalance", user_address)

    async def profile_address(self, user_address: str | None = None) -> str:
        """The wallet's on-chain profile address.

        Calls ``GET /getProfileAddress`` with ``userAddress``.

        Kana keys all trading state (orders, positions, fills) and every websocket account topic
        by this address. Looked up once per wallet and cached for the client's life; concurrent
        callers share one request.

        Args:
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The profile address, normalised to ``0x`` + 64 lowercase hex digits (the server may
            drop leading zeros).

        Raises:
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address``, or the server's answer, is not an Aptos
                address.
            ArgumentTypeError: ``user_address`` is not a string.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        user = self._user(user_address)

        async def load() -> str:
            raw: str = await self._read("/getProfileAddress", str, {"userAddress": user})
            return normalize_address(raw, what="profile address from the server")

        return await self._profiles.get_or_load(user, load)

    async def open_orders(
        self,
        market_id: int | None = None,
        *,
        user_address: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> list[OpenOrder]:
        """The wallet's resting orders, as Kana's indexer sees them.

        Calls ``GET /getOpenOrders`` with ``userAddress`` (and ``marketId`` when given).

        The indexer lags the chain by a moment; :meth:`open_orders_from_contract` reads chain
        state instead.

        Args:
            market_id: only this market, e.g. ``1338``; ``None`` (the default) for all.
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.
            timeout: seconds each HTTP request of this call may take (every attempt),
                instead of the client's ``timeout``; ``None`` for the client's.

        Returns:
            One :class:`~kana_async.OpenOrder` per resting order (``price`` in quote currency,
            sizes in base asset, ``order_id`` as an exact decimal string).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string, or ``market_id`` not an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._rows("/getOpenOrders", list[OpenOrder], user_address, market_id, timeout)

    async def open_order_ids(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[str]:
        """The ids of the wallet's resting orders.

        Calls ``GET /getAllOpenOrderIds`` with ``userAddress`` (and ``marketId`` when given).

        Args:
            market_id: only this market, e.g. ``1338``; ``None`` (the default) for all.
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            The u128 order ids as exact decimal strings (never through ``float``).

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string, or ``market_id`` not an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        ids: list[int | str] = await self._rows(
            "/getAllOpenOrderIds", list[int | str], user_address, market_id
        )
        return [str(order_id) for order_id in ids]

    async def positions(
        self,
        market_id: int | None = None,
        *,
        user_address: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> list[Position]:
        """The wallet's open positions, as Kana's indexer sees them.

        Calls ``GET /getPositions`` with ``userAddress`` (and ``marketId`` when given).

        The indexer lags the chain by a moment; :meth:`positions_from_contract` reads chain
        state instead.

        Args:
            market_id: only this market, e.g. ``1338``; ``None`` (the default) for all.
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.
            timeout: seconds each HTTP request of this call may take (every attempt),
                instead of the client's ``timeout``; ``None`` for the client's.

        Returns:
            One :class:`~kana_async.Position` per market and side (a long and a short may
            coexist in one market): size in base asset, prices in quote currency, ``margin``
            and ``value`` in collateral, all ``Decimal``.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string, or ``market_id`` not an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._rows("/getPositions", list[Position], user_address, market_id, timeout)

    async def positions_from_contract(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[Position]:
        """The wallet's open positions, read from chain state (no indexer lag).

        Calls ``GET /getPositionsFromContract`` with ``userAddress`` (and ``marketId`` when given).

        Args:
            market_id: only this market, e.g. ``1338``; ``None`` (the default) for all.
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            One :class:`~kana_async.Position` per market and side, as :meth:`positions`;
            indexer-only fields such as ``transaction_version`` may be ``None``.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string, or ``market_id`` not an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._rows(
            "/getPositionsFromContract", list[Position], user_address, market_id
        )

    async def open_orders_from_contract(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[OpenOrder]:
        """The wallet's resting orders, read from chain state (no indexer lag).

        Calls ``GET /getOpenOrdersFromContract`` with ``userAddress`` (and ``marketId`` when given).

        Args:
            market_id: only this market, e.g. ``1338``; ``None`` (the default) for all.
            user_address: the **wallet** address to read for (not the profile address);
                defaults to the client's wallet.

        Returns:
            One :class:`~kana_async.OpenOrder` per resting order, as :meth:`open_orders`.

        Raises:
            UnknownMarketError: ``market_id`` is not one of the exchange's markets.
            InvalidArgumentError: no ``user_address`` was given and the client has no wallet.
            InvalidAddressError: ``user_address`` is not an Aptos address.
            ArgumentTypeError: ``user_address`` is not a string, or ``market_id`` not an ``int``.
            ClientStateError: the client is not open.
            APIError: the server refused the request or sent an unusable answer
                (``NotFoundError``, ``RateLimitError``, ``ServerError``,
                ``UnsuccessfulResponseError``, ``ResponseDecodeError``...).
            TransportError: no answer arrived, even after the client's retries
                (``ConnectError``, ``RequestTimeoutError``).
        """
        return await self._rows(
            "/getOpenOrdersFromContract", list[OpenOrder], user_address, market_id
        )

    async def _rows(
        self,
        path: str,
        tp: type[T] | Any,
        user_address: str | None,
        market_id: int | None,
        timeout: float | None = None,  # noqa: ASYNC109 - a per-request transport timeout
    ) -> T:
        params = self._params(user_address, market_id)
        result: T = await self._read(path, tp, params, timeout=timeout)
        return result
