"""The latency model on its own: seeded schedules, distributions, validation (no servers)."""

from __future__ import annotations

import math

import pytest

from kana_async.sim.latency import Latency, LatencyModel, WsBatching

REST = "rest GET /getMarketInfo"
SUBMIT = "node POST /v1/transactions"


def test_same_seed_gives_the_same_schedule_per_endpoint() -> None:
    first = LatencyModel.realistic(seed=7).schedule(REST, 200)
    again = LatencyModel.realistic(seed=7).schedule(REST, 200)
    other_seed = LatencyModel.realistic(seed=8).schedule(REST, 200)
    other_endpoint = LatencyModel.realistic(seed=7).schedule("rest GET /getFills", 200)
    assert first == again
    assert first != other_seed
    assert first != other_endpoint
    assert len(set(first)) > 150  # jittered, not a constant


def test_streams_are_independent_of_each_other() -> None:
    """Drawing from one endpoint does not shift another endpoint's sequence."""
    model = LatencyModel.realistic(seed=7)
    expected = model.schedule(REST, 10)
    interleaved = []
    for _ in range(10):
        model.next_delay(SUBMIT)
        model.next_delay("ws#0")
        interleaved.append(model.next_delay(REST))
    assert interleaved == expected
    assert model.applied(REST) == expected
    assert model.applied(SUBMIT) == model.schedule(SUBMIT, 10)
    assert len(model.delays) == 30


def test_schedule_does_not_consume_the_stream() -> None:
    model = LatencyModel.realistic(seed=1)
    preview = model.schedule(REST, 5)
    assert model.schedule(REST, 5) == preview
    assert [model.next_delay(REST) for _ in range(5)] == preview


def test_endpoint_entry_overrides_its_channel() -> None:
    model = LatencyModel(
        rest=Latency(0.5), endpoints={"rest GET /getFills": Latency(2.0)}, node=Latency(1.0)
    )
    assert model.latency_for("rest GET /getFills") == Latency(2.0)
    assert model.latency_for(REST) == Latency(0.5)
    assert model.latency_for(SUBMIT) == Latency(1.0)
    assert model.latency_for("ws#3") == Latency()
    assert model.schedule("rest GET /getFills", 3) == [2.0, 2.0, 2.0]


def test_realistic_submissions_are_slower_than_reads_and_scale() -> None:
    model = LatencyModel.realistic(seed=0)
    assert min(model.schedule(SUBMIT, 100)) >= 0.080
    assert min(model.schedule(REST, 100)) >= 0.040
    tenth = LatencyModel.realistic(seed=0, scale=0.1)
    for got, full in zip(tenth.schedule(SUBMIT, 50), model.schedule(SUBMIT, 50), strict=True):
        assert math.isclose(got, full / 10)
    assert tenth.ws_batching == WsBatching(max_batch=64, per_frame=0.0002 * 0.1)


def test_uniform_jitter_stays_within_base_and_base_plus_jitter() -> None:
    model = LatencyModel(rest=Latency(0.010, 0.005, "uniform"))
    delays = model.schedule(REST, 1000)
    assert all(0.010 <= d <= 0.015 for d in delays)
    assert min(delays) < 0.0101 and max(delays) > 0.0149


def test_exponential_jitter_has_its_mean_and_a_tail() -> None:
    delays = LatencyModel(rest=Latency(0.0, 0.010)).schedule(REST, 5000)
    mean = sum(delays) / len(delays)
    assert 0.0095 < mean < 0.0105
    assert max(delays) > 0.05  # the long tail of queueing


def test_normal_jitter_is_half_normal() -> None:
    delays = LatencyModel(rest=Latency(0.0, 0.010, "normal")).schedule(REST, 5000)
    mean = sum(delays) / len(delays)
    assert all(d >= 0 for d in delays)
    assert 0.0075 < mean < 0.0085  # sigma * sqrt(2 / pi) = 0.00798


def test_spikes_happen_at_their_probability() -> None:
    always = LatencyModel(rest=Latency(0.001, spike_probability=1.0, spike=0.5))
    assert always.schedule(REST, 3) == [0.501, 0.501, 0.501]
    some = LatencyModel(rest=Latency(0.001, spike_probability=0.1, spike=0.5)).schedule(REST, 5000)
    spikes = sum(1 for d in some if d > 0.4)
    assert 400 < spikes < 600


def test_default_model_has_no_latency() -> None:
    model = LatencyModel()
    assert not model.enabled
    assert model.schedule(REST, 3) == [0.0, 0.0, 0.0]
    assert LatencyModel(ws_batching=WsBatching(per_frame=0.001)).enabled
    assert LatencyModel(node=Latency(0.0, 0.001)).enabled


@pytest.mark.parametrize(
    "kwargs",
    [
        {"base": -0.1},
        {"jitter": math.inf},
        {"spike": math.nan},
        {"spike_probability": 1.5},
        {"distribution": "pareto"},
    ],
)
def test_bad_latency_is_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Latency(**kwargs)  # type: ignore[arg-type]


def test_bad_model_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="does not start with"):
        LatencyModel(endpoints={"grpc GET /x": Latency(1.0)})
    with pytest.raises(ValueError, match="does not start with"):
        LatencyModel().latency_for("GET /getFills")
    with pytest.raises(ValueError, match="max_batch"):
        WsBatching(max_batch=0)
    with pytest.raises(ValueError, match="per_frame"):
        WsBatching(per_frame=-1.0)
    with pytest.raises(ValueError, match="scale"):
        Latency(1.0).scaled(-2.0)


def test_errors_are_seeded_and_do_not_change_the_delays() -> None:
    plain = LatencyModel(seed=4, rest=Latency(0.01, 0.01))
    failing = LatencyModel(seed=4, rest=Latency(0.01, 0.01, error_probability=0.25))
    assert failing.schedule(REST, 100) == plain.schedule(REST, 100)
    errors = failing.error_schedule(REST, 2000)
    assert errors == LatencyModel(seed=4, rest=Latency(error_probability=0.25)).error_schedule(
        REST, 2000
    )
    assert 400 < sum(errors) < 600
    assert plain.error_schedule(REST, 50) == [False] * 50
    assert failing.error_schedule("rest GET /getFills", 2000) != errors
    stream = failing.stream(REST)
    drawn = [stream.next_request() for _ in range(20)]
    assert [fails for _, fails in drawn] == errors[:20]
    assert failing.failed(REST) == [i for i, fails in enumerate(errors[:20]) if fails]
    assert stream.count == 20


def test_a_model_with_only_errors_is_enabled() -> None:
    model = LatencyModel(node=Latency(error_probability=0.1))
    assert model.enabled and not model.node.is_zero
    with pytest.raises(ValueError, match="error_probability"):
        Latency(error_probability=-0.1)
