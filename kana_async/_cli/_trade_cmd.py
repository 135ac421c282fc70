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
    with ``--yes``.
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
    """Place a limit order (with ``--price``) or a market order."""
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
    """Cancel one resting order by id (the SDK finds its side unless ``--side`` is given)."""
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
    """An argparse type: a positive decimal (money never goes through float)."""
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def order_id_arg(text: str) -> str:
    """An argparse type: a u128 order id in decimal, kept as text."""
    if not text.isdigit() or int(text) >= 2**128:
        raise argparse.ArgumentTypeError(f"not an order id (a decimal u128): {text!r}")
    return text
