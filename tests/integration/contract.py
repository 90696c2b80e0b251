"""The socket contract, written once and run over every kind of connection.

Like trio's ``check_half_closeable_stream``, each ``check_*`` function takes a *factory*
and asserts one behavior every ``Socket`` must have, whatever carries it: plain TCP
(``test_contract_plain.py``), TLS, a STARTTLS upgrade, a proxy. A factory is an async
context manager factory yielding :class:`Connected`: a socket whose ``opened`` has
resolved, and the server's side of that connection (:class:`PeerSide`, which
``tests.peers.scripted.PeerConnection`` implements) for the check to drive on cue. On exit
the factory closes the socket if the check did not, and waits until it settled.

:data:`TWO_WAY_CHECKS` hold for every transport. :data:`HALF_CLOSE_CHECKS` need a
transport that can half-close (send FIN and keep reading), which plain TCP can and
asyncio's TLS cannot. Run them with pytest's ``parametrize`` over :data:`ALL_CHECKS` (or
the subset that applies), or all at once with :func:`check_socket_contract`::

    @pytest.mark.parametrize("check", ALL_CHECKS, ids=check_id)
    async def test_plain_tcp_keeps_the_socket_contract(check: Check) -> None:
        await check(plain_tcp)

A factory for another transport follows :func:`plain_tcp`: for TLS, start
``ScriptedPeer(ssl=server_context)`` and connect with ``secure_transport="on"`` through a
``Connector`` that trusts the test CA; for a proxy, connect through a ``Connector`` with the
proxy URL to the same peer. Yield only once ``opened`` resolved, and close and settle the
socket on exit (:func:`~tests.integration.assertions.close_and_settle`).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_socket_error,
    close_and_settle,
    read_all,
    read_exactly,
    rejection,
    settle,
    settled_exception,
    yield_to_loop,
)
from tests.peers.scripted import ScriptedPeer
from wintersockets.connector.connector import connect

if TYPE_CHECKING:
    from wintersockets.socket.socket import Socket

__all__ = [
    "ALL_CHECKS",
    "HALF_CLOSE_CHECKS",
    "TWO_WAY_CHECKS",
    "Check",
    "Connected",
    "PeerSide",
    "SocketFactory",
    "check_id",
    "check_socket_contract",
    "plain_tcp",
]

_STALL = 0.25
"""How long a write or send may stay pending before we call it stalled by backpressure.

A detection window, not a timing expectation: a false "stalled" on a slow machine only
makes the check look for backpressure a little early, which it then verifies.
"""
_BACKPRESSURE_LIMIT = 64 * 1024 * 1024
"""A sender that never stalls after this many bytes has no backpressure."""


class PeerSide(Protocol):
    """The server's side of a connection, as the checks drive it."""

    @property
    def received(self) -> bytes: ...

    def start_echo(self, *, fin_after: bool = True) -> None: ...

    async def send(self, data: bytes, *, within: float = ...) -> None: ...

    def fin(self) -> None: ...

    def rst(self) -> None: ...

    def close(self) -> None: ...

    def stop_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    async def wait_received(self, n: int, *, within: float = ...) -> bytes: ...

    async def wait_eof(self, *, within: float = ...) -> bytes: ...

    async def wait_closed(self, *, within: float = ...) -> None: ...


@dataclass(frozen=True)
class Connected:
    """An open socket and the peer's side of its connection."""

    sock: Socket
    peer: PeerSide


class SocketFactory(Protocol):
    """Opens a socket to a fresh peer connection; closes and settles it on exit."""

    def __call__(
        self, *, allow_half_open: bool = False
    ) -> AbstractAsyncContextManager[Connected]: ...


Check = Callable[[SocketFactory], Awaitable[None]]


