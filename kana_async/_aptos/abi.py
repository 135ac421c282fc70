"""Entry-function signatures from a module's ABI document (``GET /accounts/{a}/module/{m}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kana_async._exceptions import InvalidArgumentError

__all__ = ["entry_param_types"]


def entry_param_types(abi: dict[str, Any], function_name: str) -> tuple[tuple[str, ...], int]:
    """The parameter types (without signers) and generic count of ``function_name`` in an ABI.

    ``abi`` is the node's ``MoveModuleBytecode`` document (with an ``abi`` key) or its ``abi``.
    Raises :class:`~kana_async.InvalidArgumentError` when the module has no such function.
    """
    module = abi.get("abi", abi)
    functions: Sequence[dict[str, Any]] = module.get("exposed_functions") or ()
    for fn in functions:
        if fn.get("name") == function_name:
            params = [p for p in fn.get("params", []) if p not in ("signer", "&signer")]
            return tuple(params), len(fn.get("generic_type_params", []))
    raise InvalidArgumentError(
        f"module {module.get('name', '?')} has no entry function {function_name!r}"
    )
