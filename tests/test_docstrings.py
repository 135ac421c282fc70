"""Docstrings that stand on their own: every public object documents what its signature needs.

The public API is everything in ``kana_async.__all__`` plus the resources a
:class:`~kana_async.KanaClient` hands out (``kana.markets`` ... ``kana.streams``) and the public
members of all of them. Each gets its own test case, so one missing section names one object.

The rules (Google style):

* every public class, function, method and property has a docstring;
* a function or method has an ``Args:`` entry for each parameter (``self``/``cls`` and
  ``**kwargs``-style catch-alls excepted) and none for a parameter it does not have;
* it has ``Returns:`` (or ``Yields:``) unless it is annotated ``-> None``;
* it has ``Raises:``, naming only exception classes that exist, unless it says it never raises;
* a class documents the parameters of its own ``__init__``, the fields of a dataclass or msgspec
  Struct, or the members of an enum, under ``Args:`` or ``Attributes:``;
* a coroutine method of a REST resource names the REST path it calls (``Calls ``GET /path``…``),
  and for the resources checked against a recording transport it is the path actually requested;
* no docstring anywhere in the package (the simulator aside) points at a file or section outside
  it (``§3``, ``spec``, ``#6``, ``shared/``, ``….md``).

The public names of the internal modules (``check_market_id``, ``HttpClient``...) are held to
the same rules, each listed under the file that defines it.

Objects (qualified names) and files (paths or ``fnmatch`` patterns) whose docstrings other
branches are rewriting are listed in :data:`NOT_YET`; they, and every object defined in a listed
file, are expected to fail until those branches are merged. Empty the set then.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import enum
import importlib
import inspect
import itertools
import re
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from functools import cached_property
from pathlib import Path
from typing import Any

import msgspec
import pytest

import kana_async
from kana_async import KanaClient, NotFoundError, _codec
from kana_async._streams import StreamManager
from kana_async._streams import frames as _stream_frames
from tests.rest_support import WALLET, Recorder, open_client

#: Written on other branches; their docstrings land when those branches are merged. Empty this
#: set at merge time: every entry is an object or a file still expected to fail a rule.
NOT_YET: frozenset[str] = frozenset(
    {
        # files whose docstrings other branches own (``fnmatch`` patterns); an object defined
        # in one of them is expected to fail too. Empty: every branch has landed.
    }
)

PACKAGE = Path(kana_async.__file__).parent

_SECTION = re.compile(r"^(?P<name>[A-Z][A-Za-z ]*):\s*$")
_ENTRY = re.compile(
    r"^(?P<names>\*{0,2}[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*(?:\([^)]*\))?:"
)
_NEVER_RAISES = re.compile(r"\b(never raises|raises nothing)\b", re.IGNORECASE)
_OUTSIDE_REFERENCE = re.compile(r"§|\bspec(?:ification)?s?\b|#\d+|shared/|\.md\b", re.IGNORECASE)
_REST_CALL = re.compile(r"``(?:GET|POST) (/[A-Za-z/]+)")

_KNOWN_SECTIONS = {
    "Args",
    "Attributes",
    "Example",
    "Examples",
    "Note",
    "Notes",
    "Raises",
    "Returns",
    "Yields",
}


# -- parsing Google-style docstrings ---------------------------------------------------------


def sections(doc: str) -> dict[str, list[str]]:
    """The entry names of each top-level section (``{"Args": ["market_id", ...], ...}``).

    A section header is an unindented ``Name:`` line; its entries are the lines indented by one
    level (4 spaces) that start ``name:`` or ``name (type):``; deeper lines continue an entry.
    """
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in inspect.cleandoc(doc).splitlines():
        header = _SECTION.match(line)
        if header is not None and header["name"] in _KNOWN_SECTIONS:
            current = found.setdefault(header["name"], [])
            continue
        if not line.strip():
            continue
        if not line.startswith(" "):
            current = None
            continue
        if current is not None and line.startswith("    ") and not line.startswith("     "):
            entry = _ENTRY.match(line[4:])
            if entry is not None:
                current.extend(n.strip().lstrip("*") for n in entry["names"].split(","))
    return found


def test_the_parser_reads_sections_and_entries() -> None:
    doc = """Do a thing.

    Args:
        market_id: the market, e.g. ``1338``.
        *states: any of these.
        size (Decimal): base units; a long explanation
            that continues here: with a colon.

    Returns:
        The thing.

    Raises:
        UnknownMarketError, InvalidArgumentError: a bad market id.
        ClientStateError: the client is closed.
    """
    assert sections(doc) == {
        "Args": ["market_id", "states", "size"],
        "Returns": [],
        "Raises": ["UnknownMarketError", "InvalidArgumentError", "ClientStateError"],
    }
    assert sections("One line.") == {}


# -- what is public ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One public object to check: a class, or a member of one, or a function."""

    name: str
    obj: Any
    owner: type | None = None


