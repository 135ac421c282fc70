"""The unsigned transaction payload every "write" endpoint of Kana returns."""

from __future__ import annotations

from typing import Annotated, Any, Final

from msgspec import Meta, field

from kana_async.models._base import Model

__all__ = ["TransactionPayload"]

# `0x<address>::<module>::<function>`, checked when a payload is decoded from an answer (the
# module name goes into the node's URL path when its ABI is fetched, so nothing else may pass).
FUNCTION_ID_PATTERN: Final = (
    r"^0x[0-9a-fA-F]{1,64}::[A-Za-z_][A-Za-z0-9_]*::[A-Za-z_][A-Za-z0-9_]*$"
)
FunctionId = Annotated[str, Meta(pattern=FUNCTION_ID_PATTERN)]


class TransactionPayload(Model, frozen=True):
    """An Aptos entry-function call, ready to be built into a transaction and signed.

    Kana's write endpoints (placing and cancelling orders, deposits, withdrawals...) execute
    nothing: they return this, and the caller signs and submits it to an Aptos node.

    Attributes:
        function: the entry function, ``0x<package address>::<module>::<function>``.
        type_arguments: the Move type arguments (``typeArguments`` on the wire).
        function_arguments: the arguments exactly as the server sent them
            (``functionArguments`` on the wire), in on-chain integer units (lots, ticks,
            collateral units): strings for GET endpoints (``"true"``, ``"1000"``); JSON
            numbers (decoded to ``int``, or ``Decimal`` for fractions, never ``float``), bools
            or lists for POST endpoints. Big integers such as u128 order ids stay exact.
    """

    function: FunctionId
    type_arguments: tuple[str, ...] = field(default=(), name="typeArguments")
    function_arguments: tuple[Any, ...] = field(default=(), name="functionArguments")

    @property
    def module_address(self) -> str:
        """The ``0x…`` address of the package whose module is called."""
        return self.function.split("::", 1)[0]

    @property
    def module_name(self) -> str:
        """The module's name, e.g. ``perpetual_scripts``."""
        parts = self.function.split("::")
        return parts[1] if len(parts) > 2 else ""

    @property
    def function_name(self) -> str:
        """The entry function's name, e.g. ``place_limit_order``."""
        return self.function.rsplit("::", 1)[-1]
