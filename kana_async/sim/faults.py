"""Faults the simulator injects on demand, switchable while it runs.

One :class:`Faults` object is shared by the REST app, the websocket hub and the fake node; tests and
benchmarks flip its fields (``sim.faults.rest_5xx = 3``). Counters are "the next N requests": each
affected request decrements its counter, so a burst ends by itself.

One node fault is an action rather than a switch: ``Simulator.restart_node(lose_mempool=True)``
restarts the fake node, forgetting every accepted transaction that has not executed yet (they
never execute, their hashes answer 404) while committed history, accounts and sequence numbers
stay.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Faults:
    """Switchable faults. Every default means "behave normally"."""

    # -- Kana REST app -----------------------------------------------------------------------
    #: Seconds to sleep before answering every REST request.
    rest_delay: float = 0.0
    #: Answer the next N REST requests with HTTP 429 and ``Retry-After: rest_retry_after``.
    rest_429: int = 0
    rest_retry_after: float = 0.0
    #: Answer the next N REST requests with HTTP 503.
    rest_5xx: int = 0

    # -- websocket hub -----------------------------------------------------------------------
    #: Send the next N pushes as malformed frames (not JSON / wrong shape) instead.
    ws_malformed: int = 0
    #: Stop sending anything on every open connection (TCP stays open, pings unanswered).
    ws_stall: bool = False

    # -- fake Aptos node ---------------------------------------------------------------------
    #: Seconds to hold back the answer to ``POST /v1/transactions``. The transaction is
    #: accepted at once (and executes when its turn comes, in the next block if the node has
    #: blocks); only the answer is late (so a client that times out can still find it by hash).
    node_submit_delay: float = 0.0
    #: Answer the next N submissions with HTTP 503 *without* accepting them.
    node_submit_5xx: int = 0
    #: Answer the next N submissions with HTTP 429 *without* accepting them.
    node_submit_429: int = 0
    #: Accept (and execute) the next N submissions but never answer: the connection is closed
    #: without a response, so the client cannot know whether it went through.
    node_drop_response: int = 0
    #: Drop the next N submissions before they are accepted: closed without a response and
    #: never executed.
    node_drop_request: int = 0
    #: Lose the next N submissions: each is checked and answered 202 (pending) as if accepted,
    #: then forgotten by the node: it never executes and ``by_hash`` answers 404 at once. (A
    #: node restart that loses the whole mempool is ``Simulator.restart_node``.)
    node_lose_submission: int = 0
    #: When True, re-sending the identical bytes of a lost submission is lost again (answered
    #: 202, never executes), so the lost transaction stays dead until it expires: its sequence
    #: number is a hole that only a different transaction can fill.
    node_lose_resends: bool = False

    def take(self, name: str) -> bool:
        """Consume one unit of the counter ``name``; True when the fault applies now."""
        left: int = getattr(self, name)
        if left > 0:
            setattr(self, name, left - 1)
            return True
        return False

    def reset(self) -> None:
        """Switch every fault off."""
        defaults = type(self)()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(defaults, name))
