"""Instructions per frame of the stream clients under callgrind: a cost the noise barely moves.

On a shared machine the frames/s ratios of ``python -m benchmarks`` move by 20 % and more from
one run to the next; the number of instructions a client executes per frame does not. Each
chosen client of ``ws_clients.py`` runs in its own process under ``valgrind --tool=callgrind``
against the websocket feed (the feed in its own process, not counted): a first run (what the
client loads or builds on first use), then one of N frames and one of 3N, with a dump of the
counts between them; the difference of the last two over 2N is the client's user-space
instructions per frame, start-up, imports and connection set-up cancelled out. Two clients are
counted at a time (a count barely depends on what else runs). It prints them with each
client's count over the first one's::

    python benchmarks/instructions.py --topic positions
    python benchmarks/instructions.py --topic orderbook --frames 1000 \\
        --clients "kana_async x1" "websockets+msgspec (plain struct)"

``python -m benchmarks`` runs :func:`section` (its ``instructions`` section): every ``positions``
target judged by instruction count, against the floors of the SDK client's library.

Instructions are not time (cache misses, system calls and waits are not counted), but a change
that saves instructions on the hot path saves time, and a count settles an A/B comparison that
a noisy host cannot. Under callgrind a client runs ~50x slower than the feed, so each read finds
many frames waiting: counts are of the most batched reading. Needs ``valgrind`` on ``PATH``
(each client takes 10-15 s).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import ws_feed  # noqa: E402
from _common import Result, SectionFailed, markdown_table  # noqa: E402
from bench_ws import Feed, feed_url, run_checked  # noqa: E402
from ws_clients import (  # noqa: E402
    AIOHTTP_WORK,
    BARE,
    CLIENTS,
    FLOORS,
    FLOORS_OF,
    SDK_WORK,
    SDK_X1,
    TARGETS,
    WS_LEAN,
)

#: The clients counted when none is named: the SDK, its baseline, and the SDK-work floor.
DEFAULT_CLIENTS = (SDK_X1, BARE, SDK_WORK)

#: The C function whose every call makes callgrind dump the costs so far and start afresh
#: (``--dump-before``): the counted process calls ``os.getppid()`` between its runs and nowhere
#: else, so its dumps are, in order: start-up, the run of N frames, the run of 3N.
PHASE_MARK = "os_getppid"

_TOTALS = re.compile(r"^totals: (\d+)$", re.MULTILINE)


def totals(dump: str) -> int:
    """The instructions one callgrind dump counted (its ``totals:`` line).

    Raises:
        SectionFailed: the dump has no such line, or more than one.
    """
    found = _TOTALS.findall(dump)
    if len(found) != 1:
        raise SectionFailed(f"no callgrind total in: {dump[-500:]!r}")
    return int(found[0])


def per_frame(count_n: int, count_3n: int, frames: int) -> float:
    """Instructions per frame from the counts of a run of ``frames`` and one of 3x as many."""
    return (count_3n - count_n) / (2 * frames)


def phase_counts(out: Path) -> list[int]:
    """The counts of the phase dumps callgrind wrote at ``out.1``, ``out.2`` and ``out.3``.

    Raises:
        SectionFailed: callgrind did not dump exactly those three parts (another call of
            :data:`PHASE_MARK`, or a run that never reached its mark).
    """
    parts = sorted(
        int(p.suffix[1:]) for p in out.parent.glob(f"{out.name}.*") if p.suffix[1:].isdigit()
    )
    if parts != [1, 2, 3]:
        raise SectionFailed(f"expected 3 phase dumps (parts 1-3), callgrind wrote parts {parts}")
    return [totals(Path(f"{out}.{part}").read_text()) for part in parts]


def count(valgrind: str, name: str, topic: str, frames: int, port: int) -> float:
    """Client ``name``'s instructions per frame: one process under callgrind, imports and
    connection set-up cancelled out (its runs of ``frames`` and ``3 * frames`` differenced).

    Raises:
        SectionFailed: the client failed, or did not see every item.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            valgrind,
            "--tool=callgrind",
            f"--dump-before={PHASE_MARK}",
            f"--callgrind-out-file={out}",
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
        _, small, large = phase_counts(out)
    return per_frame(small, large, frames)


