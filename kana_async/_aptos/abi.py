"""Entry-function signatures from a module's ABI document (``GET /accounts/{a}/module/{m}``)."""

from __future__ import annotations

from typing import Any

import msgspec

from kana_async._aptos.answers import ModuleAbi
from kana_async._exceptions import InvalidArgumentError, ResponseDecodeError

__all__ = ["entry_param_types"]


def entry_param_types(abi: dict[str, Any], function_name: str) -> tuple[tuple[str, ...], int]:
    """The parameter types (without signers) and generic count of ``function_name`` in an ABI.

    Args:
        abi: the node's ``MoveModuleBytecode`` document (with an ``abi`` key) or its ``abi``,
            read as :class:`~kana_async._aptos.answers.ModuleAbi`.
        function_name: the entry function's name within the module (``place_order``).

    Returns:
        ``(param_types, generic_count)``: the Move types of the parameters the caller passes
        (``signer``/``&signer`` left out) and how many type arguments the function takes.

    Raises:
        ResponseDecodeError: the document is malformed.
        InvalidArgumentError: the module has no entry function of that name.
    """
    try:
        module = msgspec.convert(abi if "abi" in abi else {"abi": abi}, ModuleAbi)
    except (msgspec.ValidationError, RecursionError) as exc:
        raise ResponseDecodeError(f"malformed module ABI: {exc}") from None
    found = module.entry_function(function_name)
    if found is None:
        raise InvalidArgumentError(
            f"module {module.abi.name} has no entry function {function_name!r}"
        )
    return found
