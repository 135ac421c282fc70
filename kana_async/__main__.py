"""``python -m kana_async`` / ``kana-async``: the command line.

Commands::

    kana-async demo                 start an in-process simulator and run a short session
    kana-async sim --port 8080      run the local simulator as a standalone venue
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m kana_async`` and the ``kana-async`` console script."""
    parser = argparse.ArgumentParser(
        prog="kana-async", description="Kana Perps asyncio SDK: demo and local simulator."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="run a short trading session against the simulator")
    demo.add_argument("--seed", type=int, default=0, help="simulator seed")
    sim = commands.add_parser("sim", help="run the local Kana simulator (REST, WS, node)")
    from kana_async.sim.__main__ import add_arguments

    add_arguments(sim)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from kana_async.demo import main as demo_main

        return demo_main(seed=args.seed)
    if args.command == "sim":
        import asyncio
        import logging

        from kana_async.sim.__main__ import run

        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
        try:
            return asyncio.run(run(args))
        except KeyboardInterrupt:
            return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