def per_frame_counts(
    valgrind: str, names: Sequence[str], topic: str, frames: int, workers: int = 2
) -> dict[str, float]:
    """Each client's instructions per frame, ``workers`` counted runs at a time, one feed.

    A count barely depends on what else runs (the same with one or two at a time, to 0.1 %, in
    the counts of 2026-12-03), so the runs share the cores.

    Raises:
        SectionFailed: a counted run failed or did not see every item.
    """
    with Feed() as feed, ThreadPoolExecutor(workers) as pool:
        runs = {
            name: pool.submit(count, valgrind, name, topic, frames, feed.port) for name in names
        }
        return {name: run.result() for name, run in runs.items()}


#: The floors a section counts beside a target's clients: the dearest that bounds every client
#: of the library (websockets and the leanest decode of the touched numbers), and those that
#: bound the SDK (its required per-frame work, on each socket library).
COUNTED_FLOORS = (WS_LEAN, SDK_WORK, AIOHTTP_WORK)


def counted_clients(targets: Sequence[tuple[str, str]]) -> list[str]:
    """The clients whose counts settle ``targets`` ((ours, baseline) pairs): each pair and the
    counted floors of ours, each once, in first-seen order."""
    names: list[str] = []
    for ours, base in targets:
        names += [n for n in (ours, base, *_counted_floors(ours)) if n not in names]
    return names


def _counted_floors(ours: str) -> list[str]:
    """The floors of SDK client ``ours``'s library that a section counts."""
    return [f for f in FLOORS_OF[ours] if f in COUNTED_FLOORS]


def verdict_rows(
    costs: dict[str, float], targets: dict[tuple[str, str], str], title: str
) -> list[list[str]]:
    """One row per frames/s target: what it allows by instructions, what each floor leaves.

    A target ``>= t`` on ``ours`` against ``base`` allows ``ours`` at most ``cost(base) / t``
    instructions per frame. A floor of ``ours`` (a client doing less than ``ours`` on the same
    library) that executes more than that puts the target out of reach by instruction count;
    otherwise the row says how many instructions per frame are left past the floor. A floor
    that executes more than ``ours`` itself bounds nothing: how a client reads (how many frames
    each read of the socket finds, aiohttp's flow control) moved its count more than the
    work it leaves out.
    """
    rows = []
    for (ours, base), target in targets.items():
        op, bound = target.split()
        if op != ">=":  # latency targets are not counted
            continue
        allowed = costs[base] / float(bound)
        floors = [f for f in _counted_floors(ours) if f in costs]
        verdicts = []
        for floor in floors:
            library = FLOORS[floor][1]
            if costs[ours] < costs[floor]:  # how it reads changed its count more than the gap
                verdicts.append(f"no bound from {library} (the SDK client executed fewer)")
            elif costs[floor] > allowed:
                verdicts.append(f"**out of reach with {library}**")
            else:
                left = allowed - costs[floor]
                verdicts.append(f"within reach of {library} ({left:,.0f} left past its floor)")
        rows.append(
            [
                f"{title}: {ours} vs {base} (frames/s) {target}",
                f"<= {allowed:,.0f} ({base}: {costs[base]:,.0f})",
                f"{costs[ours]:,.0f} ⇒ {costs[base] / costs[ours]:.2f}x",
                "; ".join(
                    f"{f}: {costs[f]:,.0f} ⇒ at most {costs[base] / costs[f]:.2f}x" for f in floors
                ),
                "; ".join(verdicts),
            ]
        )
    return rows