def _resource_classes() -> dict[str, type]:
    client = KanaClient()
    names = ("markets", "portfolio", "orders", "history", "payloads", "trading", "streams")
    return {name: type(getattr(client, name)) for name in names}


RESOURCES = _resource_classes()
REST_RESOURCES = ("markets", "portfolio", "orders", "history", "payloads")


def _own_members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public members defined by ``cls`` or its kana_async base classes (first one wins)."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("kana_async"):
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            if isinstance(value, staticmethod | classmethod):
                yield name, value.__func__
            elif inspect.isfunction(value) or isinstance(value, property | cached_property):
                yield name, value


def public_items() -> list[Item]:
    classes: list[type] = []
    items: list[Item] = []
    for name in kana_async.__all__:
        value = getattr(kana_async, name)
        if inspect.isclass(value):
            classes.append(value)
        elif inspect.isfunction(value):
            items.append(Item(name, value))
    classes += [*RESOURCES.values(), StreamManager]
    for cls in dict.fromkeys(classes):
        items.append(Item(cls.__qualname__, cls))
        for member, value in _own_members(cls):
            items.append(Item(f"{cls.__qualname__}.{member}", value, cls))
    return items


ITEMS = public_items()


def _pending_file(relative: str | None) -> bool:
    """Whether a package file (``kana_async/...``) is one :data:`NOT_YET` lists."""
    return relative is not None and any(fnmatch(relative, pattern) for pattern in NOT_YET)


def _file_of(obj: Any) -> str | None:
    """The package file that defines ``obj`` (``kana_async/...``), or ``None``."""
    target = obj.fget if isinstance(obj, property) else obj
    target = target.func if isinstance(target, cached_property) else target
    try:
        path = inspect.getsourcefile(target)
    except TypeError:
        return None
    if path is None or PACKAGE not in Path(path).parents:
        return None
    return str(Path(path).relative_to(PACKAGE.parent))


def _param(item: Item) -> Any:
    marks = [pytest.mark.xfail(strict=False, reason="docstrings from another branch")]
    owner = item.owner.__qualname__ if item.owner is not None else None
    pending = (
        item.name in NOT_YET
        or owner in NOT_YET
        or _pending_file(_file_of(item.obj))
        or (item.owner is not None and _pending_file(_file_of(item.owner)))
    )
    return pytest.param(item, id=item.name, marks=marks if pending else ())


def _module_name(path: Path) -> str:
    dotted = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return dotted.removesuffix(".__init__")


def _source_files() -> list[Path]:
    """Every module of the package but the simulator's."""
    files = sorted(PACKAGE.rglob("*.py"))
    return [p for p in files if PACKAGE / "sim" not in p.parents]


