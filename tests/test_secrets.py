"""Secrets stay out of everything that gets recorded: reprs, logs, errors, tracebacks, pickles.

A private key (right or mistyped) and the API key are looked for in: ``repr``/``str`` of the
objects that hold them, every log record at DEBUG during a real trading session against the
simulator, the text of every exception, tracebacks formatted *with their local variables*
(what error reporters capture), chained exceptions, and pickling attempts.
"""

from __future__ import annotations

import copy
import json
import logging
import pickle
import socket
import traceback
from decimal import Decimal
from pathlib import Path

import pytest

from kana_async import NO_RETRY, KanaClient, KanaError, Network, Side
from kana_async._aptos.signing import Account
from kana_async._exceptions import ArgumentTypeError, InvalidArgumentError
from kana_async._secret import Secret
from kana_async.sim import Simulator

pytestmark = pytest.mark.anyio

GOOD_KEY = "0x" + "4f" * 16 + "a1" * 16
#: Mistyped keys: one character wrong, one too short, one too long, one with a space.
MISTYPED = [
    "0x" + "4f" * 31 + "4z",
    "0x" + "4f" * 31 + "4",
    "0x" + "4f" * 33,
    "0x" + "4f" * 15 + " " + "a1" * 16,
    "ed25519-priv-0x" + "9c" * 31 + "9",
]
API_KEY = "sk-live-" + "q7" * 20


def _fragments(secret: str) -> list[str]:
    """Pieces of ``secret`` that must not appear: its hex body and a 16-char part of it."""
    body = secret.removeprefix("ed25519-priv-").removeprefix("0x").replace(" ", "")
    return [body, body[:16], body[-16:], body.upper()[:16]]


def _leaks(text: str, secret: str) -> list[str]:
    return [part for part in _fragments(secret) if part in text]


def _library_frames(exc: BaseException, *, skip_caller: bool) -> str:
    """``exc``'s traceback formatted with every frame's local variables (as error reporters
    record them); ``skip_caller`` leaves out the test's own frame, which holds the test input."""
    tb = exc.__traceback__
    if skip_caller and tb is not None:
        tb = tb.tb_next
    frames = traceback.StackSummary.extract(traceback.walk_tb(tb), capture_locals=True)
    return "".join(frames.format())


def _everything_recorded(exc: BaseException) -> str:
    """The text an error reporter would keep: messages, the chain, tracebacks with locals."""
    parts = ["".join(traceback.format_exception_only(exc))]
    chained: BaseException | None = exc
    first = True
    while chained is not None:
        parts += [str(chained), repr(chained), _library_frames(chained, skip_caller=first)]
        first = False
        chained = chained.__cause__ or chained.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("key", MISTYPED)
def test_a_mistyped_key_is_not_in_the_error_or_its_traceback_locals(key: str) -> None:
    with pytest.raises(InvalidArgumentError) as info:
        Account.from_hex(key)
    recorded = _everything_recorded(info.value)
    assert "secret = <secret>" in recorded  # the locals were captured, masked
    assert _leaks(recorded, key) == []


