"""The transaction payload every "write" endpoint returns (spec §3.0)."""

from __future__ import annotations

from typing import Any

from msgspec import field

from kana_async.models._base import Model

__all__ = ["TransactionPayload"]


class TransactionPayload(Model, frozen=True):
    """An Aptos entry-function call, ready to be built into a transaction and signed.

    ``function`` is ``0xADDR::module::name``. ``function_arguments`` are exactly as the server
    sent them: strings for GET endpoints (``"true"``, ``"1000"``), JSON numbers (decoded to
    ``int``, or ``Decimal`` for fractions, never float) or lists for POST endpoints. Big integers
    such as u128 order ids stay exact.
    """

    function: str
    type_arguments: tuple[str, ...] = field(default=(), name="typeArguments")
    function_arguments: tuple[Any, ...] = field(default=(), name="functionArguments")

    @property
    def module_address(self) -> str:
        """The ``0x…`` address of the module being called."""
        return self.function.split("::", 1)[0]

    @property
    def module_name(self) -> str:
        """The module name, e.g. ``perpetual_scripts``."""
        return self.function.split("::")[1]

    @property
    def function_name(self) -> str:
        """The entry function's name."""
        return self.function.rsplit("::", 1)[-1]
