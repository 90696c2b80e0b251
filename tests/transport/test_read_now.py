"""Reads answered from the socket at once (``StreamBridge._read_now``), on real sockets.

Each test first lets the readable's queue fill until the socket pauses reading, so that the
rest of the peer's bytes, and its FIN or RST, wait in the kernel where only a read made at
once, inside ``read()``, finds them: the transport is not polling the socket then.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

from tests.socket.peer import TIMEOUT, Peer, PeerConnection, eventually, serve
from tests.transport.test_protocol import MIB, bridge_of, opened, pattern
from wintersockets.errors import SocketError
from wintersockets.socket.socket import Socket
from wintersockets.streams.byob_reader import ReadableStreamBYOBReader
from wintersockets.transport import protocol
from wintersockets.transport.protocol import READ_HIGH_WATER_MARK, SCRATCH_SIZE

T = TypeVar("T")


async def open_paused(
    peer: Peer, data: bytes, kernel_buffers: int | None = None
) -> tuple[Socket, PeerConnection]:
    """A socket whose peer sent ``data``, once the socket has paused reading.

    ``kernel_buffers``: the receive and send buffer sizes to ask the kernel for, so that
    more of ``data`` waits in the kernel.
    """
    sock = await opened(peer.address)
    conn = await peer.accept()
    if kernel_buffers is not None:
        transport = bridge_of(sock).transport
        assert transport is not None
        assert conn.transport is not None
        client = transport.get_extra_info("socket")
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, kernel_buffers)
        server = conn.transport.get_extra_info("socket")
        server.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, kernel_buffers)
    sock.readable  # noqa: B018  # the readable exists, so what arrives is queued in it
    conn.send(data)
    transport = bridge_of(sock).transport
    assert transport is not None
    await eventually(lambda: not transport.is_reading(), "the socket paused reading")
    return sock, conn


async def read_into(reader: ReadableStreamBYOBReader, size: int, view_size: int) -> bytes:
    view = memoryview(bytearray(view_size))
    received = bytearray()
    async with asyncio.timeout(TIMEOUT):
        while len(received) < size:
            result = await reader.read(view)
            assert not result.done
            received += result.value
    return bytes(received)


async def read_until_done(sock: Socket, kind: str, on_read: Callable[[int], None]) -> bytes:
    """Read ``sock`` to its end with a ``kind`` reader (64 KiB views for BYOB)."""
    received = bytearray()
    async with asyncio.timeout(TIMEOUT):
        if kind == "byob":
            reader = sock.readable.get_reader(mode="byob")
            view = memoryview(bytearray(65536))
            while not (result := await reader.read(view)).done:
                received += result.value
                on_read(len(result.value))
        else:
            default_reader = sock.readable.get_reader()
            while not (chunk := await default_reader.read()).done:
                received += chunk.value
                on_read(len(chunk.value))
    return bytes(received)


def ignore(_nbytes: int) -> None:
    pass


@pytest.mark.parametrize("view_size", [1000, 65536, 1 << 20])
async def test_byob_reads_get_every_byte_in_order_then_the_fin(view_size: int) -> None:
    async with serve() as peer:
        data = pattern(3 * MIB)
        sock, conn = await open_paused(peer, data)
        conn.fin()
        await asyncio.sleep(0.01)  # the FIN waits in the kernel behind the data
        reader = sock.readable.get_reader(mode="byob")
        assert await read_into(reader, len(data), view_size) == data
        result = await asyncio.wait_for(reader.read(bytearray(10)), TIMEOUT)
        assert result.done
        await asyncio.wait_for(sock.closed, TIMEOUT)


async def test_default_reads_get_every_byte_in_order_then_the_fin() -> None:
    async with serve() as peer:
        data = pattern(3 * MIB)
        sock, conn = await open_paused(peer, data)
        conn.fin()
        await asyncio.sleep(0.01)  # the FIN waits in the kernel behind the data
        assert await read_until_done(sock, "default", ignore) == data
        await asyncio.wait_for(sock.closed, TIMEOUT)


async def test_a_read_with_min_waits_for_its_whole_view() -> None:
    async with serve() as peer:
        data = pattern(2 * MIB + 5)
        sock, conn = await open_paused(peer, data)
        reader = sock.readable.get_reader(mode="byob")
        received = bytearray()
        view = memoryview(bytearray(100_000))
        while len(received) + len(view) <= len(data):
            result = await asyncio.wait_for(reader.read(view, min=len(view)), TIMEOUT)
            assert len(result.value) == len(view)
            received += result.value
        conn.fin()
        async with asyncio.timeout(TIMEOUT):
            while not (result := await reader.read(view)).done:
                received += result.value
        assert bytes(received) == data
        await sock.close()


@pytest.mark.parametrize("kind", ["byob", "default"])
async def test_a_reset_met_by_a_read_fails_the_socket_as_the_transport_would(kind: str) -> None:
    async with serve() as peer:
        sock, conn = await open_paused(peer, pattern(2 * MIB))
        conn.rst()
        await asyncio.sleep(0.01)  # the RST waits in the kernel: reading is paused
        with pytest.raises(SocketError, match="reset") as failure:
            await read_until_done(sock, kind, ignore)
        assert isinstance(failure.value.__cause__, ConnectionResetError)
        with pytest.raises(SocketError) as closed_failure:
            await asyncio.wait_for(sock.closed, TIMEOUT)
        assert closed_failure.value is failure.value
        with pytest.raises(SocketError, match="reset"):
            await sock.writable.get_writer().write(b"after the reset")


@pytest.mark.parametrize("kind", ["byob", "default"])
async def test_reads_made_at_once_yield_to_the_loop_after_their_allowance(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    allowance = 64 * 1024
    monkeypatch.setattr(protocol, "READ_NOW_ALLOWANCE", allowance)
    async with serve() as peer:
        data = pattern(4 * MIB)
        # Most of the data waits in the kernel, where reads made at once find it.
        sock, conn = await open_paused(peer, data, kernel_buffers=2 * MIB)
        conn.fin()
        await asyncio.sleep(0.01)
        total = 0
        seen = [0]  # bytes read at each turn of the loop
        done = False

        def count(nbytes: int) -> None:
            nonlocal total
            total += nbytes

        async def tick() -> None:
            while not done:
                seen.append(total)
                await asyncio.sleep(0)

        ticker = asyncio.create_task(tick())
        try:
            received = await read_until_done(sock, kind, count)
        finally:
            done = True
            await ticker
        seen.append(total)
        assert received == data
        # Between two turns of the loop: what was queued when reading paused (read from
        # the queue), one read the transport made (up to its 256 KiB buffer), and reads
        # at once up to the allowance, the last of them up to 256 KiB.
        stretches = [b - a for a, b in itertools.pairwise(seen)]
        assert max(stretches) <= 2 * READ_HIGH_WATER_MARK + allowance + 2 * SCRATCH_SIZE
        await sock.close()


class ReadCounter:
    """Counts the reads made at once (``os.read``/``os.readv`` on the socket), and how
    many of them found nothing."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.made = 0
        self.missed = 0
        read, readv = protocol._read, protocol._readv

        def counted_read(fd: int, n: int) -> bytes:
            return self._count(lambda: read(fd, n))

        def counted_readv(fd: int, buffers: Sequence[memoryview]) -> int:
            return self._count(lambda: readv(fd, buffers))

        monkeypatch.setattr(protocol, "_read", counted_read)
        monkeypatch.setattr(protocol, "_readv", counted_readv)

    def _count(self, call: Callable[[], T]) -> T:
        self.made += 1
        try:
            return call()
        except BlockingIOError:
            self.missed += 1
            raise


