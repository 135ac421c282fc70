"""``place`` and ``cancel``: the only commands that sign, kept in one module.

They call the public trading API (``kana.trading.place_limit_order`` / ``place_market_order`` /
``cancel_order``). ``--dry-run`` uses the ``kana.trading.dry_run`` view, which simulates the
signed transaction on the node without submitting it. On a network that is not on this machine
a confirmation is asked for first (``--yes`` skips it; with no terminal to ask on, the command
refuses).
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

from kana_async._cli import _term
from kana_async._cli._errors import UsageError
from kana_async._cli._fmt import dec
from kana_async._cli._session import connect, network_of, resolve_market
from kana_async.models.enums import Direction, Side
from kana_async.models.transactions import TransactionResult

__all__ = ["SIDES", "cancel", "confirm", "place"]

SIDES = {"long": Side.LONG, "buy": Side.LONG, "short": Side.SHORT, "sell": Side.SHORT}
_SIDE_NAMES = {Side.LONG: "long", Side.SHORT: "short"}


def confirm(args: argparse.Namespace, action: str) -> None:
    """Ask before a real trade; raise :class:`UsageError` unless the user says yes.

    No question on a network whose endpoints are all on this machine, for ``--dry-run``, or
    with ``--yes``. The question goes to stderr, the answer is read from stdin.

    Args:
        args: the parsed command line (``--network``, ``--dry-run``, ``--yes``).
        action: what would be done, as the question names it (``"place limit long 1 APT"``).

    Raises:
        Exception: a ``UsageError`` when the answer is not yes, or when stdin is not a
            terminal to ask on (and ``--yes`` was not given); also for a bad ``--network``.
    """
    network = network_of(args)
    if args.dry_run or args.yes or network.is_local:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {action} on {network.name} without confirmation: pass --yes")
    sys.stderr.write(f"{action} on {network.name} ({network.rest_url})? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        raise UsageError("not confirmed; nothing was sent")


def _report(result: TransactionResult, dry_run: bool, what: str) -> str:
    if dry_run:
        return (
            f"dry run: {what} would succeed ({result.vm_status}, "
            f"gas used {result.gas_used}); nothing was submitted"
        )
    ids = "".join(f", order id {order.order_id}" for order in result.placed)
    return f"{what}: committed at version {result.version}, transaction {result.hash}{ids}"


async def place(args: argparse.Namespace) -> int:
    """``kana-async place MARKET SIDE SIZE``: place a limit order (``--price``) or a market order.

    Calls ``GET /placeLimitOrder`` or ``GET /placeMarketOrder`` for the payload, then signs
    with ``KANA_PRIVATE_KEY`` and submits to the node, or simulates with ``--dry-run``.
    Prints the committed version, transaction hash and order id.

    Args:
        args: the parsed command line: ``market``; ``side`` (``long``/``buy`` or
            ``short``/``sell``); ``size`` (base asset, human units); ``--price`` (quote
            currency; none: a market order); ``--leverage``; ``--close`` (reduce a position);
            ``--dry-run``; ``--yes``; ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
            A failed transaction raises its :class:`~kana_async.TransactionError`.
    """
    side = SIDES[args.side]
    kind = "limit" if args.price is not None else "market"
    at = f" @ {dec(args.price)}" if args.price is not None else ""
    what = f"{kind} {args.side} {dec(args.size)} {args.market}{at} ({args.leverage}x)"
    confirm(args, f"place {what}")
    out = _term.console()
    async with connect(args, signer_for="place") as kana:
        info = await resolve_market(kana, args.market)
        direction = Direction.CLOSE if args.close else Direction.OPEN
        trading = kana.trading.dry_run if args.dry_run else kana.trading
        if args.price is not None:
            result = await trading.place_limit_order(
                info.market_id,
                side=side,
                size=args.size,
                price=args.price,
                leverage=args.leverage,
                direction=direction,
            )
        else:
            result = await trading.place_market_order(
                info.market_id,
                side=side,
                size=args.size,
                leverage=args.leverage,
                direction=direction,
            )
    out.print(_report(result, args.dry_run, f"placed {what}"))
    return 0


async def cancel(args: argparse.Namespace) -> int:
    """``kana-async cancel MARKET ORDER_ID``: cancel one resting order by id.

    Calls ``POST /cancelMultipleOrders`` with the one id for the payload (the SDK finds the
    order's side unless ``--side`` is given), then signs and submits, or simulates with
    ``--dry-run``.

    Args:
        args: the parsed command line: ``market``; ``order_id`` (a decimal u128);
            ``--side``; ``--dry-run``; ``--yes``; ``--network``.

    Returns:
        0 (the exit status).

    Raises:
        Exception: a ``UsageError`` for a user mistake (a bad network, market or option, a
            missing key or wallet), which :func:`kana_async._cli.main` prints as one line with
            exit status 2.
        KanaError: the exchange or the network failed (one line and exit status 1 from
            :func:`kana_async._cli.main`).
            A failed transaction raises its :class:`~kana_async.TransactionError`.
    """
    side = None if args.side is None else SIDES[args.side]
    given = "" if args.side is None else f" ({args.side})"
    confirm(args, f"cancel order {args.order_id}{given} in {args.market}")
    out = _term.console()
    async with connect(args, signer_for="cancel") as kana:
        info = await resolve_market(kana, args.market)
        trading = kana.trading.dry_run if args.dry_run else kana.trading
        result = await trading.cancel_order(info.market_id, args.order_id, side=side)
    # The side the chain reports for the cancelled order (a dry run reports none).
    sides = [_SIDE_NAMES[c.side] for c in result.cancelled if c.order_id == args.order_id]
    shown = f" ({sides[0]})" if sides else given
    what = f"cancelled order {args.order_id}{shown} in {args.market}"
    out.print(_report(result, args.dry_run, what))
    return 0


def decimal_arg(text: str) -> Decimal:
    """An argparse type: a positive decimal (money never goes through float).

    Args:
        text: the argument as typed.

    Returns:
        The number as a ``Decimal``.

    Raises:
        Exception: ``argparse.ArgumentTypeError`` when it is not a finite number above 0
            (argparse turns it into a one-line usage error).
    """
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def order_id_arg(text: str) -> str:
    """An argparse type: a u128 order id in decimal, kept as text (exact).

    Args:
        text: the argument as typed.

    Returns:
        ``text`` unchanged.

    Raises:
        Exception: ``argparse.ArgumentTypeError`` when it is not decimal digits below 2**128
            (argparse turns it into a one-line usage error).
    """
    if not text.isdigit() or int(text) >= 2**128:
        raise argparse.ArgumentTypeError(f"not an order id (a decimal u128): {text!r}")
    return text
