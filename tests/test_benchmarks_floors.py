"""The floor verdicts of the benchmarks: a target is called out of reach only by a bound the
SDK's own reading does not contradict."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def bench() -> tuple[ModuleType, ModuleType]:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # the scripts import their neighbours by name
    import ws_clients
    import ws_floors

    return ws_floors, ws_clients


def _verdict(bench: tuple[ModuleType, ModuleType], costly: dict[str, float], sdk: float) -> str:
    """The verdict for `kana_async x1 >= 0.85x websockets+msgspec` when the baseline costs 10 µs a
    frame, every floor 2 µs but those in ``costly``, and the SDK client itself read ``sdk``."""
    floors, clients = bench
    costs: dict[str, list[float]] = {name: [2.0] * 5 for name in clients.FLOORS}
    costs.update({name: [value] * 5 for name, value in costly.items()})
    costs[clients.BARE] = [10.0] * 5
    measured = (sdk, clients.FLOORS_OF[clients.SDK_X1])
    cells: dict[str, Any] = floors.floor_notes(
        costs, clients.BARE, ">= 0.85", "µs/frame", [], dict(costs), measured
    )
    return str(cells["verdict"])


def test_a_floor_costlier_than_the_target_allows_puts_it_out_of_reach(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    _, clients = bench
    verdict = _verdict(bench, {clients.SDK_DELIVERED: 12.5}, 0.78)  # at most 10 / 12.5 = 0.80x
    assert "**out of reach with the SDK's required per-frame work**" in verdict


def test_a_floor_bound_the_sdk_itself_passed_bounds_nothing(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    _, clients = bench
    verdict = _verdict(bench, {clients.SDK_DELIVERED: 12.5}, 0.81)  # the SDK beat 0.80x
    assert "out of reach with the SDK's required" not in verdict
    assert (
        "no bound from the SDK's required per-frame work in this run: its floor allows at most "
        "0.80x, and the SDK itself read 0.81x beside the baseline" in verdict
    )


def test_a_floor_of_another_library_is_not_judged_by_the_sdks_reading(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    _, clients = bench
    verdict = _verdict(bench, {clients.AIOHTTP_WORK: 12.5}, 0.81)  # a websockets client read it
    assert "**out of reach with the SDK's required per-frame work on aiohttp**" in verdict


def test_what_is_left_past_a_floor_is_counted_round_by_round_as_the_verdict(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    # the lean floor leaves room in 4 of the 5 rounds (base / floor >= 0.85): within reach by
    # the per-round ratios, though the two series' medians alone (base 10, floor 11.8) leave
    # none (10 / 0.85 = 11.76)
    floors, clients = bench
    costs: dict[str, list[float]] = {name: [2.0] * 5 for name in clients.FLOORS}
    costs[clients.WS_LEAN] = [11.5, 11.5, 11.8, 13.0, 13.0]
    costs[clients.BARE] = [10.0, 10.0, 10.5, 12.0, 9.0]
    measured = (0.5, clients.FLOORS_OF[clients.SDK_X1])
    cells = floors.floor_notes(
        costs, clients.BARE, ">= 0.85", "µs/frame", [], dict(costs), measured
    )
    left = re.search(r"within reach of websockets \((-?[0-9.]+) µs left", cells["verdict"])
    assert left is not None and float(left.group(1)) >= 0


def test_a_floor_that_meets_the_target_only_by_the_middle_two_rounds_is_at_the_edge(
    bench: tuple[ModuleType, ModuleType],
) -> None:
    # four rounds, base / floor = 0.50, 0.84, 0.87, 1.20: the median ratio 0.855 meets 0.85,
    # but the middle rounds leave -0.235 µs (a costly round) and +0.047 µs (a cheap one): the
    # median slack is negative
    floors, clients = bench
    costs: dict[str, list[float]] = {name: [2.0] * 4 for name in clients.FLOORS}
    costs[clients.BARE] = [5.0, 16.8, 1.74, 12.0]
    costs[clients.WS_LEAN] = [10.0, 20.0, 2.0, 10.0]
    measured = (0.5, clients.FLOORS_OF[clients.SDK_X1])
    cells = floors.floor_notes(
        costs, clients.BARE, ">= 0.85", "µs/frame", [], dict(costs), measured
    )
    assert (
        "at the edge of websockets: its floor meets the target by the median ratio"
        in (cells["verdict"])
    )
