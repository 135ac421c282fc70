"""Names a package exports but loads from their modules on first access (PEP 562).

A package lists ``{name: module}`` and installs the two functions :func:`lazy_exports` returns
as its module-level ``__getattr__`` and ``__dir__``, at run time only: type checkers read the
same names from imports under ``TYPE_CHECKING`` and still flag names that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, namespace: dict[str, Any], names: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package whose ``names`` load on first access.

    Args:
        package: the package's ``__name__`` (for the error message).
        namespace: the package's ``globals()``; a name, once loaded, is kept there, so later
            reads (and ``from package import *``) find it without another call.
        names: for each exported name loaded on first use, the module that defines it.

    Returns:
        ``(__getattr__, __dir__)``: the first imports ``names[name]`` and returns its
        attribute ``name`` (raising ``AttributeError`` for any other name, as a module does);
        the second lists the loaded names and those not loaded yet.

    Never raises (the returned ``__getattr__`` raises ``AttributeError`` for an unknown name, and
    whatever importing the module raises).
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
