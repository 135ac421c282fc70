"""Trading benchmark: N limit orders from one account against the simulator, three ways.

The simulator (REST API + fake Aptos node, no market maker) runs in its own process, so its CPU
is not counted. Each run gets a fresh funded account and deposits collateral (not timed); then
the N orders are timed. Every order has its own price, so afterwards the simulator's books show
whether each one was committed exactly once::

    python benchmarks/bench_trading.py --orders 200 --rounds 3
    python benchmarks/bench_trading.py --orders 200 --rounds 3 --latency-ms 10

Styles:

* ``kana_async, all at once``: ``asyncio.gather`` of N ``kana.trading.place_limit_order`` calls on
  one client (one sequence-number allocator, payload fetches and submissions overlap).
* ``docs style, one at a time``: what Kana's docs show, done with ``requests`` (no session): for
  each order fetch the payload, read the account's sequence number, the gas price and the
  module's ABI from the node, sign, submit the BCS bytes, wait for the transaction by hash; then
  the next order. (BCS encoding and signing use aptos-sdk through kana_async's signing module.)
* ``kana_async, one at a time``: the same client as the first row, awaiting each order before the
  next: the cost of the SDK's own work per order, without the concurrency.

``--latency-ms`` makes the simulator answer every REST request and every submission that much
later (it stands in for the network; on 127.0.0.1 there is none). Rounds rotate the styles;
medians are printed. Standalone script, not part of the test suite; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from multiprocessing.connection import Connection

import requests
from _common import Sample, machine, markdown_table, median, rotated, spread

from kana_async import Account, KanaClient, Network, Side
from kana_async._aptos.abi import entry_param_types
from kana_async._aptos.signing import TransactionSpec, sign_transaction

MARKET = 1338  # APT-USD
SIZE = Decimal("0.5")  # the market's minimum
BASE_PRICE = Decimal("4.000")  # well under any ask: every order rests
TICK = Decimal("0.001")
LEVERAGE = 5
DEPOSIT = Decimal("5000")


# -- simulator (child process) -----------------------------------------------------------------


def _serve(conn: Connection, seed: int, latency_ms: float) -> None:
    """Run a Simulator and answer the parent's requests on ``conn`` until told to stop."""

    async def main() -> None:
        from kana_async.sim import Simulator

        async with Simulator(seed=seed, market_maker=False) as sim:
            sim.faults.rest_delay = latency_ms / 1000
            sim.faults.node_submit_delay = latency_ms / 1000
            net = sim.network
            conn.send((net.rest_url, net.ws_url, net.node_url, net.chain_id))
            stop = asyncio.Event()

            def on_request() -> None:
                try:
                    request = conn.recv()
                except EOFError:
                    stop.set()
                    return
                if request[0] == "account":
                    funded = sim.new_account(apt=Decimal(100), usdt=DEPOSIT * 2)
                    conn.send((funded.private_key_hex, funded.address))
                elif request[0] == "orders":
                    rows = sim.exchange.order_history(request[1], MARKET)
                    conn.send([o.price for o in rows])
                else:
                    stop.set()

            asyncio.get_running_loop().add_reader(conn.fileno(), on_request)
            await stop.wait()

    asyncio.run(main())


# -- the three styles ---------------------------------------------------------------------------


def _price(i: int) -> Decimal:
    return BASE_PRICE + TICK * i


async def _ours(net: Network, key: str, n: int, concurrent: bool) -> Sample:
    async with KanaClient(net, account=Account.from_hex(key)) as kana:
        await kana.trading.deposit(DEPOSIT)
        await kana.markets.info(MARKET)

        async def one(i: int) -> None:
            await kana.trading.place_limit_order(
                MARKET, side=Side.LONG, size=SIZE, price=_price(i), leverage=LEVERAGE
            )

        cpu0, wall0 = time.process_time(), time.perf_counter()
        if concurrent:
            await asyncio.gather(*(one(i) for i in range(n)))
        else:
            for i in range(n):
                await one(i)
        return Sample(time.perf_counter() - wall0, time.process_time() - cpu0)


async def _deposit(net: Network, key: str) -> None:
    async with KanaClient(net, account=Account.from_hex(key)) as kana:
        await kana.trading.deposit(DEPOSIT)


def _docs_style(net: Network, key: str, n: int) -> Sample:
    asyncio.run(_deposit(net, key))  # setup, not timed
    account = Account.from_hex(key)
    signing = asyncio.new_event_loop()  # sign_transaction is a coroutine (signers may be remote)
    try:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for i in range(n):
            _docs_order(net, account, _price(i), signing)
        return Sample(time.perf_counter() - wall0, time.process_time() - cpu0)
    finally:
        signing.close()


