"""Profile the SDK's stream path: where a ``kana.streams.<topic>()`` reader's time goes, per frame.

Runs the SDK's x1 client of ``ws_clients.py`` against the websocket feed under cProfile (the feed
in its own process, so only the reader is profiled) and sums each function's own time by the
package it belongs to. The shares are turned into µs per frame with the same client's CPU time per
frame in unprofiled runs just before, so a reader sees which library each µs of a frame is spent
in::

    python benchmarks/profile_ws.py --topic positions --messages 50000 --top 25

``python -m benchmarks`` puts the package table (order book and positions) into RESULTS.md.
cProfile's timer is the wall clock, so the time the loop waits in ``epoll`` for the next frame
is a row of its own (small here: the feed sends as fast as the client reads). The profiler
slows Python functions more than C ones, so the µs split is an estimate; compare the shares.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from typing import Any

import ws_feed
from _common import Result
from bench_ws import SDK_X1, Feed, _run, _timed_run

#: A function's key in cProfile's table: (file name, first line, function name).
Key = tuple[str, int, str]


def bucket(key: Key) -> str:
    """The package (or part of the SDK) a profiled function belongs to; ``""``: its caller's.

    C functions called from Python (file name ``"~"``) are named by their type: msgspec's
    decoder, the decimal module, ``epoll`` and socket calls, asyncio's C core get buckets of
    their own. Helpers that work for whoever calls them (other C builtins such as ``len``, list
    and dict methods; standard-library code such as ``enum``, ``abc`` and dataclass-made
    ``__init__``) return ``""``: :func:`own_time` charges their time to their callers.
    """
    filename, _, function = key
    if filename == "~":
        return _c_bucket(function)
    path = filename.replace("\\", "/")
    if "/site-packages/" in path:
        return path.split("/site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/kana_async/" in path:
        part = path.rsplit("/kana_async/", 1)[1].split("/", 1)[0].removesuffix(".py")
        return f"kana_async/{part}"
    if "/asyncio/" in path or path.endswith("/selectors.py"):
        return "asyncio (event loop, Python)"
    if path.endswith(("/ws_clients.py", "/bench_ws.py", "/profile_ws.py")):
        return "the benchmark's reader loop"
    return ""


def _c_bucket(function: str) -> str:
    if "msgspec" in function:
        return "msgspec (C: JSON decode into structs and Decimals)"
    if "decimal" in function.lower():
        return "decimal (C)"
    if "epoll" in function or "select" in function:
        return "epoll: waiting for the next frame"
    if "socket" in function:
        return "socket calls (recv, send)"
    if "_asyncio" in function or "_contextvars" in function:
        return "asyncio (C: futures, tasks, contexts)"
    return ""


def own_time(stats: dict[Key, Any]) -> dict[str, float]:
    """Own time (s) by :func:`bucket`; helpers' time charged to their callers (by call share).

    A helper called by another helper is charged on up the callers, a few levels at most; what
    finds no owner is ``unattributed``.
    """
    own: dict[str, float] = {}

    def charge(key: Key, seconds: float, depth: int) -> None:
        name = bucket(key)
        callers = stats[key][4] if key in stats else {}
        split = sum(entry[2] for entry in callers.values())
        if not name and (depth >= 6 or split <= 0):
            name = "unattributed"
        if name:
            own[name] = own.get(name, 0.0) + seconds
            return
        for caller, entry in callers.items():  # entry[2]: this function's own time per caller
            charge(caller, seconds * entry[2] / split, depth + 1)

    for key, (_, _, tottime, _, _) in stats.items():
        charge(key, tottime, 0)
    return own


def _label(key: Key) -> str:
    filename, line, function = key
    if filename == "~":
        return function
    path = filename.replace("\\", "/")
    for marker in ("/site-packages/", "/kana_async/", "/lib/python"):
        if marker in path:
            path = path.rsplit(marker, 1)[1]
            if marker == "/kana_async/":
                path = "kana_async/" + path
            elif marker == "/lib/python":
                path = path.split("/", 1)[1] if "/" in path else path
            break
    else:
        path = path.rsplit("/", 1)[-1]
    return f"{path}:{line}({function})"


class _Window:
    """A reader's ``stamp``: profiles from its first item to its last (not set-up, not close)."""

    def __init__(self, profile: cProfile.Profile, items: int) -> None:
        self.profile, self.items, self.count = profile, items, 0
        self.start = self.end = 0.0

    def __call__(self) -> None:
        self.count += 1
        if self.count == 1:
            self.start = time.perf_counter()
            self.profile.enable()
        if self.count == self.items:
            self.profile.disable()
            self.end = time.perf_counter()


