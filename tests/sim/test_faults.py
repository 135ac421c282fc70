"""The switchable fault counters every simulator component consults."""

from __future__ import annotations

from kana_async.sim.faults import Faults


def test_take_consumes_a_burst_then_stops() -> None:
    faults = Faults(rest_5xx=2)
    assert [faults.take("rest_5xx") for _ in range(4)] == [True, True, False, False]
    assert faults.rest_5xx == 0


def test_reset_switches_every_fault_off() -> None:
    faults = Faults(
        rest_delay=0.5, rest_429=3, ws_stall=True, node_submit_delay=1.0, node_drop_request=2
    )
    faults.reset()
    assert faults == Faults()
    assert not faults.take("node_drop_request")