def section(topic: str, frames: int, pairs: int | None = None) -> Result:
    """The ``instructions`` section of ``python -m benchmarks``: ``topic``'s stream targets by
    instruction count (the first ``pairs`` of them, or all), or a note that valgrind is absent.

    Raises:
        SectionFailed: a counted run failed.
    """
    title = f"WebSocket ingest, topic `{topic}`"
    targets = dict(list(TARGETS[topic].items())[:pairs])
    head = f"Instruction counts, topic `{topic}` (callgrind)"
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return Result(head, "Not counted: `valgrind` is not on PATH.", [], [], [])
    costs = per_frame_counts(valgrind, counted_clients(list(targets)), topic, frames)
    counts = markdown_table(
        ["client", "instructions/frame"], [[name, f"{cost:,.0f}"] for name, cost in costs.items()]
    )
    description = (
        f"Each client's user-space instructions per `{topic}` frame under `valgrind "
        f"--tool=callgrind`: one process per client, a first run uncounted, then runs of "
        f"{frames:,} and {3 * frames:,} frames against the same feed, differenced (start-up, "
        "imports and connection set-up cancel out; `benchmarks/instructions.py`). The noise of a "
        "shared host barely moves a count (websockets clients repeat within 1 %), so these "
        "settle what the frames/s floors above leave to it. A target `>= t` allows the SDK "
        "client at most the baseline's count over "
        "t; a floor of the SDK client's library that executes more puts the target out of "
        "reach for any client doing that floor's work, unless the SDK client itself executes "
        "fewer (how a client reads, e.g. how aiohttp's flow control meets the feed, then moved "
        "the count more than the work the floor leaves out; such a floor bounds nothing). "
        "Instructions are not time: cache "
        "misses, system calls and waits are not counted, C code retires more instructions per "
        "cycle than the interpreter (so a verdict against a baseline on another library is an "
        "indication), and under callgrind every client reads ~50x slower than the feed sends, "
        "so each read finds many frames waiting (the most batched reading, for every client "
        "alike).\n\n" + counts
    )
    headers = [
        "ratio and target",
        "the target allows (instructions/frame)",
        "the SDK client executes ⇒ ratio",
        "its floors execute ⇒ best ratio",
        "verdict by instruction count",
    ]
    return Result(head, description, headers, verdict_rows(costs, targets, title), [])


def read(name: str, topic: str, frames: int, port: int) -> int:
    """One run of client ``name`` against the feed at ``port`` (what callgrind counts).

    Returns:
        The items the client saw (every item of the ``frames`` frames).

    Raises:
        SectionFailed: the client did not see every item the feed sent.
    """
    items = ws_feed.rows_in(topic, frames)
    run_checked(name, feed_url(port, topic, frames), topic, frames, items)
    return items


def read_phases(name: str, topic: str, frames: int, port: int) -> None:
    """The counted process: a :data:`PHASE_MARK` after start-up and a first :func:`read` (what
    a client loads or builds on first use is not counted), after a read of ``frames`` frames and
    after one of ``3 * frames`` (callgrind dumps at each).

    Raises:
        SectionFailed: a run did not see every item the feed sent.
    """
    read(name, topic, frames, port)
    os.getppid()
    read(name, topic, frames, port)
    os.getppid()
    read(name, topic, 3 * frames, port)
    os.getppid()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--topic", choices=ws_feed.TOPICS, default="positions")
    parser.add_argument("--frames", type=int, default=2000, help="N: runs of N and 3N frames")
    parser.add_argument("--clients", nargs="+", choices=sorted(CLIENTS), default=DEFAULT_CLIENTS)
    parser.add_argument("--read", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.read is not None:  # the counted process: one client's three runs
        read_phases(args.read, args.topic, args.frames, args.port)
        return 0
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("instructions.py needs valgrind on PATH (apt install valgrind)", file=sys.stderr)
        return 2
    costs = per_frame_counts(valgrind, args.clients, args.topic, args.frames)
    first = costs[args.clients[0]]
    rows = [[name, f"{cost:,.0f}", f"{cost / first:.3f}"] for name, cost in costs.items()]
    print(
        f"Instructions per `{args.topic}` frame (callgrind, {args.frames:,} and "
        f"{3 * args.frames:,} frames)\n"
    )
    print(markdown_table(["client", "instructions/frame", f"/ {args.clients[0]}"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
