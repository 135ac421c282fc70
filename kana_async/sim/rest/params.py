"""Request parameters of the simulator's REST app: typed accessors and payload arguments.

:class:`Params` wraps a query string or a JSON body and converts each parameter, raising
:class:`~kana_async.sim.wire.WireError` (400 naming the parameter, 404 for an unknown market).
:func:`payload` builds the ``{function, typeArguments, functionArguments}`` object of an entry
function; :func:`order_vectors` / :func:`cancel_vectors` parse the parallel arrays of the
multi-order POST bodies (one scalar ``restriction`` for all their orders); :func:`page`
applies ``offset`` / ``limit`` / ``order``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from kana_async.sim import contract, wire
from kana_async.sim.engine import normalize_address
from kana_async.sim.markets import MarketSpec
from kana_async.sim.wire import WireError, bad, shown

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_CANCELS",
    "MAX_LIMIT",
    "MAX_ORDERS",
    "Params",
    "cancel_vectors",
    "iso_seconds",
    "order_vectors",
    "page",
    "payload",
    "unix_seconds",
]

#: Default page size of the history endpoints.
DEFAULT_LIMIT: Final = 50
#: Largest page a history endpoint returns.
MAX_LIMIT: Final = 1000
#: The most orders a multi-order body places and ids it cancels (the SDK's bound: the fullest
#: call stays far inside one transaction's size and the default gas budget).
MAX_ORDERS: Final = 200
MAX_CANCELS: Final = 200

Row = dict[str, Any]


class Params:
    """Request parameters (query string or JSON body) with typed, 400-raising accessors."""

    def __init__(
        self,
        values: Mapping[str, Any],
        markets: Mapping[int, MarketSpec],
        remember: Callable[[str], object] | None = None,
    ) -> None:
        self.values = values
        self.markets = markets
        self._remember = remember

    def raw(self, name: str) -> Any:
        """The value of a required parameter; 400 when it is missing or empty."""
        value = self.values.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise WireError(400, f"missing required parameter {name!r}")
        return value

    def has(self, name: str) -> bool:
        """True when ``name`` was given with a non-empty value."""
        value = self.values.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def wallet(self, name: str = "userAddress") -> str:
        """A required address, normalised."""
        raw = self.raw(name)
        if not isinstance(raw, str):
            raise bad(name, f"expected an address string, got {shown(raw)}")
        try:
            return normalize_address(raw)
        except ValueError as exc:
            raise bad(name, str(exc)) from None

    def user(self) -> str:
        """The required ``userAddress``, normalised and remembered in the profile directory."""
        wallet = self.wallet()
        if self._remember is not None:
            self._remember(wallet)
        return wallet

    def market_id(self) -> int | None:
        """The optional ``marketId`` as an int (None when absent)."""
        spec = self.optional_market()
        return spec.market_id if spec is not None else None

    def market(self, name: str = "marketId") -> MarketSpec:
        """The required market (404 when unknown)."""
        return wire.market_of(self.markets, self.raw(name), name)

    def optional_market(self, name: str = "marketId") -> MarketSpec | None:
        """The market when ``name`` was given."""
        return self.market(name) if self.has(name) else None

    def boolean(self, name: str) -> bool:
        """A required ``true`` / ``false``."""
        return wire.parse_bool(name, self.raw(name))

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        minimum: int = 0,
        maximum: int | None = None,
    ) -> int:
        """A whole number in ``minimum..maximum`` (required unless ``default`` is given)."""
        if default is not None and not self.has(name):
            return default
        return wire.parse_int(name, self.raw(name), minimum=minimum, maximum=maximum)

    def u8(self, name: str, default: int) -> int:
        """A ``u8`` (0..255), range-checked before conversion (``1e999999999`` is a quick 400)."""
        if not self.has(name):
            return default
        return _u8(name, self.raw(name))

    def ticks(self, spec: MarketSpec, name: str, default: int | None = None) -> int:
        """A human price → ticks (optional with ``default``)."""
        if default is not None and not self.has(name):
            return default
        return wire.to_ticks(spec, name, self.raw(name))

    def lots(self, spec: MarketSpec, name: str) -> int:
        """A required human size → lots."""
        return wire.to_lots(spec, name, self.raw(name))

    def units(self, name: str) -> int:
        """A required human collateral amount → quote units."""
        return wire.to_units(name, self.raw(name))

    def array(self, name: str, length: int | None = None, *, required: bool = True) -> list[Any]:
        """A JSON array (optionally of a given length); ``[]`` when optional and absent."""
        if not required and self.values.get(name) is None:
            return []
        value = self.raw(name) if required else self.values.get(name)
        if not isinstance(value, list):
            raise bad(name, f"expected a JSON array, got {shown(value)}")
        if length is not None and len(value) != length:
            raise bad(name, f"expected {length} elements (one per order), got {len(value)}")
        return value


# -- payloads --------------------------------------------------------------------------------


def payload(name: str, args: Sequence[Any], *, as_strings: bool) -> Row:
    """The payload calling entry function ``name``; GET endpoints send ``as_strings``."""
    fn = contract.ENTRY_FUNCTIONS[name]
    type_args = [contract.COLLATERAL_TYPE] * fn.generic_params
    values = [_as_string(a) for a in args] if as_strings else list(args)
    return {"function": fn.function_id, "typeArguments": type_args, "functionArguments": values}


def _as_string(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_as_string(v) for v in value]
    return str(value)


def order_vectors(p: Params, spec: MarketSpec) -> list[Any]:
    """The nine parallel order vectors of place / cancel-and-place (contract order)."""
    order_types = p.array("orderTypes")
    n = len(order_types)
    if n > MAX_ORDERS:
        raise bad("orderTypes", f"at most {MAX_ORDERS} orders per call, got {n}")
    types = [wire.parse_bool(f"orderTypes[{i}]", v) for i, v in enumerate(order_types)]
    sides = [wire.parse_bool(f"tradeSides[{i}]", v) for i, v in enumerate(p.array("tradeSides", n))]
    dirs = [wire.parse_bool(f"directions[{i}]", v) for i, v in enumerate(p.array("directions", n))]
    sizes = [wire.to_lots(spec, f"sizes[{i}]", v) for i, v in enumerate(p.array("sizes", n))]
    prices = [wire.to_ticks(spec, f"prices[{i}]", v) for i, v in enumerate(p.array("prices", n))]
    leverages = [
        wire.parse_int(f"leverages[{i}]", v, maximum=wire.U64_MAX)
        for i, v in enumerate(p.array("leverages", n))
    ]
    # The documented scalar is authoritative; an undocumented ``restrictions`` array is ignored
    # like any unknown key, so a client sending only the array gets the default (0).
    restrictions = [p.u8("restriction", 0)] * n
    tps = p.array("takeProfits", required=False) or [0] * n
    sls = p.array("stopLosses", required=False) or [0] * n
    if len(tps) != n:
        raise bad("takeProfits", f"expected {n} elements (one per order), got {len(tps)}")
    if len(sls) != n:
        raise bad("stopLosses", f"expected {n} elements (one per order), got {len(sls)}")
    take_profits = [wire.to_ticks(spec, f"takeProfits[{i}]", v) for i, v in enumerate(tps)]
    stop_losses = [wire.to_ticks(spec, f"stopLosses[{i}]", v) for i, v in enumerate(sls)]
    return [types, sides, dirs, sizes, prices, leverages, restrictions, take_profits, stop_losses]


def _u8(name: str, raw: object) -> int:
    value = wire.parse_decimal(name, raw)
    if value != value.to_integral_value():
        raise bad(name, f"expected a whole number, got {raw!r}")
    if not 0 <= value <= 255:
        raise bad(name, f"must fit in a u8 (0..255), got {raw!r}")
    return int(value)


def cancel_vectors(p: Params) -> list[Any]:
    """``[order_ids, order_sides]`` of a cancel body (u128 ids as ints)."""
    ids = p.array("cancelOrderIds")
    if len(ids) > MAX_CANCELS:
        raise bad("cancelOrderIds", f"at most {MAX_CANCELS} orders per call, got {len(ids)}")
    sides = p.array("orderSides", len(ids))
    order_ids = [
        wire.parse_int(f"cancelOrderIds[{i}]", v, maximum=wire.U128_MAX) for i, v in enumerate(ids)
    ]
    order_sides = [wire.parse_bool(f"orderSides[{i}]", v) for i, v in enumerate(sides)]
    return [order_ids, order_sides]


def page(p: Params, rows: list[Row]) -> list[Row]:
    """``rows`` (oldest first) ordered by ``order`` and cut by ``offset`` / ``limit``."""
    order = str(p.values.get("order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise bad("order", f"expected 'asc' or 'desc', got {shown(p.values.get('order'))}")
    offset = p.integer("offset", 0)
    limit = p.integer("limit", DEFAULT_LIMIT, maximum=MAX_LIMIT)
    ordered = rows if order == "asc" else rows[::-1]
    return ordered[offset : offset + limit]


def iso_seconds(p: Params, name: str) -> int:
    """A required ISO-8601 time with a timezone → unix seconds."""
    raw = p.raw(name)
    try:
        moment = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise bad(
            name, f"expected an ISO-8601 time like 2024-11-21T00:00:00Z, got {shown(raw)}"
        ) from None
    if moment.tzinfo is None:
        raise bad(name, f"ISO-8601 time needs a timezone (e.g. a trailing Z), got {shown(raw)}")
    return int(moment.timestamp())


def unix_seconds(p: Params, name: str, default: int) -> int:
    """Optional unix seconds (400 for values that look like milliseconds)."""
    value = p.integer(name, default)
    if value >= 10**11 and value != default:
        raise bad(name, f"expected unix seconds, got {value} (milliseconds?)")
    return value