@contextlib.asynccontextmanager
async def plain_tcp(*, allow_half_open: bool = False) -> AsyncIterator[Connected]:
    """The reference factory: plain TCP to a :class:`ScriptedPeer` on 127.0.0.1."""
    async with ScriptedPeer() as peer:
        sock = connect(peer.address, allow_half_open=allow_half_open)
        try:
            async with asyncio.timeout(WITHIN):
                await sock.opened  # first: a failure to connect shows as itself
            conn = await peer.accept()
            yield Connected(sock, conn)
        finally:
            await close_and_settle(sock)


def check_id(check: Check) -> str:
    """A readable pytest id for a check: its name without ``check_``."""
    return getattr(check, "__name__", repr(check)).removeprefix("check_")


def _random_chunks(total: int, seed: int, largest: int) -> list[bytes]:
    rng = random.Random(seed)
    data = rng.randbytes(total)
    chunks: list[bytes] = []
    offset = 0
    while offset < total:
        size = rng.randint(1, largest)
        chunks.append(data[offset : offset + size])
        offset += size
    return chunks


# -- data in both directions ---------------------------------------------------------------


async def check_echo_round_trip(factory: SocketFactory) -> None:
    """What the socket writes reaches the peer, and what the peer sends is read back."""
    async with factory() as c:
        c.peer.start_echo()
        writer = c.sock.writable.get_writer()
        await writer.write(b"hello, world")
        assert_bytes_received(await read_exactly(c.sock, 12), b"hello, world")
        assert_bytes_received(c.peer.received, b"hello, world")


async def check_echo_keeps_every_byte_in_order(factory: SocketFactory) -> None:
    """Four MiB in random-sized writes, echoed while written, come back byte for byte."""
    chunks = _random_chunks(4 * 1024 * 1024, seed=1, largest=100_000)
    expected = b"".join(chunks)
    async with factory() as c:
        c.peer.start_echo()
        writer = c.sock.writable.get_writer()

        async def write_all() -> None:
            for chunk in chunks:
                await writer.write(chunk)

        async with asyncio.timeout(WITHIN), asyncio.TaskGroup() as tasks:
            tasks.create_task(write_all())
            received = tasks.create_task(read_exactly(c.sock, len(expected)))
        assert_bytes_received(received.result(), expected)


async def check_str_chunks_are_sent_as_utf8(factory: SocketFactory) -> None:
    """A ``str`` written to the writable goes out UTF-8 encoded (decision 7)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.write("héllo ☃")
        expected = "héllo ☃".encode()
        assert_bytes_received(await c.peer.wait_received(len(expected)), expected)


async def check_written_bytes_are_copied_at_write_time(factory: SocketFactory) -> None:
    """Mutating a ``bytearray`` after ``write()`` does not change what is sent (decision 7)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        buffer = bytearray(b"first")
        view_source = bytearray(b"second")
        writes = [writer.write(buffer), writer.write(memoryview(view_source))]
        buffer[:] = b"XXXXX"
        view_source[:] = b"YYYYYY"
        await settle(*writes)
        assert [settled_exception(w) for w in writes] == [None, None]
        assert_bytes_received(await c.peer.wait_received(11), b"firstsecond")


async def check_empty_chunks_are_a_no_op(factory: SocketFactory) -> None:
    """Writing ``b""`` or ``""`` resolves and sends nothing (decision 7)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"")
        await writer.write("")
        await writer.write(b"x")
        assert_bytes_received(await c.peer.wait_received(1), b"x")


async def check_a_chunk_that_is_not_bytes_rejects_with_type_error(factory: SocketFactory) -> None:
    """Writing an ``int`` rejects the write with ``TypeError`` and errors the writable."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        bad: Any = 12345
        exc = await rejection(writer.write(bad))
        assert isinstance(exc, TypeError), repr(exc)
        assert isinstance(await rejection(writer.closed), TypeError)


