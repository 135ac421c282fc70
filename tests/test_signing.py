"""Accounts, BCS argument encoding and signed bytes, checked against aptos-sdk's own builder."""

from __future__ import annotations

import json
import logging
import pickle
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kana_async._aptos.abi import entry_param_types
from kana_async._aptos.bcs import encode_argument, type_tag_bytes
from kana_async._aptos.movetypes import StructType, VectorType, parse_type
from kana_async._aptos.signer import Signer
from kana_async._aptos.signing import (
    Account,
    TransactionSpec,
    auth_key_for,
    sign_transaction,
    signing_message,
)
from kana_async._exceptions import (
    ArgumentTypeError,
    InvalidArgumentError,
    KanaError,
    TransactionRejectedError,
)
from kana_async.sim import contract

KEY = "0x" + "1f" * 32
USDT = contract.COLLATERAL_TYPE


def test_importing_kana_async_does_not_import_aptos_sdk() -> None:
    code = (
        "import sys, kana_async, kana_async._aptos.signing, kana_async._aptos.movetypes\n"
        "import kana_async.models.transactions, kana_async.resources.trading\n"
        "import kana_async._aptos.node, kana_async._aptos.sequence, kana_async._aptos.sender\n"
        "import kana_async.sim.node\n"
        "assert 'aptos_sdk' not in sys.modules, 'aptos_sdk imported eagerly'\n"
        "a = kana_async._aptos.signing.Account.generate()\n"
        "assert 'aptos_sdk' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- accounts ---------------------------------------------------------------------------------


def test_account_from_hex_forms_agree() -> None:
    a = Account.from_hex(KEY)
    assert Account.from_hex(KEY[2:]) == a
    assert Account.from_hex(f"ed25519-priv-{KEY}") == a
    assert Account.from_hex(f"  {KEY.upper().replace('0X', '0x')}\n") == a
    assert a.address == auth_key_for(a.public_key)
    assert len(a.public_key) == 32 and a.address.startswith("0x") and len(a.address) == 66
    assert a.private_key_hex() == KEY
    assert isinstance(a, Signer)
    assert hash(a) == hash(Account.from_hex(KEY))
    assert a != Account.generate()


def test_account_with_rotated_address() -> None:
    a = Account.from_hex(KEY, address="0x1")
    assert a.address == "0x" + "0" * 63 + "1"


@pytest.mark.parametrize("bad", ["", "0x1234", KEY + "00", "zz" * 32, KEY[:-1] + "g"])
def test_bad_keys_are_refused_without_echo(bad: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Account.from_hex(bad)
    if bad:
        assert bad not in str(info.value)
        assert bad[2:20] not in str(info.value) or bad == "0x1234"


def test_non_str_key_is_a_type_error() -> None:
    with pytest.raises(ArgumentTypeError):
        Account.from_hex(1234)  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError):
        Account(object())  # type: ignore[arg-type]


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KANA_PRIVATE_KEY", KEY)
    assert Account.from_env() == Account.from_hex(KEY)
    monkeypatch.setenv("OTHER_KEY", KEY[2:])
    assert Account.from_env("OTHER_KEY") == Account.from_hex(KEY)
    monkeypatch.delenv("KANA_PRIVATE_KEY")
    with pytest.raises(InvalidArgumentError, match="KANA_PRIVATE_KEY is not set"):
        Account.from_env()
    monkeypatch.setenv("KANA_PRIVATE_KEY", KEY[:-2])
    with pytest.raises(InvalidArgumentError) as info:
        Account.from_env()
    assert KEY[2:40] not in str(info.value)


def test_from_file_formats(tmp_path: Path) -> None:
    plain = tmp_path / "key.txt"
    plain.write_text(KEY + "\n")
    assert Account.from_file(plain) == Account.from_hex(KEY)
    as_json = tmp_path / "key.json"
    as_json.write_text(json.dumps({"account_address": "0x5", "private_key": KEY}))
    from_json = Account.from_file(as_json)
    assert (
        from_json.address.endswith("5") and from_json.public_key == Account.from_hex(KEY).public_key
    )
    yaml = tmp_path / "config.yaml"
    yaml.write_text(f'profiles:\n  default:\n    private_key: "{KEY}"\n    network: Testnet\n')
    assert Account.from_file(str(yaml)) == Account.from_hex(KEY)
    for name, text in [("bad.json", '{"nope": 1}'), ("bad.txt", "secret" + KEY[2:12])]:
        bad = tmp_path / name
        bad.write_text(text)
        with pytest.raises(InvalidArgumentError) as info:
            Account.from_file(bad)
        assert KEY[2:12] not in str(info.value)
    with pytest.raises(InvalidArgumentError, match="cannot read"):
        Account.from_file(tmp_path / "missing")


def test_key_never_in_repr_str_pickle_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    account = Account.from_hex(KEY)
    secret = KEY[2:]
    texts = [
        repr(account),
        str(account),
        f"{account}",
        repr(account._secret),
        str(vars_of(account)),
    ]
    for text in texts:
        assert secret not in text and secret.upper() not in text
    with pytest.raises(TypeError) as info:
        pickle.dumps(account)
    assert secret not in str(info.value)
    with pytest.raises(TypeError):
        pickle.dumps(account._secret)
    assert secret not in caplog.text


def vars_of(account: Account) -> dict[str, Any]:
    return {name: getattr(account, name) for name in Account.__slots__}


# -- Move types and BCS arguments ---------------------------------------------------------------


def test_parse_type() -> None:
    assert parse_type("u64") == "u64"
    assert parse_type("&signer") == "signer"
    assert parse_type("vector<vector<u8>>") == VectorType(VectorType("u8"))
    coin = parse_type(f"0x1::coin::CoinStore< {USDT} >")
    assert isinstance(coin, StructType) and coin.name == "CoinStore"
    assert str(coin.type_args[0]) == USDT
    pair = parse_type("0x1::pair::Pair<u8, vector<address>>")
    assert isinstance(pair, StructType)
    assert pair.type_args == ("u8", VectorType("address"))
    assert str(pair) == "0x" + "0" * 63 + "1::pair::Pair<u8, vector<address>>"
    for bad in ["", "u63", "vector<u8", "0x1::coin", "0x1::coin::Coin<u8", "u8 u8", "0xZ::a::B"]:
        with pytest.raises(InvalidArgumentError):
            parse_type(bad)


BIG_ID = "340282366920938463463374607431768211455"  # u128 max: exact, never via float


@pytest.mark.parametrize(
    ("move_type", "value", "expected"),
    [
        ("bool", True, "01"),
        ("bool", "false", "00"),
        ("bool", "TRUE", "01"),
        ("u8", "255", "ff"),
        ("u16", 258, "0201"),
        ("u32", "1", "01000000"),
        ("u64", "1000", "e803000000000000"),
        ("u64", Decimal("7"), "0700000000000000"),
        ("u128", BIG_ID, "ff" * 16),
        ("u256", 2**255, "00" * 31 + "80"),
        ("address", "0x1", "00" * 31 + "01"),
        ("vector<u128>", [BIG_ID, "1"], "02" + "ff" * 16 + "01" + "00" * 15),
        ("vector<bool>", ["true", False], "020100"),
        ("vector<u8>", "0x0102", "020102"),
        ("vector<u8>", b"\x07", "0107"),
        ("vector<vector<u8>>", [[1], []], "02010100"),
        ("0x1::string::String", "hé", "03" + "hé".encode().hex()),
        ("0x1::option::Option<u64>", None, "00"),
        ("0x1::option::Option<u64>", [], "00"),
        ("0x1::option::Option<u64>", "5", "01" + "0500000000000000"),
        ("0x1::option::Option<u64>", ["5"], "01" + "0500000000000000"),
        ("0x1::option::Option<u8>", {"vec": [9]}, "0109"),
        ("0x1::option::Option<vector<u8>>", [1, 2], "01020102"),
        ("0x1::object::Object<0x1::fungible_asset::Metadata>", "0xa", "00" * 31 + "0a"),
    ],
)
def test_encode_argument(move_type: str, value: Any, expected: str) -> None:
    assert encode_argument(move_type, value).hex() == expected


@pytest.mark.parametrize(
    ("move_type", "value", "error"),
    [
        ("u64", 1.0, ArgumentTypeError),
        ("u64", "1.5", ArgumentTypeError),
        ("u64", "-1", ArgumentTypeError),
        ("u64", 2**64, InvalidArgumentError),
        ("u8", 256, InvalidArgumentError),
        ("u64", Decimal("1.5"), InvalidArgumentError),
        ("u64", Decimal("NaN"), InvalidArgumentError),
        ("u64", True, ArgumentTypeError),
        ("u64", None, ArgumentTypeError),
        ("bool", "yes", ArgumentTypeError),
        ("bool", 1, ArgumentTypeError),
        ("address", 1, ArgumentTypeError),
        ("address", "0xnothex", InvalidArgumentError),
        ("vector<u64>", "1,2", ArgumentTypeError),
        ("vector<u8>", "0xzz", InvalidArgumentError),
        ("0x1::string::String", 5, ArgumentTypeError),
        ("signer", "0x1", ArgumentTypeError),
        ("0x1::coin::Coin<u8>", "0x1", ArgumentTypeError),
    ],
)
def test_encode_argument_refuses(move_type: str, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        encode_argument(move_type, value)
    assert isinstance(info.value, KanaError)


# -- signed bytes vs aptos-sdk's own builder -------------------------------------------------------


def _spec(
    function: str, type_args: tuple[str, ...], args: tuple[Any, ...], seq: int = 3
) -> TransactionSpec:
    abi = contract.module_abi(function.split("::")[1])
    assert abi is not None
    params, _ = entry_param_types(abi, function.rsplit("::", 1)[1])
    return TransactionSpec(
        sender=Account.from_hex(KEY).address,
        sequence_number=seq,
        function=function,
        type_arguments=type_args,
        arguments=args,
        param_types=params,
        max_gas_amount=5000,
        gas_unit_price=150,
        expiration_timestamp_secs=1_900_000_000,
        chain_id=2,
    )


def _independent(spec: TransactionSpec, encoders: list[Any], values: list[Any]) -> bytes:
    """The same transaction through aptos-sdk's builder with explicit serializers."""
    from aptos_sdk.account import Account as AptosAccount
    from aptos_sdk.account_address import AccountAddress
    from aptos_sdk.transactions import (
        EntryFunction,
        RawTransaction,
        SignedTransaction,
        TransactionArgument,
        TransactionPayload,
    )
    from aptos_sdk.type_tag import StructTag, TypeTag

    module, name = spec.function.rsplit("::", 1)
    entry = EntryFunction.natural(
        module,
        name,
        [TypeTag(StructTag.from_str(t)) for t in spec.type_arguments],
        [TransactionArgument(v, e) for v, e in zip(values, encoders, strict=True)],
    )
    account = AptosAccount.load_key(KEY)
    raw = RawTransaction(
        AccountAddress.from_str(spec.sender),
        spec.sequence_number,
        TransactionPayload(entry),
        spec.max_gas_amount,
        spec.gas_unit_price,
        spec.expiration_timestamp_secs,
        spec.chain_id,
    )
    return bytes(SignedTransaction(raw, account.sign_transaction(raw)).bytes())


@pytest.mark.anyio
async def test_signed_bytes_match_aptos_sdk_builder() -> None:
    from aptos_sdk.account_address import AccountAddress
    from aptos_sdk.bcs import Serializer

    fn = {name: f.function_id for name, f in contract.ENTRY_FUNCTIONS.items()}
    user = Account.from_hex(KEY).address
    u64, u8, b = Serializer.u64, Serializer.u8, Serializer.bool
    vec = Serializer.sequence_serializer
    cases = [
        (
            _spec(
                fn["place_limit_order"],
                (),
                ("1338", "true", "false", "1000", "5500", "2", "0", "0", "0"),
            ),
            [u64, b, b, u64, u64, u64, u8, u64, u64],
            [1338, True, False, 1000, 5500, 2, 0, 0, 0],
        ),
        (
            _spec(fn["deposit"], (USDT,), (user, "25000000")),
            [Serializer.struct, u64],
            [AccountAddress.from_str(user), 25_000_000],
        ),
        (
            _spec(
                fn["cancel_multiple_orders"],
                (),
                (1338, [BIG_ID, "11905620858892513160724480"], [True, False]),
            ),
            [u64, vec(Serializer.u128), vec(b)],
            [1338, [int(BIG_ID), 11905620858892513160724480], [True, False]],
        ),
        (
            _spec(
                fn["place_multiple_orders"],
                (),
                (
                    7,
                    [True, False],
                    [True, True],
                    [False, False],
                    [1, 2],
                    [100, 0],
                    [3, 3],
                    [0, 0],
                    [0, 0],
                    [0, 0],
                ),
            ),
            [
                u64,
                vec(b),
                vec(b),
                vec(b),
                vec(u64),
                vec(u64),
                vec(u64),
                vec(u8),
                vec(u64),
                vec(u64),
            ],
            [
                7,
                [True, False],
                [True, True],
                [False, False],
                [1, 2],
                [100, 0],
                [3, 3],
                [0, 0],
                [0, 0],
                [0, 0],
            ],
        ),
    ]
    account = Account.from_hex(KEY)
    for spec, encoders, values in cases:
        ours = await sign_transaction(account, spec)
        assert ours.bytes == _independent(spec, encoders, values), spec.function
        assert ours.sequence_number == spec.sequence_number
        assert ours.hash.startswith("0x") and len(ours.hash) == 66
        assert signing_message(spec)[:32] != b"\x00" * 32


@pytest.mark.anyio
async def test_sign_transaction_argument_errors() -> None:
    account = Account.from_hex(KEY)
    fn = contract.ENTRY_FUNCTIONS["collapse_position"].function_id
    spec = _spec(fn, (), ("1", "2"))
    with pytest.raises(InvalidArgumentError, match="takes 1 arguments"):
        await sign_transaction(account, spec)
    bad_fn = TransactionSpec(**{**_as_dict(_spec(fn, (), ("1",))), "function": "0x1::nope"})
    with pytest.raises(InvalidArgumentError, match="0xADDR::module::name"):
        await sign_transaction(account, bad_fn)
    vector_type_arg = TransactionSpec(
        **{**_as_dict(_spec(fn, (), ("1",))), "type_arguments": ("signer",)}
    )
    with pytest.raises(InvalidArgumentError):
        await sign_transaction(account, vector_type_arg)
    with pytest.raises(InvalidArgumentError, match="no entry function"):
        entry_param_types(contract.module_abi("perpetual_scripts") or {}, "nope")


def _as_dict(spec: TransactionSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in TransactionSpec.__slots__}


class RemoteSigner:
    """A signer that is not an Account (e.g. a KMS): async sign, only the public key known."""

    def __init__(self, inner: Account, *, corrupt: bool = False) -> None:
        self._inner = inner
        self.corrupt = corrupt
        self.calls = 0

    @property
    def address(self) -> str:
        return self._inner.address

    @property
    def public_key(self) -> bytes:
        return self._inner.public_key

    async def sign(self, message: bytes) -> bytes:
        self.calls += 1
        signature = self._inner.sign_sync(message)
        return bytes(64) if self.corrupt else signature


@pytest.mark.anyio
async def test_remote_signer_and_bad_signature() -> None:
    account = Account.from_hex(KEY)
    fn = contract.ENTRY_FUNCTIONS["collapse_position"].function_id
    spec = _spec(fn, (), ("9",))
    remote = RemoteSigner(account)
    assert isinstance(remote, Signer)
    assert (await sign_transaction(remote, spec)).bytes == (
        await sign_transaction(account, spec)
    ).bytes
    assert remote.calls == 1
    simulated = await sign_transaction(remote, spec, simulate=True)
    assert remote.calls == 1 and simulated.bytes.endswith(bytes(64))
    with pytest.raises(TransactionRejectedError, match="does not verify"):
        await sign_transaction(RemoteSigner(account, corrupt=True), spec)


# -- properties ---------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=2**128 - 1), st.booleans())
def test_u128_round_trips_exactly_from_int_or_text(value: int, as_text: bool) -> None:
    from aptos_sdk.bcs import Deserializer

    encoded = encode_argument("u128", str(value) if as_text else value)
    assert Deserializer(encoded).u128() == value


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=20))
def test_vector_u64_round_trips(values: list[int]) -> None:
    from aptos_sdk.bcs import Deserializer

    encoded = encode_argument("vector<u64>", [str(v) for v in values])
    assert Deserializer(encoded).sequence(Deserializer.u64) == values


