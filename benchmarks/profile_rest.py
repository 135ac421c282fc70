"""Profile the REST read path: where a ``kana.markets.price()`` call spends its CPU.

Runs ``bench_rest``'s server and one client in this process under cProfile and prints the
functions with the most time::

    python benchmarks/profile_rest.py --client "kana_async (httpx, default)" --sort tottime

``--compare`` instead measures CPU per request of the SDK and of bare httpx (same bound, same
decode) in interleaved rounds, without the profiler, and prints the per-round ratios.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

import bench_rest
from _common import paired_ratios, ratio_cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--client", choices=list(bench_rest.CLIENTS), default=bench_rest.SDK_HTTPX)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--compare", action="store_true", help="interleaved CPU/request ratios")
    args = parser.parse_args(argv)
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
