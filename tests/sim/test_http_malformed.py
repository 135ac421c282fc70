"""Requests aiohttp's HTTP parser refuses still get the simulator's JSON error envelope.

Raw bytes over a real socket to both of the simulator's ports (the Kana REST API and the fake
Aptos node): an over-long URL or header, bad ``Content-Length`` values, raw non-ASCII bytes in
the request line and header names, bad methods and versions, broken chunked bodies, TLS and
binary garbage. Each must be answered with a 4xx status and the port's JSON error shape (REST:
``{"success": false, "message"}``; node: ``{"message", "error_code"}``) naming what was wrong;
none with 5xx, none left unanswered (a socket timeout of ``HANG_AFTER`` seconds fails the test),
and a normal request is served right after each. A property test mangles the bytes of a valid
request the same way. Run with ``-s`` to see the summary line per port.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzz_support import APT, HANG_AFTER, HTTP_LINE_LIMIT, SCALE, SimThread, Tally, print_summaries

VALID = b"GET /getMarketInfo?marketId=1338 HTTP/1.1\r\nHost: sim\r\n\r\n"
NODE_INDEX = b"GET /v1 HTTP/1.1\r\nHost: sim\r\n\r\n"
POST_HEAD = b"POST /placeMultipleOrders HTTP/1.1\r\nHost: sim\r\n"

#: name -> (raw request, words the answer's message must contain)
MALFORMED: dict[str, tuple[bytes, str]] = {
    "url over 8 KB": (
        b"GET /getMarketInfo?marketId=" + b"1" * (HTTP_LINE_LIMIT + 10) + b" HTTP/1.1\r\n\r\n",
        f"more than {HTTP_LINE_LIMIT} bytes",
    ),
    "header over 8 KB": (
        b"GET / HTTP/1.1\r\nX-Long: " + b"a" * (HTTP_LINE_LIMIT + 10) + b"\r\n\r\n",
        f"more than {HTTP_LINE_LIMIT} bytes",
    ),
    "200 headers": (
        b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(200)) + b"\r\n",
        "Too many headers",
    ),
    "Content-Length: abc": (POST_HEAD + b"Content-Length: abc\r\n\r\n", "Content-Length"),
    "Content-Length: -1": (POST_HEAD + b"Content-Length: -1\r\n\r\n", "Content-Length"),
    "Content-Length: 10**23": (
        POST_HEAD + b"Content-Length: 99999999999999999999999\r\n\r\n",
        "Content-Length",
    ),
    "two Content-Lengths": (
        POST_HEAD + b"Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
        "Content-Length",
    ),
    "Content-Length with chunked": (
        POST_HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding",
    ),
    "unknown Transfer-Encoding": (
        POST_HEAD + b"Transfer-Encoding: gzip\r\n\r\n",
        "Transfer-Encoding",
    ),
    "bad chunk size": (
        POST_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n\r\n",
        "chunk size",
    ),
    "non-ASCII byte in the path": (b"GET /get\xffMarketInfo HTTP/1.1\r\n\r\n", "url"),
    "non-ASCII byte in a header name": (b"GET / HTTP/1.1\r\nX-F\xffoo: 1\r\n\r\n", "header"),
    "NUL in a header value": (b"GET / HTTP/1.1\r\nX-A: a\x00b\r\n\r\n", "header value"),
    "header without a colon": (b"GET / HTTP/1.1\r\nBadHeader\r\n\r\n", "header"),
    "space before the colon": (b"GET / HTTP/1.1\r\nHost : sim\r\n\r\n", "header"),
    "bad method": (b"G@T / HTTP/1.1\r\n\r\n", "method"),
    "HTTP/9.9": (b"GET / HTTP/9.9\r\n\r\n", "HTTP version"),
    "not HTTP": (b"GET / FOO/1.1\r\n\r\n", "status line"),
    "LF line ends": (b"GET /getMarketInfo?marketId=1338 HTTP/1.1\nHost: sim\n\n", "CRLF"),
    "bad absolute URL": (b"GET http://[::1 HTTP/1.1\r\n\r\n", "invalid URL"),
    "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "PRI"),
    "TLS hello": (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(40)), "HTTPS"),
    "binary garbage": (b"\x00\x01\x02\x03\r\n\r\n", "method"),
}


@pytest.fixture(scope="module")
def sim_thread() -> Iterator[SimThread]:
    with SimThread() as thread:
        yield thread


def _port(url: str) -> int:
    port = urllib.parse.urlsplit(url).port
    assert port is not None
    return port


@pytest.fixture(scope="module", params=["rest", "node"])
def port(request: pytest.FixtureRequest, sim_thread: SimThread) -> tuple[str, int]:
    url = sim_thread.rest_url if request.param == "rest" else sim_thread.node_url
    return request.param, _port(url)


@pytest.fixture(scope="module")
def tallies(request: pytest.FixtureRequest) -> Iterator[dict[str, Tally]]:
    found: dict[str, Tally] = {}
    yield found
    print_summaries(request, "simulator raw HTTP", found)


def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``raw`` and read one answer (status, lower-cased headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=HANG_AFTER) as sock:
        sock.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed without an answer to {raw[:60]!r}"
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed in the middle of the answer"
            body += chunk
    return status, headers, body


def envelope(kind: str, status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Assert the port's JSON error shape (or success shape for a 2xx) and return it."""
    assert status < 500, (status, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), (headers, body[:300])
    parsed = json.loads(body)
    assert isinstance(parsed, dict) and isinstance(parsed.get("message"), str), parsed
    if kind == "rest":
        assert parsed["success"] is (status < 400), parsed
    elif status >= 400:
        assert isinstance(parsed.get("error_code"), str), parsed
    return parsed


