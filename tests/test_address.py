"""Address normalisation: one canonical form, short forms accepted, garbage refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kana_async import ArgumentTypeError, InvalidAddressError, is_address, normalize_address

DOCS_PROFILE = "0x3c78886aa67752706b3502b12959edf92e68d85ae64b24226783d26ce6efc1e"


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("0x1", "0x" + "0" * 63 + "1"),
        ("0X1", "0x" + "0" * 63 + "1"),
        ("0xABCdef", "0x" + "0" * 58 + "abcdef"),
        (" 0x2 ", "0x" + "0" * 63 + "2"),
        (DOCS_PROFILE, "0x0" + DOCS_PROFILE[2:]),
        ("0x" + "F" * 64, "0x" + "f" * 64),
    ],
)
def test_normalises(given_: str, expected: str) -> None:
    assert normalize_address(given_) == expected
    assert is_address(given_)


@pytest.mark.parametrize(
    "bad",
    ["", "0x", "1", "abc", "0xg1", "0x" + "1" * 65, "0x12 34", "xx01", "0x-1", "0x١"],
)
def test_rejects_garbage_with_a_clear_message(bad: str) -> None:
    with pytest.raises(InvalidAddressError, match="not an Aptos address"):
        normalize_address(bad, what="user_address")
    assert not is_address(bad)


def test_rejects_non_strings() -> None:
    with pytest.raises(ArgumentTypeError, match="must be a string"):
        normalize_address(0x1)
    with pytest.raises(ArgumentTypeError):
        normalize_address(b"0x1")
    assert not is_address(None)


def test_long_garbage_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidAddressError) as info:
        normalize_address("z" * 500)
    assert len(str(info.value)) < 200


@given(st.integers(min_value=0, max_value=2**256 - 1))
def test_any_256_bit_value_round_trips(value: int) -> None:
    short = hex(value)
    canonical = normalize_address(short)
    assert len(canonical) == 66
    assert int(canonical, 16) == value
    assert normalize_address(canonical) == canonical