def module_items() -> list[tuple[str, Item]]:
    """``(file, item)`` for the public objects each module defines that the walk above missed.

    Internal modules have public names too (``check_market_id``, ``HttpClient``...); they are
    held to the same rules, and listed under the file that defines them.
    """
    covered = {id(item.obj) for item in ITEMS}
    found = []
    for path in _source_files():
        name = _module_name(path)
        module = importlib.import_module(name)
        relative = str(path.relative_to(PACKAGE.parent))
        for attr, value in vars(module).items():
            if attr.startswith("_") or getattr(value, "__module__", None) != name:
                continue
            if not (inspect.isclass(value) or inspect.isfunction(value)):
                continue
            if id(value) not in covered:
                covered.add(id(value))
                found.append((relative, Item(value.__qualname__, value)))
            if inspect.isclass(value):
                for member, obj in _own_members(value):
                    if id(obj) not in covered:
                        covered.add(id(obj))
                        found.append((relative, Item(f"{value.__qualname__}.{member}", obj, value)))
    return found


MODULE_ITEMS = module_items()


def _module_param(relative: str, item: Item) -> Any:
    marks = [pytest.mark.xfail(strict=False, reason="docstrings from another branch")]
    pending = _pending_file(relative)
    return pytest.param(item, id=f"{relative}::{item.name}", marks=marks if pending else ())


def test_the_walk_finds_the_resources_and_their_methods() -> None:
    names = {item.name for item in ITEMS}
    assert {"Markets.info", "Portfolio.positions", "Streams.orderbook", "Subscription.aclose"} <= (
        names
    )
    assert "normalize_address" in names and "PageIterator.collect" in names


def test_not_yet_lists_only_things_that_exist() -> None:
    """A stale entry would hide nothing but mislead: each must be a walked object or a file."""
    names = {item.name for item in ITEMS}
    files = {str(path.relative_to(PACKAGE.parent)) for path in PACKAGE.rglob("*.py")}
    exact = {n for n in NOT_YET if "*" not in n}
    stale = {n for n in exact if n not in names and n not in files}
    assert stale == set()


# -- the rules ---------------------------------------------------------------------------------


def _documented_params(func: Callable[..., Any]) -> list[str]:
    signature = inspect.signature(func)
    names = []
    for i, param in enumerate(signature.parameters.values()):
        if i == 0 and param.name in ("self", "cls"):
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            continue
        names.append(param.name)
    return names


def _returns_none(func: Callable[..., Any]) -> bool:
    annotation = inspect.signature(func).return_annotation
    return annotation in (None, "None")


#: Where the exception names of ``Raises:`` sections are looked up.
_EXCEPTION_NAMESPACES = (kana_async, builtins, _codec, _stream_frames)


def _is_exception_name(name: str, owner: object = None) -> bool:
    """Whether ``name`` (dotted allowed) is an exception class, as seen from ``owner``'s module
    first (so ``argparse.ArgumentTypeError`` or a module's own error class resolve), then from the
    package's public exception namespaces."""
    value: object = None
    module = sys.modules.get(getattr(owner, "__module__", None) or "")
    head, _, rest = name.partition(".")
    if module is not None and hasattr(module, head):
        value = getattr(module, head)
        for part in rest.split(".") if rest else ():
            value = getattr(value, part, None)
    if value is None:
        value = next((getattr(ns, name) for ns in _EXCEPTION_NAMESPACES if hasattr(ns, name)), None)
    return inspect.isclass(value) and issubclass(value, BaseException)


def _class_fields(cls: type) -> list[str]:
    """What a class must document: enum members, fields, or its own ``__init__`` parameters."""
    if issubclass(cls, enum.Enum):
        return [member.name for member in cls]
    if issubclass(cls, msgspec.Struct):
        return list(cls.__struct_fields__)
    if dataclasses.is_dataclass(cls):
        return [f.name for f in dataclasses.fields(cls) if not f.name.startswith("_")]
    init = vars(cls).get("__init__")
    if init is None:
        return []
    return [name for name in _documented_params(init) if not name.startswith("_")]


