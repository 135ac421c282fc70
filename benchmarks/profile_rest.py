"""Profile the REST read path: where a ``kana.markets.price()`` call spends its CPU.

Runs ``bench_rest``'s server and one client in this process under cProfile and prints the
functions with the most time::

    python benchmarks/profile_rest.py --client "kana_async (httpx, default)" --sort tottime

``--packages`` prints the CPU share of each package (what ``python -m benchmarks`` puts in
RESULTS.md). ``--compare`` instead measures CPU per request of the SDK and of bare httpx (same
bound, same decode) in interleaved rounds, without the profiler, and prints the per-round
ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

import bench_rest
from _common import Result, paired_ratios, ratio_cell


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/kana_async/" in filename:
        return "kana_async"
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins and system calls"
    return "standard library (asyncio, ...)"


def package_profile(clients: list[str], n: int, rounds: int) -> Result:
    """Where each client's CPU goes, by package (cProfile's own time per function, summed)."""
    shares: dict[str, dict[str, float]] = {}
    with bench_rest.Server(1.0, 5.0) as server:
        for name in clients:
            runner = bench_rest.CLIENTS[name]
            bench_rest.measure(runner, server.base, 50)  # warm-up
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(rounds):
                bench_rest.measure(runner, server.base, n)
            profile.disable()
            stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
            totals: dict[str, float] = {}
            for (filename, _, _), (_, _, tottime, _, _) in stats.items():
                package = _package(filename)
                totals[package] = totals.get(package, 0.0) + tottime
            whole = sum(totals.values()) or 1.0
            shares[name] = {p: t / whole * 100 for p, t in totals.items()}
    packages = sorted(
        {p for s in shares.values() for p in s},
        key=lambda p: -max(s.get(p, 0) for s in shares.values()),
    )
    rows = [
        [p, *(f"{shares[c].get(p, 0.0):.1f}" for c in clients)]
        for p in packages
        if max(s.get(p, 0) for s in shares.values()) >= 0.5
    ]
    return Result(
        title="REST: where the CPU goes (profile)",
        description=(
            f"cProfile of {rounds} runs of {n:,} concurrent reads per client; each function's own "
            "time summed by the package it belongs to, as % of the client's profiled time "
            "(packages under 0.5 % left out). `kana_async` is the SDK's own request path."
        ),
        headers=["package", *(f"{c} %" for c in clients)],
        rows=rows,
        ratios=[],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--client", choices=list(bench_rest.CLIENTS), default=bench_rest.SDK_HTTPX)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--compare", action="store_true", help="interleaved CPU/request ratios")
    parser.add_argument("--packages", action="store_true", help="CPU share by package")
    args = parser.parse_args(argv)
    if args.packages:
        clients = [bench_rest.SDK_HTTPX, bench_rest.SDK_AIOHTTP, bench_rest.HTTPX]
        print(package_profile(clients, args.requests, args.rounds).markdown())
        return 0
    with bench_rest.Server(1.0, 5.0) as server:
        runner = bench_rest.CLIENTS[args.client]
        bench_rest.measure(runner, server.base, 50)  # warm-up
        if args.compare:
            ours, base = bench_rest.CLIENTS[args.client], bench_rest.CLIENTS[bench_rest.HTTPX]
            bench_rest.measure(base, server.base, 50)
            cpu_ours, cpu_base = [], []
            for _ in range(args.rounds):
                cpu_ours.append(bench_rest.measure(ours, server.base, args.requests).cpu)
                cpu_base.append(bench_rest.measure(base, server.base, args.requests).cpu)
            per = [c / args.requests * 1e3 for c in cpu_ours]
            per_base = [c / args.requests * 1e3 for c in cpu_base]
            print(f"{args.client}: CPU ms/request per round {[f'{c:.3f}' for c in per]}")
            print(f"{bench_rest.HTTPX}: CPU ms/request per round {[f'{c:.3f}' for c in per_base]}")
            print(f"bare httpx CPU / SDK CPU: {ratio_cell(paired_ratios(cpu_base, cpu_ours))}")
            return 0
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.rounds):
            bench_rest.measure(runner, server.base, args.requests)
        profile.disable()
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
