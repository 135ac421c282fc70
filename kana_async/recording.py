"""Record websocket frames of any network to a JSON-lines file, and read such a file back.

:func:`record` connects to a network's websocket (the SDK's self-healing connection: it reconnects
and resubscribes by itself), subscribes the chosen topics and writes every frame it receives::

    {"format": "kana-async-recording", "version": 1, "network": "mainnet", "started_at": ...}
    {"t": 0.012841, "snapshot": true, "frame": {"message": "orderbook", "data": [...]}}
    {"t": 0.250112, "frame": {"message": "recent_trades", "data": [...]}}

The first line is the header: format name and version, the network's name, websocket URL and
markets (symbol → id), the subscriptions, and ``started_at`` (unix seconds when the connection was
first asked for). Each further line is one frame: ``t`` is its arrival time in seconds since
``started_at`` (monotonic clock), ``frame`` the frame exactly as received (JSON, not re-encoded:
prices keep their digits); ``snapshot`` marks the first frame of each subscription after every
(re)connect (what the server sends on subscribe). A frame that is not JSON is kept as a string
under ``text`` instead of ``frame``. :func:`load_recording` reads the file back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import anyio

from kana_async._codec import DecodeError, Raw, decoder_for, encode, peek_message
from kana_async._config import Network
from kana_async._exceptions import InvalidArgumentError, StreamHandshakeRefusedError
from kana_async._streams.connection import WSConnection
from kana_async._streams.options import StreamOptions
from kana_async._streams.topics import TOPICS, KeyKind, RoutingKey, Topic, topic_for_message

__all__ = [
    "RECORDING_FORMAT",
    "RECORDING_VERSION",
    "RecordedFrame",
    "Recording",
    "load_recording",
    "record",
]

#: The ``format`` of a recording's header line.
RECORDING_FORMAT: Final = "kana-async-recording"
#: The version of the layout this module writes and reads.
RECORDING_VERSION: Final = 1

_raw = decoder_for(Raw).decode
_members = decoder_for(dict[str, Raw]).decode
_header = decoder_for(dict[str, Any]).decode
_value = decoder_for(Any).decode


@dataclass(frozen=True, slots=True)
class RecordedFrame:
    """One recorded frame.

    Attributes:
        t: arrival time, seconds after the recording started.
        raw: the frame's bytes as received (``b""`` never; a non-JSON frame keeps its text).
        snapshot: the first frame of its subscription after a (re)connect.
        topic: the topic its ``message`` names (``None``: unknown topic or not JSON).
        key: its routing key (market id or profile address; ``None`` when it has none).
    """

    t: float
    raw: bytes
    snapshot: bool
    topic: str | None
    key: RoutingKey


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording read back by :func:`load_recording`.

    Attributes:
        network: the recorded network's name.
        ws_url: the websocket URL it was recorded from.
        started_at: unix seconds when the recording started.
        markets: the network's market ids by symbol, as known when recording.
        subscriptions: the ``(topic, key)`` pairs that were subscribed.
        frames: the frames in arrival order.
    """

    network: str
    ws_url: str
    started_at: float
    markets: Mapping[str, int]
    subscriptions: tuple[tuple[str, RoutingKey], ...]
    frames: tuple[RecordedFrame, ...]

    @property
    def duration(self) -> float:
        """Arrival time of the last frame, seconds (0 for an empty recording)."""
        return self.frames[-1].t if self.frames else 0.0


def _classify(raw: bytes) -> tuple[Topic | None, RoutingKey]:
    """The topic and routing key of a frame (``(None, None)`` when they cannot be read)."""
    message = peek_message(raw)
    if message is None:
        try:
            members = _members(raw)
            message = _value(members["message"]) if "message" in members else None
        except (DecodeError, KeyError):
            return None, None
        if not isinstance(message, str):
            return None, None
    topic = topic_for_message(message)
    if topic is None or topic.key is KeyKind.NONE:
        return topic, None
    try:
        return topic, topic.frame_route_key(raw)
    except DecodeError:
        return topic, None