@pytest.mark.parametrize("key", MISTYPED)
def test_a_mistyped_key_from_the_environment_is_not_recorded(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KANA_TEST_KEY", key)
    with pytest.raises(InvalidArgumentError, match="KANA_TEST_KEY") as info:
        Account.from_env("KANA_TEST_KEY")
    assert _leaks(_everything_recorded(info.value), key) == []


@pytest.mark.parametrize(
    "contents",
    [
        '{"private_key": "%s"}',
        '{"private_key": "%s", "account_address": 5}',
        '{"key": "%s"}',
        'profiles:\n  default:\n    private_key: "%s"\n',
        "%s\n",
        '{"private_key": "%s"',  # broken JSON: json's error holds the whole text
    ],
)
@pytest.mark.parametrize("key", MISTYPED[:2])
def test_a_bad_key_file_is_not_recorded(contents: str, key: str, tmp_path: Path) -> None:
    file = tmp_path / "key"
    file.write_text(contents % key)
    with pytest.raises(InvalidArgumentError, match="key file") as info:
        Account.from_file(file)
    assert _leaks(_everything_recorded(info.value), key) == []


def test_a_key_of_the_wrong_type_is_refused_without_showing_it() -> None:
    raw = bytes.fromhex(GOOD_KEY[2:])
    with pytest.raises(ArgumentTypeError) as info:
        Account.from_hex(raw)  # type: ignore[arg-type]
    recorded = _everything_recorded(info.value)
    assert raw.hex() not in recorded and repr(raw)[:20] not in recorded


def test_a_key_passed_to_the_constructor_by_mistake_is_not_recorded() -> None:
    with pytest.raises(ArgumentTypeError, match="from_hex") as info:
        Account(GOOD_KEY)  # type: ignore[arg-type]
    assert _leaks(_everything_recorded(info.value), GOOD_KEY) == []


def test_a_good_key_is_masked_everywhere_it_is_held() -> None:
    account = Account.from_hex(GOOD_KEY)
    assert account.private_key_hex() == GOOD_KEY  # the one deliberate way out
    held = [repr(account), str(account), f"{account}", repr(account._secret), f"{account._secret}"]
    assert all(_leaks(text, GOOD_KEY) == [] for text in held)
    for target in (account, account._secret):
        with pytest.raises(TypeError, match="pickle") as info:
            pickle.dumps(target)
        assert _leaks(_everything_recorded(info.value), GOOD_KEY) == []
    assert copy.deepcopy(account._secret) is account._secret


def test_a_secret_holder_never_shows_its_value() -> None:
    secret = Secret(API_KEY)
    shown = [repr(secret), str(secret), f"{secret}", f"{secret!r:>80}", json.dumps(str(secret))]
    assert all(API_KEY not in text for text in shown)
    assert secret.reveal() == API_KEY
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [secret]})


async def test_no_secret_in_debug_logs_or_errors_of_a_trading_session(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with Simulator(seed=5, api_key=API_KEY) as sim:
        funded = sim.new_account(apt=Decimal("10"), usdt=Decimal("1000"))
        key = funded.private_key_hex
        async with KanaClient(sim.network, account=Account.from_hex(key), api_key=API_KEY) as kana:
            market = sim.network.market_id("APT-USD")
            info = await kana.markets.info(market)
            await kana.trading.deposit(Decimal("100"))
            placed = await kana.trading.place_limit_order(
                market, side=Side.LONG, size=info.min_size, price=info.tick * 1000, leverage=2
            )
            await kana.trading.cancel_order(market, placed.order_id, side=Side.LONG)
            for bad in (
                lambda: kana.trading.withdraw(market, "100000"),  # aborts on chain
                lambda: kana.trading.lookup("0x" + "00" * 32),
                lambda: kana.markets.info(market + 99999),
            ):
                try:
                    await bad()
                except KanaError as exc:
                    errors.append(exc)
            shown = [repr(kana), str(kana), repr(kana.trading)]
    assert len(errors) >= 2  # the bad calls did fail, so their texts are examined below
    recorded = caplog.text + "\n".join(shown) + "\n".join(map(_everything_recorded, errors))
    assert len(caplog.records) > 10  # DEBUG logging did record the session
    assert _leaks(recorded, key) == []
    assert API_KEY not in recorded


async def test_the_api_key_is_not_in_the_locals_of_a_failed_request() -> None:
    # A port nothing listens on: the request fails inside the HTTP stack, whose frames hold the
    # request's headers; an error reporter records every frame's local variables.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    network = Network(
        name="closed",
        rest_url=f"http://127.0.0.1:{port}",
        ws_url=f"ws://127.0.0.1:{port}/ws/",
        node_url=f"http://127.0.0.1:{port}/v1",
        chain_id=4,
        markets={"APT-USD": 1338},
    )
    async with KanaClient(network, api_key=API_KEY, retry=NO_RETRY) as kana:
        with pytest.raises(KanaError) as caught:
            await kana.markets.price(1338)
        shown = [repr(kana), str(kana), repr(vars(kana))]
    recorded = _everything_recorded(caught.value) + "\n".join(shown)
    assert "_http" in recorded and "headers" in recorded  # the request path's frames and locals
    assert API_KEY not in recorded
