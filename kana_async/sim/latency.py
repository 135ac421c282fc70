"""A seeded model of network and server latency for the simulator's REST API, node and websocket.

A :class:`LatencyModel` says how long each request or websocket batch is held back:

* every **endpoint** has a :class:`Latency`: a fixed ``base`` plus a random ``jitter`` drawn from
  a distribution, plus rare ``spike`` outliers, plus an ``error_probability`` (the request is
  answered 503 after its delay, or the websocket connection is dropped instead of a batch).
  Endpoints are named ``"rest GET /getMarketInfo"``, ``"node POST /v1/transactions"``,
  ``"node GET /v1/transactions/by_hash/{hash}"`` (the route's pattern, not the concrete path)
  and ``"ws"``; an endpoint without its own entry uses its channel's (``rest``, ``node``,
  ``ws``);
* every endpoint draws from its **own random stream**, seeded from ``(seed, endpoint)``: the n-th
  request to an endpoint always gets the same delay, whatever other endpoints are doing. Each
  websocket connection has its own stream too (``"ws#0"``, ``"ws#1"``… in the order the hub
  accepted them). :meth:`LatencyModel.schedule` previews a stream without consuming it and
  :attr:`LatencyModel.delays` records the delays actually applied (and
  :meth:`LatencyModel.error_schedule` / :attr:`LatencyModel.errors` the failures);
* the websocket hub queues frames per connection and sends them in **batches**: the first frame
  queued on an idle connection waits one sampled delay, every frame queued meanwhile joins it, and
  after a batch of ``n`` frames the connection is busy for ``n × WsBatching.per_frame`` seconds
  (a throughput limit: under load batches grow and frames wait longer). Order is kept per
  connection.

What it does not model: packet loss, bandwidth per byte, TCP slow start, time-of-day load, or
different latency per direction (a request's whole delay is applied before it is handled).
"""

from __future__ import annotations

import asyncio
import collections
import math
import random
import statistics
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from aiohttp import web
from aiohttp.typedefs import Middleware

__all__ = [
    "CHANNELS",
    "Distribution",
    "Latency",
    "LatencyModel",
    "Middleware",
    "WsBatching",
    "endpoint_key",
    "latency_middleware",
]

#: The channels an endpoint belongs to (the first word of its name).
CHANNELS: Final = ("rest", "node", "ws")

