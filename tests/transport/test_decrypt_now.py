"""BYOB reads over TLS answered at once from the TLS transport (``StreamBridge._decrypt_now``).

The server is a blocking ``ssl`` socket in a thread, so that the test decides exactly what
reaches the client and when: the TLS records, the close_notify without a FIN, or bytes that
are not TLS at all. Each test first lets the readable's queue fill until the socket pauses
reading; the rest of what the server sends then waits in the TLS transport's buffers, where
only a read made at once, inside ``read()``, takes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator

import pytest

from tests.peers.tls_certs import TLSCerts, tls_certs, trusting  # noqa: F401
from tests.socket.peer import TIMEOUT, eventually
from tests.transport.test_protocol import bridge_of, pattern
from wintersockets.errors import SocketError
from wintersockets.socket.socket import Socket
from wintersockets.transport.protocol import READ_HIGH_WATER_MARK, StreamBridge

# Sent first: more than the readable queues before reading pauses. Then, once it paused,
# this much more, which waits in the TLS transport's buffer (asyncio and uvloop both hold
# up to 256 KiB of records before they stop reading the socket).
FIRST = READ_HIGH_WATER_MARK + 16 * 1024
WAITING = 100 * 1024

Script = Callable[[ssl.SSLSocket, "TLSServer"], None]


class TLSServer:
    """One TLS connection served by a thread running ``script(tls_socket, server)``.

    The script sends :data:`FIRST` bytes of its data, waits for :attr:`go` (the client
    paused reading), sends the rest and sets :attr:`sent`.
    """

    def __init__(self, context: ssl.SSLContext, script: Script) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._context = context
        self._script = script
        self.go = threading.Event()
        self.sent = threading.Event()
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self._listener.settimeout(TIMEOUT)
            raw, _ = self._listener.accept()
            raw.settimeout(TIMEOUT)
            with self._context.wrap_socket(raw, server_side=True) as tls:
                self._script(tls, self)
        except BaseException as exc:  # reported by stop()
            self.error = exc
        finally:
            self.sent.set()
            self._listener.close()

    def send_in_two(self, tls: ssl.SSLSocket, data: bytes) -> None:
        """Send ``data``: :data:`FIRST` bytes, then the rest once the client paused."""
        tls.sendall(data[:FIRST])
        if not self.go.wait(TIMEOUT):
            raise TimeoutError("the client did not pause reading")
        tls.sendall(data[FIRST:])

    async def stop(self) -> None:
        """Wait for the thread to finish; re-raise what failed in it."""
        self.go.set()
        await asyncio.to_thread(self._thread.join, TIMEOUT)
        assert not self._thread.is_alive(), "the TLS server thread did not finish"
        if self.error is not None:
            raise self.error


@contextlib.contextmanager
def counting_closes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Count the close_notify alerts that reads made at once met."""
    met: list[int] = []
    closed = StreamBridge._tls_closed

    def spy(self: StreamBridge) -> None:
        met.append(1)
        closed(self)

    monkeypatch.setattr(StreamBridge, "_tls_closed", spy)
    yield met


async def paused_tls_socket(certs: TLSCerts, server: TLSServer) -> Socket:
    """The client of ``server``, paused with a full queue, the rest waiting in TLS."""
    sock = trusting(certs).connect(server.address, secure_transport="on")
    await asyncio.wait_for(sock.opened, TIMEOUT)
    sock.readable  # noqa: B018  # the readable exists, so what arrives is queued in it
    transport = bridge_of(sock).transport
    assert transport is not None
    await eventually(lambda: not transport.is_reading(), "the socket paused reading")
    server.go.set()
    await asyncio.to_thread(server.sent.wait, TIMEOUT)
    await asyncio.sleep(0.05)  # the last records cross loopback into the TLS buffers
    return sock


async def read_to_end(sock: Socket, view_size: int) -> bytes:
    reader = sock.readable.get_reader(mode="byob")
    view = memoryview(bytearray(view_size))
    received = bytearray()
    async with asyncio.timeout(TIMEOUT):
        while not (result := await reader.read(view)).done:
            received += result.value
    return bytes(received)


def data_then_close_notify(data: bytes) -> Script:
    def script(tls: ssl.SSLSocket, server: TLSServer) -> None:
        server.send_in_two(tls, data)
        close_notify_and_wait_for_fin(tls, server.sent)

    return script


