"""The fast path to an IP literal (``dial.connect_literal``, ``tls.connect_tls_literal``)
against the dial path it skips.

A connection to a canonical IP literal, with neither egress policy nor proxy, is one
``loop.create_connection(host, port)`` call (with ``ssl=`` for ``secure_transport="on"``).
These tests check that it is indistinguishable from ``dial()`` followed by
``open_transport()``: the same errors, the same ``SocketInfo``, the same lifecycle; and that
a subclass overriding either seam still has it called.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Any

import pytest

from tests.integration.assertions import close_and_settle
from tests.peers.listeners import black_hole, no_socket_leak
from tests.peers.openssl_server import OpenSSLServerPool, non_tls_server, stalling_server
from tests.peers.tls_certs import TLSCerts
from tests.socket.peer import TIMEOUT, serve, unused_port
from wintersockets.connector.connector import Connector
from wintersockets.connector.dial import canonical_literal
from wintersockets.connector.options import SocketOptions
from wintersockets.connector.tls import TLSSettings
from wintersockets.errors import SocketError
from wintersockets.socket.info import SocketInfo


class ThroughDial(Connector):
    """A connector whose own dial() seam forces the dial path."""

    async def dial(self, hostname: str, port: int) -> socket.socket:
        return await super().dial(hostname, port)


def failure_of(exc: BaseException | None) -> tuple[object, ...]:
    """What a connection failure shows: type, message, cause, its errno and notes."""
    assert isinstance(exc, SocketError)
    cause = exc.__cause__
    return (
        type(exc),
        str(exc),
        type(cause),
        str(cause),
        getattr(cause, "errno", None),
        getattr(cause, "__notes__", None),
    )


async def settled(future: asyncio.Future[Any]) -> BaseException | None:
    await asyncio.wait([future], timeout=TIMEOUT)
    assert future.done(), "the future did not settle"
    return future.exception()


def test_only_canonical_ip_literals_take_the_fast_path() -> None:
    assert canonical_literal("127.0.0.1", 80) == (
        socket.AF_INET,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
        "",
        ("127.0.0.1", 80),
    )
    assert canonical_literal("::1", 443) == (
        socket.AF_INET6,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
        "",
        ("::1", 443, 0, 0),
    )
    for spelling in ("localhost", "127.1", "0x7f000001", "010.0.0.1", "0:0::1", "fe80::1%1"):
        assert canonical_literal(spelling, 80) is None, spelling
    # An IPv4-mapped address: Python 3.13's ipaddress writes it "::ffff:1.2.3.4", older
    # ones "::ffff:102:304". Whichever spelling ipaddress writes is the canonical one.
    for mapped in ("::ffff:1.2.3.4", "::ffff:102:304"):
        canonical = str(ipaddress.IPv6Address(mapped)) == mapped
        assert (canonical_literal(mapped, 80) is not None) == canonical, mapped


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_a_refused_literal_fails_exactly_as_through_dial(host: str) -> None:
    port = unused_port(host)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with no_socket_leak():
        fast = Connector().connect(address)
        slow = ThroughDial().connect(address)
        assert failure_of(await settled(fast.opened)) == failure_of(await settled(slow.opened))
        assert failure_of(await settled(fast.closed)) == failure_of(await settled(slow.closed))


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
@pytest.mark.parametrize("connect_timeout", [None, 5.0])
async def test_a_literal_opens_with_the_same_socket_info_as_through_dial(
    host: str, connect_timeout: float | None
) -> None:
    async with serve(host) as peer:
        fast = Connector(connect_timeout=connect_timeout).connect(peer.address)
        slow = ThroughDial(connect_timeout=connect_timeout).connect(peer.address)
        fast_info = await asyncio.wait_for(fast.opened, TIMEOUT)
        slow_info = await asyncio.wait_for(slow.opened, TIMEOUT)
        assert fast_info.remote_address == slow_info.remote_address == peer.address
        assert fast_info.local_address is not None
        assert (fast_info.alpn, fast_info.tls) == (slow_info.alpn, slow_info.tls) == (None, None)
        conns = [await peer.accept(), await peer.accept()]
        await fast.writable.get_writer().write(b"fast")
        await slow.writable.get_writer().write(b"slow")
        received = {bytes(await conn.wait_received(4)) for conn in conns}
        assert received == {b"fast", b"slow"}
        await asyncio.wait_for(asyncio.gather(fast.close(), slow.close()), TIMEOUT)


async def test_a_connect_still_in_progress_completes_when_the_peer_accepts() -> None:
    """On loopback a connect is usually complete as soon as connect() returns; when it is
    not (the listener's queue is full), the fast path waits for it as dial() would."""
    with no_socket_leak(), black_hole() as hole:
        sock = Connector().connect(f"{hole.host}:{hole.port}")
        await asyncio.sleep(0.05)
        assert not sock.opened.done()  # the SYN was dropped: the connect is in progress
        hole.accept().close()  # room in the queue: the SYN sent again gets an answer
        info = await asyncio.wait_for(sock.opened, TIMEOUT)
        assert info.remote_address == f"{hole.host}:{hole.port}"
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_closing_at_once_abandons_the_fast_attempt_without_a_leak() -> None:
    async with serve() as peer:
        with no_socket_leak():
            sock = Connector().connect(peer.address)
            sock.close()
            assert isinstance(sock.opened.exception(), SocketError)
            assert sock.closed.result() is None
            await asyncio.sleep(0.05)  # the cancelled attempt closes what it opened


async def test_closing_right_after_open_closes_once() -> None:
    """opened resolves at connection_made, before the opener has returned: a close then
    is a close of an open socket, and the opener's return changes nothing."""
    async with serve() as peer:
        sock = Connector().connect(peer.address)
        await asyncio.wait_for(sock.opened, TIMEOUT)
        closed = sock.close()
        conn = await peer.accept()
        await asyncio.wait_for(closed, TIMEOUT)
        await conn.wait_eof()
        assert closed.result() is None


async def test_overridden_seams_are_called_for_literals_too() -> None:
    calls: list[str] = []

    class Seams(Connector):
        async def dial(self, hostname: str, port: int) -> socket.socket:
            calls.append("dial")
            return await super().dial(hostname, port)

    class Transport(Connector):
        async def open_transport(
            self,
            sock: socket.socket,
            protocol: asyncio.BaseProtocol,
            address: Any,
            options: SocketOptions,
        ) -> asyncio.BaseTransport:
            calls.append("open_transport")
            return await super().open_transport(sock, protocol, address, options)

    async with serve() as peer:
        for connector in (Seams(), Transport()):
            sock = connector.connect(peer.address)
            await asyncio.wait_for(sock.opened, TIMEOUT)
            await asyncio.wait_for(sock.close(), TIMEOUT)
    assert calls == ["dial", "open_transport"]


# -- TLS: connect and handshake in one call --------------------------------------------------


def tls_pair(certs: TLSCerts, **kwargs: Any) -> tuple[Connector, Connector]:
    """A connector taking the fast path and one taking the dial path, trusting the test CA."""
    tls = TLSSettings(ca_file=certs.ca)
    return Connector(tls=tls, **kwargs), ThroughDial(tls=tls, **kwargs)


async def assert_same_tls_failure(
    certs: TLSCerts, address: str, **kwargs: Any
) -> tuple[object, ...]:
    fast_connector, slow_connector = tls_pair(certs, **kwargs)
    with no_socket_leak():
        fast = fast_connector.connect(address, secure_transport="on")
        slow = slow_connector.connect(address, secure_transport="on")
        fast_failure = failure_of(await settled(fast.opened))
        assert fast_failure == failure_of(await settled(slow.opened))
        assert failure_of(await settled(fast.closed)) == failure_of(await settled(slow.closed))
    return fast_failure


async def test_a_refused_tls_literal_fails_as_a_connect_exactly_as_through_dial(
    tls_certs: TLSCerts,
) -> None:
    failure = await assert_same_tls_failure(tls_certs, f"127.0.0.1:{unused_port()}")
    assert failure[2] is ConnectionRefusedError


@pytest.mark.parametrize("variant", ["expired", "wrong_host", "untrusted"])
async def test_a_failed_certificate_check_fails_exactly_as_through_dial(
    tls_certs: TLSCerts, openssl_server_pool: OpenSSLServerPool, variant: str
) -> None:
    server = openssl_server_pool.get(variant)
    failure = await assert_same_tls_failure(tls_certs, server.address)
    assert failure[2] is ssl.SSLCertVerificationError


async def test_a_plain_text_peer_fails_exactly_as_through_dial(tls_certs: TLSCerts) -> None:
    async with non_tls_server() as peer:
        failure = await assert_same_tls_failure(tls_certs, peer.address)
    assert "did not answer with TLS" in str(failure[1])


async def test_a_stalled_handshake_times_out_exactly_as_through_dial(
    tls_certs: TLSCerts,
) -> None:
    async with stalling_server() as peer:
        failure = await assert_same_tls_failure(tls_certs, peer.address, tls_handshake_timeout=0.2)
    assert "timed out" in str(failure[1])


async def test_a_tls_literal_opens_with_the_same_socket_info_as_through_dial(
    tls_certs: TLSCerts, openssl_server_pool: OpenSSLServerPool
) -> None:
    server = openssl_server_pool.get("good")  # openssl s_server: one connection at a time
    infos: list[SocketInfo] = []
    for connector in tls_pair(tls_certs):
        sock = connector.connect(server.address, secure_transport="on", alpn=["h2"])
        try:
            infos.append(await asyncio.wait_for(sock.opened, TIMEOUT))
        finally:
            await close_and_settle(sock)
    fast_info, slow_info = infos
    assert fast_info.remote_address == slow_info.remote_address == server.address
    assert fast_info.alpn == slow_info.alpn == "h2"
    assert fast_info.tls is not None
    assert slow_info.tls is not None
    assert fast_info.tls.certificate == slow_info.tls.certificate
    assert fast_info.tls.server_hostname == slow_info.tls.server_hostname == "127.0.0.1"
    assert fast_info.tls.version == slow_info.tls.version
