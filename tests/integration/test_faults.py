"""Faults against real loopback peers: each ends in a clear error, settles, and never hangs.

Every failure is a ``SocketError`` (or decision 4's ``TypeError`` for use after
``close()``) whose message says what happened, chaining the ``OSError`` as ``__cause__``;
every future the test touched is settled at the end; every wait is bounded.
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import LOOP_KINDS, run_checked
from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_settled,
    assert_socket_error,
    close_and_settle,
    read_all,
    read_exactly,
    rejection,
    settle,
    settled_exception,
    write_until_blocked,
)
from tests.integration.contract import plain_tcp
from tests.peers.scripted import (
    ScriptedPeer,
    delay,
    fin,
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


async def test_a_timeout_on_opened_cancels_the_wait_not_the_socket() -> None:
    with hanging_address() as address:
        sock = connect(address)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await sock.opened
        assert_pending(sock.opened)  # still the socket's to settle, for every awaiter
        await settle(sock.close(), within=2.0)
        assert_socket_error(await rejection(sock.opened), match="clos", cause=None)
        assert settled_exception(sock.closed) is None


async def test_a_timeout_on_closed_leaves_close_and_async_with_working() -> None:
    async with ScriptedPeer() as peer:
        async with connect(peer.address) as sock:
            await peer.accept()
            await settle(sock.opened)
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.05):
                    await sock.closed  # the peer is silent: nothing closes it
            assert_pending(sock.closed)
        # Leaving the block closed it: closed resolved, no CancelledError escaped.
        assert settled_exception(sock.closed) is None
        await settle(sock.close())


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
        writes = await write_until_blocked(sock.writable.get_writer())
        closed = sock.close()
        assert_pending(writes[-1])
        conn.rst()
        await settle(closed, *writes)
        assert_settled(sock, *writes)


async def test_aborting_the_writable_releases_writes_blocked_by_a_peer_that_never_reads() -> None:
    async with ScriptedPeer(read=False) as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        writes = await write_until_blocked(writer)
        reason = ValueError("the application gave up")
        aborted = writer.abort(reason)
        await settle(aborted, *writes)
        assert settled_exception(aborted) is None
        assert settled_exception(writes[-1]) is reason
        # Only the write direction ended: the peer can still send, and we still read.
        await conn.send(b"still here")
        assert_bytes_received(await read_exactly(sock, 10), b"still here")
        # close() drops what the peer never took, rather than wait for it.
        await settle(sock.close())
        assert settled_exception(sock.closed) is None
        assert_settled(sock, *writes)


async def test_a_fin_inside_a_byob_reads_element_fails_that_read_and_closes_cleanly() -> None:
    # Four bytes make one 'i' element; the fifth starts another, which the FIN leaves
    # unfinished while a read waits on it: that read fails with the Streams Standard's
    # TypeError (close() with part of an element pending), and the connection, which
    # ended cleanly, closes cleanly.
    async with ScriptedPeer(script(send(b"\x01\x00\x00\x00\x02"), delay(0.2), fin())) as peer:
        sock = connect(peer.address)
        await peer.accept()
        reader = sock.readable.get_reader(mode="byob")
        async with asyncio.timeout(WITHIN):
            first = await reader.read(memoryview(array.array("i", [0] * 4)))
        assert first.value.tolist() == [1]
        second = reader.read(memoryview(array.array("i", [0] * 4)))
        error = await rejection(second)
        assert isinstance(error, TypeError)
        assert "too few bytes to fill the last element" in str(error)
        await settle(sock.closed)
        assert settled_exception(sock.closed) is None
        assert_settled(sock)


async def test_a_peer_that_resets_right_after_accepting_fails_the_socket() -> None:
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        conn.rst()
        exc = await rejection(sock.closed)
        assert_socket_error(exc, cause=ConnectionResetError)
        assert_settled(sock)


# -- timeouts around reads and writes lose nothing ---------------------------------------------


async def test_a_read_abandoned_by_a_timeout_loses_no_bytes() -> None:
    async with plain_tcp() as c:
        reader = c.sock.readable.get_reader()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await reader.read()
        await c.peer.send(b"after the timeout")
        async with asyncio.timeout(WITHIN):
            result = await reader.read()
        assert_bytes_received(result.value, b"after the timeout")


async def test_a_byob_read_abandoned_by_a_timeout_loses_no_bytes() -> None:
    async with plain_tcp() as c:
        reader = c.sock.readable.get_reader(mode="byob")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await reader.read(memoryview(bytearray(16)))
        await c.peer.send(b"into the buffer")
        buffer = bytearray(16)
        async with asyncio.timeout(WITHIN):
            result = await reader.read(memoryview(buffer))
        assert_bytes_received(bytes(result.value), b"into the buffer")
        assert buffer.startswith(b"into the buffer")


async def test_a_write_abandoned_by_a_timeout_is_still_sent_in_order() -> None:
    chunk = b"q" * 65536
    async with plain_tcp() as c:
        c.peer.stop_reading()
        writer = c.sock.writable.get_writer()
        sent = 0
        async with asyncio.timeout(WITHIN):
            while True:
                try:
                    async with asyncio.timeout(0.25):  # expires once the peer's buffers fill
                        await writer.write(chunk)
                except TimeoutError:
                    break
                sent += 1
        # The abandoned write was accepted: it is sent after the others, then this one.
        c.peer.resume_reading()
        async with asyncio.timeout(WITHIN):
            await writer.write(b"end")
        expected = chunk * (sent + 1) + b"end"
        assert_bytes_received(await c.peer.wait_received(len(expected)), expected)


# -- races at opening ------------------------------------------------------------------------


@contextlib.contextmanager
def greeter(greeting: bytes) -> Iterator[str]:
    """A server thread that sends ``greeting`` and FIN on each connection at once, then
    waits for the client's FIN.

    A thread, not a coroutine: its bytes and FIN arrive whenever the kernel delivers them,
    also while the client's loop is still opening the socket.
    """
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the listener was closed: the test is over
                return
            with conn:
                conn.settimeout(WITHIN)
                conn.sendall(greeting)
                conn.shutdown(socket.SHUT_WR)
                with contextlib.suppress(OSError):
                    while conn.recv(65536):  # until the client's FIN answers ours
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(WITHIN)


async def _open_and_await_the_peers_close(address: str) -> None:
    sock = connect(address)
    await settle(sock.closed)
    assert settled_exception(sock.closed) is None
    assert_bytes_received(await read_all(sock), b"bye\n")


@pytest.mark.parametrize("kind", LOOP_KINDS)
def test_data_and_fin_arriving_while_opening_still_close_the_socket(kind: str) -> None:
    """Thirty tries, each on a fresh loop, at a race that once left ``closed`` pending on
    uvloop: the peer's FIN arrived before the socket was marked open, and the socket never
    answered it."""
    with greeter(b"bye\n") as address:
        for _ in range(30):
            run_checked(kind, _open_and_await_the_peers_close, {"address": address})
