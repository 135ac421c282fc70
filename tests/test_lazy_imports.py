"""What ``import kana_async`` loads: the REST client, not the streams, signing, simulator or CLI.

Each check runs in a fresh interpreter, so what the test process already imported does not
count. httpx imports its own command line (click, rich, pygments) when those are installed; the
interpreters here block that module first, so ``rich`` shows up only if the SDK itself loads it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Loaded on first use only (first stream, first signature or trade, the CLI, the simulator).
NOT_ON_IMPORT = [
    "httpcore",  # httpx loads it for its first pool; the SDK builds its pool on open()
    "websockets",
    "aptos_sdk",
    "rich",
    "kana_async.sim",
    "kana_async._cli",
    "kana_async.recording",
    "kana_async._streams",
    "kana_async._aptos.signing",
    "kana_async._aptos.bcs",
    "kana_async.resources.streams",
    "kana_async.resources.trading",
]

_BLOCK_HTTPX_CLI = "import sys; sys.modules['httpx._main'] = None; "


def _loaded_after(statement: str) -> list[str]:
    """Which of :data:`NOT_ON_IMPORT` a fresh interpreter has loaded after ``statement``."""
    code = (
        _BLOCK_HTTPX_CLI + f"{statement}; import json; "
        f"print(json.dumps([m for m in {NOT_ON_IMPORT!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    found: list[str] = json.loads(out)
    return found


@pytest.mark.parametrize(
    "statement",
    ["import kana_async", "from kana_async import KanaClient, Network"],
)
def test_import_loads_none_of_the_on_first_use_modules(statement: str) -> None:
    assert _loaded_after(statement) == []


def test_the_blocked_httpx_cli_is_what_kept_rich_out() -> None:
    """The check above can see ``rich``: importing it under the same block is noticed."""
    assert _loaded_after("import rich.console") == ["rich"]


def test_first_use_loads_them() -> None:
    """The lazy names load their modules when read (so the list above is not vacuous)."""
    statement = "import kana_async; kana_async.StreamOptions; kana_async.Account"
    assert {"kana_async._streams", "kana_async._aptos.signing"} <= set(_loaded_after(statement))


def test_every_public_name_resolves_in_a_fresh_interpreter() -> None:
    """Each name in ``__all__`` resolves, is the object its module defines, and ``dir`` has it."""
    code = (
        "import importlib, json, kana_async\n"
        "bad = [n for n in kana_async.__all__ if n not in dir(kana_async)]\n"
        "for name in kana_async.__all__:\n"
        "    value = getattr(kana_async, name)\n"
        "    home = kana_async._LAZY.get(name)\n"
        "    if home and getattr(importlib.import_module(home), name) is not value:\n"
        "        bad.append(name)\n"
        "from kana_async import *\n"
        "print(json.dumps(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert json.loads(out) == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    import kana_async

    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        kana_async.NoSuchName  # noqa: B018
