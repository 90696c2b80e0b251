"""Faults against real loopback peers: each ends in a clear error, settles, and never hangs.

Every failure is a ``SocketError`` (or decision 4's ``TypeError`` for use after
``close()``) whose message says what happened, chaining the ``OSError`` as ``__cause__``;
every future the test touched is settled at the end; every wait is bounded.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_settled,
    assert_socket_error,
    close_and_settle,
    read_exactly,
    rejection,
    settle,
    settled_exception,
)
from tests.integration.contract import plain_tcp
from tests.peers.scripted import (
    ScriptedPeer,
    delay,
    hanging_address,
    refusing_address,
    script,
    send,
)
from wintersockets.connector.connector import connect
from wintersockets.errors import SocketError

# -- connecting ------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_a_refused_port_fails_with_connection_refused_as_cause(host: str) -> None:
    with refusing_address(host) as address:
        sock = connect(address)
        exc = await rejection(sock.opened)
        assert_socket_error(exc, match="refused", cause=ConnectionRefusedError)
        assert str(address.rsplit(":", 1)[1]) in str(exc), "the message names the port"
        assert await rejection(sock.closed) is exc
        assert_settled(sock)


async def test_an_unresolvable_name_fails_with_gaierror_as_cause() -> None:
    sock = connect("no-such-host.invalid:80")
    exc = await rejection(sock.opened)
    assert_socket_error(exc, match="no-such-host.invalid", cause=socket.gaierror)
    assert await rejection(sock.closed) is exc
    assert_settled(sock)


async def test_reads_and_writes_on_a_socket_that_failed_to_connect_fail() -> None:
    with refusing_address() as address:
        sock = connect(address)
        reader = sock.readable.get_reader()
        writer = sock.writable.get_writer()
        read, write = reader.read(), writer.write(b"never sent")
        await rejection(sock.opened)
        assert isinstance(await rejection(read), SocketError)
        assert isinstance(await rejection(write), SocketError)
        assert isinstance(await rejection(writer.write(b"later")), SocketError)
        assert_settled(sock)


async def test_close_during_connect_settles_everything_at_once() -> None:
    with hanging_address() as address:
        sock = connect(address)
        reader = sock.readable.get_reader()
        writer = sock.writable.get_writer()
        read, write = reader.read(), writer.write(b"queued before open")
        await asyncio.sleep(0.05)  # the connect is under way; the listener never answers
        assert_pending(sock.opened, read, write)
        await settle(sock.close(), within=2.0)
        assert_socket_error(await rejection(sock.opened), match="clos", cause=None)
        await settle(read, write)
        assert settled_exception(write) is not None
        assert_settled(sock)


def test_connect_without_a_running_loop_raises_runtime_error() -> None:
    with pytest.raises(RuntimeError, match="loop"):
        connect("127.0.0.1:80")


# -- while connected -------------------------------------------------------------------------


async def test_a_reset_mid_stream_fails_the_readable_after_the_bytes_already_read() -> None:
    async with plain_tcp() as c:
        await c.peer.send(b"head")
        assert_bytes_received(await read_exactly(c.sock, 4), b"head")
        await c.peer.send(b"x" * 100_000)  # in flight when the reset comes: may be lost
        c.peer.rst()
        exc = await rejection(c.sock.closed)
        assert_socket_error(exc, match="reset", cause=ConnectionResetError)
        reader = c.sock.readable.get_reader()
        async with asyncio.timeout(WITHIN):
            while True:
                try:
                    result = await reader.read()
                except SocketError:
                    break
                assert not result.done, "a reset must not end the readable cleanly"


async def test_the_peer_closing_while_we_write_fails_the_writes() -> None:
    async with plain_tcp(allow_half_open=True) as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"first")
        await c.peer.wait_received(5)
        c.peer.close()  # the peer is gone: more data makes its kernel answer with RST
        chunk = b"z" * 65536
        async with asyncio.timeout(WITHIN):
            while True:
                write = writer.write(chunk)
                await asyncio.wait([write])
                if settled_exception(write) is not None:
                    break
        assert isinstance(settled_exception(write), SocketError)
        exc = await rejection(c.sock.closed)
        assert_socket_error(exc, cause=(BrokenPipeError, ConnectionResetError))


async def test_writes_after_close_fail_with_a_type_error_saying_closing() -> None:
    async with plain_tcp() as c:
        writer = c.sock.writable.get_writer()
        await settle(c.sock.close())
        exc = await rejection(writer.write(b"after close"))
        assert isinstance(exc, TypeError)
        assert "clos" in str(exc), str(exc)


async def test_a_slow_peer_is_waited_for() -> None:
    async with ScriptedPeer(script(delay(0.2), send(b"eventually"))) as peer:
        sock = connect(peer.address)
        assert_bytes_received(await read_exactly(sock, 10), b"eventually")
        await close_and_settle(sock)


async def test_close_ends_a_read_pending_on_a_silent_peer() -> None:
    async with plain_tcp() as c:
        reader = c.sock.readable.get_reader()
        read = reader.read()
        done, _ = await asyncio.wait([read], timeout=0.1)
        assert not done, "a silent peer sent nothing"
        await settle(c.sock.close())
        await settle(read)
        read_error = settled_exception(read)
        if read_error is None:
            assert read.result().done
        else:
            assert isinstance(read_error, TypeError), repr(read_error)


async def test_writes_blocked_by_a_peer_that_never_reads_settle_when_it_resets() -> None:
    async with ScriptedPeer(read=False) as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        chunk = b"w" * 65536
        writes = []
        async with asyncio.timeout(WITHIN):
            while True:
                writes.append(writer.write(chunk))
                done, _ = await asyncio.wait([writer.ready], timeout=0.25)
                if not done:
                    break
        closed = sock.close()
        assert_pending(writes[-1])
        conn.rst()
        await settle(closed, *writes)
        assert_settled(sock, *writes)


async def test_a_peer_that_resets_right_after_accepting_fails_the_socket() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        conn.rst()
        exc = await rejection(sock.closed)
        assert_socket_error(exc, cause=ConnectionResetError)
        assert_settled(sock)