def check_function(func: Callable[..., Any], doc: str) -> list[str]:
    problems = []
    found = sections(doc)
    params = _documented_params(func)
    documented = found.get("Args", [])
    for name in params:
        if name not in documented:
            problems.append(f"Args: no entry for {name!r}")
    keywords = [  # ``**name`` may be documented too (what the keywords can be)
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is inspect.Parameter.VAR_KEYWORD
    ]
    for name in documented:
        if name not in params and name not in keywords:
            problems.append(f"Args: {name!r} is not a parameter")
    if not _returns_none(func) and "Returns" not in found and "Yields" not in found:
        problems.append("no Returns: section")
    if "Raises" in found:
        for name in found["Raises"]:
            if not _is_exception_name(name, func):
                problems.append(f"Raises: {name!r} is not an exception class")
    elif not _NEVER_RAISES.search(doc):
        problems.append("no Raises: section (or 'Never raises.')")
    return problems


def check_class(cls: type, doc: str) -> list[str]:
    found = sections(doc)
    documented = set(found.get("Args", [])) | set(found.get("Attributes", []))
    return [
        f"no Args:/Attributes: entry for {name!r}"
        for name in _class_fields(cls)
        if name not in documented
    ]


@pytest.mark.parametrize("item", [_param(i) for i in ITEMS])
def test_public_object_is_documented(item: Item) -> None:
    obj = item.obj
    target = obj.fget if isinstance(obj, property) else obj
    target = target.func if isinstance(target, cached_property) else target
    doc = inspect.getdoc(target) if not inspect.isclass(obj) else obj.__doc__
    assert doc and doc.strip(), f"{item.name} has no docstring"
    if inspect.isclass(obj):
        problems = check_class(obj, doc)
    elif isinstance(obj, property | cached_property):
        problems = []  # documented like an attribute: a sentence saying what it is
    else:
        problems = check_function(obj, doc)
    assert problems == [], f"{item.name}: " + "; ".join(problems)


@pytest.mark.parametrize("item", [_module_param(f, i) for f, i in MODULE_ITEMS])
def test_internal_public_object_is_documented(item: Item) -> None:
    """The same rules for the public names of the package's internal modules."""
    test_public_object_is_documented(item)


def test_the_rules_catch_what_they_should() -> None:
    """The checks above fail on a docstring that misses each required part."""

    def bare(market_id: int, *, refresh: bool = False) -> int:
        """Does something."""
        return market_id

    assert check_function(bare, bare.__doc__ or "") == [
        "Args: no entry for 'market_id'",
        "Args: no entry for 'refresh'",
        "no Returns: section",
        "no Raises: section (or 'Never raises.')",
    ]

    def stale(market_id: int) -> None:
        """Does something.

        Args:
            market_id: the market.
            order_id: gone.

        Raises:
            NoSuchError: never defined.
        """

    assert check_function(stale, stale.__doc__ or "") == [
        "Args: 'order_id' is not a parameter",
        "Raises: 'NoSuchError' is not an exception class",
    ]

    class Colour(enum.Enum):
        """A colour.

        Attributes:
            RED: red.
        """

        RED = 1
        BLUE = 2

    assert check_class(Colour, Colour.__doc__ or "") == ["no Args:/Attributes: entry for 'BLUE'"]


# -- REST paths --------------------------------------------------------------------------------


def _rest_methods() -> list[Any]:
    params = []
    for resource in REST_RESOURCES:
        cls = RESOURCES[resource]
        for name, func in _own_members(cls):
            if inspect.iscoroutinefunction(func):
                item = Item(f"{cls.__qualname__}.{name}", func, cls)
                params.append(_param(item))
    return params


@pytest.mark.parametrize("item", _rest_methods())
def test_rest_method_names_the_path_it_calls(item: Item) -> None:
    doc = inspect.getdoc(item.obj) or ""
    assert re.search(r"Calls ``(GET|POST) /", doc), f"{item.name} names no REST path"


