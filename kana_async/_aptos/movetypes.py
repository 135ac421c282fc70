"""Move types as data: parse type strings and check JSON arguments against them.

Pure Python, no aptos-sdk: :mod:`kana_async._aptos.signing` turns the parsed types into BCS. Parsing
covers everything an entry function's ABI or a payload's ``typeArguments`` can name::

    bool  u8 u16 u32 u64 u128 u256  address  signer  &signer
    vector<T>   0xADDR::module::Name   0xADDR::module::Name<T1, T2>

:func:`coerce` turns one JSON argument into the exact Python value for its Move type: bools from
``True``/``"true"``, integers from ``int`` or a numeric string (never through ``float``),
addresses normalised to ``0x`` + 64 hex digits, vectors element-wise, ``0x1::string::String`` from
``str`` and ``0x1::option::Option<T>`` from ``None`` / ``[]`` / ``[value]`` / ``value``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError

__all__ = [
    "INT_BITS",
    "MoveType",
    "StructType",
    "VectorType",
    "coerce",
    "normalize_address",
    "parse_type",
]

#: Bit width of every unsigned integer Move type.
INT_BITS: Final[dict[str, int]] = {
    "u8": 8,
    "u16": 16,
    "u32": 32,
    "u64": 64,
    "u128": 128,
    "u256": 256,
}
_PRIMITIVES: Final = frozenset({"bool", "address", "signer", *INT_BITS})
_HEX_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{1,64}")
_IDENT: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INT_TEXT: Final = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class VectorType:
    """The Move type ``vector<element>``.

    Attributes:
        element: the type of the vector's items.
    """

    element: MoveType

    def __str__(self) -> str:
        return f"vector<{self.element}>"


@dataclass(frozen=True, slots=True)
class StructType:
    """A struct type ``address::module::name<type_args>``.

    Attributes:
        address: the defining account, normalised to ``0x`` + 64 hex digits.
        module: the module name.
        name: the struct name.
        type_args: its type arguments, parsed.
    """

    address: str
    module: str
    name: str
    type_args: tuple[MoveType, ...] = ()

    def __str__(self) -> str:
        args = f"<{', '.join(map(str, self.type_args))}>" if self.type_args else ""
        return f"{self.address}::{self.module}::{self.name}{args}"

    @property
    def is_string(self) -> bool:
        """True for ``0x1::string::String``."""
        return (self.address, self.module, self.name) == (_ONE, "string", "String")

    @property
    def is_option(self) -> bool:
        """True for ``0x1::option::Option<T>``."""
        return (self.address, self.module, self.name) == (_ONE, "option", "Option")

    @property
    def is_object(self) -> bool:
        """True for ``0x1::object::Object<T>`` (passed as an address)."""
        return (self.address, self.module, self.name) == (_ONE, "object", "Object")


#: A parsed Move type: a primitive name (``"u64"``), a vector or a struct.
MoveType = str | VectorType | StructType


def normalize_address(value: str) -> str:
    """An Aptos address in its one canonical form.

    Args:
        value: ``0x`` + 1 to 64 hex digits, any case (``0x1`` is the framework's address).

    Returns:
        ``0x`` + 64 lowercase hex digits, zero-padded on the left.

    Raises:
        InvalidArgumentError: ``value`` is not a ``str`` of that form.
    """
    if not isinstance(value, str) or not _HEX_ADDRESS.fullmatch(value):
        raise InvalidArgumentError(f"not an Aptos address (0x + 1..64 hex digits): {value!r}")
    return "0x" + value[2:].lower().rjust(64, "0")


_ONE: Final = normalize_address("0x1")


def parse_type(text: str) -> MoveType:
    """Parse a Move type string such as ``u64``, ``vector<u8>`` or ``0x1::option::Option<u64>``.

    Args:
        text: the type as an ABI or a payload writes it (``&signer`` included).

    Returns:
        The primitive's name (``"u64"``), a :class:`VectorType` or a :class:`StructType`.

    Raises:
        InvalidArgumentError: ``text`` is not a Move type (the message says where it fails).
    """
    parser = _Parser(text)
    result = parser.parse()
    parser.expect_end()
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> InvalidArgumentError:
        return InvalidArgumentError(f"bad Move type {self.text!r} at {self.pos}: {why}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def token(self) -> str:
        self.skip_ws()
        start = self.pos
        while self.pos < len(self.text) and (
            self.text[self.pos].isalnum() or self.text[self.pos] in "_&"
        ):
            self.pos += 1
        if start == self.pos:
            raise self.fail("expected a name")
        return self.text[start : self.pos]

    def peek(self, chars: str) -> bool:
        self.skip_ws()
        return self.text.startswith(chars, self.pos)

    def take(self, chars: str) -> None:
        if not self.peek(chars):
            raise self.fail(f"expected {chars!r}")
        self.pos += len(chars)

    def expect_end(self) -> None:
        self.skip_ws()
        if self.pos != len(self.text):
            raise self.fail("unexpected trailing text")

    def parse(self) -> MoveType:
        head = self.token()
        if head == "&signer":
            return "signer"
        if head in _PRIMITIVES:
            return head
        if head == "vector":
            self.take("<")
            element = self.parse()
            self.take(">")
            return VectorType(element)
        if not _HEX_ADDRESS.fullmatch(head):
            raise self.fail(f"unknown type {head!r}")
        self.take("::")
        module = self.token()
        self.take("::")
        name = self.token()
        if not (_IDENT.fullmatch(module) and _IDENT.fullmatch(name)):
            raise self.fail("bad module or struct name")
        args: list[MoveType] = []
        if self.peek("<"):
            self.take("<")
            args.append(self.parse())
            while self.peek(","):
                self.take(",")
                args.append(self.parse())
            self.take(">")
        return StructType(normalize_address(head), module, name, tuple(args))


def coerce(move_type: MoveType, value: Any, *, where: str = "argument") -> Any:
    """The Python value of a JSON argument for ``move_type``, checked and exact.

    Args:
        move_type: the parameter's parsed Move type.
        value: the JSON-ish value: a bool or ``"true"``/``"false"``; an ``int`` or decimal
            string for integers (never a ``float``); a hex string for an address or an
            ``Object<T>``; a list, ``bytes`` or ``0x`` hex string for ``vector<u8>``; a list
            for other vectors; a ``str`` for ``String``; ``None``, ``[]``, ``[value]``,
            ``value`` or ``{"vec": [...]}`` for an ``Option<T>``.
        where: names the argument in error messages.

    Returns:
        ``bool``, ``int``, a normalised address ``str``, a ``str``, a ``list`` (vectors) or,
        for an ``Option<T>``, ``None`` or a one-element ``list``.

    Raises:
        ArgumentTypeError: the value is of the wrong kind (a ``float``, a ``str`` for a
            vector...) or the type cannot be an argument (``signer``, other structs).
        InvalidArgumentError: the value is out of range for its integer type, not a whole
            number, or bad text (an address or hex bytes that do not parse).
    """
    if isinstance(move_type, str):
        if move_type == "bool":
            return _coerce_bool(value, where)
        if move_type in INT_BITS:
            return _coerce_int(value, INT_BITS[move_type], where)
        if move_type == "address":
            if not isinstance(value, str):
                raise ArgumentTypeError(f"{where}: address must be a str, got {value!r}")
            return normalize_address(value)
        raise ArgumentTypeError(f"{where}: type {move_type} cannot be passed as an argument")
    if isinstance(move_type, VectorType):
        if move_type.element == "u8" and isinstance(value, str) and value.startswith("0x"):
            try:
                return list(bytes.fromhex(value[2:]))
            except ValueError:
                raise InvalidArgumentError(f"{where}: bad hex bytes {value!r}") from None
        if isinstance(value, (bytes, bytearray)) and move_type.element == "u8":
            return list(value)
        if not isinstance(value, (list, tuple)):
            raise ArgumentTypeError(f"{where}: {move_type} needs a list, got {value!r}")
        return [coerce(move_type.element, v, where=f"{where}[{i}]") for i, v in enumerate(value)]
    if move_type.is_string:
        if not isinstance(value, str):
            raise ArgumentTypeError(f"{where}: String needs a str, got {value!r}")
        return value
    if move_type.is_option:
        inner = move_type.type_args[0]
        if value is None or (isinstance(value, (list, tuple)) and len(value) == 0):
            return None
        if isinstance(value, (list, tuple)) and len(value) == 1 and _is_wrapped(inner, value):
            return [coerce(inner, value[0], where=where)]
        if isinstance(value, dict) and "vec" in value:  # the node's JSON form {"vec": [...]}
            return coerce(move_type, value["vec"], where=where)
        return [coerce(inner, value, where=where)]
    if move_type.is_object:
        return coerce("address", value, where=where)
    raise ArgumentTypeError(f"{where}: struct type {move_type} cannot be passed as an argument")


def _is_wrapped(inner: MoveType, value: list[Any] | tuple[Any, ...]) -> bool:
    # ``[x]`` for Option<vector<T>> is ambiguous; treat a list as the vector itself then.
    return not isinstance(inner, VectorType)


def _coerce_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ArgumentTypeError(f"{where}: bool needs True/False or 'true'/'false', got {value!r}")


def _coerce_int(value: Any, bits: int, where: str) -> int:
    if isinstance(value, (bool, float)):
        raise ArgumentTypeError(f"{where}: u{bits} needs an int or numeric string, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            raise InvalidArgumentError(f"{where}: u{bits} needs a whole number, got {value}")
        number = int(value)
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ArgumentTypeError(f"{where}: u{bits} needs an int or numeric string, got {value!r}")
    if not 0 <= number < (1 << bits):
        raise InvalidArgumentError(f"{where}: {number} does not fit in u{bits}")
    return number
