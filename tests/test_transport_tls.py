"""Both transports verify TLS certificates: a self-signed server is refused before any request.

The aiohttp transport tells httpx-aiohttp ``verify=False`` only so that it does not load a CA
bundle for a connector it never builds; the session's own connector must still verify.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import anyio
import httpx
import pytest

from kana_async import ConnectError
from kana_async._http import make_client, may_have_reached_server, send_raw
from kana_async._http.probe import build_httpx_client

# A self-signed certificate for 127.0.0.1 (valid until 2126) and its key, made with
# ``openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500``.
CERT = """-----BEGIN CERTIFICATE-----
MIIBkDCCATagAwIBAgIUX0JiC0U7+bR3by2IC39IYDYhCKkwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMTE4MjMyNVoYDzIxMjYxMTA3
MTgyMzI1WjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAAQBvwlMlYOp4AH35LptnUkatGQHJ+tdMMyIGfefQy8GkGpSaLoSzKoC
MXGF7RQAdoFHHJQtmwqdNdw8oLw1ZFaQo2QwYjAdBgNVHQ4EFgQUcx5NVxAN39Om
gCgKhd9mmwq1QLswHwYDVR0jBBgwFoAUcx5NVxAN39OmgCgKhd9mmwq1QLswDwYD
VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC
IHewrJqIhT/pvUQ2oI4Mm9KIOwMmIn67duVWgpCqLIzgAiEAqF4KJWFfThrNd6uj
yiYgZxGS+8wp4BwwEoPMSqUB1qY=
-----END CERTIFICATE-----
"""
KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglYlln/TkIH/aBVit
hJAhISta9HzDdArlZoVWVsevzSehRANCAAQBvwlMlYOp4AH35LptnUkatGQHJ+td
MMyIGfefQy8GkGpSaLoSzKoCMXGF7RQAdoFHHJQtmwqdNdw8oLw1ZFaQ
-----END PRIVATE KEY-----
"""


@pytest.mark.anyio
@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
async def test_self_signed_server_is_refused(transport: str, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text(CERT)
    (tmp_path / "key.pem").write_text(KEY)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    requests_seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            requests_seen.append(await reader.readuntil(b"\r\n\r\n"))
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    async with server, make_client(transport, timeout=5.0, limits=limits) as pool:  # type: ignore[arg-type]
        with anyio.fail_after(10), pytest.raises(ConnectError) as info:
            await send_raw(pool, "POST", f"https://127.0.0.1:{port}/v1/transactions", content=b"x")
    assert requests_seen == []
    assert may_have_reached_server(info.value) is False


@pytest.mark.anyio
async def test_clients_share_one_verifying_context_built_once() -> None:
    # loading the CA bundle costs ~30 ms of CPU: the second client must not load it again,
    # and the shared context still checks hostnames and certificates
    limits = httpx.Limits(max_connections=1)
    first = build_httpx_client(timeout=1.0, limits=limits)
    second = build_httpx_client(timeout=1.0, limits=limits)
    try:
        contexts = [client._transport._pool._ssl_context for client in (first, second)]
        assert contexts[0] is contexts[1]
        assert contexts[0].verify_mode is ssl.CERT_REQUIRED and contexts[0].check_hostname
    finally:
        await first.aclose()
        await second.aclose()
