"""The public surface: ``__all__`` is complete, sorted, and everything in it exists."""

from __future__ import annotations

import inspect

import kana_async
import kana_async.models


def _ruff_order(name: str) -> tuple[int, str]:
    """SCREAMING_CASE, then CamelCase, then the rest (ruff's RUF022 "isort-style" order)."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted_and_unique() -> None:
    names = list(kana_async.__all__)
    assert names == sorted(names, key=_ruff_order)
    assert len(names) == len(set(names))


def test_everything_in_all_exists() -> None:
    for name in kana_async.__all__:
        assert hasattr(kana_async, name), name


def test_all_is_complete() -> None:
    """Every public name the package module defines or imports is listed in ``__all__``."""
    public = {
        name
        for name, value in vars(kana_async).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public - set(kana_async.__all__) == set()


def test_every_error_and_model_is_exported() -> None:
    from kana_async import _exceptions

    assert set(_exceptions.__all__) <= set(kana_async.__all__)
    assert set(kana_async.models.__all__) <= set(kana_async.__all__)


def test_public_classes_and_methods_have_docstrings() -> None:
    for name in kana_async.__all__:
        value = getattr(kana_async, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert inspect.getdoc(value), name
    for resource in ("markets", "portfolio", "orders", "history", "payloads"):
        cls = type(getattr(kana_async.KanaClient(), resource))
        for method_name, method in inspect.getmembers(cls, inspect.isfunction):
            if not method_name.startswith("_"):
                assert inspect.getdoc(method), f"{cls.__name__}.{method_name}"


def test_every_endpoint_method_names_its_endpoint() -> None:
    client = kana_async.KanaClient()
    for resource in ("markets", "portfolio", "orders", "history", "payloads"):
        cls = type(getattr(client, resource))
        for method_name, method in inspect.getmembers(cls, inspect.iscoroutinefunction):
            if not method_name.startswith("_"):
                doc = inspect.getdoc(method) or ""
                assert "``GET /" in doc or "``POST /" in doc, f"{cls.__name__}.{method_name}"


def test_version() -> None:
    assert isinstance(kana_async.__version__, str) and kana_async.__version__


def test_version_is_the_projects() -> None:
    """The version written in the package (read without a metadata lookup) is the project's."""
    import tomllib
    from pathlib import Path

    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    with pyproject.open("rb") as f:
        assert kana_async.__version__ == tomllib.load(f)["project"]["version"]
