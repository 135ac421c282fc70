"""``kana.payloads``: the unsigned transaction payload of any trading action.

The payload endpoints execute nothing: each returns the Aptos entry-function call to sign and
submit (:class:`~kana_async.TransactionPayload`); no account is needed to ask for one. The
actions and their arguments are those of ``kana.trading`` (one definition,
:class:`~kana_async.resources._actions.Actions`); here they return the payload.

Units: sizes, prices and amounts are **human units** (``Decimal`` or numeric strings), written
in plain decimal notation; the returned payload carries the on-chain integers the server derived
from them. Values are sent as given (the server checks them) unless ``rounding=`` is passed:
then the market's grid is read and applied first, as ``kana.trading`` always does. Asking for a
payload is retried like a read on transport errors, 429 and 5xx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kana_async.models.payloads import TransactionPayload
from kana_async.resources._actions import Actions, Call
from kana_async.resources._checks import CancelSpec, Grid

if TYPE_CHECKING:
    from kana_async._context import ClientContext

__all__ = ["CancelSpec", "Payloads"]


class Payloads(Actions[TransactionPayload]):
    """``kana.payloads``: ask the server for transaction payloads (nothing is signed here).

    Payloads are for the client's wallet; :meth:`for_user` gives the same calls for another one.

    Args:
        context: the client's context (its REST request path and wallet).
        user_address: the wallet the payloads are for (``userAddress``); ``None`` uses the
            client's ``wallet_address``.
    """

    def __init__(self, context: ClientContext, user_address: str | None = None) -> None:
        super().__init__(context)
        self._user_address = user_address

    def for_user(self, user_address: str) -> Payloads:
        """The same payload calls for another wallet.

        Args:
            user_address: the wallet address, ``0x`` + 1 to 64 hex digits (checked now).

        Returns:
            A :class:`Payloads` sending that wallet as ``userAddress``.

        Raises:
            InvalidAddressError: ``user_address`` is not an address.
        """
        return Payloads(self._context, self._context.user(user_address))

    def _user(self, user_address: str | None) -> str:
        return super()._user(user_address if user_address is not None else self._user_address)

    async def _run(self, call: Call) -> TransactionPayload:
        grid = None
        if call.rounding is not None and call.market_id is not None:
            grid = Grid(await self._client.markets.info(call.market_id), call.rounding)
        sides: list[bool] = []
        if call.cancel:
            # Imported here: the trading machinery (aptos-sdk) loads only when it is needed.
            from kana_async.resources._trade_base import TradingCore

            core = TradingCore(self._context)  # shares the client's registry of orders
            sides = await core.find_sides(call.market_id, call.cancel)
        return await self._payload(call, grid, sides)