#: How to call each coroutine method of the resources checked against the wire below.
CALLS: dict[str, Callable[[KanaClient], Awaitable[object]]] = {
    "Markets.info": lambda k: k.markets.info(1338),
    "Markets.all": lambda k: k.markets.all(),
    "Markets.asset_info": lambda k: k.markets.asset_info(base_name="APT"),
    "Markets.price": lambda k: k.markets.price(1338),
    "Markets.last_price": lambda k: k.markets.last_price(1338),
    "Markets.all_trades": lambda k: k.markets.all_trades(1338),
    "Portfolio.wallet_balance": lambda k: k.portfolio.wallet_balance(),
    "Portfolio.profile_balance": lambda k: k.portfolio.profile_balance(),
    "Portfolio.net_profile_balance": lambda k: k.portfolio.net_profile_balance(),
    "Portfolio.apt_balance": lambda k: k.portfolio.apt_balance(),
    "Portfolio.profile_address": lambda k: k.portfolio.profile_address(),
    "Portfolio.open_orders": lambda k: k.portfolio.open_orders(),
    "Portfolio.open_order_ids": lambda k: k.portfolio.open_order_ids(),
    "Portfolio.positions": lambda k: k.portfolio.positions(),
    "Portfolio.positions_from_contract": lambda k: k.portfolio.positions_from_contract(),
    "Portfolio.open_orders_from_contract": lambda k: k.portfolio.open_orders_from_contract(),
    "Orders.status": lambda k: k.orders.status(1338, "7"),
    "Orders.status_by_order_id": lambda k: k.orders.status_by_order_id(1338, "7"),
}


def test_every_method_of_the_wire_checked_resources_has_a_call() -> None:
    wanted = {
        f"{RESOURCES[r].__qualname__}.{name}"
        for r in ("markets", "portfolio", "orders")
        for name, func in _own_members(RESOURCES[r])
        if inspect.iscoroutinefunction(func)
    }
    assert wanted == set(CALLS)


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(CALLS))
async def test_the_named_rest_path_is_the_one_requested(name: str) -> None:
    """Every path the docstring names is requested, and every path requested is named."""
    cls_name, method = name.split(".")
    cls = next(c for c in RESOURCES.values() if c.__qualname__ == cls_name)
    doc = inspect.getdoc(getattr(cls, method)) or ""
    recorder = Recorder()  # answers 404 to everything: the path is all this test needs
    async with open_client(recorder, wallet_address=WALLET) as kana:
        with pytest.raises(NotFoundError):
            await CALLS[name](kana)
    requested = {request.url.path for request in recorder.requests}
    assert requested, f"{name} sent nothing"
    assert set(_REST_CALL.findall(doc)) == requested


# -- no references to files outside the package ------------------------------------------------


def _package_files() -> list[Any]:
    params = []
    for path in _source_files():
        relative = str(path.relative_to(PACKAGE.parent))
        marks = [pytest.mark.xfail(strict=False, reason="docstrings from another branch")]
        params.append(
            pytest.param(path, id=relative, marks=marks if _pending_file(relative) else ())
        )
    return params


def docstrings(source: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of the module's docstring and of every class' and function's."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield getattr(node, "lineno", 1), doc
        # attribute docstrings: a string literal right after an assignment
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for before, after in itertools.pairwise(body):
                if (
                    isinstance(before, ast.Assign | ast.AnnAssign)
                    and isinstance(after, ast.Expr)
                    and isinstance(after.value, ast.Constant)
                    and isinstance(after.value.value, str)
                ):
                    yield after.lineno, after.value.value


@pytest.mark.parametrize("path", _package_files())
def test_no_docstring_points_outside_the_package(path: Path) -> None:
    hits = [
        f"line {line}: {match.group()!r}"
        for line, text in docstrings(path.read_text(encoding="utf-8"))
        for match in _OUTSIDE_REFERENCE.finditer(text)
    ]
    assert hits == []


def test_the_reference_check_catches_each_kind() -> None:
    source = '''"""Module (spec §3 #6)."""


class A:
    """See shared/design.md."""

    x = 1
    """As the spec says."""
'''
    found = [m.group() for _, text in docstrings(source) for m in _OUTSIDE_REFERENCE.finditer(text)]
    assert found == ["spec", "§", "#6", "shared/", ".md", "spec"]
