"""Tests of Connector and connect(): the plain-TCP path, its errors, timeout and seams."""

from __future__ import annotations

import asyncio
import re
import socket
from typing import Any

import pytest

from tests.integration.assertions import outcome
from tests.peers.listeners import (
    black_hole,
    full_accept_queue,
    no_socket_leak,
    same_port_listeners,
    single_stack_listener,
    stand_in_resolver,
)
from tests.socket.peer import TIMEOUT, serve, unused_port
from wintersockets.connector.address import SocketAddress
from wintersockets.connector.connector import Connector, connect
from wintersockets.connector.egress import EgressPolicy
from wintersockets.connector.proxy import ProxySettings
from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port


async def test_connector_connect_has_the_same_contract_as_connect() -> None:
    async with serve() as peer:
        connector = Connector()
        sock = connector.connect(SocketAddress("127.0.0.1", peer.port), {"allowHalfOpen": True})
        conn = await peer.accept()
        info = await asyncio.wait_for(sock.opened, TIMEOUT)
        assert info.remote_address == peer.address
        assert sock.allow_half_open
        await sock.writable.get_writer().write(b"via a connector")
        assert await conn.wait_received(15) == b"via a connector"
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_names_are_resolved() -> None:
    async with serve() as peer:
        sock = connect(f"localhost:{peer.port}")
        info = await asyncio.wait_for(sock.opened, TIMEOUT)
        assert info.remote_address == peer.address
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_ip_literals_are_not_looked_up() -> None:
    loop = asyncio.get_running_loop()

    async def no_lookups(*args: object, **kwargs: object) -> Any:
        raise AssertionError(f"getaddrinfo{args!r} was called for an IP literal")

    async with serve() as peer, serve("::1") as peer6:
        loop.getaddrinfo = no_lookups  # type: ignore[method-assign]
        try:
            for address in (peer.address, peer6.address):
                sock = connect(address)
                await asyncio.wait_for(sock.opened, TIMEOUT)
                await asyncio.wait_for(sock.close(), TIMEOUT)
        finally:
            del loop.getaddrinfo


async def test_refused_connection_names_the_address_and_chains_the_cause() -> None:
    port = unused_port()
    with no_socket_leak():
        sock = connect(f"127.0.0.1:{port}")
        error = await outcome(sock.opened)
    assert isinstance(error, SocketError)
    assert str(error) == (
        f"SocketError: connecting to '127.0.0.1:{port}' failed: connection refused "
        "(errno ECONNREFUSED)"
    )
    assert isinstance(error.__cause__, ConnectionRefusedError)


async def test_every_failed_address_is_listed() -> None:
    port = unused_port()
    addresses = {
        str(info[4][0]) for info in socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)
    }
    sock = connect(f"localhost:{port}")
    error = await outcome(sock.opened)
    assert isinstance(error, SocketError)
    reasons = [
        f"{format_host_port(address, port)}: connection refused (errno ECONNREFUSED)"
        for address in addresses
    ]
    prefix = f"SocketError: connecting to 'localhost:{port}' failed: "
    if len(addresses) > 1:
        # The order is the resolver's, interleaved (RFC 8305): compare as a set.
        assert str(error).startswith(f"{prefix}all {len(addresses)} attempts failed: ")
        listed = str(error).split(" attempts failed: ", 1)[1].split("; ")
        assert sorted(listed) == sorted(reasons)
        assert isinstance(error.__cause__, ExceptionGroup)
        assert len(error.__cause__.exceptions) == len(addresses)
    else:
        assert str(error) == prefix + reasons[0]
        assert isinstance(error.__cause__, ConnectionRefusedError)


async def test_connect_timeout_rejects_opened_and_closes_the_attempt() -> None:
    with black_hole() as hole, no_socket_leak():
        sock = Connector(connect_timeout=0.05).connect(f"{hole.host}:{hole.port}")
        error = await outcome(sock.opened)
        assert isinstance(error, SocketError)
        assert "timed out after 0.05 seconds" in str(error)
        assert isinstance(error.__cause__, TimeoutError)
        assert sock.closed.exception() is error


async def test_close_aborts_a_hanging_attempt_at_once() -> None:
    with black_hole() as hole, no_socket_leak():
        sock = connect(f"{hole.host}:{hole.port}")
        await asyncio.sleep(0.01)
        assert not sock.opened.done()
        sock.close()
        assert isinstance(sock.opened.exception(), SocketError)
        assert sock.closed.result() is None
        await asyncio.sleep(0.01)  # the cancelled attempt closes its socket