async def check_peer_data_then_close_ends_the_readable(factory: SocketFactory) -> None:
    """Bytes the peer sent before closing are all read, then the readable ends."""
    async with factory() as c:
        await c.peer.send(b"goodbye, ")
        await c.peer.send(b"world")
        c.peer.close()
        assert_bytes_received(await read_all(c.sock), b"goodbye, world")
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None


async def check_closed_resolves_when_the_peer_closes_even_unread(factory: SocketFactory) -> None:
    """``closed`` resolves on the peer's close though nothing was read; the data stays
    readable (decision 3)."""
    async with factory() as c:
        await c.peer.send(b"unread data")
        c.peer.close()
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None
        assert_bytes_received(await read_all(c.sock), b"unread data")


async def check_async_iteration_yields_bytes_until_the_peer_closes(
    factory: SocketFactory,
) -> None:
    """``async for chunk in sock.readable`` yields ``bytes`` and stops at the peer's close."""
    async with factory() as c:
        await c.peer.send(b"abc")
        await c.peer.send(b"def")
        c.peer.close()
        chunks = []
        async with asyncio.timeout(WITHIN):
            async for chunk in c.sock.readable:
                assert isinstance(chunk, bytes), type(chunk)
                chunks.append(chunk)
        assert_bytes_received(b"".join(chunks), b"abcdef")


async def check_byob_reader_fills_the_callers_buffer(factory: SocketFactory) -> None:
    """A BYOB read puts the bytes into the caller's buffer and returns a view of them."""
    async with factory() as c:
        await c.peer.send(b"0123456789")
        reader = c.sock.readable.get_reader(mode="byob")
        received = bytearray()
        async with asyncio.timeout(WITHIN):
            while len(received) < 10:
                buffer = bytearray(4)
                result = await reader.read(memoryview(buffer))
                assert not result.done
                n = len(result.value)
                assert 1 <= n <= 4
                assert bytes(result.value) == bytes(buffer[:n])
                received += result.value
        reader.release_lock()
        assert_bytes_received(received, b"0123456789")


async def check_many_tiny_writes_arrive_in_order(factory: SocketFactory) -> None:
    """Two thousand one-byte writes issued without waiting arrive in order."""
    data = bytes(i % 251 for i in range(2_000))
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        writes = [writer.write(data[i : i + 1]) for i in range(len(data))]
        await settle(*writes)
        assert all(settled_exception(w) is None for w in writes)
        assert_bytes_received(await c.peer.wait_received(len(data)), data)


async def check_any_buffer_protocol_object_can_be_written(factory: SocketFactory) -> None:
    """``array.array`` and multi-byte memoryviews are written as their raw bytes."""
    words = array.array("H", [0x4142, 0x4344])
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.write(array.array("B", b"raw:"))
        await writer.write(memoryview(words))
        expected = b"raw:" + words.tobytes()
        assert_bytes_received(await c.peer.wait_received(len(expected)), expected)


async def check_writers_can_be_released_and_acquired_again(factory: SocketFactory) -> None:
    """Bytes written through successive writers arrive in order."""
    async with factory() as c:
        for part in (b"one ", b"two ", b"three"):
            writer = c.sock.writable.get_writer()
            await writer.write(part)
            writer.release_lock()
        assert_bytes_received(await c.peer.wait_received(13), b"one two three")


async def check_default_and_byob_readers_can_take_turns(factory: SocketFactory) -> None:
    """Reading one stream with default and BYOB readers in turn loses and reorders nothing."""
    payload = random.Random(3).randbytes(1024 * 1024)
    async with factory() as c:
        sender = asyncio.ensure_future(c.peer.send(payload))
        received = bytearray()
        turn = 0
        async with asyncio.timeout(WITHIN):
            while len(received) < len(payload):
                if turn % 2:
                    byob = c.sock.readable.get_reader(mode="byob")
                    result = await byob.read(memoryview(bytearray(1 + turn * 997 % 70_000)))
                    byob.release_lock()
                else:
                    default = c.sock.readable.get_reader()
                    result = await default.read()
                    default.release_lock()
                assert not result.done
                received += result.value
                turn += 1
            await sender
        assert_bytes_received(received, payload)


