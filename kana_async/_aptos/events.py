"""Kana's on-chain order events → :class:`~kana_async.models.events.TransactionEvents`.

A committed transaction's ``events`` array mixes Kana's own events with those of the order-book
layer, coin burns and fungible-asset transfers. This module reads the three Kana order events by
the *suffix* of their type (``::perpetual_core::PlaceOrderEvent``, ``::perpetual_core::FillEvent``,
``::perpetual_core::CancelOrderEvent``) and skips, counting them, every event it does not know or
cannot read: a node that adds events or fields never breaks a caller.

Fields are read strictly: integers arrive as decimal strings (or JSON integers) and are bounded in
length before conversion, so an absurd number costs nothing; booleans must be JSON booleans; an
order id stays an exact decimal string. On-chain units become human ones with the market's
parameters: size ``lots * lot_size / 10**base_decimals``, price ``ticks / 10**quote_precision``,
fee ``units / 10**quote_decimals``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

import msgspec

from kana_async._address import is_address, normalize_address
from kana_async._exceptions import ResponseDecodeError
from kana_async.models.enums import Direction, Side
from kana_async.models.events import (
    OrderCancelled,
    OrderFilled,
    OrderPlaced,
    TransactionEvents,
)
from kana_async.models.markets import MarketInfo

__all__ = ["EVENT_MODULE", "committed_events", "decode_events", "package_of"]

#: The Move module whose events describe orders.
EVENT_MODULE: Final = "perpetual_core"
_PLACE: Final = "PlaceOrderEvent"
_FILL: Final = "FillEvent"
_CANCEL: Final = "CancelOrderEvent"

_U8_DIGITS: Final = 3
_U64_DIGITS: Final = 20
_U128_DIGITS: Final = 39
_MAX: Final = {_U8_DIGITS: 2**8 - 1, _U64_DIGITS: 2**64 - 1, _U128_DIGITS: 2**128 - 1}
# A JSON string of ASCII digits, or a bare JSON integer (no sign, no fraction, no exponent).
_UINT: Final = re.compile(rb'"([0-9]{1,39})"|(0|[1-9][0-9]{0,38})')
# ``<address>::<module>::<name>``: Kana's event types carry no type arguments.
_TYPE: Final = re.compile(r"(0[xX][0-9a-fA-F]{1,64})::([A-Za-z_][A-Za-z0-9_]*)::([A-Za-z_]\w*)")


class _Malformed(Exception):
    """An event of a known kind whose fields cannot be read; it is skipped and counted."""


class _Event(msgspec.Struct, frozen=True):
    type: str
    data: msgspec.Raw


class _OrderFields(msgspec.Struct, frozen=True, kw_only=True):
    market_id: msgspec.Raw
    order_id: msgspec.Raw
    order_type: msgspec.Raw
    trade_side: bool
    profile_address: str
    timestamp: msgspec.Raw


class _PlaceData(_OrderFields, frozen=True, kw_only=True):
    direction: bool
    size: msgspec.Raw
    price: msgspec.Raw
    leverage: msgspec.Raw
    restriction: msgspec.Raw = msgspec.Raw(b"0")


class _FillData(_OrderFields, frozen=True, kw_only=True):
    direction: bool
    size: msgspec.Raw
    price: msgspec.Raw
    fee: msgspec.Raw
    is_maker: bool
    trade_id: msgspec.Raw


class _CancelData(_OrderFields, frozen=True, kw_only=True):
    pass


_list_decoder: Final = msgspec.json.Decoder(list[msgspec.Raw])
_event_decoder: Final = msgspec.json.Decoder(_Event)
_place_decoder: Final = msgspec.json.Decoder(_PlaceData)
_fill_decoder: Final = msgspec.json.Decoder(_FillData)
_cancel_decoder: Final = msgspec.json.Decoder(_CancelData)


def package_of(function_id: str) -> str | None:
    """The package address of an entry function, in canonical form.

    Pass it as ``package`` to :func:`decode_events` to keep only the events of the called package.

    Args:
        function_id: the function, ``0x…::module::function``.

    Returns:
        ``0x`` + 64 lowercase hex digits, or ``None`` when ``function_id`` is not of that form.

    Never raises.
    """
    match = _TYPE.fullmatch(function_id.strip()) if isinstance(function_id, str) else None
    return None if match is None else normalize_address(match.group(1))


def decode_events(
    events: bytes | bytearray | memoryview | str | msgspec.Raw | Sequence[object],
    markets: Mapping[int, MarketInfo] | MarketInfo,
    *,
    package: str | None = None,
    profile_address: str | None = None,
) -> TransactionEvents:
    """Decode a committed transaction's ``events`` into order records in human units.

    Args:
        events: the transaction's ``events`` member: its JSON text (bytes, ``str`` or
            ``msgspec.Raw``) or the already decoded list.
        markets: the parameters of the markets the events may name, by market id (or the one
            market). An order event of a market not given is counted as unknown.
        package: keep only events of this package address (see :func:`package_of`); events of
            other packages are counted as ignored. ``None`` keeps every package.
        profile_address: keep only events of this trading profile (a match emits a fill for each
            side); others are counted as ignored. ``None`` keeps every profile.

    Returns:
        The placed, filled and cancelled orders in event order, with the counts of the events
        skipped as unknown or malformed (``unknown``) and filtered out (``ignored``).

    Raises:
        ResponseDecodeError: ``events`` is not a JSON array (or a list), or is not valid JSON, or
            nests too deeply to read.
        InvalidAddressError: ``package`` or ``profile_address`` is not an address.
    """
    by_id = {markets.market_id: markets} if isinstance(markets, MarketInfo) else markets
    wanted_package = _optional_address(package, "package")
    wanted_profile = _optional_address(profile_address, "profile_address")
    placed: list[OrderPlaced] = []
    filled: list[OrderFilled] = []
    cancelled: list[OrderCancelled] = []
    unknown = ignored = 0
    for raw in _elements(events):
        try:
            event = _event_decoder.decode(raw)
        except (msgspec.DecodeError, RecursionError):
            unknown += 1
            continue
        kind = _kind(event.type)
        if kind is None:
            unknown += 1
            continue
        address, name = kind
        if wanted_package is not None and address != wanted_package:
            ignored += 1
            continue
        try:
            record = _record(name, event.data, by_id)
        except (_Malformed, msgspec.DecodeError, RecursionError):
            unknown += 1
            continue
        if wanted_profile is not None and record.profile_address != wanted_profile:
            ignored += 1
        elif isinstance(record, OrderPlaced):
            placed.append(record)
        elif isinstance(record, OrderFilled):
            filled.append(record)
        else:
            cancelled.append(record)
    return TransactionEvents(
        placed=tuple(placed),
        filled=tuple(filled),
        cancelled=tuple(cancelled),
        unknown=unknown,
        ignored=ignored,
    )


def committed_events(
    events: bytes | bytearray | memoryview | str | msgspec.Raw | Sequence[object],
    markets: Mapping[int, MarketInfo] | MarketInfo,
    *,
    function: str,
    profile_address: str | None = None,
) -> TransactionEvents:
    """The order events of a transaction that committed; never raises for the node's data.

    Once a transaction has executed, an unreadable ``events`` member must not turn its result
    into an error (that would invite a retry that places the orders twice): it counts as one
    unknown event instead. Only the events of ``function``'s package are kept.

    Args:
        events: the committed transaction's ``events`` member (as for :func:`decode_events`).
        markets: the parameters of the markets the events may name, by market id.
        function: the entry function the transaction called (``0x…::module::name``); when it is
            not of that form, events of every package are kept.
        profile_address: keep only this trading profile's events; ``None`` keeps all.

    Returns:
        The placed, filled and cancelled orders in human units, as :func:`decode_events`
        returns them; ``TransactionEvents(unknown=1)`` when ``events`` cannot be read at all.

    Raises:
        InvalidAddressError: ``profile_address`` is not an address (a caller's mistake).
    """
    package = package_of(function)
    wanted_profile = _optional_address(profile_address, "profile_address")
    try:
        return decode_events(events, markets, package=package, profile_address=wanted_profile)
    except ResponseDecodeError:
        return TransactionEvents(unknown=1)


def _optional_address(value: str | None, what: str) -> str | None:
    return None if value is None else normalize_address(value, what=what)


def _elements(events: object) -> list[msgspec.Raw]:
    """The array's elements as raw JSON, or :class:`ResponseDecodeError`."""
    if isinstance(events, list | tuple):
        try:
            events = msgspec.json.encode(events)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise ResponseDecodeError(f"transaction events are not JSON data: {exc}") from None
    if not isinstance(events, bytes | bytearray | memoryview | str | msgspec.Raw):
        raise ResponseDecodeError(
            f"transaction events must be a JSON array, not {type(events).__name__}"
        )
    try:
        return _list_decoder.decode(events)
    except msgspec.DecodeError as exc:
        raise ResponseDecodeError(f"transaction events are not a JSON array: {exc}") from None
    except RecursionError:
        raise ResponseDecodeError("transaction events nest too deeply to read") from None


def _kind(type_name: str) -> tuple[str, str] | None:
    """``(package address, event name)`` of a Kana order event type, else ``None``."""
    match = _TYPE.fullmatch(type_name)
    if match is None or match.group(2) != EVENT_MODULE:
        return None
    name = match.group(3)
    if name not in (_PLACE, _FILL, _CANCEL):
        return None
    return normalize_address(match.group(1)), name


def _record(
    name: str, data: msgspec.Raw, markets: Mapping[int, MarketInfo]
) -> OrderPlaced | OrderFilled | OrderCancelled:
    if name == _PLACE:
        return _placed(_place_decoder.decode(data), markets)
    if name == _FILL:
        return _filled(_fill_decoder.decode(data), markets)
    return _cancelled(_cancel_decoder.decode(data))


def _placed(data: _PlaceData, markets: Mapping[int, MarketInfo]) -> OrderPlaced:
    info = _market(data, markets)
    ticks = _uint(data.price, _U64_DIGITS)
    return OrderPlaced(
        market_id=info.market_id,
        order_id=str(_uint(data.order_id, _U128_DIGITS)),
        side=Side.from_wire(data.trade_side),
        direction=Direction(data.direction),
        order_type=_uint(data.order_type, _U8_DIGITS),
        size=_size(info, _uint(data.size, _U64_DIGITS)),
        price=None if ticks == 0 else _scaled(ticks, info.quote_precision),
        leverage=_uint(data.leverage, _U64_DIGITS),
        restriction=_uint(data.restriction, _U8_DIGITS),
        profile_address=_profile(data.profile_address),
        timestamp=_uint(data.timestamp, _U64_DIGITS),
    )


def _filled(data: _FillData, markets: Mapping[int, MarketInfo]) -> OrderFilled:
    info = _market(data, markets)
    return OrderFilled(
        market_id=info.market_id,
        order_id=str(_uint(data.order_id, _U128_DIGITS)),
        side=Side.from_wire(data.trade_side),
        direction=Direction(data.direction),
        order_type=_uint(data.order_type, _U8_DIGITS),
        size=_size(info, _uint(data.size, _U64_DIGITS)),
        price=_scaled(_uint(data.price, _U64_DIGITS), info.quote_precision),
        fee=_scaled(_uint(data.fee, _U64_DIGITS), info.quote_decimals),
        is_maker=data.is_maker,
        trade_id=str(_uint(data.trade_id, _U128_DIGITS)),
        profile_address=_profile(data.profile_address),
        timestamp=_uint(data.timestamp, _U64_DIGITS),
    )


def _cancelled(data: _CancelData) -> OrderCancelled:
    return OrderCancelled(
        market_id=_uint(data.market_id, _U64_DIGITS),
        order_id=str(_uint(data.order_id, _U128_DIGITS)),
        side=Side.from_wire(data.trade_side),
        order_type=_uint(data.order_type, _U8_DIGITS),
        profile_address=_profile(data.profile_address),
        timestamp=_uint(data.timestamp, _U64_DIGITS),
    )


def _market(data: _OrderFields, markets: Mapping[int, MarketInfo]) -> MarketInfo:
    market_id = _uint(data.market_id, _U64_DIGITS)
    info = markets.get(market_id)
    if info is None:
        raise _Malformed(f"no market info for market {market_id}")
    return info


def _uint(raw: msgspec.Raw, digits: int) -> int:
    """An unsigned integer of at most ``digits`` decimal digits (u8, u64 or u128), bounded first.

    Accepts a JSON string of ASCII digits or a plain JSON integer; anything else is malformed.
    """
    text = bytes(raw).strip()
    if len(text) > digits + 2:
        raise _Malformed("number too long")
    match = _UINT.fullmatch(text)
    if match is None:
        raise _Malformed("not an unsigned integer")
    value = int(match.group(1) or match.group(2))
    if value > _MAX[digits]:
        raise _Malformed("number out of range")
    return value


def _profile(text: str) -> str:
    if not is_address(text):
        raise _Malformed("profile_address is not an address")
    return normalize_address(text)


def _size(info: MarketInfo, lots: int) -> Decimal:
    return _scaled(lots * info.lot_size, info.base_decimals)


def _scaled(units: int, decimals: int) -> Decimal:
    """``units / 10**decimals`` exactly (no context rounding), without needless trailing zeros.

    ``MarketInfo.lot`` / ``tick`` are grid steps and divide under the decimal context; on-chain
    amounts can have more digits than that context keeps, so the scale is applied to the digits.
    """
    if units == 0:
        return Decimal(0)
    digits = str(units)
    exponent = -decimals
    while exponent < 0 and digits.endswith("0"):
        digits = digits[:-1]
        exponent += 1
    return Decimal((0, tuple(int(d) for d in digits), exponent))
