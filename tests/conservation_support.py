"""An autouse fixture that checks every exchange a test created still balances when it ends.

Every :class:`~kana_async.sim.engine.Exchange` built during a test (directly, by a helper, or by a
:class:`~kana_async.sim.server.Simulator`) is recorded; after the test (and after its other
fixtures, e.g. a running simulator, are torn down) :func:`check_conservation` runs on each: long
= short per market, every unit of collateral accounted for, funding zero-sum. A discrepancy is
reported as an error of that test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kana_async.sim.engine import check_conservation
from kana_async.sim.engine.core import ExchangeCore


@pytest.fixture(autouse=True)
def conservation_audit(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ExchangeCore]]:
    """Record every exchange created during the test and audit each one afterwards."""
    created: list[ExchangeCore] = []
    original = ExchangeCore.__init__

    def recording_init(self: ExchangeCore, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        created.append(self)

    monkeypatch.setattr(ExchangeCore, "__init__", recording_init)
    yield created
    for exchange in created:
        check_conservation(exchange)
