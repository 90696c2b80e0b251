"""The socket contract (``contract.py``) over TLS and over STARTTLS-upgraded sockets.

Two factories like ``contract.plain_tcp``: :func:`tls_on` connects with
``secure_transport="on"`` to a TLS :class:`~tests.peers.scripted.ScriptedPeer`;
:func:`starttls_upgraded` speaks plain text to a
:class:`~tests.integration.test_starttls_socket.StartTLSPeer`, calls ``start_tls()`` and
yields the TLS socket. Each runs every two-way check. The half-close checks cannot run:
asyncio's TLS transports cannot send a FIN and keep reading (``can_write_eof()`` is false),
on either side; the tests at the end of this module pin down what TLS does instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_socket_error,
    close_and_settle,
    read_all,
    rejection,
    settle,
    settled_exception,
    yield_to_loop,
)
from tests.integration.contract import (
    ALL_CHECKS,
    HALF_CLOSE_CHECKS,
    Check,
    Connected,
    SocketFactory,
    check_id,
)
from tests.integration.test_starttls_socket import COMMAND, StartTLSPeer, read_reply
from tests.peers.scripted import PeerConnection, ScriptedPeer
from tests.peers.tls_certs import TLSCerts, trusting

_NO_HALF_CLOSE = (
    "needs half-close (send FIN, keep reading), which asyncio's TLS transports cannot do: "
    "can_write_eof() is false on both ends (see the TLS half-close tests below)"
)


@contextlib.asynccontextmanager
async def tls_on(certs: TLSCerts, *, allow_half_open: bool = False) -> AsyncIterator[Connected]:
    """TLS from the start to a TLS :class:`ScriptedPeer` on 127.0.0.1."""
    async with ScriptedPeer(ssl=certs.server_context()) as peer:
        sock = trusting(certs).connect(
            peer.address, secure_transport="on", allow_half_open=allow_half_open
        )
        try:
            conn = await peer.accept()
            async with asyncio.timeout(WITHIN):
                await sock.opened
            yield Connected(sock, conn)
        finally:
            await close_and_settle(sock)


@contextlib.asynccontextmanager
async def starttls_upgraded(
    certs: TLSCerts, *, allow_half_open: bool = False
) -> AsyncIterator[Connected]:
    """Plain text, ``start_tls()``, then the TLS socket to the peer's TLS side."""
    async with StartTLSPeer(certs.server_context()) as peer:
        plain = trusting(certs).connect(
            peer.address, secure_transport="starttls", allow_half_open=allow_half_open
        )
        try:
            writer = plain.writable.get_writer()
            await writer.write(COMMAND)
            writer.release_lock()
            await read_reply(plain, peer.go_ahead)
            sock = plain.start_tls()
        except BaseException:
            await close_and_settle(plain)
            raise
        try:
            conn = await peer.accept()
            async with asyncio.timeout(WITHIN):
                await sock.opened
            assert plain.upgraded
            yield Connected(sock, conn)
        finally:
            await close_and_settle(sock)
            await settle(plain)


def _checks() -> list[object]:
    return [
        pytest.param(check, marks=pytest.mark.skip(reason=_NO_HALF_CLOSE))
        if check in HALF_CLOSE_CHECKS
        else check
        for check in ALL_CHECKS
    ]


@pytest.mark.parametrize("check", _checks(), ids=check_id)
async def test_tls_socket_keeps_the_contract(tls_certs: TLSCerts, check: Check) -> None:
    factory: SocketFactory = functools.partial(tls_on, tls_certs)
    await check(factory)


@pytest.mark.parametrize("check", _checks(), ids=check_id)
async def test_starttls_upgraded_socket_keeps_the_contract(
    tls_certs: TLSCerts, check: Check
) -> None:
    factory: SocketFactory = functools.partial(starttls_upgraded, tls_certs)
    await check(factory)


# -- what TLS does where TCP would half-close ----------------------------------------------

Maker = Callable[..., AbstractAsyncContextManager[Connected]]
FACTORIES = [pytest.param(tls_on, id="on"), pytest.param(starttls_upgraded, id="starttls")]


@pytest.mark.parametrize("make", FACTORIES)
@pytest.mark.parametrize("allow_half_open", [False, True])
async def test_the_peers_close_ends_a_tls_socket_whatever_allow_half_open_says(
    tls_certs: TLSCerts, make: Maker, allow_half_open: bool
) -> None:
    """asyncio answers the peer's close_notify with its own and closes: the readable ends
    after the data, ``closed`` resolves, and the writable is closed."""
    factory: SocketFactory = functools.partial(make, tls_certs)
    async with factory(allow_half_open=allow_half_open) as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"before the close")
        await c.peer.wait_received(16)
        await c.peer.send(b"last words")
        c.peer.close()
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None
        assert_bytes_received(await read_all(c.sock), b"last words")
        assert isinstance(await rejection(writer.write(b"after the close")), TypeError)


@pytest.mark.parametrize("make", FACTORIES)
async def test_closing_the_writable_of_a_tls_socket_sends_nothing_and_keeps_reading(
    tls_certs: TLSCerts, make: Maker
) -> None:
    """TLS over asyncio cannot half-close: closing the writable flushes the writes and
    ends the write direction here only; the peer sees no end, and the socket keeps reading
    until the peer closes."""
    factory: SocketFactory = functools.partial(make, tls_certs)
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"request")
        await writer.close()
        assert_bytes_received(await c.peer.wait_received(7), b"request")
        await yield_to_loop()
        assert_pending(c.sock.closed)
        assert isinstance(c.peer, PeerConnection)
        assert not c.peer.got_eof
        await c.peer.send(b"response")
        c.peer.close()
        assert_bytes_received(await read_all(c.sock), b"response")
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None


@pytest.mark.parametrize("make", FACTORIES)
async def test_writes_queued_when_the_tls_peer_closes_fail_instead_of_vanishing(
    tls_certs: TLSCerts, make: Maker
) -> None:
    """Writes the socket still holds when the peer closes can no longer be sent over
    asyncio's TLS: they fail with a SocketError instead of vanishing. Which one depends on
    what reaches us first: the peer's close_notify ("before the writes queued were sent")
    or, since asyncio's TLS then meets our unread data and aborts, its reset. Writes the
    transport took before settled at once, as over TCP: the transport has them."""
    factory: SocketFactory = functools.partial(make, tls_certs)
    chunk = bytes(65536)
    async with factory() as c:
        assert isinstance(c.peer, PeerConnection)
        c.peer.stop_reading()
        writer = c.sock.writable.get_writer()
        # 16 MiB: more than the kernel buffers between the two hold, so the transport
        # pauses and the writable keeps the rest.
        writes = [writer.write(chunk) for _ in range(256)]
        await yield_to_loop()
        desired = writer.desired_size
        assert desired is not None
        assert desired < 0, "the transport took 16 MiB that the peer does not read"
        c.peer.close()
        await settle(writes[-1])
        c.peer.rst()  # if the close did not end it: the write in flight waits for a drain
        await settle(*writes, c.sock.closed)
        failures = [e for e in map(settled_exception, writes) if e is not None]
        assert failures, "16 MiB were written to a peer that closed, and all succeeded"
        assert failures[-1] is settled_exception(writes[-1])
        for exc in failures:
            assert_socket_error(
                exc, match="before the writes queued were sent|reset by the peer", cause=None
            )
