"""Bounds from the floor clients: what the socket libraries allow each targeted stream ratio.

A floor client (``ws_clients.FLOORS``) reads with its socket library and does nothing else, or
only the least work every client of its kind must do (the leanest decode of the touched numbers;
the SDK's own decode, checks and repeat filter). :func:`floor_notes` turns its cost, measured in
the same rounds as the SDK and the baseline, into the best ratio any such client can reach, and
says whether a target is out of reach.
"""

from __future__ import annotations

from _common import median, paired_ratios, ratio_cell
from ws_clients import FLOORS

__all__ = ["floor_notes"]


def floor_notes(
    cost: dict[str, list[float]],
    base: str,
    target: str,
    unit: str,
    references: list[str],
    cpu: dict[str, list[float]] | None = None,
    measured: tuple[float, tuple[str, ...]] | None = None,
) -> dict[str, str]:
    """What the socket libraries allow for a targeted ratio of the SDK against ``base``.

    Every floor client (:data:`ws_clients.FLOORS`) does nothing past its socket library (or
    past the work it names), so no client on that library (doing that work), the SDK
    included, costs less. For a latency (``cost`` = p50 µs),
    the floor's p50 over ``base``'s, per round, is the lowest ratio any of them can reach. For
    a rate (``cpu`` given): a client on one thread reads at most one frame per its CPU time per
    frame, so ``base``'s wall µs/frame over the floor's CPU µs/frame, per round, is the most any
    of them can reach, however loaded the machine; ``base``'s CPU over the floor's is the same
    bound counted in CPU (they agree while the baseline has a core to itself). ``references``
    are ordinary clients quoted against ``base`` (the hand-written loop with the same decode).

    Args:
        cost: µs per round of every client, lower is better (wall 1 / frames/s, or a p50).
        base: the ratio's baseline client.
        target: ``">= X"`` for a rate ratio (``base``'s cost over ours), ``"<= X"`` for a
            cost ratio (ours over ``base``'s).
        unit: what ``cost`` measures, e.g. ``"µs/frame"``.
        references: other clients to quote against ``base``.
        cpu: CPU µs per frame per round of every client (rate ratios).
        measured: the SDK client's own ratio (its headline median) and the floors that bound
            it (those of its socket library). A floor whose bound is beyond what the SDK itself
            reached bounds nothing in this run (its runs and the baseline's were apart, and
            the noise between them is larger than the gap): its verdict says so instead of
            calling the target out of reach.

    Returns:
        Table cells by column: what the target needs, each floor's cost and best ratio, each
        reference's ratio, and whether the target is out of reach on each floor's library
        (judged by that library's costliest floor, the tightest bound).
    """
    op, bound_text = target.split()
    bound, rate = float(bound_text), op == ">="
    base_cost = median(cost[base])
    needs = base_cost / bound if rate else base_cost * bound
    need = f"<= {needs:.2f} {unit} ({base}: {base_cost:.2f}"
    if cpu is not None:
        base_cpu = median(cpu[base])
        need = f"<= {needs:.2f} {unit} wall and <= {base_cpu / bound:.2f} µs CPU/frame ({base}: "
        need += f"{base_cost:.2f} wall, {base_cpu:.2f} CPU"
    cells = {"the target needs": need + ")"}
    tightest: dict[str, tuple[float, str]] = {}  # by library: (floor cost, verdict)
    for name, (label, library) in FLOORS.items():
        if cpu is None:
            mine = cost[name]
            ratios = paired_ratios(mine, cost[base])
            cells[f"{label} ⇒ best ratio"] = (
                f"p50 {median(mine):.2f} µs ⇒ no lower than {ratio_cell(ratios)}"
            )
            by_cpu = True
        else:
            mine = cpu[name]
            ratios = paired_ratios(cost[base], mine)
            in_cpu = paired_ratios(cpu[base], mine)
            cells[f"{label} ⇒ best ratio"] = (
                f"{median(mine):.2f} µs CPU/frame ⇒ at most {ratio_cell(ratios)} by frames/s, "
                f"{ratio_cell(in_cpu)} by CPU"
            )
            by_cpu = median(in_cpu) >= bound
        best = median(ratios)
        reached = best >= bound if rate else best <= bound
        if (
            measured is not None
            and name in measured[1]
            and (measured[0] > best if rate else measured[0] < best)
        ):
            verdict = (
                f"no bound from {library} in this run: its floor allows "
                f"{'at most' if rate else 'no lower than'} {best:.2f}x, and the SDK itself "
                f"read {measured[0]:.2f}x beside the baseline"
            )
        elif not reached:
            verdict = f"**out of reach with {library}**"
        elif not by_cpu:
            verdict = (
                f"out of reach with {library} in CPU per frame; by frames/s only while "
                f"{base} waits for a core (wall above its CPU)"
            )
        else:
            # round by round, as the verdict was reached (the medians of two series need not
            # agree with the median of their ratios): what the target leaves past the floor
            if cpu is not None:
                slack = [b / bound - m for b, m in zip(cpu[base], mine, strict=True)]
            else:
                slack = [b * bound - m for b, m in zip(cost[base], mine, strict=True)]
            left = median(slack)
            if left >= 0:
                verdict = f"within reach of {library} ({left:.2f} µs left past its floor)"
            else:  # an even number of rounds, the middle two either side of the target
                verdict = (
                    f"at the edge of {library}: its floor meets the target by the median "
                    f"ratio with nothing left past it ({left:.2f} µs by the median slack)"
                )
        if library not in tightest or median(mine) > tightest[library][0]:
            tightest[library] = (median(mine), verdict)
    for name in references:
        if name == base:
            cells[f"{name} ⇒"] = "-"  # the baseline itself: keeps the columns in one order
            continue
        ratios = (
            paired_ratios(cost[base], cost[name]) if rate else paired_ratios(cost[name], cost[base])
        )
        cells[f"{name} ⇒"] = f"{median(cost[name]):.2f} {unit} ⇒ {ratio_cell(ratios)}"
    cells["verdict"] = "; ".join(verdict for _, verdict in tightest.values())
    return cells
