"""Instructions per frame of the stream clients, counted by callgrind: a cost noise cannot move.

On a shared machine the frames/s ratios of ``python -m benchmarks`` move by 20 % and more from
one run to the next; the number of instructions a client executes per frame does not. This
script runs chosen clients of ``ws_clients.py`` against the websocket feed (the feed in its own
process, not counted), each under ``valgrind --tool=callgrind``, once with N frames and once with
3N: the difference over 2N is the client's user-space instructions per frame, start-up and
imports cancelled out. It prints them with each client's count over the first one's::

    python benchmarks/instructions.py --topic positions
    python benchmarks/instructions.py --topic orderbook --frames 1000 \\
        --clients "kana_async x1" "websockets+msgspec (plain struct)"

Instructions are not time (cache misses, system calls and waits are not counted), but a change
that saves instructions on the hot path saves time, and a count settles an A/B comparison that
a noisy host cannot. Not part of ``python -m benchmarks``: each count takes 10-30 s under
callgrind. Needs ``valgrind`` on ``PATH``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import ws_feed  # noqa: E402
from _common import SectionFailed, markdown_table  # noqa: E402
from bench_ws import Feed, _run  # noqa: E402
from ws_clients import BARE, CLIENTS, SDK_WORK, SDK_X1  # noqa: E402

#: The clients counted when none is named: the SDK, its baseline, and the SDK-work floor.
DEFAULT_CLIENTS = (SDK_X1, BARE, SDK_WORK)

_COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


def collected(valgrind_stderr: str) -> int:
    """The instruction count callgrind reports at exit (its ``Collected :`` line).

    Raises:
        SectionFailed: the output has no such line (valgrind or the client failed).
    """
    found = _COLLECTED.findall(valgrind_stderr)
    if len(found) != 1:
        raise SectionFailed(f"no callgrind total in: {valgrind_stderr[-500:]!r}")
    return int(found[0])


def per_frame(count_n: int, count_3n: int, frames: int) -> float:
    """Instructions per frame from the counts of a run of ``frames`` and one of 3x as many."""
    return (count_3n - count_n) / (2 * frames)


def count(valgrind: str, name: str, topic: str, frames: int, port: int) -> int:
    """The instructions one run of client ``name`` reading ``frames`` frames executes.

    Raises:
        SectionFailed: the client failed, or did not see every item.
    """
    command = [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--read",
        name,
        "--topic",
        topic,
        "--frames",
        str(frames),
        "--port",
        str(port),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise SectionFailed(
            f"{name} under callgrind exited {done.returncode}: {done.stderr[-500:]}"
        )
    return collected(done.stderr)


def read(name: str, topic: str, frames: int, port: int) -> int:
    """One run of client ``name`` against the feed at ``port`` (what callgrind counts).

    Returns:
        The items the client saw (every item of the ``frames`` frames).

    Raises:
        SectionFailed: the client did not see every item the feed sent.
    """
    url = f"ws://127.0.0.1:{port}/ws/?topic={topic}&n={frames}"
    items = ws_feed.rows_in(topic, frames)
    seen = _run(name, url, topic, frames, items)
    if seen != items:
        raise SectionFailed(f"{name}: saw {seen} of {items} items of {topic}")
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--topic", choices=ws_feed.TOPICS, default="positions")
    parser.add_argument("--frames", type=int, default=2000, help="N: runs of N and 3N frames")
    parser.add_argument("--clients", nargs="+", choices=sorted(CLIENTS), default=DEFAULT_CLIENTS)
    parser.add_argument("--read", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.read is not None:  # the counted process: one run of one client
        read(args.read, args.topic, args.frames, args.port)
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions.py needs valgrind on PATH (apt install valgrind)", file=sys.stderr)
        return 2
    rows = []
    first = None
    with Feed() as feed:
        for name in args.clients:
            small = count(valgrind, name, args.topic, args.frames, feed.port)
            large = count(valgrind, name, args.topic, 3 * args.frames, feed.port)
            cost = per_frame(small, large, args.frames)
            first = cost if first is None else first
            rows.append([name, f"{cost:,.0f}", f"{cost / first:.3f}"])
    print(
        f"Instructions per `{args.topic}` frame (callgrind, {args.frames:,} and "
        f"{3 * args.frames:,} frames)\n"
    )
    print(markdown_table(["client", "instructions/frame", f"/ {args.clients[0]}"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
