"""Tests of the transport bridge through real sockets: reads, writes, flow control, FIN, RST."""

from __future__ import annotations

import array
import asyncio
import random
from typing import Any

import pytest

from tests.socket.peer import TIMEOUT, eventually, serve, unused_port
from wintersockets.connector.connector import connect
from wintersockets.errors import SocketError
from wintersockets.socket.socket import Socket
from wintersockets.transport.chunks import encode_chunk
from wintersockets.transport.protocol import READ_HIGH_WATER_MARK, StreamBridge

MIB = 1024 * 1024


async def opened(peer_address: str, **options: Any) -> Socket:
    sock = connect(peer_address, **options)
    await asyncio.wait_for(sock.opened, TIMEOUT)
    return sock


def bridge_of(sock: Socket) -> StreamBridge:
    bridge: StreamBridge = sock._bridge
    return bridge


async def read_all(sock: Socket) -> bytes:
    data = bytearray()
    async for chunk in sock.readable:
        data += chunk
    return bytes(data)


def pattern(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


# -- chunks (decision 7), pure ---------------------------------------------------------------


def test_bytes_chunks_are_sent_as_they_are() -> None:
    chunk = b"abc"
    assert encode_chunk(chunk) is chunk


def test_other_bytes_like_chunks_are_copied() -> None:
    source = bytearray(b"abc")
    data = encode_chunk(source)
    source[:] = b"xyz"
    assert data == b"abc"
    assert encode_chunk(memoryview(b"abcdef")[2:4]) == b"cd"
    assert encode_chunk(array.array("H", [1, 2])) == array.array("H", [1, 2]).tobytes()


def test_str_chunks_are_utf8_with_lone_surrogates_replaced() -> None:
    assert encode_chunk("héllo") == "héllo".encode()
    assert encode_chunk("a\ud800b") == "a\ufffdb".encode()


@pytest.mark.parametrize("chunk", [123, None, 1.5, ["x"], {"a": 1}])
def test_other_chunks_are_type_errors(chunk: object) -> None:
    with pytest.raises(TypeError, match=r"bytes-like objects .* or str, got"):
        encode_chunk(chunk)


# -- reading ---------------------------------------------------------------------------------


async def test_default_reader_gets_bytes_in_order() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        data = pattern(3 * MIB)
        conn.send(data)
        conn.fin()
        received = await asyncio.wait_for(read_all(sock), TIMEOUT)
        assert received == data
        await asyncio.wait_for(sock.closed, TIMEOUT)


async def test_byob_read_fills_the_callers_buffer_directly() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        reader = sock.readable.get_reader(mode="byob")
        buffer = bytearray(4096)
        read = reader.read(memoryview(buffer))
        await asyncio.sleep(0.01)  # the read is pending when the data arrives
        # While a BYOB read is pending the transport reads into the buffer we give it.
        assert isinstance(bridge_of(sock), asyncio.BufferedProtocol)
        conn.send(b"straight into the buffer")
        result = await asyncio.wait_for(read, TIMEOUT)
        assert not result.done
        assert isinstance(result.value, memoryview)
        assert result.value.obj is buffer
        assert bytes(result.value) == b"straight into the buffer"
        assert buffer.startswith(b"straight into the buffer")
        # Nothing passed through the readable's queue.
        controller = bridge_of(sock)._read_controller
        assert controller is not None
        assert controller._queue_total_size == 0
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_default_reads_take_the_bytes_the_transport_makes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On both loops a waiting default read makes the bridge a plain Protocol, so the
    # transport hands it the bytes it read (as a BufferedProtocol, they would be copied
    # out of a buffer of ours).
    calls = {"data_received": 0, "buffer_updated": 0}
    for name in calls:
        method = getattr(StreamBridge, name)

        def counted(
            self: StreamBridge, arg: Any, _name: str = name, _method: Any = method
        ) -> None:
            calls[_name] += 1
            _method(self, arg)

        monkeypatch.setattr(StreamBridge, name, counted)
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        reader = sock.readable.get_reader()
        for i in range(3):
            read = reader.read()
            await asyncio.sleep(0.01)  # the read waits when the data arrives
            assert isinstance(bridge_of(sock), asyncio.Protocol)
            conn.send(b"message %d" % i)
            result = await asyncio.wait_for(read, TIMEOUT)
            assert result.value == b"message %d" % i
        assert calls == {"data_received": 3, "buffer_updated": 0}
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_byob_reads_of_a_large_transfer_reassemble_exactly() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        data = pattern(2 * MIB + 123)
        conn.send(data)
        conn.fin()
        reader = sock.readable.get_reader(mode="byob")
        buffer = memoryview(bytearray(65536))
        received = bytearray()
        while True:
            result = await asyncio.wait_for(reader.read(buffer), TIMEOUT)
            if result.done:
                break
            received += result.value
        assert received == data
        await asyncio.wait_for(sock.closed, TIMEOUT)


async def test_switching_between_byob_and_default_readers_loses_nothing() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        buffer = memoryview(bytearray(10))
        for round_ in range(3):
            conn.send(b"byob-%d" % round_)
            byob = sock.readable.get_reader(mode="byob")
            result = await asyncio.wait_for(byob.read(buffer), TIMEOUT)
            assert bytes(result.value) == b"byob-%d" % round_
            byob.release_lock()
            conn.send(b"default-%d" % round_)
            default = sock.readable.get_reader()
            chunk = (await asyncio.wait_for(default.read(), TIMEOUT)).value
            assert type(chunk) is bytes
            assert chunk == b"default-%d" % round_
            default.release_lock()
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_switching_reader_kinds_during_a_fast_transfer_loses_nothing() -> None:
    # Each switch changes the kind of protocol the transport drives while it is reading.
    rnd = random.Random(7)
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        data = bytes(rnd.getrandbits(8) for _ in range(8 * MIB))
        conn.send(data)
        conn.fin()
        received = bytearray()
        done = False
        while not done:
            if rnd.random() < 0.5:
                byob = sock.readable.get_reader(mode="byob")
                for _ in range(rnd.randint(1, 20)):
                    view = memoryview(bytearray(rnd.choice((1, 100, 4096, 65536))))
                    result = await asyncio.wait_for(byob.read(view), TIMEOUT)
                    if result.done:
                        done = True
                        break
                    received += result.value
                byob.release_lock()
            else:
                default = sock.readable.get_reader()
                for _ in range(rnd.randint(1, 20)):
                    result = await asyncio.wait_for(default.read(), TIMEOUT)
                    if result.done:
                        done = True
                        break
                    received += result.value
                default.release_lock()
        assert received == data
        await asyncio.wait_for(sock.closed, TIMEOUT)


@pytest.mark.parametrize("touch_readable", [True, False])
async def test_a_reader_that_does_not_read_pauses_the_transport(touch_readable: bool) -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        if touch_readable:
            reader = sock.readable.get_reader()
        transport = bridge_of(sock).transport
        assert transport is not None
        data = pattern(8 * MIB)
        conn.send(data)
        # What is received waits for the reader up to the high-water mark, reading pauses,
        # the kernel buffers fill, and the peer's transport is told to stop writing. This
        # holds before the readable is first used too (the bridge keeps the data for it).
        await eventually(lambda: not transport.is_reading(), "the socket paused reading")
        await eventually(lambda: conn.writing_paused, "the peer's writing was paused")
        controller = bridge_of(sock)._read_controller
        if touch_readable:
            assert controller is not None
            queued = controller._queue_total_size
            reader.release_lock()
        else:
            assert controller is None
            queued = bridge_of(sock)._early_size
        assert READ_HIGH_WATER_MARK <= queued < 2 * MIB
        conn.fin()
        received = await asyncio.wait_for(read_all(sock), TIMEOUT)
        assert received == data


async def test_cancelling_the_readable_does_not_resolve_closed() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        await sock.readable.cancel("done reading")
        conn.send(b"discarded")
        await asyncio.sleep(0.02)
        assert not sock.closed.done()
        # Once the writable is closed too, both directions are done.
        await sock.writable.close()
        await conn.wait_eof()
        await asyncio.wait_for(sock.closed, TIMEOUT)


# -- writing ---------------------------------------------------------------------------------


async def test_writes_before_open_are_queued_and_sent_in_order() -> None:
    async with serve() as peer:
        sock = connect(peer.address)
        writer = sock.writable.get_writer()
        writes = [writer.write(b"%d," % i) for i in range(100)]
        assert not sock.opened.done()
        conn = await peer.accept()
        await asyncio.wait_for(asyncio.gather(*writes), TIMEOUT)
        expected = b"".join(b"%d," % i for i in range(100))
        assert await conn.wait_received(len(expected)) == expected
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_changing_a_bytearray_after_write_changes_nothing_sent() -> None:
    async with serve() as peer:
        sock = connect(peer.address)
        writer = sock.writable.get_writer()
        buffer = bytearray(b"before open")
        writer.write(buffer)  # queued: the connection is not open yet
        buffer[:] = b"XXXXXXXXXXX"
        conn = await peer.accept()
        await asyncio.wait_for(sock.opened, TIMEOUT)
        buffer = bytearray(b"after open")
        write = writer.write(buffer)
        buffer[:] = b"YYYYYYYYYY"
        await write
        assert await conn.wait_received(21) == b"before openafter open"
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_str_is_sent_as_utf8_and_empty_chunks_send_nothing() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        await writer.write("")
        await writer.write(b"")
        await writer.write(bytearray())
        await writer.write("héllo ✓")
        assert await conn.wait_received(len("héllo ✓".encode())) == "héllo ✓".encode()
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_a_chunk_of_the_wrong_type_errors_the_writable() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        await writer.write(b"good")
        with pytest.raises(TypeError, match="got int"):
            await writer.write(42)
        with pytest.raises(TypeError, match="got int"):
            await writer.write(b"after")
        with pytest.raises(TypeError):
            await writer.closed
        # Nothing more can be sent: the socket says so with FIN.
        await conn.wait_eof()
        assert bytes(conn.received) == b"good"
        assert not sock.closed.done()
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_a_transport_refusing_a_write_fails_the_write_not_the_call() -> None:
    """A write the transport raises on (here: after write_eof(), behind the socket's back)
    is a rejected write and an errored writable, with a SocketError chaining the cause;
    writer.write() itself never raises, and the socket still closes."""
    async with serve() as peer:
        sock = await opened(peer.address)
        await peer.accept()
        transport = bridge_of(sock).transport
        assert transport is not None
        transport.write_eof()
        writer = sock.writable.get_writer()
        write = writer.write(b"refused")
        with pytest.raises(SocketError, match="refused a write") as caught:
            await write
        assert isinstance(caught.value.__cause__, RuntimeError)
        with pytest.raises(SocketError, match="refused a write"):
            await writer.closed
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_a_peer_that_does_not_read_holds_back_the_writer() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.stop_reading()
        writer = sock.writable.get_writer()
        chunk = bytes(64 * 1024)
        sent = 0
        while True:
            await asyncio.wait_for(writer.ready, TIMEOUT)
            writer.write(chunk)
            sent += len(chunk)
            await asyncio.sleep(0.001)
            if not writer.ready.done():
                break
            assert sent < 256 * MIB, "the writer never felt backpressure"
        desired = writer.desired_size
        assert desired is not None
        assert desired <= 0
        await asyncio.sleep(0.05)
        assert not writer.ready.done()
        conn.resume_reading()
        await asyncio.wait_for(writer.ready, TIMEOUT)
        await conn.wait_received(sent)
        assert len(conn.received) == sent
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_writable_abort_sends_fin() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        await sock.writable.abort("stop")
        await conn.wait_eof()
        conn.send(b"still readable")
        reader = sock.readable.get_reader()
        assert (await asyncio.wait_for(reader.read(), TIMEOUT)).value == b"still readable"
        assert not sock.closed.done()
        await asyncio.wait_for(sock.close(), TIMEOUT)


async def test_a_fin_we_cannot_send_on_a_reset_connection_ends_it_with_the_error() -> None:
    # The peer resets the connection before our transport has read of it (reading is
    # paused), then the writable is aborted: the FIN's shutdown() fails (ENOTCONN). That
    # ends the connection as the transport would, and every promise settles.
    async with serve() as peer:
        sock = await opened(peer.address, allow_half_open=True)
        conn = await peer.accept()
        bridge = bridge_of(sock)
        bridge._pause_reading()  # so the reset stays in the kernel, unread
        conn.fin()
        conn.rst()
        await asyncio.sleep(0.05)
        writer = sock.writable.get_writer()
        await asyncio.wait_for(writer.abort("stop"), TIMEOUT)
        with pytest.raises(SocketError, match="broke") as info:
            await asyncio.wait_for(sock.close(), TIMEOUT)
        assert isinstance(info.value.__cause__, OSError)


# -- half-close (decision 3) -----------------------------------------------------------------


async def test_peer_fin_without_half_open_flushes_sends_fin_and_resolves_closed() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.send(b"last words")
        conn.fin()
        # Nobody reads, yet closed resolves and the peer gets our FIN.
        await asyncio.wait_for(sock.closed, TIMEOUT)
        await conn.wait_eof()
        # The data received before FIN stays readable.
        assert await read_all(sock) == b"last words"


async def test_queued_writes_are_flushed_before_the_automatic_fin() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.stop_reading()
        writer = sock.writable.get_writer()
        data = pattern(16 * MIB)  # more than loopback's kernel buffers can absorb
        for offset in range(0, len(data), 65536):
            writer.write(data[offset : offset + 65536])
        conn.fin()
        await asyncio.sleep(0.02)
        assert not sock.closed.done()  # still flushing: the peer is not reading
        conn.resume_reading()
        await asyncio.wait_for(sock.closed, TIMEOUT)
        await conn.wait_eof()
        assert bytes(conn.received) == data


async def test_half_open_socket_keeps_writing_after_the_peers_fin() -> None:
    async with serve() as peer:
        sock = await opened(peer.address, allow_half_open=True)
        conn = await peer.accept()
        conn.send(b"request")
        conn.fin()
        assert await asyncio.wait_for(read_all(sock), TIMEOUT) == b"request"
        await asyncio.sleep(0.02)
        assert not sock.closed.done()
        assert not conn.eof
        writer = sock.writable.get_writer()
        await writer.write(b"response after your FIN")
        assert await conn.wait_received(23) == b"response after your FIN"
        await writer.close()
        await conn.wait_eof()
        await asyncio.wait_for(sock.closed, TIMEOUT)


async def test_closing_the_writable_sends_fin_and_keeps_reading() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        await writer.write(b"question")
        await writer.close()
        await conn.wait_eof()
        assert bytes(conn.received) == b"question"
        assert not sock.closed.done()
        conn.send(b"answer")
        conn.fin()
        assert await asyncio.wait_for(read_all(sock), TIMEOUT) == b"answer"
        await asyncio.wait_for(sock.closed, TIMEOUT)


# -- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "::1"])
async def test_reset_by_the_peer_errors_the_readable_and_rejects_closed(host: str) -> None:
    async with serve(host) as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        reader = sock.readable.get_reader()
        read = reader.read()
        conn.rst()
        with pytest.raises(SocketError) as info:
            await asyncio.wait_for(read, TIMEOUT)
        error = info.value
        assert isinstance(error.__cause__, ConnectionResetError)
        assert "reset" in str(error)
        await asyncio.wait([sock.closed], timeout=TIMEOUT)
        assert sock.closed.exception() is error
        with pytest.raises(SocketError):
            await sock.writable.get_writer().write(b"too late")


async def test_reset_while_a_write_waits_for_the_peer_rejects_the_write() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.stop_reading()
        writer = sock.writable.get_writer()
        writes = []
        while writer.desired_size is not None and writer.desired_size > 0:
            writes.append(writer.write(bytes(256 * 1024)))
            await asyncio.sleep(0.001)
        conn.rst()
        results = await asyncio.wait_for(asyncio.gather(*writes, return_exceptions=True), TIMEOUT)
        assert any(isinstance(r, SocketError) for r in results)
        await asyncio.wait([sock.closed], timeout=TIMEOUT)
        error = sock.closed.exception()
        assert isinstance(error, SocketError)
        assert isinstance(error.__cause__, ConnectionResetError | BrokenPipeError)


async def test_peer_closing_while_data_is_unread_still_delivers_it() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.send(b"x" * 1000)
        conn.close()
        await asyncio.wait_for(sock.closed, TIMEOUT)
        assert await read_all(sock) == b"x" * 1000


# -- streams first used late -----------------------------------------------------------------


async def test_streams_first_used_after_a_failure_are_errored_with_it() -> None:
    sock = connect(f"127.0.0.1:{unused_port()}")
    await asyncio.wait([sock.closed], timeout=TIMEOUT)
    error = sock.closed.exception()
    assert isinstance(error, SocketError)
    with pytest.raises(SocketError) as read_error:
        await sock.readable.get_reader().read()
    assert read_error.value is error
    with pytest.raises(SocketError) as write_error:
        await sock.writable.get_writer().write(b"x")
    assert write_error.value is error


async def test_streams_first_used_after_close_are_finished() -> None:
    async with serve() as peer:
        sock = await opened(peer.address)
        conn = await peer.accept()
        conn.send(b"before close")
        await asyncio.sleep(0.01)
        await asyncio.wait_for(sock.close(), TIMEOUT)
        with pytest.raises(TypeError, match="closing"):
            await sock.readable.get_reader().read()
        writer = sock.writable.get_writer()
        with pytest.raises(TypeError):
            await writer.write(b"after close")
        await asyncio.wait_for(writer.closed, TIMEOUT)


async def test_data_received_before_the_readable_is_used_is_kept_in_order() -> None:
    async with serve() as peer:
        sock = await opened(peer.address, allow_half_open=True)
        conn = await peer.accept()
        for i in range(50):
            conn.send(b"%03d" % i)
        conn.fin()
        await conn.wait_received(0)
        await asyncio.sleep(0.05)  # the data and the FIN arrive before the readable exists
        assert bridge_of(sock)._readable is None
        assert await read_all(sock) == b"".join(b"%03d" % i for i in range(50))
        await asyncio.wait_for(sock.close(), TIMEOUT)
