"""The command line's text: plain decimals, exact ids, UTC times, CSV under wire names."""

from __future__ import annotations

import io
from decimal import Decimal

from kana_async._cli._fmt import CsvWriter, dec, json_line, row_dict, when
from kana_async.models import OrderBookLevel, Transfer
from kana_async.models._base import plain


def test_decimals_are_plain_digits() -> None:
    assert dec(Decimal("1E+1")) == "10"
    assert dec(Decimal("1E-7")) == "0.0000001"
    assert dec(Decimal("5.750")) == "5.750"
    assert dec(None) == "-" and dec(None, "") == "" and dec(7) == "7"


def test_decimals_from_hostile_input_stay_short() -> None:
    # plain digits of these would be a quintillion zeros (MemoryError), or a thousand
    tiny, huge = Decimal("1e-999999999999999999"), Decimal("-4.5e1000")
    assert dec(tiny) == "1E-999999999999999999" and dec(huge) == "-4.5E+1000"
    assert plain(tiny) == "1E-999999999999999999"
    assert dec(Decimal("NaN")) == "NaN" and dec(Decimal("-Infinity")) == "-Infinity"
    # up to a hundred added zeros stay plain digits; a long value's own digits are kept
    assert dec(Decimal("1e100")) == "1" + "0" * 100
    assert dec(Decimal("1e-100")) == "0." + "0" * 99 + "1"
    long = "0." + "7" * 5000
    assert dec(Decimal(long)) == long
    level = OrderBookLevel(14, False, tiny, Decimal("1"))
    assert "1E-999999999999999999" in repr(level)


def test_json_lines_keep_money_and_ids_exact() -> None:
    line = json_line({"price": Decimal("1E-7"), "order_id": 2**127 + 1, "ok": True, "x": None})
    assert line == (
        '{"price":"0.0000001","order_id":170141183460469231731687303715884105729,'
        '"ok":true,"x":null}\n'
    )


def test_times_are_utc() -> None:
    assert when(0) == "00:00:00"
    assert when(86399, date=True) == "1970-01-01 23:59:59"
    assert when(None) == "-"


def test_csv_uses_the_wire_field_names() -> None:
    out = io.StringIO()
    writer = CsvWriter(out, Transfer)
    writer.write(Transfer(amount=Decimal("100.500000"), is_deposit=False, timestamp=5))
    assert out.getvalue().splitlines() == [
        "amount,is_deposit,address,market_id,timestamp,last_updated,transaction_version",
        "100.500000,false,,,5,,",
    ]
    assert row_dict(Transfer(amount=Decimal(1), is_deposit=True))["amount"] == Decimal(1)
