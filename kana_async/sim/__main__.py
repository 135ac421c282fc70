"""``python -m kana_async.sim`` (also ``kana-async sim``): the local Kana exchange as a standalone
venue.

Prints the REST / websocket / node URLs, the network as one line of JSON, and funded test
accounts, then serves until Ctrl-C (or SIGTERM). ``--network-file PATH`` also writes the network
to a file; a bot in another process loads it with ``Network.from_file(PATH)`` (or
``KANA_NETWORK=PATH``). ``-v`` logs one line per HTTP request, REST and node alike.

``--replay FILE`` serves a recording (``kana-async record``) as the recorded markets' books and
trades, at the recorded pace times ``--replay-speed`` (``max``: as fast as possible), once or
forever (``--replay-loop``); ``--block-interval`` makes the node commit in blocks and
``--latency realistic[:SEED]`` delays requests and websocket frames as
:meth:`~kana_async.sim.latency.LatencyModel.realistic` does. The banner shows each of them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import json
import logging
import math
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from kana_async.sim.latency import LatencyModel
    from kana_async.sim.server import Simulator

__all__ = ["add_arguments", "main", "run"]

#: The standalone venue's REST + websocket port; its node listens on the next port up.
DEFAULT_PORT = 8080


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The simulator's command-line options (shared with ``python -m kana_async sim``)."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="REST + websocket port (0: any free port)"
    )
    parser.add_argument(
        "--node-port",
        type=int,
        default=None,
        help="fake Aptos node port (default: --port + 1, or any free port when --port is 0)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the maker and the accounts")
    parser.add_argument("--api-key", default=None, help="require this x-api-key on REST calls")
    parser.add_argument(
        "--no-market-maker", action="store_true", help="do not run the house market maker"
    )
    parser.add_argument("--accounts", type=int, default=1, help="funded accounts to print")
    parser.add_argument(
        "--network-file",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the network as JSON to PATH (Network.from_file / KANA_NETWORK read it)",
    )
    parser.add_argument(
        "--replay",
        type=Path,
        default=None,
        metavar="FILE",
        help="serve a recording made by 'kana-async record': its books and trades drive the "
        "recorded markets (the house maker runs the others)",
    )
    parser.add_argument(
        "--replay-speed",
        type=replay_speed,
        default=1.0,
        metavar="X|max",
        help="recorded seconds per real second (2: twice as fast; max: as fast as possible)",
    )
    parser.add_argument(
        "--replay-loop", action="store_true", help="start the recording again after its end"
    )
    parser.add_argument(
        "--block-interval",
        type=block_interval,
        default=0.0,
        metavar="SECONDS",
        help="seconds between the node's blocks; transactions commit in the next block "
        "(default 0: at once)",
    )
    parser.add_argument(
        "--latency",
        type=latency_spec,
        default=None,
        metavar="realistic[:SEED]",
        help="delay REST, node and websocket traffic like a distant venue (seeded jitter and "
        "spikes; SEED default: --seed)",
    )
    parser.add_argument(
        "--latency-scale",
        type=_scale,
        default=1.0,
        metavar="X",
        help="multiply every --latency delay by X (default 1)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log one line per request")


def replay_speed(text: str) -> float:
    """``--replay-speed``: a number of recorded seconds per real second (``> 0``), or ``max``.

    Args:
        text: the option's value, e.g. ``"2"``, ``"0.5"`` or ``"max"``.

    Returns:
        The speed; ``math.inf`` for ``max``.

    Raises:
        argparse.ArgumentTypeError: not a positive finite number nor ``max``.
    """
    if text.strip().lower() == "max":
        return math.inf
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a speed: {text!r} (a number, or max)") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be more than 0 (or max): {text!r}")
    return value


def block_interval(text: str) -> float:
    """``--block-interval``: seconds between blocks, a finite number ``>= 0``.

    Args:
        text: the option's value in seconds, e.g. ``"0.5"``.

    Returns:
        The interval in seconds.

    Raises:
        argparse.ArgumentTypeError: not a finite number of seconds ``>= 0``.
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more: {text!r}")
    return value


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def latency_spec(text: str) -> tuple[str, int | None]:
    """``--latency``: ``realistic`` or ``realistic:SEED``.

    Args:
        text: the option's value.

    Returns:
        ``("realistic", SEED)``; SEED is ``None`` when not given (the simulator's ``--seed``
        is used then).

    Raises:
        argparse.ArgumentTypeError: another model name, or a seed that is not an integer.
    """
    name, _, seed = text.strip().partition(":")
    if name.lower() != "realistic":
        raise argparse.ArgumentTypeError(f"unknown latency model {name!r} (known: realistic)")
    if not seed:
        return ("realistic", None)
    try:
        return ("realistic", int(seed))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer seed: {seed!r}") from None


def latency_of(args: argparse.Namespace) -> LatencyModel | None:
    """The model ``--latency`` / ``--latency-scale`` ask for; ``None`` without ``--latency``."""
    if args.latency is None:
        return None
    from kana_async.sim.latency import LatencyModel

    _name, seed = args.latency
    return LatencyModel.realistic(
        seed=args.seed if seed is None else seed, scale=args.latency_scale
    )


def node_port_of(args: argparse.Namespace) -> int:
    """The node port to bind: ``--node-port``, else ``--port + 1`` (0 when ``--port`` is 0)."""
    if args.node_port is not None:
        return int(args.node_port)
    return int(args.port) + 1 if args.port else 0


