"""Regenerate ``sample.jsonl``: APT-USD book, trades and best price recorded from the simulator.

Run from the repository root: ``python tests/data/replay/record_sample.py``. The replay tests
only read the shipped file; rerunning this changes it (new timestamps, a new random walk only if
the simulator's maker changed).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from kana_async.recording import record
from kana_async.sim.server import Simulator

SAMPLE = Path(__file__).with_name("sample.jsonl")
APT = 1338


async def main() -> None:
    async with Simulator(seed=11, tick_interval=0.05) as sim:
        topics: list[tuple[str, str | int | None]] = [
            ("orderbook", APT),
            ("recent_trades", APT),
            ("best_price", APT),
        ]
        count = await record(sim.network, topics, SAMPLE, max_frames=300)
    print(f"wrote {count} frames to {SAMPLE} ({SAMPLE.stat().st_size} bytes)")


if __name__ == "__main__":
    asyncio.run(main())
