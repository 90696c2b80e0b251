"""``Connector(proxy=...)``: sockets through real SOCKS5 and HTTP CONNECT proxies (pproxy).

Each proxy runs in its own process on loopback (``tests/peers/proxies.py``), with and
without authentication. The tests go through ``Connector.connect`` and the socket's
streams, as an application would, and check what the destination peer saw.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from tests.integration.assertions import assert_echo, outcome
from tests.peers.listeners import (
    black_hole,
    closed_port,
    listener,
    loopback_name,
    no_socket_leak,
)
from tests.peers.proxies import PROXY_PASSWORD, PROXY_USER
from tests.socket.peer import serve
from wintersockets.connector.connector import Connector
from wintersockets.connector.egress import EgressPolicy
from wintersockets.connector.proxy import ProxySettings
from wintersockets.errors import SocketError

if TYPE_CHECKING:
    from tests.peers.proxies import ProxyServer

LIMIT = 10.0
ALL_PROXIES = ["socks5_proxy", "socks5_proxy_with_auth", "http_proxy", "http_proxy_with_auth"]
AUTH_PROXIES = ["socks5_proxy_with_auth", "http_proxy_with_auth"]


@pytest.mark.parametrize("fixture", ALL_PROXIES)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_data_goes_both_ways_through_the_proxy(
    fixture: str, host: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    with no_socket_leak():
        async with serve() as peer:
            sock = Connector(proxy=proxy.url).connect(f"{host}:{peer.port}")
            conn = await peer.accept()
            info = await asyncio.wait_for(sock.opened, LIMIT)
            # The TCP peer of a proxied socket is the proxy.
            assert info.remote_address == f"{proxy.host}:{proxy.port}"
            await assert_echo(sock, conn, b"through the proxy " * 1000)
            await asyncio.wait_for(sock.close(), LIMIT)


async def test_proxy_settings_work_as_well_as_a_url(socks5_proxy_with_auth: ProxyServer) -> None:
    proxy = socks5_proxy_with_auth
    settings = ProxySettings("socks5", proxy.host, proxy.port, PROXY_USER, PROXY_PASSWORD)
    with no_socket_leak():
        async with serve() as peer:
            sock = Connector(proxy=settings).connect(f"127.0.0.1:{peer.port}")
            conn = await peer.accept()
            await asyncio.wait_for(sock.opened, LIMIT)
            await assert_echo(sock, conn)
            await asyncio.wait_for(sock.close(), LIMIT)


@pytest.mark.parametrize("fixture", AUTH_PROXIES)
async def test_wrong_credentials_reject_opened_and_say_so(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    url = proxy.url_with(PROXY_USER, "wrong")
    with no_socket_leak(), listener() as peer:
        sock = Connector(proxy=url).connect(f"127.0.0.1:{peer.port}")
        error = await outcome(sock.opened)
        assert isinstance(error, SocketError)
        assert str(error).startswith(
            f"SocketError: connecting to '127.0.0.1:{peer.port}' through {proxy.scheme} proxy"
            f" {proxy.host}:{proxy.port} failed: the proxy rejected the credentials"
        )
        assert str(error).endswith("check the user name and password in the proxy URL")
        assert "wrong" not in str(error)
        assert error.__cause__ is not None
        assert await outcome(sock.closed) is error
        assert not peer.has_pending_connection()


@pytest.mark.parametrize("fixture", AUTH_PROXIES)
async def test_missing_credentials_reject_opened_and_say_what_to_do(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    proxy: ProxyServer = request.getfixturevalue(fixture)
    with no_socket_leak(), listener() as peer:
        sock = Connector(proxy=f"{proxy.scheme}://{proxy.host}:{proxy.port}").connect(
            f"127.0.0.1:{peer.port}"
        )
        error = await outcome(sock.opened)
        assert isinstance(error, SocketError)
        assert "failed: the proxy requires authentication" in str(error)
        assert str(error).endswith("put user:password@ in the proxy URL")
        assert not peer.has_pending_connection()


async def test_an_unreachable_proxy_rejects_opened_in_one_sentence() -> None:
    port = closed_port()
    with no_socket_leak():
        sock = Connector(proxy=f"socks5://127.0.0.1:{port}").connect("example.com:443")
        error = await outcome(sock.opened)
    assert isinstance(error, SocketError)
    assert str(error) == (
        "SocketError: connecting to 'example.com:443' failed: cannot reach the socks5 proxy"
        f" 127.0.0.1:{port}: connection refused (errno ECONNREFUSED)"
    )
    assert isinstance(error.__cause__, ConnectionRefusedError)


async def test_connect_timeout_covers_a_destination_the_proxy_cannot_reach(
    http_proxy: ProxyServer,
) -> None:
    """pproxy's HTTP CONNECT waits for the destination, a black hole: the timeout ends it."""
    with no_socket_leak(), black_hole() as hole:
        connector = Connector(proxy=http_proxy.url, connect_timeout=0.3)
        sock = connector.connect(f"{hole.host}:{hole.port}")
        error = await outcome(sock.opened)
        assert isinstance(error, SocketError)
        assert str(error).startswith(
            f"SocketError: connecting to '127.0.0.1:{hole.port}' timed out after 0.3 seconds"
        )
        assert isinstance(error.__cause__, TimeoutError)
        assert await outcome(sock.closed) is error


async def test_connect_timeout_without_a_proxy_against_a_black_hole() -> None:
    with no_socket_leak(), black_hole() as hole:
        sock = Connector(connect_timeout=0.2).connect(f"{hole.host}:{hole.port}")
        error = await outcome(sock.opened)
        assert isinstance(error, SocketError)
        assert "timed out after 0.2 seconds" in str(error)
        assert isinstance(error.__cause__, TimeoutError)


async def test_a_blocked_literal_is_refused_before_the_proxy_is_asked(
    socks5_proxy: ProxyServer,
) -> None:
    connector = Connector(proxy=socks5_proxy.url, policy=EgressPolicy.public_only())
    with no_socket_leak(), listener() as peer:
        for spelling in ("127.0.0.1", "127.1", "[::ffff:127.0.0.1]", "localhost"):
            with pytest.raises(SocketError, match="is blocked by the egress policy"):
                connector.connect(f"{spelling}:{peer.port}")
        await asyncio.sleep(0.05)  # time for the proxy to connect, had it been asked
        assert not peer.has_pending_connection()


async def test_a_proxied_name_is_resolved_by_the_proxy_and_not_checked(
    socks5_proxy: ProxyServer,
) -> None:
    """The documented limit: the policy cannot see what the proxy resolves a name to."""
    connector = Connector(proxy=socks5_proxy.url, policy=EgressPolicy.public_only())
    hostname = loopback_name()
    with no_socket_leak():
        async with serve() as peer:
            sock = connector.connect(f"{hostname}:{peer.port}")
            conn = await peer.accept()
            await asyncio.wait_for(sock.opened, LIMIT)
            await assert_echo(sock, conn)
            await asyncio.wait_for(sock.close(), LIMIT)
