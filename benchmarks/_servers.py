"""The peers the benchmarks talk to, run in a separate process on 127.0.0.1.

The servers must not share the client's event loop (or its core): they run in a child
process, on uvloop by default, written as raw asyncio protocols so they are never the
bottleneck. Every exchange starts with an 8-byte big-endian header where a count is
needed, so the same servers work over plain TCP and over TLS (which cannot half-close):

* download: the client sends N; the server sends exactly N bytes, writing a prebuilt
  256 KiB chunk under flow control, then closes;
* upload: the client sends N, then N bytes; the server counts them and replies with the
  count it received (8 bytes); the client then closes;
* echo: echoes everything (ping-pong, and idle connections for the memory benchmark);
* accept-close: closes every connection as soon as it is accepted (connect benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import cast

from benchmarks._harness import new_loop

__all__ = [
    "HEADER",
    "AcceptCloseServer",
    "DownloadServer",
    "EchoServer",
    "ServerPorts",
    "TlsFiles",
    "UploadSink",
    "encode_count",
    "running_servers",
]

HEADER = 8
SERVER_CHUNK = bytes(256 * 1024)
SINK_BUFFER = 256 * 1024


def encode_count(n: int) -> bytes:
    """The 8-byte header or reply carrying ``n``."""
    return n.to_bytes(HEADER, "big")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of the server's certificate chain and private key."""

    certfile: str
    keyfile: str


@dataclass(frozen=True)
class ServerPorts:
    """Where each server listens on 127.0.0.1."""

    download: int
    upload: int
    echo: int
    accept_close: int


class _HeaderMixin:
    """Collects the 8-byte header at the start of a connection."""

    def __init__(self) -> None:
        self._header = bytearray()

    def _take_header(self, data: bytes | memoryview) -> tuple[int | None, memoryview]:
        """Feed ``data``; return the count once the header is complete, and the rest."""
        view = memoryview(data)
        if len(self._header) >= HEADER:
            return None, view
        need = HEADER - len(self._header)
        self._header += view[:need]
        if len(self._header) < HEADER:
            return None, view[len(view) :]
        return int.from_bytes(self._header, "big"), view[need:]


class DownloadServer(_HeaderMixin, asyncio.Protocol):
    """Sends as many bytes as the header asks for, as fast as flow control allows."""

    def __init__(self) -> None:
        super().__init__()
        self._transport: asyncio.Transport | None = None
        self._remaining = 0
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, hence cast, not assert.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.set_write_buffer_limits(high=4 * len(SERVER_CHUNK))

    def data_received(self, data: bytes) -> None:
        count, _rest = self._take_header(data)
        if count is not None:
            self._remaining = count
            self._pump()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._pump()

    def connection_lost(self, exc: Exception | None) -> None:
        self._remaining = 0
        self._transport = None

    def _pump(self) -> None:
        transport = self._transport
        if transport is None:
            return
        chunk = SERVER_CHUNK
        while self._remaining > 0 and not self._paused:
            n = min(self._remaining, len(chunk))
            transport.write(chunk if n == len(chunk) else chunk[:n])
            self._remaining -= n
            if self._remaining == 0:
                transport.close()  # after the buffered data is flushed


class UploadSink(_HeaderMixin, asyncio.BufferedProtocol):
    """Counts the bytes after the header and replies with the count when it has them all."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = memoryview(bytearray(SINK_BUFFER))
        self._transport: asyncio.Transport | None = None
        self._expected: int | None = None
        self._received = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        data = self._buffer[:nbytes]
        if self._expected is None:
            count, data = self._take_header(data)
            if count is None:
                return
            self._expected = count
        self._received += len(data)
        if self._received >= self._expected and self._transport is not None:
            self._transport.write(encode_count(self._received))
            self._expected = -1  # reply once; later bytes only grow the (unreported) count

    def eof_received(self) -> bool:
        return False


class EchoServer(asyncio.Protocol):
    """Writes back whatever it receives."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._transport.write(data)


class AcceptCloseServer(asyncio.Protocol):
    """Closes each connection as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


async def _serve(conn: Connection, tls: TlsFiles | None) -> None:
    loop = asyncio.get_running_loop()
    context: ssl.SSLContext | None = None
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.certfile, tls.keyfile)
    servers = [
        await loop.create_server(factory, "127.0.0.1", 0, ssl=context, backlog=4096)
        for factory in (DownloadServer, UploadSink, EchoServer, AcceptCloseServer)
    ]
    ports = [s.sockets[0].getsockname()[1] for s in servers]
    conn.send(ServerPorts(*ports))
    # The parent closes its end of the pipe to stop us: the fd then reads as EOF.
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)
    await stop.wait()
    loop.remove_reader(conn.fileno())
    for server in servers:
        server.close()


def _serve_in_child(conn: Connection, tls: TlsFiles | None, loop_kind: str) -> None:
    loop = new_loop(loop_kind)
    try:
        loop.run_until_complete(_serve(conn, tls))
    finally:
        loop.close()
        conn.close()


@contextlib.contextmanager
def running_servers(
    tls: TlsFiles | None = None, loop_kind: str = "uvloop"
) -> Iterator[ServerPorts]:
    """Start the four servers in a child process; stop it on exit.

    Args:
        tls: serve TLS with this certificate and key, instead of plain TCP.
        loop_kind: the child's event loop, "uvloop" (default) or "asyncio".

    Yields:
        The ports the servers listen on, on 127.0.0.1.
    """
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_in_child, args=(child, tls, loop_kind), daemon=True)
    proc.start()
    child.close()
    try:
        if not parent.poll(60):
            raise RuntimeError("the benchmark servers did not start within 60 s")
        ports = parent.recv()
        assert isinstance(ports, ServerPorts)
        yield ports
    finally:
        parent.close()
        proc.join(10)
        if proc.is_alive():
            proc.terminate()
            proc.join()
        proc.close()