def configure_logging(verbose: bool) -> None:
    """``-v``: timestamped INFO lines on stderr (one per request); else warnings only."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )


async def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Serve until interrupted; returns the exit status (1 when a port cannot be bound or the
    ``--replay`` file cannot be read)."""
    out = out or sys.stdout
    sim = _simulator(args)
    if sim is None:
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    report: asyncio.Task[None] | None = None
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await sim.start()
    except OSError as exc:
        sys.stderr.write(f"kana-async sim: {_bind_error(exc, args)}\n")
        return 1
    try:
        net = sim.network
        if args.network_file is not None:
            try:
                net.write_file(args.network_file)
            except OSError as exc:
                sys.stderr.write(
                    f"kana-async sim: cannot write {args.network_file}: {exc.strerror}\n"
                )
                return 1
        out.write("Kana simulator running (Ctrl-C to stop)\n")
        out.write(f"  REST     {net.rest_url}\n")
        out.write(f"  WS       {net.ws_url}\n")
        out.write(f"  node     {net.node_url}\n")
        out.write(f"  chain id {net.chain_id}\n")
        out.write(f"  markets  {', '.join(f'{k}={v}' for k, v in net.markets.items())}\n")
        out.write(f"  network  {json.dumps(net.to_dict(), separators=(',', ':'))}\n")
        if args.network_file is not None:
            out.write(
                f"  network file {args.network_file} (export KANA_NETWORK={args.network_file})\n"
            )
        if args.api_key:
            out.write("  api key  required (x-api-key)\n")
        for line in _model_lines(sim, args):
            out.write(f"  {line}\n")
        for _ in range(max(0, args.accounts)):
            account = sim.new_account()
            out.write(f"  account  {account.address}\n")
            out.write(f"    private key {account.private_key_hex}\n")
            out.write(f"    profile     {account.profile_address}\n")
        out.flush()
        if sim.replay is not None and not sim.replay.loop:
            report = loop.create_task(_report_when_finished(sim, out), name="kana-sim-replay-end")
        await stop.wait()
    finally:
        if report is not None:
            report.cancel()
        await sim.aclose()
    out.write("simulator stopped\n")
    out.flush()
    return 0


def _simulator(args: argparse.Namespace) -> Simulator | None:
    """The simulator the options describe; ``None`` (after one line on stderr) when the
    ``--replay`` file is missing or not a recording."""
    from kana_async.sim.server import Simulator

    try:
        return Simulator(
            seed=args.seed,
            api_key=args.api_key,
            market_maker=not args.no_market_maker,
            host=args.host,
            port=args.port,
            node_port=node_port_of(args),
            block_interval=args.block_interval,
            latency=latency_of(args),
            replay=args.replay,
            replay_speed=args.replay_speed,
            replay_loop=args.replay_loop,
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except ValueError as exc:  # InvalidArgumentError: not a recording, or a bad line
        where = re.escape(str(args.replay))
        reason = re.sub(rf"^{where}:(\d+): ", r"line \1: ", str(exc))
        reason = re.sub(rf"^{where}: ", "", reason)
    sys.stderr.write(f"kana-async sim: cannot replay {args.replay}: {reason}\n")
    return None


def _model_lines(sim: Simulator, args: argparse.Namespace) -> list[str]:
    """Banner lines for what the simulator models beyond the defaults (as it was built)."""
    lines: list[str] = []
    replay = sim.replay
    if replay is not None:
        symbols = {market_id: symbol for symbol, market_id in sim.network.markets.items()}
        driven = ", ".join(symbols.get(m, str(m)) for m in sorted(replay.markets)) or "none"
        speed = "max" if math.isinf(replay.speed) else f"{replay.speed:g}x"
        recording = replay.recording
        lines.append(
            f"replay   {args.replay} ({len(recording.frames)} frames, "
            f"{recording.duration:.1f} s recorded on {recording.network or '?'}; "
            f"speed {speed}{', loop' if replay.loop else ''}) drives {driven}"
        )
    if sim.node.block_interval > 0:
        lines.append(f"blocks   every {sim.node.block_interval:g} s")
    model = sim.latency
    if model is not None:
        lines.append(
            f"latency  realistic (seed {model.seed}, scale {args.latency_scale:g}; "
            f"REST {model.rest.base * 1000:g} ms + jitter, node {model.node.base * 1000:g} ms "
            f"+ jitter, websocket {model.ws.base * 1000:g} ms + jitter)"
        )
    return lines


async def _report_when_finished(sim: Simulator, out: TextIO) -> None:
    """Print one line once a one-shot replay has served its last frame (the book stays)."""
    replay = sim.replay
    if replay is None:
        return
    await replay.wait_finished()
    stats = replay.stats
    out.write(
        f"  replay   finished: {stats.books} books, {stats.trades} trades served, "
        f"{stats.skipped} frames skipped; the last book stays\n"
    )
    out.flush()


def _bind_error(exc: OSError, args: argparse.Namespace) -> str:
    """One line for a server that could not listen (port in use, bad host, no permission)."""
    found = re.search(r"\(['\"]?([^'\",]+)['\"]?, (\d+)\)", str(exc))
    where = f"{found.group(1)}:{found.group(2)}" if found else f"{args.host}"
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {where} is already in use; stop the other process or pick another "
            "with --port / --node-port (0: any free port)"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on {where}; use a port above 1023"
    reason = exc.strerror or str(exc)
    return f"cannot listen on {where}: {reason}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m kana_async.sim``."""
    parser = argparse.ArgumentParser(
        prog="python -m kana_async.sim", description="Run the local Kana Perps simulator."
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    configure_logging(args.verbose)
    try:
        return asyncio.run(run(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