def _docs_order(
    net: Network, account: Account, price: Decimal, signing: asyncio.AbstractEventLoop
) -> None:
    """One order the way the docs do it: each step a fresh request, one after the other."""
    rest, node = net.rest_url, net.node_url
    params = {
        "marketId": str(MARKET),
        "tradeSide": "true",
        "direction": "false",
        "size": str(SIZE),
        "price": str(price),
        "leverage": str(LEVERAGE),
        "restriction": "0",
    }
    reply = requests.get(f"{rest}/placeLimitOrder", params=params, timeout=30)
    reply.raise_for_status()
    payload = reply.json()["data"]
    function: str = payload["function"]
    module_address, module, name = function.split("::")
    sequence = requests.get(f"{node}/accounts/{account.address}", timeout=30).json()
    gas = requests.get(f"{node}/estimate_gas_price", timeout=30).json()
    abi = requests.get(f"{node}/accounts/{module_address}/module/{module}", timeout=30)
    param_types, _ = entry_param_types(abi.json(), name)
    spec = TransactionSpec(
        sender=account.address,
        sequence_number=int(sequence["sequence_number"]),
        function=function,
        type_arguments=tuple(payload.get("typeArguments") or ()),
        arguments=tuple(payload["functionArguments"]),
        param_types=param_types,
        max_gas_amount=20_000,
        gas_unit_price=int(gas["gas_estimate"]),
        expiration_timestamp_secs=int(time.time()) + 30,
        chain_id=net.chain_id,
    )
    signed = signing.run_until_complete(sign_transaction(account, spec))
    submitted = requests.post(
        f"{node}/transactions",
        data=signed.bytes,
        headers={"Content-Type": "application/x.aptos.signed_transaction+bcs"},
        timeout=30,
    )
    submitted.raise_for_status()
    done = requests.get(f"{node}/transactions/wait_by_hash/{signed.hash}", timeout=30)
    if not done.json().get("success"):
        raise RuntimeError(f"order at {price} failed: {done.text[:200]}")


Style = Callable[[Network, str, int], Sample]

STYLES: dict[str, Style] = {
    "kana_async, all at once (gather)": lambda net, key, n: asyncio.run(_ours(net, key, n, True)),
    "docs style, one at a time (requests)": _docs_style,
    "kana_async, one at a time": lambda net, key, n: asyncio.run(_ours(net, key, n, False)),
}
BASELINE = "docs style, one at a time (requests)"


# -- driver -------------------------------------------------------------------------------------


def _check(conn: Connection, address: str, n: int, name: str) -> None:
    """Exit 1 unless the simulator holds exactly N orders of the account, at N distinct prices.

    Every order was sent with its own price, so that means each was committed exactly once.
    """
    conn.send(("orders", address))
    prices: list[int] = conn.recv()
    if len(prices) != n or len(set(prices)) != n:
        sys.exit(
            f"{name}: expected {n} orders at {n} distinct prices; the simulator has "
            f"{len(prices)} orders at {len(set(prices))} prices"
        )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 if an order was lost or doubled."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per run (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every style (default 3)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="simulated network delay per REST/submit"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    n = args.orders
    if not 1 <= n <= 1000:
        parser.error("--orders must be between 1 and 1000 (one price tick each)")

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, args.seed, args.latency_ms), daemon=True)
    server.start()
    samples: dict[str, list[Sample]] = {name: [] for name in STYLES}
    try:
        if not parent.poll(60):
            print("simulator did not start", file=sys.stderr)
            return 1
        rest, ws, node, chain_id = parent.recv()
        net = Network(
            name="bench", rest_url=rest, ws_url=ws, node_url=node, chain_id=chain_id,
            markets={"APT-USD": MARKET},
        )  # fmt: skip
        names = list(STYLES)
        for round_ in range(args.rounds):
            for name in rotated(names, round_):
                parent.send(("account",))
                key, address = parent.recv()
                samples[name].append(STYLES[name](net, key, n))
                _check(parent, address, n, name)
    finally:
        parent.send(("stop",))
        server.join(10)
        if server.is_alive():
            server.kill()

    print(
        f"\n{n} limit orders from one account, simulator in its own process (no market maker), "
        f"latency {args.latency_ms:g} ms per REST call and per submission, {args.rounds} rounds, "
        f"medians; {machine()}\n"
    )
    base = median([s.wall for s in samples[BASELINE]])
    rows = []
    for name in names:
        walls = [s.wall for s in samples[name]]
        wall = median(walls)
        cpu_ms = median([s.cpu for s in samples[name]]) / n * 1000
        rows.append(
            [name, f"{n / wall:.0f}", f"{wall:.2f}", spread(walls, 2), f"{cpu_ms:.2f}",
             f"{base / wall:.1f}x"]
        )  # fmt: skip
    headers = ["style", "orders/s", "total s", "min-max s", "CPU ms/order", "x docs style"]
    print(markdown_table(headers, rows))
    print(f"\nchecked after every run: each of the {n} orders committed exactly once")
    return 0


if __name__ == "__main__":
    sys.exit(main())
