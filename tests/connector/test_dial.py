"""dial(): policy → resolve → Happy Eyeballs → (proxy), against real loopback peers."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING

import pytest

from tests.peers.listeners import (
    Listener,
    black_hole,
    closed_port,
    listener,
    loopback_name,
    no_socket_leak,
)
from wintersockets.connector.dial import check_literal_destination, dial
from wintersockets.connector.egress import EgressPolicy
from wintersockets.connector.proxy import parse_proxy_url
from wintersockets.errors import SocketError

if TYPE_CHECKING:
    from tests.peers.proxies import ProxyServer

# The proxy fixtures (a plugin module, so that pytest rewrites its asserts).

PUBLIC_ONLY = EgressPolicy.public_only()
LIMIT = 10.0

# Every way to write 127.0.0.1 that a resolver reads as that address, or as an IPv6
# address the kernel delivers to it, and the names reserved for loopback.
IPV4_LOOPBACK_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.1",
    "2130706433",
    "0x7f000001",
    "0X7F000001",
    "0177.0.0.1",
    "0x7f.0.0.1",
    "0177.0.0.0x1",
    "127.0.0.01",
    "127.0.0.1.",
    "::ffff:127.0.0.1",
    "[::ffff:127.0.0.1]",
    "::ffff:7f00:1",
    "0:0:0:0:0:ffff:7f00:1",
    "::FFFF:7F00:0001",
    "localhost",
    "LOCALHOST.",
    "api.localhost",
]
IPV6_LOOPBACK_SPELLINGS = [
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "0000:0000:0000:0000:0000:0000:0000:0001",
    "::0:1",
]


async def accept_one(peer: Listener) -> socket.socket:
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(LIMIT):
        conn, _ = await loop.sock_accept(peer.sock)
    return conn


async def assert_connected(sock: socket.socket, peer: Listener) -> None:
    """Bytes go both ways between the dialed socket and the peer's accepted connection."""
    loop = asyncio.get_running_loop()
    conn = await accept_one(peer)
    with conn, sock:
        conn.setblocking(False)
        async with asyncio.timeout(LIMIT):
            await loop.sock_sendall(sock, b"ping")
            assert await loop.sock_recv(conn, 16) == b"ping"
            await loop.sock_sendall(conn, b"pong")
            assert await loop.sock_recv(sock, 16) == b"pong"


# --- the egress policy, against a live listener ----------------------------------------


@pytest.mark.parametrize("spelling", IPV4_LOOPBACK_SPELLINGS)
async def test_every_spelling_of_ipv4_loopback_is_blocked_and_nothing_connects(
    spelling: str,
) -> None:
    with no_socket_leak(), listener("127.0.0.1") as peer:
        with pytest.raises(SocketError, match="blocked by the egress policy"):
            check_literal_destination(spelling, peer.port, PUBLIC_ONLY)
        with pytest.raises(SocketError, match="blocked by the egress policy") as caught:
            await dial(spelling, peer.port, policy=PUBLIC_ONLY)
        assert "127.0.0.0/8 (loopback) is not allowed" in str(caught.value)
        assert not peer.has_pending_connection()


@pytest.mark.parametrize("spelling", IPV6_LOOPBACK_SPELLINGS)
async def test_every_spelling_of_ipv6_loopback_is_blocked_and_nothing_connects(
    spelling: str,
) -> None:
    with no_socket_leak(), listener("::1") as peer:
        with pytest.raises(SocketError, match="blocked by the egress policy") as caught:
            await dial(spelling, peer.port, policy=PUBLIC_ONLY)
        assert str(caught.value) == (
            f"SocketError: connecting to {_shown(spelling, peer.port)} is blocked by the"
            " egress policy: ::1/128 (loopback) is not allowed"
        )
        assert not peer.has_pending_connection()


def _shown(spelling: str, port: int) -> str:
    bare = spelling.strip("[]")
    if bare == "::1":
        return f"'[::1]:{port}'"
    return f"'[{bare}]:{port}' ([::1]:{port})"