def still_serves(kind: str, port: int) -> None:
    status, _, body = exchange(port, VALID if kind == "rest" else NODE_INDEX)
    assert status == 200, body[:300]
    if kind == "rest":
        assert json.loads(body)["data"][0]["market_id"] == str(APT)


def _count(tally: Tally, status: int) -> None:
    tally.inputs += 1
    tally.statuses[str(status)] += 1
    tally.server_errors += status >= 500


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_request_the_parser_refuses_gets_a_json_4xx_naming_the_problem(
    port: tuple[str, int], tallies: dict[str, Tally], case: str
) -> None:
    kind, number = port
    raw, words = MALFORMED[case]
    status, headers, body = exchange(number, raw)
    _count(tallies.setdefault(f"{kind} named cases", Tally()), status)
    assert 400 <= status < 500, (status, body[:300])
    parsed = envelope(kind, status, headers, body)
    assert parsed["message"].startswith("malformed HTTP request: "), parsed
    assert words.lower() in parsed["message"].lower(), parsed
    assert "\\x" not in parsed["message"] and "b'" not in parsed["message"]  # no bytes echoed
    still_serves(kind, number)


def test_an_unfinished_body_does_not_hold_up_other_requests(sim_thread: SimThread) -> None:
    number = _port(sim_thread.rest_url)
    with socket.create_connection(("127.0.0.1", number), timeout=HANG_AFTER) as waiting:
        waiting.sendall(POST_HEAD + b"Content-Length: 100\r\n\r\n" + b'{"marketId":')
        still_serves("rest", number)  # served while the other body is still being awaited
        waiting.shutdown(socket.SHUT_WR)  # the client gives up: answered or closed, not hung
        answer = waiting.recv(65536)  # a hang here is a socket timeout, failing the test
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:300]  # never a 5xx


#: Bytes spliced into a valid request: control characters, raw non-ASCII, separators.
_NASTY = st.binary(min_size=1, max_size=8) | st.sampled_from(
    [b"\r\n", b"\n", b"\r", b"\x00", b"\xff", b" ", b":", b"\t", b"\xc3\xa9", b"%", b"\x7f"]
)


@settings(
    max_examples=150 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    at=st.integers(min_value=0, max_value=len(VALID) - 4),
    nasty=_NASTY,
    drop=st.integers(min_value=0, max_value=3),
)
def test_mangled_request_bytes_get_a_json_answer_below_500(
    port: tuple[str, int], tallies: dict[str, Tally], at: int, nasty: bytes, drop: int
) -> None:
    kind, number = port
    raw = VALID[:at] + nasty + VALID[at + drop :]
    if not raw.endswith(b"\r\n\r\n"):
        raw += b"\r\n\r\n"  # always a complete head: the answer is due now
    if raw.count(b"\r\n\r\n") > 1 or raw.startswith((b"\r\n", b"\n")):
        raw = raw.lstrip(b"\r\n").split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    if raw == b"\r\n\r\n":
        return  # blank lines alone: a server waits for the request line, as HTTP says
    status, headers, body = exchange(number, raw)
    _count(tallies.setdefault(f"{kind} mangled bytes", Tally()), status)
    envelope(kind, status, headers, body)
    still_serves(kind, number)
