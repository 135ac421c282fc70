"""Helpers for tests that send entry functions to a running simulator's node (no tests here)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from nacl.signing import SigningKey

from kana_async.sim import contract
from kana_async.sim.node import BCS_CONTENT_TYPE
from kana_async.sim.server import Simulator

BCS = {"content-type": BCS_CONTENT_TYPE}
_SIGNING_PREFIX = hashlib.sha3_256(b"APTOS::RawTransaction").digest()
_HASH_PREFIX = hashlib.sha3_256(b"APTOS::Transaction").digest()
_INT_BYTES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "u128": 16, "u256": 32}


@dataclass(frozen=True)
class Key:
    """An Ed25519 key and its Aptos address (the tests sign without the SDK)."""

    signing: SigningKey
    address: str

    @classmethod
    def from_hex(cls, private_key_hex: str) -> Key:
        signing = SigningKey(bytes.fromhex(private_key_hex.removeprefix("0x")))
        public = bytes(signing.verify_key)
        return cls(signing, "0x" + hashlib.sha3_256(public + b"\x00").hexdigest())


@dataclass(frozen=True)
class Signed:
    """Signed transaction bytes and their hash."""

    bytes: bytes
    hash: str


def uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def encode(move_type: str, value: Any) -> bytes:
    """BCS of one argument value (bool, unsigned ints, address, vectors)."""
    if move_type.startswith("vector<"):
        inner = move_type[len("vector<") : -1]
        return uleb(len(value)) + b"".join(encode(inner, v) for v in value)
    if move_type == "bool":
        return b"\x01" if value else b"\x00"
    if move_type == "address":
        return bytes.fromhex(value.removeprefix("0x").rjust(64, "0"))
    return int(value).to_bytes(_INT_BYTES[move_type], "little")


def _string(text: str) -> bytes:
    return uleb(len(text)) + text.encode()


def _usdt_tag() -> bytes:
    address, module, name = contract.COLLATERAL_TYPE.split("::")
    return b"\x07" + encode("address", address) + _string(module) + _string(name) + b"\x00"


def trader(sim: Simulator, usdt_units: int = 5_000 * 10**6) -> Key:
    """A funded account with ``usdt_units`` already deposited into its trading account."""
    funded = sim.new_account()
    sim.exchange.deposit(funded.address, usdt_units)
    return Key.from_hex(funded.private_key_hex)


def sign_raw(
    key: Key,
    sender: str,
    function_id: str,
    params: tuple[str, ...],
    args: tuple[Any, ...],
    *,
    seq: int,
    type_args: int = 0,
    max_gas: int = 20_000,
    gas_price: int = 100,
    expires_at: int,
    chain_id: int = 4,
    simulation: bool = False,
) -> Signed:
    """Sign an entry-function call with the tests' own BCS encoder."""
    address, module, name = function_id.split("::")
    raw = (
        encode("address", sender)
        + seq.to_bytes(8, "little")
        + b"\x02"
        + encode("address", address)
        + _string(module)
        + _string(name)
        + uleb(type_args)
        + _usdt_tag() * type_args
        + uleb(len(args))
        + b"".join(
            uleb(len(b)) + b for b in (encode(t, v) for t, v in zip(params, args, strict=True))
        )
        + max_gas.to_bytes(8, "little")
        + gas_price.to_bytes(8, "little")
        + expires_at.to_bytes(8, "little")
        + bytes([chain_id])
    )
    signature = bytes(64) if simulation else key.signing.sign(_SIGNING_PREFIX + raw).signature
    public = bytes(key.signing.verify_key)
    data = raw + b"\x00" + uleb(32) + public + uleb(64) + signature
    return Signed(data, "0x" + hashlib.sha3_256(_HASH_PREFIX + b"\x00" + data).hexdigest())


def sign(
    sim: Simulator,
    key: Key,
    name: str,
    *args: Any,
    seq: int | None = None,
    module: str = contract.TRADING_MODULE,
    max_gas: int = 20_000,
    expires_in: int = 60,
) -> Signed:
    """Sign ``module::name(args)`` for ``key`` (sequence number: the node's, by default)."""
    fn = contract.entry_function(f"{contract.KANA_PACKAGE}::{module}::{name}")
    assert fn is not None, name
    return sign_raw(
        key,
        key.address,
        fn.function_id,
        fn.params,
        args,
        seq=sim.node.sequence_number(key.address) if seq is None else seq,
        type_args=fn.generic_params,
        max_gas=max_gas,
        expires_at=int(sim.node.state.clock()) + expires_in,
        chain_id=sim.network.chain_id,
    )


async def post(sim: Simulator, http: httpx.AsyncClient, signed: Signed) -> httpx.Response:
    """``POST /v1/transactions`` with the signed bytes."""
    return await http.post(
        f"{sim.network.node_url}/transactions", content=signed.bytes, headers=BCS
    )


async def committed(sim: Simulator, http: httpx.AsyncClient, tx_hash: str) -> dict[str, Any]:
    """Wait (long polls, bounded) until ``tx_hash`` is committed; its JSON."""
    with anyio.fail_after(10):
        while True:
            response = await http.get(f"{sim.network.node_url}/transactions/wait_by_hash/{tx_hash}")
            body: dict[str, Any] = response.json()
            if body.get("type") == "user_transaction":
                return body


async def run(
    sim: Simulator, http: httpx.AsyncClient, account: Key, name: str, *args: Any
) -> dict[str, Any]:
    """Sign, submit and wait for ``name(args)``; the committed transaction's JSON."""
    signed = sign(sim, account, name, *args)
    response = await post(sim, http, signed)
    assert response.status_code == 202, response.text
    return await committed(sim, http, signed.hash)
