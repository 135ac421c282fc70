"""Naming a network: files, URLs, ``KANA_NETWORK``, and what counts as this machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kana_async import MAINNET, TESTNET, InvalidArgumentError, Network

LOCAL = Network(
    name="sim",
    rest_url="http://127.0.0.1:8080",
    ws_url="ws://127.0.0.1:8080/ws/",
    node_url="http://127.0.0.1:8081/v1",
    chain_id=4,
    markets={"APT-USD": 1338},
)

# The file format, written out by hand (not by the code under test).
LOCAL_FILE = """{
  "name": "sim",
  "rest_url": "http://127.0.0.1:8080",
  "ws_url": "ws://127.0.0.1:8080/ws/",
  "node_url": "http://127.0.0.1:8081/v1",
  "chain_id": 4,
  "markets": {
    "APT-USD": 1338
  }
}
"""


def test_a_network_file_reads_back_as_the_same_network(tmp_path: Path) -> None:
    path = LOCAL.write_file(tmp_path / "network.json")
    assert path.read_text() == LOCAL_FILE
    assert Network.from_file(path) == LOCAL
    assert not list(tmp_path.glob(".*partial"))


def test_a_hand_written_file_needs_only_the_urls_and_chain_id(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    path.write_text(
        '{"rest_url": "http://h:1", "ws_url": "ws://h:1/ws/", "node_url": "http://h:2/v1",'
        ' "chain_id": 9, "extra": true}'
    )
    network = Network.from_file(path)
    assert (network.name, network.chain_id, dict(network.markets)) == ("custom", 9, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"ws_url": "ws://h", "node_url": "http://h", "chain_id": 1}', "'rest_url' must be a URL"),
        (
            '{"rest_url": "http://h", "ws_url": "ws://h", "node_url": "http://h", "chain_id": "4"}',
            "'chain_id' must be an integer",
        ),
        (
            '{"rest_url": "http://h", "ws_url": "ws://h", "node_url": "http://h", "chain_id": 4,'
            ' "markets": {"APT-USD": "1338"}}',
            "'markets' must map symbols to integer ids",
        ),
    ],
)
def test_a_bad_network_file_is_named_in_the_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(InvalidArgumentError, match=message) as caught:
        Network.from_file(path)
    assert str(path) in str(caught.value)


def test_a_missing_network_file() -> None:
    with pytest.raises(InvalidArgumentError, match=r"cannot read network file /no/such\.json"):
        Network.from_file("/no/such.json")


def test_a_url_names_a_simulator_style_venue() -> None:
    network = Network.from_url("http://127.0.0.1:8080/")
    assert (network.rest_url, network.ws_url, network.node_url, network.chain_id) == (
        "http://127.0.0.1:8080",
        "ws://127.0.0.1:8080/ws/",
        "http://127.0.0.1:8081/v1",
        4,
    )
    secure = Network.from_url("https://venue.example:9443", node_url="https://node.example/v1")
    assert secure.ws_url == "wss://venue.example:9443/ws/"
    assert secure.node_url == "https://node.example/v1"


@pytest.mark.parametrize("url", ["ftp://h:1", "http://", "127.0.0.1:8080", "http://h:port"])
def test_a_bad_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidArgumentError):
        Network.from_url(url)


def test_resolve_names_urls_and_files(tmp_path: Path) -> None:
    assert Network.resolve("testnet") is TESTNET
    assert Network.resolve(" MAINNET ") is MAINNET
    assert Network.resolve("http://127.0.0.1:8080").node_url == "http://127.0.0.1:8081/v1"
    path = tmp_path / "n.json"
    path.write_text(LOCAL_FILE)
    assert Network.resolve(str(path)) == LOCAL
    with pytest.raises(InvalidArgumentError, match="unknown network 'moon'"):
        Network.resolve("moon")


def test_from_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KANA_NETWORK", raising=False)
    assert Network.from_env() is TESTNET
    assert Network.from_env(MAINNET) is MAINNET
    path = tmp_path / "n.json"
    path.write_text(LOCAL_FILE)
    monkeypatch.setenv("KANA_NETWORK", str(path))
    assert Network.from_env() == LOCAL
    monkeypatch.setenv("KANA_NETWORK", "mainnet")
    assert Network.from_env() is MAINNET
    monkeypatch.setenv("KANA_NETWORK", "nowhere")
    with pytest.raises(InvalidArgumentError, match=r"^KANA_NETWORK: unknown network 'nowhere'"):
        Network.from_env()


@pytest.mark.parametrize(
    ("network", "local"),
    [
        (LOCAL, True),
        (Network.from_url("http://localhost:1"), True),
        (Network.from_url("http://[::1]:1"), True),
        (Network.from_url("http://127.0.0.2:1"), True),
        (Network.from_url("http://127.0.0.1:1", node_url="https://api.example/v1"), False),
        (TESTNET, False),
        (MAINNET, False),
    ],
)
def test_is_local(network: Network, local: bool) -> None:
    assert network.is_local is local


def test_to_dict_is_plain_json() -> None:
    assert json.loads(json.dumps(MAINNET.to_dict()))["markets"]["APT-USD"] == 14


# -- plaintext is refused for the public deployments' hosts ----------------------------------


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("rest_url", "http://perps-tradeapi.kana.trade"),
        ("rest_url", "HTTP://perps-tradeapi.kanalabs.io"),
        ("ws_url", "ws://perpetuals-indexer-ws.kana.trade/ws/"),
        ("node_url", "http://api.mainnet.aptoslabs.com/v1"),
        ("node_url", "http://fullnode.testnet.aptoslabs.com/v1"),
    ],
)
def test_a_plaintext_url_for_a_public_host_is_refused(field: str, url: str) -> None:
    fields = {
        "name": "custom",
        "rest_url": "https://perps-tradeapi.kana.trade",
        "ws_url": "wss://perpetuals-indexer-ws.kana.trade/ws/",
        "node_url": "https://api.mainnet.aptoslabs.com/v1",
        "chain_id": 1,
        field: url,
    }
    with pytest.raises(InvalidArgumentError, match=r"must use (https|wss)://"):
        Network(**fields)


def test_plaintext_stays_allowed_for_loopback_and_own_hosts() -> None:
    local = Network(
        "sim", "http://127.0.0.1:8080", "ws://127.0.0.1:8080/ws/", "http://[::1]:8081/v1", 4
    )
    own = Network(
        "lab", "http://kana.example.org", "ws://kana.example.org/ws/", "http://node.lan/v1", 4
    )
    lookalike = Network(
        "x", "http://kana.trade.example.org", "ws://notkanalabs.io/ws/", "http://a/v1", 4
    )
    assert local.rest_url.startswith("http://") and own.ws_url.startswith("ws://")
    assert lookalike.rest_url == "http://kana.trade.example.org"