def profile_topic(feed: Feed, topic: str, n: int, runs: int = 2) -> dict[str, Any]:
    """Profile one SDK x1 reader of ``n`` frames of ``topic``, after ``runs`` unprofiled runs.

    Only the reading is profiled: from the first item to the last, not the client's set-up.

    Returns:
        ``wall_us`` and ``cpu_us``: medians of the unprofiled runs per frame (whole runs);
        ``profiled_us``: the profiled window's wall µs per frame; ``own``: own time (s) by
        package (:func:`own_time`); ``functions``: own time (s) by function.

    Raises:
        SectionFailed: the reader missed items or got stuck.
    """
    _timed_run(SDK_X1, feed.url(topic, 50), topic, 50)  # warm-up: imports, first connection
    plain = [_timed_run(SDK_X1, feed.url(topic, n), topic, n) for _ in range(runs)]
    items = ws_feed.rows_in(topic, n)
    profile = cProfile.Profile()
    window = _Window(profile, items)
    try:
        _run(SDK_X1, feed.url(topic, n), topic, n, items, window)
    finally:
        profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    functions: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in stats.items():
        functions[_label(key)] = functions.get(_label(key), 0.0) + tottime
    return {
        "wall_us": statistics.median(1e6 / rate for rate, _ in plain),
        "cpu_us": statistics.median(cpu for _, cpu in plain),
        "profiled_us": (window.end - window.start) / n * 1e6,
        "own": own_time(stats),
        "functions": functions,
    }


def package_profile(feed: Feed, frames: dict[str, int], top: int = 8) -> Result:
    """The RESULTS.md section: µs per frame by package for each topic of ``frames``.

    Args:
        feed: the running websocket feed.
        frames: frames per profiled run, by topic.
        top: how many of the costliest functions of each topic to list under the table.
    """
    topics = list(frames)
    found = {topic: profile_topic(feed, topic, n) for topic, n in frames.items()}
    shares: dict[str, dict[str, float]] = {}
    for topic, data in found.items():
        whole = sum(data["own"].values()) or 1.0
        shares[topic] = {p: t / whole for p, t in data["own"].items()}
    packages = sorted(
        {p for s in shares.values() for p in s},
        key=lambda p: -max(s.get(p, 0.0) for s in shares.values()),
    )
    rows = []
    for package in packages:
        if max(s.get(package, 0.0) for s in shares.values()) < 0.005:
            continue
        row = [package]
        for topic in topics:
            share = shares[topic].get(package, 0.0)
            row += [f"{share * 100:.1f}", f"{share * found[topic]['cpu_us']:.2f}"]
        rows.append(row)
    total = ["all (unprofiled run)"]
    for topic in topics:
        total += ["100.0", f"{found[topic]['cpu_us']:.2f}"]
    rows.append(total)
    headers = ["package"]
    for topic in topics:
        headers += [f"{topic} %", f"{topic} µs CPU/frame"]
    lines = []
    for topic in topics:
        data = found[topic]
        whole = sum(data["own"].values()) or 1.0
        costly = sorted(data["functions"].items(), key=lambda kv: -kv[1])[:top]
        listed = ", ".join(f"`{name}` {t / whole * 100:.1f} %" for name, t in costly)
        lines.append(
            f"- `{topic}`: unprofiled {data['wall_us']:.2f} µs/frame wall, "
            f"{data['cpu_us']:.2f} µs/frame CPU; under the profiler {data['profiled_us']:.2f}. "
            f"Costliest functions (own time): {listed}"
        )
    sizes = ", ".join(f"{n:,} `{topic}` frames" for topic, n in frames.items())
    return Result(
        title="Streams: where the SDK's time goes (profile)",
        description=(
            f"cProfile of one `{SDK_X1}` reader ({sizes}; the feed in its own process), each "
            "function's own time summed by the package it belongs to (`kana_async/<part>`: the "
            "SDK's own modules), as % of the profiled time, and that share of the unprofiled "
            "runs' CPU µs per frame (median of 2 whole runs just before, set-up included; the "
            "profiler slows Python code more than C code, so the µs split is an estimate; the "
            "reader loop's row includes the profiler's start/stop hook). Packages "
            "under 0.5 % left out. msgspec's decoder, the decimal module, epoll, socket calls "
            "and asyncio's C core count apart; helpers (other C builtins such as `len` and list "
            "methods, standard-library code such as `enum` and dataclass `__init__`s) count with "
            "the code that called them. msgspec builds its Decimals inside C.\n\n"
            + "\n".join(lines)
        ),
        headers=headers,
        rows=rows,
        ratios=[],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--topic", choices=ws_feed.TOPICS, default="orderbook")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with Feed() as feed:
        result = package_profile(feed, {args.topic: args.messages}, args.top)
    print(result.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