async def exchange(sock: Socket, kind: str, message: bytes) -> bytes:
    """Read one reply of ``len(message)`` bytes with a ``kind`` reader."""
    reply = bytearray()
    if kind == "byob":
        reader = sock.readable.get_reader(mode="byob")
        result = await reader.read(memoryview(bytearray(len(message))), min=len(message))
        reply += result.value
        reader.release_lock()
    else:
        default_reader = sock.readable.get_reader()
        while len(reply) < len(message):
            chunk = await default_reader.read()
            assert not chunk.done
            reply += chunk.value
        default_reader.release_lock()
    return bytes(reply)


@pytest.mark.parametrize("kind", ["byob", "default"])
async def test_slow_replies_cost_a_failing_read_per_probe_not_per_message(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # Request and response where each reply comes after the reader asked for it: a read
    # made at once finds nothing. After READ_NOW_MISSES such misses in a row, only every
    # READ_NOW_PROBE-th message tries again.
    counter = ReadCounter(monkeypatch)
    messages = 3 * protocol.READ_NOW_PROBE
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        for i in range(messages):
            message = b"%015d\n" % i
            await writer.write(message)
            request = conn.wait_received(len(message) * (i + 1))
            reply = asyncio.ensure_future(exchange(sock, kind, message))
            async with asyncio.timeout(TIMEOUT):
                await request
                await asyncio.sleep(0.001)  # the reader is waiting by now
                conn.send(message)
                assert await reply == message
        writer.release_lock()
        await sock.close()
    limit = protocol.READ_NOW_MISSES + messages // protocol.READ_NOW_PROBE + 1
    assert limit < messages // 4  # far below one failing read per message
    assert counter.missed <= limit, (counter.made, counter.missed)