class _Writer:
    """The open recording file: the header, then one line per frame (synchronous, buffered)."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self._file: IO[bytes] = path.open("wb")
        self._file.write(encode(header) + b"\n")
        self._file.flush()
        self._seen: set[tuple[str, RoutingKey]] = set()
        self.frames = 0

    def connected(self) -> None:
        """A (re)connect: the next frame of every subscription is a snapshot again."""
        self._seen.clear()

    def write(self, t: float, raw: bytes) -> None:
        """Append one frame that arrived ``t`` seconds after the start."""
        topic, key = _classify(raw)
        snapshot = b""
        if topic is not None:
            sub = (topic.name, key)
            if sub not in self._seen:
                self._seen.add(sub)
                snapshot = b',"snapshot":true'
        stamp = f'{{"t":{t:.6f}'.encode()
        try:
            _raw(raw)
        except DecodeError:
            text = raw.decode("utf-8", "replace")
            line = stamp + b',"text":' + encode(text) + b"}\n"
        else:  # valid JSON has no raw newline inside strings: flattening keeps its meaning
            body = raw.strip().replace(b"\r", b" ").replace(b"\n", b" ")
            line = stamp + snapshot + b',"frame":' + body + b"}\n"
        self._file.write(line)
        self._file.flush()  # the file is complete up to the last frame at any moment
        self.frames += 1

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> _Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _wire_subscriptions(
    subscriptions: Sequence[tuple[str, str | int | None]],
) -> list[tuple[Topic, RoutingKey]]:
    if not subscriptions:
        raise InvalidArgumentError("record needs at least one (topic, key) subscription")
    wanted: list[tuple[Topic, RoutingKey]] = []
    for name, key in subscriptions:
        topic = TOPICS.get(name)
        if topic is None:
            raise InvalidArgumentError(f"unknown topic {name!r}; known: {', '.join(TOPICS)}")
        pair = (topic, topic.normalize_key(key))
        if pair not in wanted:
            wanted.append(pair)
    return wanted


async def record(
    network: Network,
    subscriptions: Sequence[tuple[str, str | int | None]],
    path: str | Path,
    *,
    max_frames: int | None = None,
    duration: float | None = None,
    options: StreamOptions | None = None,
) -> int:
    """Record the frames of ``subscriptions`` on ``network``'s websocket into ``path``.

    Connects to ``network.ws_url``, subscribes every ``(topic, key)`` (key: market id for
    ``orderbook`` / ``recent_trades`` / ``best_price``, profile address for account topics,
    ``None`` for ``live_funding_rate``) and writes the JSON-lines file the module docstring
    describes, reconnecting and resubscribing if the connection drops. Stops after
    ``max_frames`` frames or ``duration`` seconds, whichever comes first (neither: runs until
    cancelled). The file is complete up to the last frame received even when cancelled.

    Args:
        network: where to record from (any :class:`~kana_async.Network`, e.g. ``MAINNET`` or a
            simulator's ``sim.network``).
        subscriptions: ``(topic, key)`` pairs, e.g. ``[("orderbook", 14), ("recent_trades",
            14)]``.
        path: the file to write (replaced if it exists).
        max_frames: stop after this many frames (``>= 1``).
        duration: stop after this many seconds (``> 0``).
        options: websocket tuning (:class:`~kana_async.StreamOptions`); the default has no
            staleness watchdog.

    Returns:
        The number of frames written.

    Raises:
        InvalidArgumentError: no subscription, an unknown topic, a bad address
            (:class:`~kana_async.InvalidAddressError`), or a non-positive ``max_frames`` /
            ``duration``.
        ArgumentTypeError: a market id that is not an integer.
        StreamHandshakeRefusedError: the server refused the websocket for good (e.g. 401).
        OSError: the file cannot be written.
    """
    if max_frames is not None and max_frames < 1:
        raise InvalidArgumentError(f"max_frames must be >= 1, got {max_frames}")
    if duration is not None and not duration > 0:
        raise InvalidArgumentError(f"duration must be > 0 seconds, got {duration}")
    wanted = _wire_subscriptions(subscriptions)
    header = {
        "format": RECORDING_FORMAT,
        "version": RECORDING_VERSION,
        "network": network.name,
        "ws_url": network.ws_url,
        "started_at": time.time(),
        "markets": dict(network.markets),
        "subscriptions": [{"topic": topic.name, "key": key} for topic, key in wanted],
    }
    done = anyio.Event()
    refused: list[StreamHandshakeRefusedError] = []
    start = time.monotonic()  # on_frame may run outside any task: no anyio clock there
    with _Writer(Path(path), header) as writer:

        def on_frame(raw: bytes) -> None:
            if done.is_set():
                return
            writer.write(time.monotonic() - start, raw)
            if max_frames is not None and writer.frames >= max_frames:
                done.set()

        def on_fatal(exc: StreamHandshakeRefusedError) -> None:
            refused.append(exc)
            done.set()

        conn = WSConnection(
            network.ws_url,
            options or StreamOptions(stale_timeout=None),
            on_frame=on_frame,
            subscribe_frames=lambda: [topic.subscribe_frame(key) for topic, key in wanted],
            on_connected=lambda _reconnects, _downtime, _reason: writer.connected(),
            on_fatal=on_fatal,
        )
        async with anyio.create_task_group() as group:
            group.start_soon(conn.run, name="kana-record")
            conn.resume()
            try:
                with anyio.move_on_after(math.inf if duration is None else duration):
                    await done.wait()
            finally:
                done.set()
                with anyio.CancelScope(shield=True):
                    await conn.aclose()
                group.cancel_scope.cancel()
        if refused:
            raise refused[0]
        return writer.frames


def load_recording(path: str | Path) -> Recording:
    """Read a file :func:`record` wrote.

    Args:
        path: the recording's file (JSON lines: a header line, then one frame per line).

    Returns:
        The header's facts (network, websocket URL, start time, markets, subscriptions) and every
        frame with its arrival time in seconds since the recording started.

    Raises:
        InvalidArgumentError: the file is not a recording of a version this module reads, or a
            line is not valid.
        OSError: the file cannot be read.
    """
    lines = Path(path).read_bytes().splitlines()
    if not lines:
        raise InvalidArgumentError(f"{path}: empty file, not a recording")
    try:
        header = _header(lines[0])
    except DecodeError as exc:
        raise InvalidArgumentError(f"{path}: the header line is not JSON: {exc}") from None
    if header.get("format") != RECORDING_FORMAT:
        raise InvalidArgumentError(f"{path}: not a {RECORDING_FORMAT} file")
    if header.get("version") != RECORDING_VERSION:
        raise InvalidArgumentError(
            f"{path}: recording version {header.get('version')!r} is not supported "
            f"(this version reads {RECORDING_VERSION})"
        )
    frames = [_frame(path, number, line) for number, line in enumerate(lines[1:], 2) if line]
    subscriptions = tuple(
        (str(sub["topic"]), sub.get("key")) for sub in header.get("subscriptions", [])
    )
    return Recording(
        network=str(header.get("network", "")),
        ws_url=str(header.get("ws_url", "")),
        started_at=float(header.get("started_at", 0.0)),
        markets={str(k): int(v) for k, v in dict(header.get("markets", {})).items()},
        subscriptions=subscriptions,
        frames=tuple(frames),
    )


def _frame(path: str | Path, number: int, line: bytes) -> RecordedFrame:
    try:
        members = _members(line)
        t = float(_value(members["t"]))
        if "frame" in members:
            raw = bytes(members["frame"])
        else:
            text = _value(members["text"])
            raw = str(text).encode()
        snapshot = "snapshot" in members and _value(members["snapshot"]) is True
    except (DecodeError, KeyError, TypeError, ValueError) as exc:
        raise InvalidArgumentError(f"{path}:{number}: not a recorded frame ({exc})") from None
    topic, key = _classify(raw)
    return RecordedFrame(t, raw, snapshot, topic.name if topic is not None else None, key)