async def test_the_blocked_message_names_the_address_and_the_rule() -> None:
    with listener("127.0.0.1") as peer:
        with pytest.raises(SocketError) as caught:
            await dial("127.0.0.1", peer.port, policy=PUBLIC_ONLY)
        assert str(caught.value) == (
            f"SocketError: connecting to '127.0.0.1:{peer.port}' is blocked by the egress"
            " policy: 127.0.0.0/8 (loopback) is not allowed"
        )


async def test_a_name_is_checked_on_every_address_it_resolves_to() -> None:
    name = loopback_name()
    with no_socket_leak(), listener("127.0.0.1") as peer:
        check_literal_destination(name, peer.port, PUBLIC_ONLY)  # a name: decided later
        with pytest.raises(SocketError, match="blocked by the egress policy") as caught:
            await dial(name, peer.port, policy=PUBLIC_ONLY)
        assert f"connecting to '{name}:{peer.port}' " in str(caught.value)
        assert "(loopback) is not allowed" in str(caught.value)
        assert not peer.has_pending_connection()


async def test_allowed_networks_let_traffic_through() -> None:
    policy = EgressPolicy.public_only(allowed_networks=["127.0.0.0/8", "::1/128"])
    with no_socket_leak():
        for host in ("127.0.0.1", "::1"):
            with listener(host) as peer:
                await assert_connected(await dial(host, peer.port, policy=policy), peer)
        with listener("127.0.0.1") as peer:
            await assert_connected(await dial("127.1", peer.port, policy=policy), peer)
            await assert_connected(await dial(loopback_name(), peer.port, policy=policy), peer)


async def test_a_blocked_port_is_refused_before_any_lookup() -> None:
    with no_socket_leak(), listener("127.0.0.1") as peer:
        policy = EgressPolicy(blocked_ports=[peer.port])
        with pytest.raises(SocketError) as caught:
            await dial("localhost", peer.port, policy=policy)
        assert str(caught.value) == (
            f"SocketError: connecting to 'localhost:{peer.port}' is blocked by the egress"
            f" policy: port {peer.port} is not allowed"
        )
        assert not peer.has_pending_connection()


def test_link_local_with_a_zone_id_is_blocked() -> None:
    with pytest.raises(SocketError, match=r"fe80::/10 \(link-local\) is not allowed"):
        check_literal_destination("fe80::1%lo", 80, PUBLIC_ONLY)


def test_a_name_that_looks_like_an_address_to_inet_aton_is_blocked() -> None:
    with pytest.raises(SocketError, match="blocked by the egress policy"):
        check_literal_destination("127.0.0.1 junk", 80, PUBLIC_ONLY)


def test_without_a_policy_nothing_is_checked() -> None:
    check_literal_destination("127.0.0.1", 25, None)


# --- connecting --------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.1"])
async def test_dial_connects_without_a_policy(host: str) -> None:
    peer_host = "::1" if ":" in host else "127.0.0.1"
    with no_socket_leak(), listener(peer_host) as peer:
        sock = await dial(host, peer.port)
        assert not sock.getblocking()
        await assert_connected(sock, peer)


async def test_a_refused_connection_says_so_and_chains_the_os_error() -> None:
    port = closed_port()
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        await dial("127.0.0.1", port)
    assert str(caught.value) == (
        f"SocketError: connecting to '127.0.0.1:{port}' failed: connection refused"
        " (errno ECONNREFUSED)"
    )
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


async def test_a_name_that_does_not_resolve_says_so() -> None:
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        await dial("no-such-host.invalid", 80, timeout=LIMIT)
    message = str(caught.value)
    assert message.startswith(
        "SocketError: connecting to 'no-such-host.invalid:80' failed: could not resolve the name: "
    )
    assert message.endswith("; check the host name")
    assert isinstance(caught.value.__cause__, socket.gaierror)


async def test_an_unknown_zone_id_says_which_interface() -> None:
    with pytest.raises(SocketError, match="unknown network interface 'nosuchif0'"):
        await dial("fe80::1%nosuchif0", 80)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_the_timeout_covers_the_dial_and_names_destination_and_limit(host: str) -> None:
    with no_socket_leak(), black_hole() as hole, pytest.raises(SocketError) as caught:
        await dial(host, hole.port, timeout=0.2)
    assert str(caught.value) == (
        f"SocketError: connecting to '{host}:{hole.port}' timed out after 0.2 seconds: check"
        " that the host is reachable, or allow a longer timeout"
    )
    assert isinstance(caught.value.__cause__, TimeoutError)


