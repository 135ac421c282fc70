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
from _common import (
    Result,
    Sample,
    SectionFailed,
    deadline,
    median,
    paired_ratios,
    receive,
    rotated,
    run_bounded,
    spread,
)

from kana_async import Account, KanaClient, Network, Side

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


#: The least orders/s of a run before it counts as stuck (10 ms of latency, one at a time, makes
#: several a second).
FLOOR_RATE = 1.0


def _bounded_ours(net: Network, key: str, n: int, concurrent: bool) -> Sample:
    how = "at once" if concurrent else "one at a time"
    return run_bounded(
        _ours(net, key, n, concurrent), deadline(n, FLOOR_RATE, base=60), f"{n} orders {how}"
    )


async def _deposit(net: Network, key: str) -> None:
    async with KanaClient(net, account=Account.from_hex(key)) as kana:
        await kana.trading.deposit(DEPOSIT)


def _docs_style(net: Network, key: str, n: int) -> Sample:
    run_bounded(_deposit(net, key), 60, "the docs style's deposit")  # setup, not timed
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
    # BCS encoding and signing through the SDK's own module (internal: imported only here)
    from kana_async._aptos.abi import entry_param_types
    from kana_async._aptos.signing import TransactionSpec, sign_transaction

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

GATHER = "kana_async, all at once (gather)"
SEQUENTIAL = "kana_async, one at a time"
BASELINE = "docs style, one at a time (requests)"
STYLES: dict[str, Style] = {
    GATHER: lambda net, key, n: _bounded_ours(net, key, n, True),
    BASELINE: _docs_style,
    SEQUENTIAL: lambda net, key, n: _bounded_ours(net, key, n, False),
}


# -- driver -------------------------------------------------------------------------------------


def _check(conn: Connection, address: str, n: int, name: str) -> None:
    """Fail unless the simulator holds exactly N orders of the account, at N distinct prices.

    Every order was sent with its own price, so that means each was committed exactly once.

    Raises:
        SectionFailed: an order was lost or doubled, or the simulator did not answer.
    """
    conn.send(("orders", address))
    prices: list[int] = receive(conn, 60, "the simulator's order list")
    if len(prices) != n or len(set(prices)) != n:
        raise SectionFailed(
            f"{name}: expected {n} orders at {n} distinct prices; the simulator has "
            f"{len(prices)} orders at {len(set(prices))} prices"
        )


def run_all(n: int, rounds: int, latency_ms: float, *, docs: bool = True, seed: int = 0) -> Result:
    """Every style ``rounds`` times against one simulator; the table and per-round ratios.

    Raises:
        SectionFailed: an order was lost or doubled, a run got stuck, or the simulator did not
            start or answer.
    """
    if not 1 <= n <= 1000:
        raise ValueError("orders must be between 1 and 1000 (one price tick each)")
    names = [name for name in STYLES if docs or name != BASELINE]
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(child, seed, latency_ms), daemon=True)
    server.start()
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    try:
        rest, ws, node, chain_id = receive(parent, 60, "the simulator's start")
        net = Network(
            name="bench",
            rest_url=rest,
            ws_url=ws,
            node_url=node,
            chain_id=chain_id,
            markets={"APT-USD": MARKET},
        )
        for name in names:  # warm-up (imports, first connections), checked, not timed
            parent.send(("account",))
            key, address = receive(parent, 60, "a funded account")
            STYLES[name](net, key, min(n, 5))
            _check(parent, address, min(n, 5), name)
        for round_ in range(rounds):
            for name in rotated(names, round_):
                parent.send(("account",))
                key, address = receive(parent, 60, "a funded account")
                samples[name].append(STYLES[name](net, key, n))
                _check(parent, address, n, name)
    finally:
        parent.send(("stop",))
        server.join(10)
        if server.is_alive():
            server.kill()
    rate = {name: [n / s.wall for s in samples[name]] for name in names}
    rows = []
    for name in names:
        walls = [s.wall for s in samples[name]]
        cpu_ms = median([s.cpu for s in samples[name]]) / n * 1000
        r = rate[name]
        rows.append(
            [
                name,
                f"{median(r):.0f}",
                f"{min(r):.0f}-{max(r):.0f}",
                f"{median(walls):.2f}",
                spread(walls, 2),
                f"{cpu_ms:.2f}",
            ]
        )
    ratios = [
        (
            f"{GATHER} vs {SEQUENTIAL} at {latency_ms:g} ms (orders/s)",
            paired_ratios(rate[GATHER], rate[SEQUENTIAL]),
            ">= 1.2",
        ),
    ]
    if docs:
        ratios.append(
            (f"{GATHER} vs {BASELINE} (orders/s)", paired_ratios(rate[GATHER], rate[BASELINE]), "")
        )
    return Result(
        title=f"Orders: {n} limit orders from one account, {latency_ms:g} ms latency",
        description=(
            f"The simulator in its own process (no market maker) answers every REST call and "
            f"every submission {latency_ms:g} ms late; {rounds} rounds, a fresh funded account "
            f"per run (set-up not timed). After every run each of the {n} orders was checked to "
            "have committed exactly once. CPU = this process only."
        ),
        headers=["style", "orders/s (median)", "min-max", "total s", "min-max s", "CPU ms/order"],
        rows=rows,
        ratios=ratios,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; exit status 1 if an order was lost or doubled."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per run (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every style (default 3)")
    parser.add_argument(
        "--latency-ms", type=float, default=0.0, help="simulated network delay per REST/submit"
    )
    parser.add_argument("--no-docs", action="store_true", help="skip the docs-style baseline")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not 1 <= args.orders <= 1000:
        parser.error("--orders must be between 1 and 1000 (one price tick each)")
    try:
        result = run_all(
            args.orders, args.rounds, args.latency_ms, docs=not args.no_docs, seed=args.seed
        )
    except SectionFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    print(result.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