# -- close() ---------------------------------------------------------------------------------


async def check_close_returns_the_closed_future(factory: SocketFactory) -> None:
    """``close()`` returns ``closed`` itself, the same object on every access (decision 4)."""
    async with factory() as c:
        closed = c.sock.closed
        assert c.sock.closed is closed
        result = c.sock.close()
        assert result is closed
        async with asyncio.timeout(WITHIN):
            await result
        assert c.sock.close() is closed
        await c.peer.wait_eof()


async def check_close_flushes_writes_already_accepted(factory: SocketFactory) -> None:
    """Writes accepted before ``close()`` all reach the peer before the connection ends."""
    payload = random.Random(2).randbytes(2 * 1024 * 1024)
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        write = writer.write(payload)
        closed = c.sock.close()
        await settle(write, closed)
        assert settled_exception(write) is None
        assert settled_exception(closed) is None
        assert_bytes_received(await c.peer.wait_eof(), payload)


async def check_a_write_while_close_flushes_rejects_with_type_error(
    factory: SocketFactory,
) -> None:
    """A write issued right after ``close()``, while it flushes, is rejected with a
    ``TypeError``, not raised (decision 4)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        c.sock.close()
        exc = await rejection(writer.write(b"too late"))
        assert isinstance(exc, TypeError), repr(exc)


async def check_writes_after_closed_resolved_fail_with_type_error(factory: SocketFactory) -> None:
    """Once ``close()`` completed, writes fail with a ``TypeError`` (decision 4)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await settle(c.sock.close())
        exc = await rejection(writer.write(b"much too late"))
        assert isinstance(exc, TypeError), repr(exc)


async def check_close_with_reason_settles_pending_reads_and_resolves_closed(
    factory: SocketFactory,
) -> None:
    """``close(reason)`` resolves ``closed``, ends a pending read (done, or a ``TypeError``
    saying the socket is closing) and settles the writer; later writes fail."""
    async with factory() as c:
        reader = c.sock.readable.get_reader()
        writer = c.sock.writable.get_writer()
        pending_read = reader.read()
        reason = ValueError("the application is done")
        await settle(c.sock.close(reason))
        assert settled_exception(c.sock.closed) is None
        await settle(pending_read, writer.closed)
        read_error = settled_exception(pending_read)
        if read_error is None:
            assert pending_read.result().done
        else:
            assert isinstance(read_error, TypeError), repr(read_error)
        writer_error = settled_exception(writer.closed)
        assert writer_error is None or writer_error is reason, repr(writer_error)
        assert await rejection(writer.write(b"after close(reason)")) is not None


async def check_async_with_closes_the_socket(factory: SocketFactory) -> None:
    """Leaving ``async with sock`` closes it; the peer sees the connection end (FIN)."""
    async with factory() as c:
        async with c.sock as entered:
            assert entered is c.sock
            await c.sock.writable.get_writer().write(b"inside")
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None
        assert_bytes_received(await c.peer.wait_eof(), b"inside")


# -- failures --------------------------------------------------------------------------------


async def check_reset_by_peer_errors_the_readable_and_rejects_closed(
    factory: SocketFactory,
) -> None:
    """A RST from the peer errors the readable and rejects ``closed`` with a SocketError
    caused by ConnectionResetError (decision 10)."""
    async with factory() as c:
        reader = c.sock.readable.get_reader()
        pending_read = reader.read()
        c.peer.rst()
        exc = await rejection(c.sock.closed)
        assert_socket_error(exc, cause=ConnectionResetError)
        await settle(pending_read)
        assert settled_exception(pending_read) is not None
        assert await rejection(reader.closed) is not None


# -- backpressure ----------------------------------------------------------------------------


