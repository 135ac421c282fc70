"""Repeat filtering: identities per topic, bounded memory."""

from __future__ import annotations

import json

from kana_async._streams import TOPICS
from kana_async._streams.dedup import SeenRows, identity_for
from tests.ws_support import ADDR, order, trade


def _rows(topic: str, rows: list[dict[str, object]]) -> list[object]:
    return list(TOPICS[topic].decode(json.dumps(rows).encode(), ADDR))


def test_an_order_row_is_a_repeat_only_with_the_same_status_and_update_time() -> None:
    seen = SeenRows(identity_for("order_history"))
    first = _rows("order_history", [order(1), order(2)])
    assert seen.fresh(first) is first  # nothing filtered: the same list back
    later = _rows(
        "order_history",
        [
            order(1),  # a repeat
            {**order(1), "status": "Cancelled"},  # same order, new status: new
            {**order(2), "last_updated": 1747075999},  # same order, updated later: new
        ],
    )
    assert [(r.order_id, r.status.value) for r in seen.fresh(later)] == [
        ("1", "Cancelled"),
        ("2", "Filled"),
    ]
    assert seen.duplicates == 1


def test_trades_are_told_apart_by_trade_id() -> None:
    seen = SeenRows(identity_for("recent_trades"))
    assert len(seen.fresh(_rows("recent_trades", [trade(14, 1), trade(14, 2)]))) == 2
    again = seen.fresh(_rows("recent_trades", [trade(14, 2), trade(14, 3), trade(14, 3)]))
    assert [r.trade_id for r in again] == ["3"]  # a repeat inside one frame is dropped too
    assert seen.duplicates == 2


def test_memory_is_bounded_to_the_most_recent_identities() -> None:
    seen = SeenRows(identity_for("recent_trades"), memory=3)
    for i in range(5):
        seen.fresh(_rows("recent_trades", [trade(14, i)]))
    assert [r.trade_id for r in seen.fresh(_rows("recent_trades", [trade(14, 0)]))] == ["0"]
    assert seen.fresh(_rows("recent_trades", [trade(14, 4)])) == []
    assert len(seen._seen) == 3


def test_snapshot_topics_are_never_filtered() -> None:
    assert TOPICS["orderbook"].identity() is None
    assert TOPICS["best_price"].identity() is None
    assert TOPICS["positions"].identity() is not None


def test_a_position_that_changes_and_changes_back_is_delivered_but_a_replay_is_not() -> None:
    seen = SeenRows(identity_for("positions"))
    row = {"address": ADDR, "market_id": "14", "size": "2", "trade_side": True}
    a, b = _rows("positions", [row, {**row, "size": "3"}])
    assert seen.fresh([a]) == [a]
    assert seen.fresh([a]) == []  # the same state again (a resubscribe's snapshot): a repeat
    assert seen.fresh([b]) == [b]
    assert seen.fresh([a]) == [a]  # back to the first state: a change, delivered
    short = _rows("positions", [{**row, "trade_side": False}])
    assert seen.fresh(short) == short  # the other side is another entity
    assert seen.duplicates == 1


def test_a_repeat_refreshes_its_entity_so_the_memory_forgets_the_oldest_seen_first() -> None:
    seen = SeenRows(identity_for("recent_trades"), memory=3)
    for i in range(3):
        seen.fresh(_rows("recent_trades", [trade(14, i)]))
    assert seen.fresh(_rows("recent_trades", [trade(14, 0)])) == []  # seen again: now the newest
    seen.fresh(_rows("recent_trades", [trade(14, 3)]))  # full: forgets 1, the oldest seen
    assert seen.fresh(_rows("recent_trades", [trade(14, 0)])) == []
    assert [r.trade_id for r in seen.fresh(_rows("recent_trades", [trade(14, 1)]))] == ["1"]


def test_a_state_topic_forgets_the_entity_delivered_longest_ago_first() -> None:
    seen = SeenRows(identity_for("positions"), memory=2)
    row = {"address": ADDR, "size": "2", "trade_side": True}
    first, second, third = (
        _rows("positions", [{**row, "market_id": str(market)}]) for market in (14, 15, 16)
    )
    seen.fresh(first)
    seen.fresh(second)
    assert seen.fresh(first) == []  # delivered again: now the most recent
    assert seen.fresh(third) == third  # full: forgets market 15, delivered longest ago
    assert seen.fresh(first) == [] and seen.fresh(third) == []
    assert seen.fresh(second) == second  # forgotten: delivered again
    assert len(seen._seen) == 2
    for market in range(100, 400):  # churn: the memory stays bounded, the newest remembered
        seen.fresh(_rows("positions", [{**row, "market_id": str(market)}]))
    assert len(seen._seen) == 2
    assert seen.fresh(_rows("positions", [{**row, "market_id": "399"}])) == []
