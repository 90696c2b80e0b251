"""No leaks over many TLS connections: file descriptors and tasks do not grow.

Each cycle is one way a TLS socket ends: closed after the handshake, refused by
certificate verification, closed during the handshake, upgraded by ``start_tls()`` and
closed. The peers run in this process, so the test waits until they released every
connection before comparing.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable

from tests.integration.assertions import (
    WITHIN,
    assert_freed,
    collector_off,
    open_fds,
    settle,
    settled_exception,
)
from tests.integration.test_starttls_socket import COMMAND, StartTLSPeer, read_reply
from tests.peers.openssl_server import OpenSSLServer, stalling_server
from tests.peers.scripted import ScriptedPeer
from tests.peers.tls_certs import TLSCerts, trusting
from wintersockets.connector.connector import Connector
from wintersockets.socket.socket import Socket

CYCLES = 100
WARM_UP = 5


async def fds_settled(at_most: int | None = None) -> int:
    """The open descriptors once the peers' side of closed connections is gone too.

    A server whose handshake failed never tells its protocol, so instead of waiting for
    each connection, wait (a bounded time) until the count stops falling or reaches
    ``at_most``.
    """
    count = open_fds()
    async with asyncio.timeout(WITHIN):
        while True:
            gc.collect()
            await asyncio.sleep(0.05)
            now = open_fds()
            if (at_most is not None and now <= at_most) or (at_most is None and now >= count):
                return now
            count = now


async def count_leaks(cycle: Callable[[], Awaitable[None]]) -> None:
    for _ in range(WARM_UP):
        await cycle()
    fds_before = await fds_settled()
    tasks_before = len(asyncio.all_tasks())
    loop = asyncio.get_running_loop()
    loop.set_debug(False)  # 5x faster, and it adds nothing to counting descriptors
    try:
        for _ in range(CYCLES):
            await cycle()
    finally:
        loop.set_debug(True)
    try:
        await fds_settled(at_most=fds_before)
    except TimeoutError:
        raise AssertionError(f"{open_fds() - fds_before} file descriptor(s) leaked") from None
    assert len(asyncio.all_tasks()) <= tasks_before


async def test_tls_sockets_closed_after_the_handshake_leak_nothing(tls_certs: TLSCerts) -> None:
    connector = trusting(tls_certs)
    async with ScriptedPeer(ssl=tls_certs.server_context()) as peer:

        async def cycle() -> None:
            sock = connector.connect(peer.address, secure_transport="on")
            async with asyncio.timeout(WITHIN):
                await sock.opened
            await settle(sock.close())
            assert settled_exception(sock.closed) is None

        await count_leaks(cycle)


async def test_tls_sockets_refused_by_verification_leak_nothing(
    tls_certs: TLSCerts, openssl_server_untrusted: OpenSSLServer
) -> None:
    connector = trusting(tls_certs)

    async def cycle() -> None:
        sock = connector.connect(openssl_server_untrusted.address, secure_transport="on")
        await settle(sock.opened, sock.closed)
        assert settled_exception(sock.closed) is not None

    await count_leaks(cycle)


async def test_tls_sockets_closed_during_the_handshake_leak_nothing(tls_certs: TLSCerts) -> None:
    connector = trusting(tls_certs)
    async with stalling_server() as peer:

        async def cycle() -> None:
            sock = connector.connect(peer.address, secure_transport="on")
            await asyncio.sleep(0.001)
            await settle(sock.close(), sock.opened)
            assert settled_exception(sock.closed) is None

        await count_leaks(cycle)


async def upgrade_and_close(connector: Connector, peer: StartTLSPeer) -> tuple[Socket, Socket]:
    """Open a STARTTLS socket to ``peer``, upgrade it, close the TLS socket cleanly and
    wait until the peer's side is gone; return the plain and the TLS socket."""
    sock = connector.connect(peer.address, secure_transport="starttls")
    await sock.writable.get_writer().write(COMMAND)
    await read_reply(sock, peer.go_ahead)
    tls = sock.start_tls()
    conn = await peer.accept()
    async with asyncio.timeout(WITHIN):
        await tls.opened
    await settle(tls.close(), sock.closed)
    assert settled_exception(tls.closed) is None
    async with asyncio.timeout(WITHIN):
        await conn.wait_eof()
    conn.transport.abort()
    await conn.wait_closed()
    return sock, tls


async def test_start_tls_upgrades_leak_nothing(tls_certs: TLSCerts) -> None:
    connector = trusting(tls_certs)
    async with StartTLSPeer(tls_certs.server_context()) as peer:

        async def cycle() -> None:
            await upgrade_and_close(connector, peer)

        await count_leaks(cycle)


async def test_both_sockets_of_an_upgrade_are_freed_by_reference_counting(
    tls_certs: TLSCerts,
) -> None:
    connector = trusting(tls_certs)
    async with StartTLSPeer(tls_certs.server_context()) as peer:
        with collector_off():
            sock, tls = await upgrade_and_close(connector, peer)
            plain, secure = weakref.ref(sock), weakref.ref(tls)
            del sock, tls
            await asyncio.sleep(0)
            assert_freed(plain)
            assert_freed(secure)
