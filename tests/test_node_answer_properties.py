"""Property-based: any JSON the Aptos node could answer decodes to its record or a typed error.

Hypothesis generates node answers two ways: any JSON document, and each record's real shape with
members replaced by generated values (wrong types, huge or odd numbers, nested junk). Each is
decoded as every record the node client reads (and a committed transaction turned into a
result); the outcome must be the record, or a :class:`~kana_async.KanaError`, never anything
else. The same boundary over a real socket: ``tests/test_node_fuzz.py``.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kana_async._aptos.answers import (
    AccountAnswer,
    ByHash,
    CommittedTransaction,
    GasEstimate,
    LedgerInfo,
    ModuleAbi,
    PendingAnswer,
    decode_answer,
)
from kana_async._aptos.sender import result_from_committed
from kana_async._exceptions import KanaError
from kana_async._http import RawResponse
from tests.test_node_fuzz import TEMPLATES

RECORDS: dict[str, Any] = {
    "ledger": LedgerInfo,
    "account": AccountAnswer,
    "gas": GasEstimate,
    "abi": ModuleAbi,
    "committed": CommittedTransaction,
    "pending": PendingAnswer,
}
ALL_RECORDS = (*RECORDS.values(), ByHash)

_NUMBERS = st.one_of(
    st.integers(min_value=-(2**130), max_value=2**130),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["1e999999", "-1", "18446744073709551616", "7" * 500, "0x10", " 3", ""]),
)
_JSON = st.recursive(
    st.none() | st.booleans() | _NUMBERS | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)

PROPERTY = settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _outcome(body: bytes, tp: Any) -> str:
    response = RawResponse("GET", "http://node.test/v1/x", 200, {}, body)
    try:
        decoded = decode_answer(response, tp)
        if isinstance(decoded, CommittedTransaction):
            result_from_committed(decoded)
            return "result"
    except KanaError as exc:
        return type(exc).__name__
    except Exception as exc:  # what the property forbids
        return f"untyped {type(exc).__name__}: {exc!s:.100}"
    return "decoded"


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()  # big ints written out digit by digit, as a node could


@PROPERTY
@given(document=_JSON)
def test_any_json_document_is_a_record_or_a_typed_error(document: Any) -> None:
    body = _encode(document)
    outcomes = {str(tp): _outcome(body, tp) for tp in ALL_RECORDS}
    assert not [o for o in outcomes.values() if o.startswith("untyped")], outcomes


@PROPERTY
@given(
    name=st.sampled_from(sorted(RECORDS)),
    changes=st.dictionaries(st.text(max_size=25), _JSON, min_size=1, max_size=3),
    keep=st.booleans(),
)
def test_each_record_with_members_replaced_is_the_record_or_a_typed_error(
    name: str, changes: dict[str, Any], keep: bool
) -> None:
    template = dict(TEMPLATES[name])
    members = sorted(template)
    for i, (key, value) in enumerate(changes.items()):
        target = members[i % len(members)] if keep else key  # a real member, or a stray one
        template[target] = value
    outcome = _outcome(_encode(template), RECORDS[name])
    assert not outcome.startswith("untyped"), (name, template, outcome)


def test_the_templates_themselves_decode() -> None:
    for name, tp in RECORDS.items():
        assert _outcome(_encode(TEMPLATES[name]), tp) in {"decoded", "result"}, name
