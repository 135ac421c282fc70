"""A wallet's balances, profile address, open orders and positions (spec §3 #2, #3, #10, #12,
#16, #18/#23, #20, #26, #32, #33).

Every method reads for the client's wallet unless ``user_address=`` names another one.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from kana_async._address import normalize_address
from kana_async.models.orders import OpenOrder
from kana_async.models.positions import Position
from kana_async.resources._base import Resource, SingleFlightCache

if TYPE_CHECKING:
    from kana_async._client import KanaClient

__all__ = ["Portfolio"]

T = TypeVar("T")


class Portfolio(Resource):
    """``kana.portfolio``: what a wallet holds and has open."""

    def __init__(self, client: KanaClient) -> None:
        super().__init__(client)
        self._profiles = SingleFlightCache[str, str]()

    def _params(self, user_address: str | None, market_id: int | None = None) -> dict[str, str]:
        params = {"userAddress": self._user(user_address)}
        if market_id is not None:
            params["marketId"] = str(self._market(market_id))
        return params

    async def _number(self, path: str, user_address: str | None) -> Decimal:
        result: Decimal = await self._read(path, Decimal, self._params(user_address))
        return result

    async def wallet_balance(self, *, user_address: str | None = None) -> Decimal:
        """Collateral in the wallet, not yet deposited — ``GET /getWalletAccountBalance`` (#2)."""
        return await self._number("/getWalletAccountBalance", user_address)

    async def profile_balance(self, *, user_address: str | None = None) -> Decimal:
        """Collateral available in the trading account —
        ``GET /getProfileBalanceSnapshot`` (#3)."""
        return await self._number("/getProfileBalanceSnapshot", user_address)

    async def net_profile_balance(self, *, user_address: str | None = None) -> Decimal:
        """Trading-account balance plus unsettled PnL of closed positions —
        ``GET /getNetProfileBalance`` (#26). Accepts a number or a numeric string on the wire."""
        return await self._number("/getNetProfileBalance", user_address)

    async def apt_balance(self, *, user_address: str | None = None) -> Decimal:
        """APT (gas) balance of the wallet — ``GET /getAccountAptBalance`` (#18, #23)."""
        return await self._number("/getAccountAptBalance", user_address)

    async def profile_address(self, user_address: str | None = None) -> str:
        """The wallet's on-chain profile address — ``GET /getProfileAddress`` (#20).

        Looked up once per wallet and cached for the client's life; concurrent callers share one
        request. Returned normalised (``0x`` + 64 lowercase hex digits).
        """
        user = self._user(user_address)

        async def load() -> str:
            raw: str = await self._read("/getProfileAddress", str, {"userAddress": user})
            return normalize_address(raw, what="profile address from the server")

        return await self._profiles.get_or_load(user, load)

    async def open_orders(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[OpenOrder]:
        """Resting orders (indexer view) — ``GET /getOpenOrders`` (#10)."""
        return await self._rows("/getOpenOrders", list[OpenOrder], user_address, market_id)

    async def open_order_ids(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[str]:
        """Ids of resting orders, as exact decimal strings — ``GET /getAllOpenOrderIds`` (#16)."""
        ids: list[int | str] = await self._rows(
            "/getAllOpenOrderIds", list[int | str], user_address, market_id
        )
        return [str(order_id) for order_id in ids]

    async def positions(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[Position]:
        """Open positions, one per market and side (indexer view) — ``GET /getPositions`` (#12)."""
        return await self._rows("/getPositions", list[Position], user_address, market_id)

    async def positions_from_contract(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[Position]:
        """Open positions read from chain state (no indexer lag) —
        ``GET /getPositionsFromContract`` (#32)."""
        return await self._rows(
            "/getPositionsFromContract", list[Position], user_address, market_id
        )

    async def open_orders_from_contract(
        self, market_id: int | None = None, *, user_address: str | None = None
    ) -> list[OpenOrder]:
        """Resting orders read from chain state — ``GET /getOpenOrdersFromContract`` (#33)."""
        return await self._rows(
            "/getOpenOrdersFromContract", list[OpenOrder], user_address, market_id
        )

    async def _rows(
        self, path: str, tp: type[T] | Any, user_address: str | None, market_id: int | None
    ) -> T:
        result: T = await self._read(path, tp, self._params(user_address, market_id))
        return result
