"""The fake node's own BCS decoder and VM status numbers, checked against hand-written bytes."""

from __future__ import annotations

import hashlib
import random
import time

import httpx
import pytest
from nacl.signing import SigningKey

from kana_async.sim.node import BCS_CONTENT_TYPE, NodeError
from kana_async.sim.node.bcs import BcsError, decode_signed, type_tag_str
from kana_async.sim.node.vm_status import vm_status_code
from tests.aptos_support import served_node

pytestmark = pytest.mark.anyio
BCS = {"content-type": BCS_CONTENT_TYPE}

_KEY = SigningKey(bytes(range(32)))
_PUBLIC = bytes(_KEY.verify_key)
_SENDER = hashlib.sha3_256(_PUBLIC + b"\x00").hexdigest()
# 0x6b616e615f73696d5f7065727073…01, "perpetual_scripts", "collapse_position"
_MODULE = (
    "6b616e615f73696d5f7065727073000000000000000000000000000000000001"
    "11" + b"perpetual_scripts".hex() + "11" + b"collapse_position".hex()
)


def _raw(type_args_hex: str, *, chain_id: str = "04") -> bytes:
    expiry = (int(time.time()) + 60).to_bytes(8, "little").hex()
    return bytes.fromhex(
        _SENDER
        + "0000000000000000"  # sequence number 0
        + "02"  # payload: entry function
        + _MODULE
        + type_args_hex
        + "01"
        + "08"
        + "0700000000000000"  # one argument: u64 7
        + "d007000000000000"  # max gas 2000
        + "6400000000000000"  # gas unit price 100
        + expiry
        + chain_id
    )


def _signed(raw: bytes) -> bytes:
    prefix = hashlib.sha3_256(b"APTOS::RawTransaction").digest()
    signature = _KEY.sign(prefix + raw).signature
    return raw + bytes.fromhex("00" + "20" + _PUBLIC.hex() + "40" + signature.hex())


def test_vm_status_numbers_are_aptos_numbers() -> None:
    assert vm_status_code("BAD_CHAIN_ID") == 23
    assert vm_status_code("SENDING_ACCOUNT_FROZEN") == 18
    assert vm_status_code("SEQUENCE_NUMBER_TOO_NEW") == 4
    assert vm_status_code("TRANSACTION_EXPIRED") == 6
    assert vm_status_code("OUT_OF_GAS") == 4002
    assert vm_status_code("NO_SUCH_STATUS") is None


def test_type_tags_decode_strictly() -> None:
    assert type_tag_str(bytes.fromhex("02")) == "u64"
    assert type_tag_str(bytes.fromhex("00")) == "bool"
    assert type_tag_str(bytes.fromhex("0a")) == "u256"
    assert type_tag_str(bytes.fromhex("0601")) == "vector<u8>"
    usdt = "07" + "00" * 31 + "01" + "04" + b"usdt".hex() + "04" + b"USDT".hex() + "00"
    assert type_tag_str(bytes.fromhex(usdt)) == "0x" + "00" * 31 + "01::usdt::USDT"
    for bad in ("020000000000000000", "0b", "06", "0700"):
        with pytest.raises(BcsError):
            type_tag_str(bytes.fromhex(bad))


async def test_single_byte_u64_tag_is_decoded_and_trailing_bytes_are_refused() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        fx.node.create_account(_PUBLIC)
        fx.node.fund_apt("0x" + _SENDER, 10**8)
        good = _signed(_raw("01" + "02"))  # one type argument: u64, one byte
        response = await http.post(f"{fx.url}/transactions", content=good, headers=BCS)
        assert response.status_code == 202, response.text
        body = (await http.get(f"{fx.url}/transactions/by_hash/{response.json()['hash']}")).json()
        assert body["payload"]["type_arguments"] == ["u64"]
        assert body["payload"]["arguments"] == ["7"]
        assert body["sender"] == "0x" + _SENDER
        # The aptos-sdk spelling: the u64 tag followed by eight value bytes.
        trailing = _signed(_raw("01" + "02" + "0000000000000000"))
        refused = await http.post(f"{fx.url}/transactions", content=trailing, headers=BCS)
        assert refused.status_code == 400
        assert refused.json()["error_code"] == "invalid_input"
        extra = await http.post(f"{fx.url}/transactions", content=good + b"\x00", headers=BCS)
        assert extra.status_code == 400 and extra.json()["error_code"] == "invalid_input"


async def test_bad_chain_id_is_vm_status_23() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        fx.node.create_account(_PUBLIC)
        fx.node.fund_apt("0x" + _SENDER, 10**8)
        wrong = _signed(_raw("00", chain_id="05"))
        response = await http.post(f"{fx.url}/transactions", content=wrong, headers=BCS)
        assert response.status_code == 400
        assert response.json() == {
            "message": "Invalid transaction: Type: Validation Code: BAD_CHAIN_ID",
            "error_code": "vm_error",
            "vm_error_code": 23,
        }
        assert fx.ledger.calls == []


async def test_tampered_signature_and_bad_bool_are_refused() -> None:
    async with served_node() as fx, httpx.AsyncClient() as http:
        fx.node.create_account(_PUBLIC)
        fx.node.fund_apt("0x" + _SENDER, 10**8)
        good = _signed(_raw("00"))
        tampered = good[:-1] + bytes([good[-1] ^ 1])
        response = await http.post(f"{fx.url}/transactions", content=tampered, headers=BCS)
        assert response.json()["vm_error_code"] == 1
        assert "INVALID_SIGNATURE" in response.json()["message"]
        payload_kind = bytearray(good)
        payload_kind[40] = 0x00  # a script payload instead of an entry function
        other = await http.post(f"{fx.url}/transactions", content=bytes(payload_kind), headers=BCS)
        assert other.status_code == 400 and other.json()["error_code"] == "invalid_input"


def test_mangled_bytes_only_ever_give_node_errors() -> None:
    good = _signed(_raw("01" + "02"))
    rng = random.Random(5)
    cases = [good[:n] for n in range(0, len(good), 7)]
    for _ in range(300):
        mangled = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        cases.append(bytes(mangled))
    # A type tag nested a thousand vectors deep, and a length prefix far beyond the data.
    cases.append(good[:109] + bytes.fromhex("01" + "06" * 1000 + "02"))
    cases.append(good[:109] + bytes.fromhex("ffffffff0f"))
    accepted = 0
    for data in cases:
        try:
            decode_signed(data, 4)
            accepted += 1
        except NodeError as exc:
            assert exc.status == 400
    assert accepted < 10  # a flipped byte almost always breaks the signature or the layout
    with pytest.raises(BcsError, match="nested too deeply"):
        type_tag_str(bytes.fromhex("06" * 20 + "02"))