def close_notify_and_wait_for_fin(tls: ssl.SSLSocket, sent: threading.Event) -> None:
    # unwrap() sends close_notify and returns once the client answers with its own; the
    # TCP connection stays open until the client's FIN.
    sent.set()
    raw = tls.unwrap()
    assert raw.recv(1) == b""


@pytest.mark.parametrize("view_size", [1000, 65536, 1 << 20])
async def test_byob_reads_over_tls_get_every_byte_in_order_then_the_close(
    tls_certs: TLSCerts,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    view_size: int,
) -> None:
    data = pattern(FIRST + WAITING)
    server = TLSServer(tls_certs.server_context(), data_then_close_notify(data))
    with counting_closes(monkeypatch) as met:
        sock = await paused_tls_socket(tls_certs, server)
        assert await read_to_end(sock, view_size) == data
        await asyncio.wait_for(sock.closed, TIMEOUT)
    await server.stop()
    # The close_notify waited behind the data, where a read made at once met it.
    assert met == [1]


async def test_a_close_notify_met_at_once_closes_the_socket_though_the_fin_never_comes(
    tls_certs: TLSCerts,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server waits for our close_notify and FIN before it sends its FIN: the socket
    # must answer the close_notify it read itself, as the TLS transport would have.
    data = pattern(FIRST + WAITING)
    server = TLSServer(tls_certs.server_context(), data_then_close_notify(data))
    with counting_closes(monkeypatch) as met:
        sock = await paused_tls_socket(tls_certs, server)
        writer = sock.writable.get_writer()
        assert await read_to_end(sock, 65536) == data
        await asyncio.wait_for(sock.closed, TIMEOUT)
        with pytest.raises((SocketError, TypeError)):
            await writer.write(b"after the close")
    await server.stop()
    assert met == [1]


async def test_bytes_that_are_not_tls_met_at_once_break_the_socket_after_the_data(
    tls_certs: TLSCerts,  # noqa: F811
) -> None:
    data = pattern(FIRST + WAITING)

    def garbage_after_data(tls: ssl.SSLSocket, server: TLSServer) -> None:
        server.send_in_two(tls, data)
        os.write(tls.fileno(), b"\x17\x03\x03\x00\x20" + bytes(32))  # a record nobody sealed
        server.sent.set()
        with contextlib.suppress(OSError):
            tls.recv(1)  # until the client gives up on the connection

    server = TLSServer(tls_certs.server_context(), garbage_after_data)
    sock = await paused_tls_socket(tls_certs, server)
    reader = sock.readable.get_reader(mode="byob")
    view = memoryview(bytearray(65536))
    received = bytearray()

    async def read_until_it_fails() -> None:
        async with asyncio.timeout(TIMEOUT):
            while not (result := await reader.read(view)).done:
                received.extend(result.value)

    with pytest.raises(SocketError) as failure:
        await read_until_it_fails()
    assert bytes(received) == data  # every byte before the bad record, in order
    assert isinstance(failure.value.__cause__, ssl.SSLError)
    with pytest.raises(SocketError) as closed_failure:
        await asyncio.wait_for(sock.closed, TIMEOUT)
    assert closed_failure.value is failure.value
    await server.stop()


async def test_reads_over_tls_go_on_after_a_read_at_once_found_no_record(
    tls_certs: TLSCerts,  # noqa: F811
) -> None:
    # The first burst drained, a read at once finds nothing and the read waits for the
    # loop; the second burst reaches it through the transport, then reads at once again.
    data = pattern(FIRST + WAITING)
    release = threading.Event()

    def two_bursts(tls: ssl.SSLSocket, server: TLSServer) -> None:
        server.send_in_two(tls, data)
        server.sent.set()
        release.wait(TIMEOUT)
        tls.sendall(data[::-1])
        close_notify_and_wait_for_fin(tls, threading.Event())

    server = TLSServer(tls_certs.server_context(), two_bursts)
    sock = await paused_tls_socket(tls_certs, server)
    reader = sock.readable.get_reader(mode="byob")
    view = memoryview(bytearray(65536))
    received = bytearray()
    async with asyncio.timeout(TIMEOUT):
        while len(received) < len(data):
            received += (await reader.read(view)).value
        assert bytes(received) == data
        waiting = reader.read(view)
        await asyncio.sleep(0.01)
        assert not waiting.done()
        release.set()
        received = bytearray((await waiting).value)
        while not (result := await reader.read(view)).done:
            received += result.value
    assert bytes(received) == data[::-1]
    await asyncio.wait_for(sock.closed, TIMEOUT)
    await server.stop()
