"""Fuzzed REST answers through the public client: only typed errors, no hang, no crash later.

Each documented REST endpoint (the cases of ``test_rest_endpoints``) is answered with mutations
of its good answer, generated from a fixed seed: whole bodies that are not JSON, too deep or
truncated; envelopes with odd flags and messages; and good answers with one value replaced by a
hostile one (``Infinity``, ``1e1000000``, 5,000-digit numbers, u128 ids as JSON numbers, lone
surrogates, deep nesting...). Every call must return or raise a :class:`KanaError`; every model
it returns must give its properties and ``repr`` without raising. A hang fails through the
suite's per-test timeout.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async import KanaError, ResponseDecodeError, UnsuccessfulResponseError
from kana_async._codec import decode, decode_envelope
from kana_async.models._base import HotModel, Model
from kana_async.models.account import FundingEntry, Transfer
from kana_async.models.markets import MarketInfo, MarketPrice
from kana_async.models.orders import OrderHistoryEntry
from kana_async.models.payloads import TransactionPayload
from kana_async.models.positions import Position
from kana_async.models.trades import Trade
from tests.rest_support import (
    MARKET_ROW,
    ORDER_HISTORY_ROW,
    Recorder,
    open_client,
)
from tests.test_rest_endpoints import PAYLOADS, READS, Case

pytestmark = pytest.mark.anyio

SEED = 20261201
PER_ENDPOINT = 130

#: JSON texts (not Python values) put in place of one value of a good answer.
HOSTILE_VALUES: list[str] = [
    '"Infinity"',
    '"-Infinity"',
    '"NaN"',
    '"sNaN"',
    "1e1000000",
    "-1e1000000",
    "1e-1000000",
    '"1e999999999"',
    "9" * 5000,
    '"' + "9" * 5000 + '"',
    str(2**128 - 1),
    str(2**200),
    "-1",
    "0",
    "1.5",
    "null",
    "true",
    '""',
    '"abc"',
    '"\\ud800"',
    '"²"',
    '"::"',
    "[]",
    "{}",
    "[" * 200 + "]" * 200,
    '{"a":' * 300 + "1" + "}" * 300,
    "1000000",
    '"1000000"',
    "0.000000000000000000000000000000000000000000000000000000000000000001",
    "123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890",
]

#: Whole bodies, not derived from the good answer.
HOSTILE_BODIES: list[bytes] = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"success": true, "data": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
    b'{"success": true, "data": 1e1000000}',
    b'{"success": true, "data": NaN}',
    b'{"success": true, "data": Infinity}',
    b'{"success": true, "data": "\\ud800"}',
    b'{"success": true, "message": null}',
    b'{"success": "true", "message": null, "data": null}',
    b'{"success": "yes", "data": []}',
    b'{"success": 1, "data": []}',
    b'{"success": false, "message": null}',
    b'{"success": false, "message": 12}',
    b'{"status": "false", "message": {"a": 1}}',
    b'{"message": "no flag"}',
    b"[]",
    b"null",
    b"5",
    b'"text"',
    b'{"success": true, "data": [' + b"1," * 100_000 + b"1]}",
    b'{"success": true, "data": "' + b"9" * 100_000 + b'"}',
]
STATUSES = [200, 200, 200, 200, 400, 401, 404, 429, 500, 503]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


_MARK = "\x00HOSTILE\x00"


def _replaced(data: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return _MARK
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_replaced(v, rest) if k == head else v) for k, v in data.items()}
    return [(_replaced(v, rest) if i == head else v) for i, v in enumerate(data)]


def _envelope(data: Any, rng: random.Random) -> dict[str, Any]:
    success: Any = rng.choice([True, True, True, "true", "True", 1, None])
    message: Any = rng.choice(["ok", "", None, 5])
    body: dict[str, Any] = {"success": success, "message": message, "data": data}
    if rng.random() < 0.05:
        body.pop("message")
    return body


def _encode(data: Any) -> str:
    return json.dumps(data, default=str)


def mutations(case: Case, rng: random.Random) -> Iterator[tuple[int, bytes]]:
    """``PER_ENDPOINT`` (status, body) answers for ``case``."""
    good = json.loads(_encode(case.data))
    paths = list(_paths(good))
    for n in range(PER_ENDPOINT):
        status = rng.choice(STATUSES) if n % 5 == 0 else 200
        kind = n % 10
        if kind == 0:
            yield status, rng.choice(HOSTILE_BODIES)
        elif kind == 1:
            text = _encode(_envelope(good, rng)).encode()
            yield status, text[: rng.randrange(len(text) + 1)]
        else:
            path = rng.choice(paths)
            body = _encode(_envelope(_replaced(good, path), rng))
            yield status, body.replace(json.dumps(_MARK), rng.choice(HOSTILE_VALUES)).encode()


def _touch(value: Any, seen: list[int]) -> None:
    """Read every property and the repr of every model in ``value`` (as a user would)."""
    stack = [value]
    while stack:
        item = stack.pop()
        seen[0] += 1
        if isinstance(item, Model | HotModel):
            repr(item)
            item._repr_html_()
            for name in dir(type(item)):
                if isinstance(getattr(type(item), name, None), property):
                    stack.append(getattr(item, name))
            stack.extend(getattr(item, f) for f in item.__struct_fields__)
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif isinstance(item, Decimal):
            format(item, "f")


CASES = READS + PAYLOADS


async def test_fuzzed_answers_raise_only_typed_errors() -> None:
    rng = random.Random(SEED)
    untyped: list[str] = []
    answered = decoded = refused = 0
    seen = [0]
    for case in CASES:
        for status, body in mutations(case, rng):

            def handler(request: httpx.Request, status: int = status, body: bytes = body) -> Any:
                return httpx.Response(status, content=body)

            answered += 1
            async with open_client(Recorder({case.path: handler})) as kana:
                try:
                    result = await case.call(kana)
                    _touch(result, seen)
                    decoded += 1
                except KanaError:
                    refused += 1
                except Exception as exc:
                    untyped.append(
                        f"{case.id}: {type(exc).__name__}: {exc!s:.100} <- {body[:120]!r}"
                    )
    print(f"answers {answered}, decoded {decoded}, refused typed {refused}, untyped {len(untyped)}")
    assert answered >= 3000
    assert untyped == [], "\n".join(untyped[:20])
    assert decoded > 300 and refused > 1000  # the mutations reach both outcomes


async def _read(route: str, data: bytes, call: Any) -> Any:
    recorder = Recorder({route: lambda request: httpx.Response(200, content=data)})
    async with open_client(recorder) as kana:
        return await call(kana)


def _body(data: Any, **envelope: Any) -> bytes:
    return json.dumps({"success": True, "message": "ok", **envelope, "data": data}).encode()


async def test_u128_ids_sent_as_json_numbers_stay_exact_strings() -> None:
    big = 2**128 - 1
    row = {**ORDER_HISTORY_ROW, "order_id": big, "trade_id": 737648402019497550020622}
    rows = await _read("/getOrderHistory", _body([row]), lambda k: k.history.orders())
    assert rows[0].order_id == "340282366920938463463374607431768211455"
    assert rows[0].trade_id == "737648402019497550020622"


async def test_a_lax_envelope_is_read_like_the_data() -> None:
    body = json.dumps({"success": "true", "message": None, "data": [MARKET_ROW]}).encode()
    info = await _read("/getMarketInfo", body, lambda k: k.markets.info(1338))
    assert info.market_id == 1338
    refusal = json.dumps({"success": "false", "message": {"code": 7}, "data": None}).encode()
    with pytest.raises(UnsuccessfulResponseError, match='"code":7'):
        await _read("/getMarketInfo", refusal, lambda k: k.markets.info(1338))


@pytest.mark.parametrize(
    ("route", "body", "call"),
    [
        (
            "/getLastPlacedPrice",
            b'{"success": true, "data": "Infinity"}',
            lambda k: k.markets.last_price(1338),
        ),
        (
            "/getLastPlacedPrice",
            b'{"success": true, "data": NaN}',
            lambda k: k.markets.last_price(1338),
        ),
        (
            "/getLastPlacedPrice",
            b'{"success": true, "data": 1e1000000}',
            lambda k: k.markets.last_price(1338),
        ),
        (
            "/getMarketInfo",
            _body([{**MARKET_ROW, "quote_precision": 1000000}]),
            lambda k: k.markets.info(1338),
        ),
        (
            "/deposit",
            _body({"function": "no_colons_here", "functionArguments": []}),
            lambda k: k.payloads.deposit("1"),
        ),
        (
            "/getOrderHistory",
            b'{"success": true, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            lambda k: k.history.orders(),
        ),
    ],
    ids=["infinity", "nan", "huge-exponent", "quote-precision", "payload-function", "deep"],
)
async def test_hostile_values_are_refused_at_decode_time(
    route: str, body: bytes, call: Any
) -> None:
    with pytest.raises(ResponseDecodeError):
        await _read(route, body, call)


# -- property-based: any JSON value, decoded as any REST model, gives a model or a typed error --

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["Infinity", "NaN", "1e999999", "-0", "0x1::m::f", "18446744073709551616"]),
)
_KEYS = st.sampled_from(
    [
        "market_id",
        "order_id",
        "trade_id",
        "price",
        "size",
        "leverage",
        "quote_precision",
        "base_decimals",
        "tick_size",
        "lot_size",
        "function",
        "status",
        "address",
        "timestamp",
    ]
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_KEYS | st.text(max_size=8), inner, max_size=6)
    ),
    max_leaves=25,
)
_TYPES = [
    list[MarketInfo],
    MarketInfo,
    MarketPrice,
    list[Trade],
    list[OrderHistoryEntry],
    list[Position],
    list[FundingEntry],
    list[Transfer],
    TransactionPayload,
    Decimal | None,
]


@settings(max_examples=400, derandomize=True, deadline=None)
@given(_JSON, st.sampled_from(_TYPES))
def test_any_json_decodes_to_a_model_or_a_typed_error(value: Any, tp: Any) -> None:
    body = json.dumps({"success": True, "data": value}).encode()
    try:
        result = decode(decode_envelope(body).data, tp)
    except ResponseDecodeError:
        return
    _touch(result, [0])


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.builds(
        Decimal, st.from_regex(r"\A-?[0-9]{1,120}(\.[0-9]{1,120})?([eE][+-]?[0-9]{1,7})?\Z")
    ),
    st.booleans(),
)
def test_no_decoded_price_is_unbounded(price: Decimal, as_string: bool) -> None:
    text = f'"{price}"' if as_string or not price.is_finite() else str(price)
    body = b'{"success": true, "data": 0}'.replace(b"0}", f"{text}}}".encode())
    try:
        value = decode(decode_envelope(body).data, Decimal)
    except ResponseDecodeError:
        return
    assert value.is_finite()
    assert len(value.as_tuple().digits) <= 80
    assert -100 <= value.adjusted() <= 100
    format(value, "f")  # cheap: bounded
