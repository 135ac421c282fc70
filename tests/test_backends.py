"""The same bot on asyncio, uvloop and trio, against a standalone simulator over 127.0.0.1.

``examples/any_backend.py`` is written with anyio only; it runs under ``asyncio.run``,
``uvloop.run`` and ``trio.run`` in fresh interpreters (warnings as errors), each time reading the
market, reading a book snapshot from the order-book stream, placing an order and seeing it on the
order-history stream, cancelling it and closing with nothing left unresolved.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import HANG, Venue, clean_env, start_venue

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "any_backend.py"


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venue]:
    started = start_venue(tmp_path_factory.mktemp("backends"))
    try:
        yield started
    finally:
        started.stop()


BACKENDS = [
    "asyncio",
    "trio",
    pytest.param(
        "uvloop",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("uvloop") is None, reason="uvloop is not installed"
        ),
    ),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_same_bot_runs_on_every_backend(venue: Venue, backend: str) -> None:
    env = clean_env(KANA_NETWORK=str(venue.network_file), KANA_PRIVATE_KEY=venue.keys[0])
    ran = subprocess.run(
        [sys.executable, str(EXAMPLE), "--backend", backend],
        env=env,
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    lines = ran.stdout.splitlines()
    assert any(line.startswith("book snapshot of market ") for line in lines), ran.stdout
    assert any(line.startswith("placed 1 order(s) at ") for line in lines), ran.stdout
    assert "order history has our order" in lines, ran.stdout
    assert "open orders of ours: 1" in lines, ran.stdout
    assert "open orders of ours after cancelling: 0" in lines, ran.stdout
    assert "unresolved transactions: 0" in lines, ran.stdout
    expected = "trio" if backend == "trio" else "asyncio"
    assert lines[-1] == f"closed: True, on {expected}", ran.stdout
    assert ran.stderr == "", ran.stderr


def test_only_the_backend_adapter_starts_asyncio_tasks_or_reads_the_loop() -> None:
    package = Path(__file__).resolve().parent.parent / "kana_async"
    # The one adapter: it starts the host tasks (the client's task group, and a stream manager's
    # own when it is given no task group). The simulator is an aiohttp (asyncio) program.
    exempt = {Path("_backend.py")}
    offenders = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        if relative.parts[0] == "sim" or relative in exempt:
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [
            f"{relative}: {word}"
            for word in ("asyncio.create_task", "call_later", "get_running_loop")
            if word in text
        ]
    assert offenders == []