async def check_writes_stall_while_the_peer_does_not_read(factory: SocketFactory) -> None:
    """Writes stop completing while the peer reads nothing, then all complete, in order."""
    chunk = bytes(range(256)) * 256  # 64 KiB
    async with factory() as c:
        c.peer.stop_reading()
        writer = c.sock.writable.get_writer()
        writes: list[asyncio.Future[None]] = []
        stalled = False
        while len(writes) * len(chunk) < _BACKPRESSURE_LIMIT:
            writes.append(writer.write(chunk))
            done, _ = await asyncio.wait([writer.ready], timeout=_STALL)
            if not done:
                stalled = True
                break
        assert stalled, f"wrote {_BACKPRESSURE_LIMIT} bytes to a peer that does not read"
        desired_size = writer.desired_size
        assert desired_size is not None
        assert desired_size <= 0
        sent = len(writes) * len(chunk)
        assert len(c.peer.received) < sent
        c.peer.resume_reading()
        await settle(*writes)
        assert all(settled_exception(w) is None for w in writes)
        assert_bytes_received(await c.peer.wait_received(sent), chunk * len(writes))


async def check_the_peer_stalls_while_the_application_does_not_read(
    factory: SocketFactory,
) -> None:
    """The socket stops reading while its readable is full, so the peer's sends stall;
    reading then yields every byte in order."""
    chunk = bytes(range(256)) * 256
    async with factory() as c:
        sends = 0
        pending: asyncio.Task[None] | None = None
        while sends * len(chunk) < _BACKPRESSURE_LIMIT:
            send = asyncio.ensure_future(c.peer.send(chunk))
            sends += 1
            done, _ = await asyncio.wait([send], timeout=_STALL)
            if not done:
                pending = send
                break
            send.result()
        assert pending is not None, f"the peer sent {_BACKPRESSURE_LIMIT} bytes unread"
        received = await read_exactly(c.sock, sends * len(chunk))
        await settle(pending)
        pending.result()
        assert_bytes_received(received, chunk * sends)


# -- half-close (needs a transport that can send FIN and keep reading) ---------------------


async def check_closing_the_writable_sends_fin_and_keeps_reading(
    factory: SocketFactory,
) -> None:
    """Closing the writable half-closes: the peer gets FIN, the socket still reads, and
    ``closed`` waits for the peer (decision 3)."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"request")
        await writer.close()
        assert_bytes_received(await c.peer.wait_eof(), b"request")
        await yield_to_loop()
        assert_pending(c.sock.closed)
        await c.peer.send(b"response")
        c.peer.close()
        assert_bytes_received(await read_all(c.sock), b"response")
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None


async def check_peer_fin_closes_the_socket_without_half_open(factory: SocketFactory) -> None:
    """With ``allow_half_open=False`` the peer's FIN ends the readable after its data, the
    socket sends its own FIN after queued writes, and ``closed`` resolves (decision 3)."""
    async with factory(allow_half_open=False) as c:
        writer = c.sock.writable.get_writer()
        await writer.write(b"written before the peer's FIN")
        await c.peer.wait_received(29)
        await c.peer.send(b"last words")
        c.peer.fin()
        assert_bytes_received(await c.peer.wait_eof(), b"written before the peer's FIN")
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None
        assert_bytes_received(await read_all(c.sock), b"last words")


async def check_peer_fin_keeps_the_writable_with_half_open(factory: SocketFactory) -> None:
    """With ``allow_half_open=True`` the writable works after the peer's FIN; ``closed``
    resolves once the application closes it (decision 3)."""
    async with factory(allow_half_open=True) as c:
        await c.peer.send(b"your turn")
        c.peer.fin()
        assert_bytes_received(await read_all(c.sock), b"your turn")
        writer = c.sock.writable.get_writer()
        await writer.write(b"still talking")
        assert_bytes_received(await c.peer.wait_received(13), b"still talking")
        assert_pending(c.sock.closed)
        await writer.close()
        await c.peer.wait_eof()
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None


async def check_cancelling_the_readable_does_not_resolve_closed(factory: SocketFactory) -> None:
    """Cancelling the readable leaves the socket open: writes still reach the peer."""
    async with factory() as c:
        await c.sock.readable.cancel()
        writer = c.sock.writable.get_writer()
        await writer.write(b"still open")
        assert_bytes_received(await c.peer.wait_received(10), b"still open")
        await yield_to_loop()
        assert_pending(c.sock.closed)


async def check_close_after_closing_the_writable_resolves_closed(
    factory: SocketFactory,
) -> None:
    """``close()`` after a half-close does not wait for the peer's FIN."""
    async with factory() as c:
        writer = c.sock.writable.get_writer()
        await writer.close()
        await c.peer.wait_eof()
        await settle(c.sock.close())
        assert settled_exception(c.sock.closed) is None


