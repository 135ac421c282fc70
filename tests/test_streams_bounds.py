"""The bounds decoder: a frame's numbers vouched for in C, the exact check for the rest.

Every verdict of the topic readers (which skip the value-by-value check when the bounds decoder
vouches for a frame) must be the verdict of the exact check alone, for every way a number can
be written: the expected verdicts below are written out by hand, and hypothesis compares the
two on number-like texts.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kana_async._codec import decoder_for
from kana_async._streams.bounds import FAST_BOUND, bounds_decoder
from kana_async._streams.frames import BadFrame, row_checker
from kana_async._streams.topics import TOPICS
from kana_async.models.positions import Position
from kana_async.models.trades import Trade
from tests.ws_support import ADDR

_POSITIONS = TOPICS["positions"]


def _row(size: Any, **more: Any) -> dict[str, Any]:
    row = {"address": ADDR, "market_id": "14", "is_long": True, "size": "1", "margin": "5"}
    row.update(more)
    row["size"] = size
    return row


def _frame(rows: Any) -> bytes:
    return json.dumps({"data": rows, "message": "positions"}).encode()


def _verdict(read: Any, raw: bytes) -> str:
    try:
        rows = read(raw)
    except BadFrame as exc:
        return exc.kind
    assert all(isinstance(row, Position) for row in rows)
    return "accepted"


def _by_frame(raw: bytes) -> str:
    return _verdict(lambda frame: _POSITIONS.decode_frame(frame, ADDR), raw)


class _Data(msgspec.Struct):
    data: msgspec.Raw


def _data_of(raw: bytes) -> bytes:
    """The frame's ``data`` member, as sent."""
    return bytes(msgspec.json.decode(raw, type=_Data).data)


def _by_data(raw: bytes) -> str:
    data = _data_of(raw)
    return _verdict(lambda member: _POSITIONS.decode(member, ADDR), data)


def _exact(raw: bytes) -> str:
    """The reference: the rows decoded, then every value checked one by one."""
    data = _data_of(raw)
    try:
        decoded = decoder_for(list[Position] | Position).decode(data)
    except msgspec.DecodeError:
        return "unexpected_shape"
    rows = decoded if isinstance(decoded, list) else [decoded]
    check = row_checker(Position)
    assert check is not None
    try:
        check(rows)
    except BadFrame as exc:
        return exc.kind
    return "accepted"


ACCEPTED = [
    "5.5793",
    "8.145769219111",
    "1e39",
    "-9.99e39",
    "9.9e40",  # above the fast bound: accepted by the exact check
    "99999999999999999999999999999999999999999",  # 41 digits: adjusted exponent 40
    "1_000",  # read by the Decimal decoder only
    " 5",
    "5.",
    "1e-400",  # a float zero: in range (only magnitudes above are refused)
    "-0",
]
REFUSED = [
    "1e41",
    "-1.2e41",
    "100000000000000000000000000000000000000000",  # 42 digits
    "NaN",
    "-nan",
    "Infinity",
    "-inf",
    "sNaN",
    "1e999",
]


@pytest.mark.parametrize("read", [_by_frame, _by_data])
@pytest.mark.parametrize("text", ACCEPTED + REFUSED)
def test_each_number_gets_the_exact_checks_verdict(read: Any, text: str) -> None:
    expected = "accepted" if text in ACCEPTED else "bad_number"
    for rows in ([_row(text)], [_row("2"), _row(text, is_long=False)], _row(text)):
        raw = _frame(rows)
        assert _exact(raw) == expected
        assert read(raw) == expected


@pytest.mark.parametrize("read", [_by_frame, _by_data])
@pytest.mark.parametrize("number", ["5.25", "1e39", "1e41", "-1e41", "1" + "0" * 45, "1e400"])
def test_a_json_number_gets_the_exact_checks_verdict(read: Any, number: str) -> None:
    raw = _frame([_row("1")]).replace(b'"size": "1"', b'"size": ' + number.encode())
    assert b'"size": ' + number.encode() in raw
    expected = "accepted" if Decimal(number).adjusted() <= 40 else "bad_number"
    assert _exact(raw) == read(raw) == expected


@pytest.mark.parametrize("read", [_by_frame, _by_data])
def test_a_member_sent_twice_is_judged_by_the_value_kept(read: Any) -> None:
    one = _frame([_row("1")])
    kept_small = one.replace(b'"size": "1"', b'"size": "1e50", "size": "1"')
    kept_big = one.replace(b'"size": "1"', b'"size": "1", "size": "1e50"')
    assert read(kept_small) == _exact(kept_small) == "accepted"
    assert read(kept_big) == _exact(kept_big) == "bad_number"


@pytest.mark.parametrize("field", ["margin", "liq_price", "tp", "sl", "value", "entry_price"])
def test_every_decimal_field_is_bounded(field: str) -> None:
    raw = _frame([_row("1", **{field: "1e41"})])
    assert _by_frame(raw) == _by_data(raw) == "bad_number"
    raw = _frame([_row("1", **{field: None})])
    assert _by_frame(raw) == _by_data(raw) == "accepted"


_NUMBERISH = st.text(alphabet="0123456789.eE+-_ nNaAiIfFsy", min_size=1, max_size=14)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(_NUMBERISH | st.sampled_from(ACCEPTED + REFUSED), min_size=1, max_size=3))
def test_the_readers_agree_with_the_exact_check_on_any_number_text(texts: list[str]) -> None:
    rows = [_row(text, margin=texts[-1], is_long=i % 2 == 0) for i, text in enumerate(texts)]
    raw = _frame(rows)
    expected = _exact(raw)
    assert _by_frame(raw) == expected
    assert _by_data(raw) == expected


def test_the_bounds_decoder_vouches_for_ordinary_rows_only() -> None:
    vouch = bounds_decoder(Position, True)
    assert vouch is not None
    vouch(_frame([_row("1236", liq_price="8.145769219111", tp=None)]))
    for text in ("1e40", "-1e40", "NaN", "inf", "1_000", "abc"):
        with pytest.raises(msgspec.ValidationError):
            vouch(_frame([_row(text)]))
    assert FAST_BOUND == 1e40


def test_the_bounds_decoder_reads_the_wire_names_of_the_fields() -> None:
    class Renamed(msgspec.Struct, rename="camel"):
        unit_price: Decimal
        note: str = ""

    vouch = bounds_decoder(Renamed, False)
    assert vouch is not None
    vouch(b'{"unitPrice": "5", "unit_price": "1e99"}')  # the attribute name is not read
    with pytest.raises(msgspec.ValidationError):
        vouch(b'{"unitPrice": "1e99"}')


def test_models_without_plain_decimal_fields_have_no_bounds_decoder() -> None:
    class Listed(msgspec.Struct):
        prices: list[Decimal]

    class Plain(msgspec.Struct):
        name: str

    assert bounds_decoder(Listed, True) is None  # the exact check alone
    assert bounds_decoder(Plain, True) is None  # nothing to bound
    assert bounds_decoder(Trade, True) is not None  # every row topic with money has one