async def test_cancelling_a_dial_closes_its_sockets() -> None:
    with no_socket_leak(), black_hole() as hole:
        task = asyncio.ensure_future(dial("127.0.0.1", hole.port))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_an_outer_timeout_is_not_mistaken_for_the_dials_own() -> None:
    with no_socket_leak(), black_hole() as hole, pytest.raises(TimeoutError):
        async with asyncio.timeout(0.1):
            await dial("127.0.0.1", hole.port, timeout=LIMIT)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"timeout": 0}, "timeout must be a finite number of seconds, more than zero, got 0"),
        ({"timeout": -1.0}, "timeout must be a finite number of seconds"),
        ({"timeout": float("nan")}, "timeout must be a finite number of seconds"),
        ({"timeout": True}, "timeout must be a finite number of seconds"),
        ({"happy_eyeballs_delay": -0.1}, "happy_eyeballs_delay must be a finite number"),
        ({"port": 0}, "port must be an integer from 1 to 65535, got 0"),
        ({"port": 65536}, "port must be an integer from 1 to 65535, got 65536"),
    ],
)
async def test_bad_settings_are_refused(options: dict[str, float], message: str) -> None:
    settings: dict[str, float] = {"port": 80, **options}
    with pytest.raises(SocketError, match=message):
        await dial("127.0.0.1", **settings)  # type: ignore[arg-type]


# --- with a proxy --------------------------------------------------------------------------


async def test_a_blocked_literal_is_refused_before_the_proxy_is_asked(
    socks5_proxy: ProxyServer,
) -> None:
    with no_socket_leak(), listener("127.0.0.1") as peer:
        for spelling in ("127.1", "0x7f000001", "::ffff:127.0.0.1", "localhost"):
            with pytest.raises(SocketError, match="blocked by the egress policy"):
                await dial(spelling, peer.port, policy=PUBLIC_ONLY, proxy=socks5_proxy.url)
        await asyncio.sleep(0.05)  # time for a proxy to have connected, had it been asked
        assert not peer.has_pending_connection()


async def test_proxied_names_are_resolved_by_the_proxy_and_not_checked_here(
    socks5_proxy: ProxyServer,
) -> None:
    """The documented limit: a name the proxy resolves cannot be checked by us."""
    with no_socket_leak(), listener("127.0.0.1") as peer:
        sock = await dial(loopback_name(), peer.port, policy=PUBLIC_ONLY, proxy=socks5_proxy.url)
        await assert_connected(sock, peer)


async def test_the_policy_does_not_apply_to_the_proxys_own_address(
    http_proxy: ProxyServer,
) -> None:
    policy = EgressPolicy(blocked_networks=["127.0.0.1/32"])
    with no_socket_leak(), listener("127.0.0.2") as peer:
        proxy = parse_proxy_url(http_proxy.url)
        sock = await dial("127.0.0.2", peer.port, policy=policy, proxy=proxy)
        await assert_connected(sock, peer)


async def test_an_unreachable_proxy_says_so() -> None:
    port = closed_port()
    with no_socket_leak(), pytest.raises(SocketError) as caught:
        await dial("example.com", 443, proxy=f"socks5://127.0.0.1:{port}")
    assert str(caught.value) == (
        "SocketError: connecting to 'example.com:443' failed: cannot reach the socks5 proxy"
        f" 127.0.0.1:{port}: connection refused (errno ECONNREFUSED)"
    )
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)


async def test_the_timeout_covers_the_proxy_handshake(http_proxy: ProxyServer) -> None:
    with no_socket_leak(), black_hole() as hole, pytest.raises(SocketError) as caught:
        await dial("127.0.0.1", hole.port, proxy=http_proxy.url, timeout=0.3)
    assert str(caught.value).startswith(
        f"SocketError: connecting to '127.0.0.1:{hole.port}' through http proxy"
        f" 127.0.0.1:{http_proxy.port} timed out after 0.3 seconds: "
    )