async def test_dial_is_the_seam_that_produces_the_connected_socket() -> None:
    async with serve() as peer:

        class ToPeer(Connector):
            async def dial(self, hostname: str, port: int) -> socket.socket:
                assert (hostname, port) == ("example.invalid", 4321)
                return await super().dial("127.0.0.1", peer.port)

        sock = ToPeer().connect("example.invalid:4321")
        await peer.accept()
        await asyncio.wait_for(sock.opened, TIMEOUT)
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_a_socket_error_from_dial_is_passed_through_unchanged() -> None:
    failure = SocketError("blocked by policy")

    class Blocking(Connector):
        async def dial(self, hostname: str, port: int) -> socket.socket:
            raise failure

    sock = Blocking().connect("127.0.0.1:9")
    assert await outcome(sock.opened) is failure


def test_connector_stores_its_settings() -> None:
    policy = EgressPolicy.public_only()
    connector = Connector(
        proxy="socks5://alice:s3cret@127.0.0.1:1080",
        policy=policy,
        connect_timeout=2.5,
        happy_eyeballs_delay=0,
    )
    assert connector.proxy == ProxySettings("socks5", "127.0.0.1", 1080, "alice", "s3cret")
    assert connector.policy is policy
    assert (connector.connect_timeout, connector.happy_eyeballs_delay) == (2.5, 0)
    assert "connect_timeout=2.5" in repr(connector)
    assert "s3cret" not in repr(connector)


def test_connector_takes_proxy_settings_as_they_are() -> None:
    settings = ProxySettings("http", "::1", 3128)
    assert Connector(proxy=settings).proxy is settings
    assert Connector().proxy is None
    assert Connector().policy is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"policy": "public"}, "policy must be an EgressPolicy or None, got 'public'"),
        ({"proxy": 1080}, "proxy must be a URL such as 'socks5://host:1080', ProxySettings"),
        ({"proxy": "ftp://h:1"}, "proxy URL must start with http:// or socks5://"),
    ],
)
def test_bad_policy_and_proxy_settings_are_refused(
    settings: dict[str, object], message: str
) -> None:
    with pytest.raises(SocketError, match=re.escape(message)):
        Connector(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -1, float("nan"), "5", True])
def test_connect_timeout_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises(SocketError, match="connect_timeout must be a positive number"):
        Connector(connect_timeout=bad)  # type: ignore[arg-type]


# --- Happy Eyeballs through connect() ------------------------------------------------------
# No name on this machine resolves to both ::1 and 127.0.0.1 ("localhost" is 127.0.0.1 only,
# see /etc/hosts), so a stand-in resolver answers "dual.test" with both, IPv6 first as an
# RFC 6724 resolver would.

DUAL = {"dual.test": ["::1", "127.0.0.1"]}


@pytest.mark.parametrize("listening", ["::1", "127.0.0.1"])
async def test_of_a_dual_stack_name_the_family_that_listens_is_connected(listening: str) -> None:
    # A delay far beyond the time limit: only the refused attempt can start the next one.
    connector = Connector(happy_eyeballs_delay=3600)
    with no_socket_leak(), single_stack_listener(listening) as peer, stand_in_resolver(DUAL):
        sock = connector.connect(f"dual.test:{peer.port}")
        info = await asyncio.wait_for(sock.opened, TIMEOUT)
        assert info.remote_address == format_host_port(listening, peer.port)
        await asyncio.wait_for(sock.close(), TIMEOUT)
        peer.accept().close()
        assert not peer.has_pending_connection()


async def test_a_hanging_first_family_loses_to_the_second_after_the_delay() -> None:
    with (
        no_socket_leak(),
        same_port_listeners("::1", "127.0.0.1", backlog=0) as (hole, v4),
        stand_in_resolver(DUAL),
        full_accept_queue(hole),
    ):
        sock = Connector(happy_eyeballs_delay=0.05).connect(f"dual.test:{v4.port}")
        info = await asyncio.wait_for(sock.opened, TIMEOUT)
        assert info.remote_address == f"127.0.0.1:{v4.port}"
        await asyncio.wait_for(sock.close(), TIMEOUT)
        v4.accept().close()


async def test_when_both_families_refuse_opened_lists_both_attempts() -> None:
    with no_socket_leak(), same_port_listeners("::1", "127.0.0.1") as listeners:
        port = listeners[0].port
    # Both listeners are closed now: both addresses refuse.
    with no_socket_leak(), stand_in_resolver(DUAL):
        sock = Connector(happy_eyeballs_delay=3600).connect(f"dual.test:{port}")
        error = await outcome(sock.opened)
    assert isinstance(error, SocketError)
    assert str(error) == (
        f"SocketError: connecting to 'dual.test:{port}' failed: all 2 attempts failed:"
        f" [::1]:{port}: connection refused (errno ECONNREFUSED);"
        f" 127.0.0.1:{port}: connection refused (errno ECONNREFUSED)"
    )
    assert isinstance(error.__cause__, ExceptionGroup)
    assert [type(exc) for exc in error.__cause__.exceptions] == [ConnectionRefusedError] * 2
