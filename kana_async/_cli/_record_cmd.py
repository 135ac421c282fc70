"""``record TOPIC[:KEY] ... --out FILE``: websocket frames of any network into a recording file.

The file is the JSON-lines recording of :mod:`kana_async.recording` (a header, then one frame
per line with its arrival time), which ``kana-async sim --replay FILE`` serves again. Market
topics take a market id or symbol as KEY, account topics a profile address (default: the
wallet's profile), ``live_funding_rate`` no KEY. Recording stops after ``--frames N`` frames,
``--seconds S`` seconds or Ctrl-C (exit 130), and then prints one line: the frames written and
the file. The file is complete up to the last frame at any moment.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kana_async._address import normalize_address
from kana_async._cli._errors import UsageError
from kana_async._cli._session import connect, resolve_market
from kana_async._cli._stream_cmd import ACCOUNT_TOPICS, MARKET_TOPICS, TOPICS
from kana_async._client import KanaClient
from kana_async._config import PRIVATE_KEY_ENV
from kana_async._exceptions import KanaError
from kana_async.recording import load_recording
from kana_async.recording import record as record_frames

__all__ = ["record", "subscription_arg"]

Wanted = tuple[str, str | None]
"""A subscription as typed: ``(topic, KEY or None)``."""


def subscription_arg(text: str) -> Wanted:
    """Parse one ``TOPIC[:KEY]`` argument (``orderbook:APT-USD``, ``live_funding_rate``).

    Args:
        text: the argument as typed.

    Returns:
        ``(topic, key)``; ``key`` is ``None`` when no ``:KEY`` was given.

    Raises:
        argparse.ArgumentTypeError: an unknown topic, or an empty KEY after ``:``.
    """
    topic, colon, key = text.strip().partition(":")
    if topic not in TOPICS:
        raise argparse.ArgumentTypeError(
            f"unknown topic {topic!r} in {text!r}; known: {', '.join(TOPICS)}"
        )
    if colon and not key.strip():
        raise argparse.ArgumentTypeError(f"empty KEY in {text!r}: give TOPIC or TOPIC:KEY")
    return topic, key.strip() if colon else None


async def _resolve(
    kana: KanaClient, wanted: list[Wanted]
) -> tuple[list[tuple[str, str | int | None]], list[str]]:
    """The wire subscriptions and how to name each in the summary (``orderbook APT-USD``)."""
    subs: list[tuple[str, str | int | None]] = []
    names: list[str] = []
    profile: str | None = None
    for topic, key in wanted:
        if topic in MARKET_TOPICS:
            if key is None:
                raise UsageError(f"{topic} needs a market: {topic}:APT-USD or {topic}:1338")
            market = await resolve_market(kana, key)
            subs.append((topic, market.market_id))
            names.append(f"{topic} {market.symbol}")
        elif topic in ACCOUNT_TOPICS:
            if key is None:
                if kana.wallet_address is None:
                    raise UsageError(
                        f"{topic} needs a profile address: {topic}:0x…, --address, "
                        f"or {PRIVATE_KEY_ENV}"
                    )
                profile = profile or await kana.portfolio.profile_address()
                key = profile
            try:
                key = normalize_address(key)
            except KanaError as exc:
                raise UsageError(f"{topic}: {exc}") from None
            subs.append((topic, key))
            names.append(f"{topic} {key}")
        else:
            if key is not None:
                raise UsageError(f"{topic} takes no KEY (got {key!r})")
            subs.append((topic, None))
            names.append(topic)
    return subs, names


def _check_writable(path: Path) -> None:
    try:
        with path.open("ab"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _summary(path: Path, names: list[str], *, stopped: bool) -> str:
    """``recorded N frames in S s (topics) to FILE``, read back from the file itself."""
    rec = load_recording(path)
    frames = len(rec.frames)
    plural = "" if frames == 1 else "s"
    how = "; stopped by Ctrl-C" if stopped else ""
    return (
        f"recorded {frames} frame{plural} in {rec.duration:.1f} s ({', '.join(names)}) "
        f"from {rec.network} to {path}{how}\n"
    )


async def record(args: argparse.Namespace) -> int:
    """Record the chosen topics until ``--frames``, ``--seconds`` or Ctrl-C; one summary line.

    Args:
        args: the parsed command line: ``subscriptions`` (``(topic, key)`` pairs), ``out``
            (the file), ``frames`` and ``seconds`` (limits, or ``None``).

    Returns:
        0 when a limit was reached (Ctrl-C propagates as ``KeyboardInterrupt``: exit 130).

    Raises:
        UsageError: a topic without its KEY (or with one it does not take), an unknown market,
            a bad address, or a file that cannot be written.
    """
    path: Path = args.out
    async with connect(args) as kana:
        subs, names = await _resolve(kana, list(args.subscriptions))
        network = kana.network
    _check_writable(path)
    if sys.stderr.isatty():
        limit = "Ctrl-C to stop" if args.frames is None and args.seconds is None else "Ctrl-C"
        sys.stderr.write(f"recording {', '.join(names)} from {network.name} ({limit})\n")
    try:
        await record_frames(network, subs, path, max_frames=args.frames, duration=args.seconds)
    except asyncio.CancelledError:  # Ctrl-C: the file is complete up to the last frame
        sys.stdout.write(_summary(path, names, stopped=True))
        sys.stdout.flush()
        raise
    sys.stdout.write(_summary(path, names, stopped=False))
    return 0