# -- type tags and VM codes, against bytes written out by hand ---------------------------------


@pytest.mark.parametrize(
    ("type_arg", "expected_hex"),
    [
        ("bool", "00"),
        ("u8", "01"),
        ("u64", "02"),
        ("u128", "03"),
        ("address", "04"),
        ("u16", "08"),
        ("u32", "09"),
        ("u256", "0a"),
        ("vector<u8>", "0601"),
        ("vector<vector<u64>>", "060602"),
        # struct: 07, 32-byte address 0x1, "coin" (len 4), "Coin" (len 4), one type arg u64
        (
            "0x1::coin::Coin<u64>",
            "07" + "00" * 31 + "01" + "04" + "636f696e" + "04" + "436f696e" + "01" + "02",
        ),
    ],
)
def test_type_tags_are_the_single_variant_byte_then_their_contents(
    type_arg: str, expected_hex: str
) -> None:
    assert type_tag_bytes(type_arg).hex() == expected_hex


def test_signing_message_carries_primitive_type_args_as_one_byte_each() -> None:
    spec = TransactionSpec(
        sender="0x" + "00" * 31 + "0a",
        sequence_number=7,
        function="0x" + "00" * 31 + "01::m::f",
        type_arguments=("u64", "bool"),
        arguments=(),
        param_types=(),
        max_gas_amount=1,
        gas_unit_price=2,
        expiration_timestamp_secs=3,
        chain_id=4,
    )
    # sha3-256("APTOS::RawTransaction") prefix, then the raw transaction laid out field by field.
    prefix = "b5e97db07fa0bd0e5598aa3643a9bc6f6693bddc1a9fec9e674a461eaa00b193"
    raw = (
        "00" * 31 + "0a"  # sender
        "0700000000000000"  # sequence number (u64 LE)
        "02"  # TransactionPayload::EntryFunction
         + "00" * 31 + "01"  # module address
        "016d"  # module "m"
        "0166"  # function "f"
        "02"  # two type args
        "02"  # u64
        "00"  # bool
        "00"  # no arguments
        "0100000000000000"  # max gas
        "0200000000000000"  # gas unit price
        "0300000000000000"  # expiration
        "04"  # chain id
    )
    assert signing_message(spec).hex() == prefix + raw


def test_vm_status_codes_match_aptos_numbering() -> None:
    from kana_async._aptos.errors import VM_STATUS_CODES

    assert VM_STATUS_CODES["BAD_CHAIN_ID"] == 23
    assert VM_STATUS_CODES["SENDING_ACCOUNT_FROZEN"] == 18
    assert VM_STATUS_CODES["SEQUENCE_NUMBER_TOO_OLD"] == 3
    assert VM_STATUS_CODES["TRANSACTION_EXPIRED"] == 6