#: How the random part of a delay is drawn: ``exponential`` (mean ``jitter``; a long tail, like
#: queueing), ``uniform`` (between 0 and ``jitter``) or ``normal`` (the absolute value of a normal
#: with standard deviation ``jitter``).
Distribution = Literal["exponential", "uniform", "normal"]

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Latency:
    """One endpoint's delay, in seconds: ``base`` + random jitter (+ an occasional spike).

    Args:
        base: the fixed part (round trip plus server time), seconds, ``>= 0``.
        jitter: scale of the random part, seconds, ``>= 0`` (see :data:`Distribution`).
        distribution: how the random part is drawn.
        spike_probability: chance (0..1) that a delay also gets ``spike`` added.
        spike: extra seconds of a spike (a GC pause, a slow replica), ``>= 0``.
        error_probability: chance (0..1) that, after its delay, a request is answered with
            HTTP 503 instead of being handled, or a websocket batch drops its connection (TCP
            abort) instead of being sent. Drawn from a stream of its own, so it does not change
            the delays.
    """

    base: float = 0.0
    jitter: float = 0.0
    distribution: Distribution = "exponential"
    spike_probability: float = 0.0
    spike: float = 0.0
    error_probability: float = 0.0

    def __post_init__(self) -> None:
        for name in ("base", "jitter", "spike"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number of seconds >= 0, got {value}")
        for name in ("spike_probability", "error_probability"):
            chance = getattr(self, name)
            if not 0.0 <= chance <= 1.0:
                raise ValueError(f"{name} must be in 0..1, got {chance}")
        if self.distribution not in ("exponential", "uniform", "normal"):
            raise ValueError(f"unknown distribution {self.distribution!r}")

    @property
    def is_zero(self) -> bool:
        """True when every delay is 0 and nothing fails (nothing to do)."""
        no_spike = self.spike == 0 or not self.spike_probability
        return self.base == 0 and self.jitter == 0 and no_spike and not self.error_probability

    def sample(self, rng: random.Random) -> float:
        """One delay in seconds drawn with ``rng`` (two draws from it, whatever the settings)."""
        u = rng.random()
        spike_draw = rng.random()
        delay = self.base
        if self.jitter:
            if self.distribution == "exponential":
                delay += -math.log(1.0 - u) * self.jitter
            elif self.distribution == "uniform":
                delay += u * self.jitter
            else:
                delay += abs(_normal(u)) * self.jitter
        if spike_draw < self.spike_probability:
            delay += self.spike
        return delay

    def scaled(self, factor: float) -> Latency:
        """The same shape with every duration multiplied by ``factor`` (``>= 0``)."""
        if not math.isfinite(factor) or factor < 0:
            raise ValueError(f"scale factor must be finite and >= 0, got {factor}")
        return replace(
            self, base=self.base * factor, jitter=self.jitter * factor, spike=self.spike * factor
        )


_STANDARD_NORMAL: Final = statistics.NormalDist()


def _normal(u: float) -> float:
    """The standard normal value at cumulative probability ``u`` (clamped away from 0 and 1)."""
    return _STANDARD_NORMAL.inv_cdf(min(max(u, 1e-12), 1.0 - 1e-12))


@dataclass(frozen=True, slots=True)
class WsBatching:
    """How the websocket hub sends queued frames while a latency model is on.

    Args:
        max_batch: most frames sent in one batch; the rest wait for the next one (``>= 1``).
        per_frame: seconds a connection stays busy per frame it just sent (``>= 0``); frames
            queued meanwhile go in the next batch.
    """

    max_batch: int = 256
    per_frame: float = 0.0

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {self.max_batch}")
        if not math.isfinite(self.per_frame) or self.per_frame < 0:
            raise ValueError(
                f"per_frame must be a finite number of seconds >= 0, got {self.per_frame}"
            )


class DelayStream:
    """The seeded sequence of delays of one endpoint (or one websocket connection)."""

    __slots__ = ("_errors", "_model", "_rng", "count", "key", "latency")

    def __init__(self, model: LatencyModel, key: str, latency: Latency) -> None:
        self._model = model
        self.key = key
        self.latency = latency
        self._rng = random.Random(f"{model.seed}/{key}")
        self._errors = random.Random(f"{model.seed}/{key}/errors")
        #: Requests (or batches) drawn so far.
        self.count = 0

    def next(self) -> float:
        """The next delay in seconds (recorded in the model's :attr:`LatencyModel.delays`)."""
        return self.next_request()[0]

    def next_request(self) -> tuple[float, bool]:
        """The next ``(delay in seconds, fails)``; both recorded in the model.

        ``fails`` is drawn with ``error_probability`` from the stream's error generator (one
        draw per request whatever the probability, so the sequence only depends on the seed).
        """
        delay = self.latency.sample(self._rng)
        fails = self._errors.random() < self.latency.error_probability
        self._model.delays.append((self.key, delay))
        if fails:
            self._model.errors.append((self.key, self.count))
        self.count += 1
        return delay, fails


@dataclass(slots=True, eq=False)
class LatencyModel:
    """Per-endpoint latency with seeded jitter (see the module docstring).

    Args:
        seed: seeds every endpoint's random stream (same seed, same delays).
        rest: default latency of Kana REST endpoints.
        node: default latency of the fake Aptos node's endpoints.
        ws: latency of one websocket batch.
        endpoints: latency of particular endpoints, by name (``"node POST /v1/transactions"``).
        ws_batching: how queued websocket frames are batched.
        log_size: how many applied delays :attr:`delays` keeps (the oldest are forgotten).

    The default model has no latency at all.
    """

    seed: int = 0
    rest: Latency = field(default_factory=Latency)
    node: Latency = field(default_factory=Latency)
    ws: Latency = field(default_factory=Latency)
    endpoints: Mapping[str, Latency] = field(default_factory=dict)
    ws_batching: WsBatching = field(default_factory=WsBatching)
    log_size: int = 10_000
    delays: collections.deque[tuple[str, float]] = field(init=False, repr=False)
    errors: collections.deque[tuple[str, int]] = field(init=False, repr=False)
    _streams: dict[str, DelayStream] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.endpoints = dict(self.endpoints)
        for name in self.endpoints:
            if name.split(" ", 1)[0].split("#", 1)[0] not in CHANNELS:
                raise ValueError(f"endpoint {name!r} does not start with one of {CHANNELS}")
        self.delays = collections.deque(maxlen=self.log_size)
        self.errors = collections.deque(maxlen=self.log_size)

    @classmethod
    def realistic(cls, seed: int = 0, *, scale: float = 1.0) -> LatencyModel:
        """Delays like a bot far from the venue sees them, every duration times ``scale``.

        REST 40 ms + exponential jitter (mean 15 ms), 1 % spikes of +250 ms; node 60 ms + 20 ms,
        submissions and simulations 80 ms + 30 ms, 1 % spikes of +400 ms; websocket batches
        15 ms + 10 ms, 0.5 % spikes of +200 ms, at most 64 frames per batch and 0.2 ms per frame.
        """
        rest = Latency(0.040, 0.015, spike_probability=0.01, spike=0.250)
        node = Latency(0.060, 0.020, spike_probability=0.01, spike=0.400)
        submit = Latency(0.080, 0.030, spike_probability=0.01, spike=0.400)
        ws = Latency(0.015, 0.010, spike_probability=0.005, spike=0.200)
        return cls(
            seed=seed,
            rest=rest.scaled(scale),
            node=node.scaled(scale),
            ws=ws.scaled(scale),
            endpoints={
                "node POST /v1/transactions": submit.scaled(scale),
                "node POST /v1/transactions/simulate": submit.scaled(scale),
            },
            ws_batching=WsBatching(max_batch=64, per_frame=0.0002 * scale),
        )

    @property
    def enabled(self) -> bool:
        """False when no endpoint can be delayed or fail (the servers then skip the model)."""
        parts = (self.rest, self.node, self.ws, *self.endpoints.values())
        return not all(latency.is_zero for latency in parts) or self.ws_batching.per_frame > 0

    def latency_for(self, endpoint: str) -> Latency:
        """The :class:`Latency` of ``endpoint`` (its own entry, else its channel's)."""
        own = self.endpoints.get(endpoint)
        if own is not None:
            return own
        channel = endpoint.split(" ", 1)[0].split("#", 1)[0]
        if channel == "rest":
            return self.rest
        if channel == "node":
            return self.node
        if channel == "ws":
            return self.ws
        raise ValueError(f"endpoint {endpoint!r} does not start with one of {CHANNELS}")

    def stream(self, endpoint: str) -> DelayStream:
        """The (shared) random stream of ``endpoint``; created on first use."""
        stream = self._streams.get(endpoint)
        if stream is None:
            stream = DelayStream(self, endpoint, self.latency_for(endpoint))
            self._streams[endpoint] = stream
        return stream

    def next_delay(self, endpoint: str) -> float:
        """The next delay of ``endpoint`` in seconds (recorded in :attr:`delays`)."""
        return self.stream(endpoint).next()

    def ws_stream(self, connection: int) -> DelayStream:
        """The batch delays of the ``connection``-th websocket connection (0-based)."""
        return self.stream(f"ws#{connection}")

    def schedule(self, endpoint: str, count: int) -> list[float]:
        """The first ``count`` delays ``endpoint`` gets, without consuming its stream."""
        rng = random.Random(f"{self.seed}/{endpoint}")
        latency = self.latency_for(endpoint)
        return [latency.sample(rng) for _ in range(count)]

    def error_schedule(self, endpoint: str, count: int) -> list[bool]:
        """Which of the first ``count`` requests to ``endpoint`` fail, without consuming."""
        rng = random.Random(f"{self.seed}/{endpoint}/errors")
        chance = self.latency_for(endpoint).error_probability
        return [rng.random() < chance for _ in range(count)]

    def failed(self, endpoint: str) -> list[int]:
        """0-based numbers of the requests to ``endpoint`` that failed so far."""
        return [number for key, number in self.errors if key == endpoint]

    def applied(self, endpoint: str) -> list[float]:
        """The delays applied to ``endpoint`` so far (as far as :attr:`delays` remembers)."""
        return [delay for key, delay in self.delays if key == endpoint]


def endpoint_key(channel: str, request: web.Request) -> str:
    """``"<channel> <METHOD> <route pattern>"`` of an aiohttp request (the path if unrouted)."""
    route = request.match_info.route
    resource = route.resource
    pattern = resource.canonical if resource is not None else request.path
    return f"{channel} {request.method} {pattern}"


def _unavailable() -> web.StreamResponse:
    return web.json_response({"message": "service temporarily unavailable"}, status=503)


def latency_middleware(
    model: LatencyModel,
    channel: str,
    *,
    unavailable: Callable[[], web.StreamResponse] = _unavailable,
) -> Middleware:
    """An aiohttp middleware holding every request of ``channel`` back by the model's delay.

    The delay and the error draw come from the request's endpoint stream (:func:`endpoint_key`):
    the middleware sleeps the delay, then answers ``unavailable()`` (an HTTP 503 in the server's
    own error format) when the draw says the request fails, else hands it on.

    Args:
        model: the latency model.
        channel: ``"rest"`` or ``"node"``.
        unavailable: builds the answer of a failed request.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")

    @web.middleware
    async def delay_requests(request: web.Request, handler: _Handler) -> web.StreamResponse:
        delay, fails = model.stream(endpoint_key(channel, request)).next_request()
        if delay > 0:
            await asyncio.sleep(delay)
        if fails:
            return unavailable()
        return await handler(request)

    return delay_requests