async def check_peer_fin_after_cancelling_the_readable_closes_the_socket(
    factory: SocketFactory,
) -> None:
    """With the readable cancelled, the peer's data is dropped, and its FIN still closes
    the socket (``allow_half_open=False``)."""
    async with factory() as c:
        await c.sock.readable.cancel()
        await c.peer.send(b"nobody reads this")
        c.peer.fin()
        await c.peer.wait_eof()
        await settle(c.sock.closed)
        assert settled_exception(c.sock.closed) is None


TWO_WAY_CHECKS: tuple[Check, ...] = (
    check_echo_round_trip,
    check_echo_keeps_every_byte_in_order,
    check_many_tiny_writes_arrive_in_order,
    check_any_buffer_protocol_object_can_be_written,
    check_writers_can_be_released_and_acquired_again,
    check_default_and_byob_readers_can_take_turns,
    check_str_chunks_are_sent_as_utf8,
    check_written_bytes_are_copied_at_write_time,
    check_empty_chunks_are_a_no_op,
    check_a_chunk_that_is_not_bytes_rejects_with_type_error,
    check_peer_data_then_close_ends_the_readable,
    check_closed_resolves_when_the_peer_closes_even_unread,
    check_async_iteration_yields_bytes_until_the_peer_closes,
    check_byob_reader_fills_the_callers_buffer,
    check_close_returns_the_closed_future,
    check_close_flushes_writes_already_accepted,
    check_a_write_while_close_flushes_rejects_with_type_error,
    check_writes_after_closed_resolved_fail_with_type_error,
    check_close_with_reason_settles_pending_reads_and_resolves_closed,
    check_async_with_closes_the_socket,
    check_reset_by_peer_errors_the_readable_and_rejects_closed,
    check_writes_stall_while_the_peer_does_not_read,
    check_the_peer_stalls_while_the_application_does_not_read,
    check_cancelling_the_readable_does_not_resolve_closed,
)
"""Checks that hold over any transport (plain, TLS, STARTTLS, proxied)."""

HALF_CLOSE_CHECKS: tuple[Check, ...] = (
    check_closing_the_writable_sends_fin_and_keeps_reading,
    check_peer_fin_closes_the_socket_without_half_open,
    check_peer_fin_keeps_the_writable_with_half_open,
    check_close_after_closing_the_writable_resolves_closed,
    check_peer_fin_after_cancelling_the_readable_closes_the_socket,
)
"""Checks that need TCP half-close (FIN while still reading): not over asyncio's TLS."""

ALL_CHECKS: tuple[Check, ...] = TWO_WAY_CHECKS + HALF_CLOSE_CHECKS


async def check_socket_contract(factory: SocketFactory, *, half_closeable: bool = True) -> None:
    """Run every check that applies to ``factory``'s transport, one after the other."""
    for check in ALL_CHECKS if half_closeable else TWO_WAY_CHECKS:
        await check(factory)
