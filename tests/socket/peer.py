"""A loopback server for socket and transport tests, driven step by step from the test.

``async with serve() as peer:`` listens on 127.0.0.1 (or ``::1``); ``await peer.accept()``
returns the server side of the next connection, a :class:`PeerConnection` that records what
it received and can send, FIN, RST, stop reading or close on cue. Leaving the block aborts
every connection and waits until each is gone, so nothing outlives the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator, Callable

__all__ = ["TIMEOUT", "Peer", "PeerConnection", "eventually", "serve", "unused_port"]

TIMEOUT = 5.0


async def eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait (a bounded time) until ``condition()`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.001)


class PeerConnection(asyncio.Protocol):
    """The server side of one connection."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.received = bytearray()
        self.eof = False
        self.lost: asyncio.Future[BaseException | None] = (
            asyncio.get_running_loop().create_future()
        )
        self.writing_paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received += data

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(exc)

    @property
    def _t(self) -> asyncio.Transport:
        assert self.transport is not None
        return self.transport

    def send(self, data: bytes) -> None:
        self._t.write(data)

    def fin(self) -> None:
        self._t.write_eof()

    def close(self) -> None:
        self._t.close()

    def rst(self) -> None:
        """Reset the connection: close with SO_LINGER 0 (nothing if it is closed already)."""
        if self.lost.done() or self._t.is_closing():
            return
        sock = self._t.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._t.abort()

    def stop_reading(self) -> None:
        self._t.pause_reading()

    def resume_reading(self) -> None:
        self._t.resume_reading()

    async def wait_received(self, n: int) -> bytes:
        await eventually(lambda: len(self.received) >= n, f"the peer received {n} bytes")
        return bytes(self.received)

    async def wait_eof(self) -> None:
        await eventually(lambda: self.eof, "the peer received FIN")

    async def wait_lost(self) -> BaseException | None:
        return await asyncio.wait_for(asyncio.shield(self.lost), TIMEOUT)


class Peer:
    """A listening loopback server; see :func:`serve`."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.port = 0
        self.connections: list[PeerConnection] = []
        self._waiting: asyncio.Queue[PeerConnection] = asyncio.Queue()

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def _new_connection(self) -> PeerConnection:
        conn = PeerConnection()
        self.connections.append(conn)
        self._waiting.put_nowait(conn)
        return conn

    async def accept(self) -> PeerConnection:
        """The next accepted connection (connection_made already called)."""
        conn = await asyncio.wait_for(self._waiting.get(), TIMEOUT)
        await eventually(lambda: conn.transport is not None, "the connection is made")
        return conn


@contextlib.asynccontextmanager
async def serve(host: str = "127.0.0.1") -> AsyncIterator[Peer]:
    """Listen on ``host``; on exit abort every connection and wait until each is gone."""
    loop = asyncio.get_running_loop()
    peer = Peer(host)
    server = await loop.create_server(peer._new_connection, host, 0)
    peer.port = server.sockets[0].getsockname()[1]
    try:
        yield peer
    finally:
        server.close()
        for conn in peer.connections:
            if conn.transport is not None and not conn.lost.done():
                conn.transport.abort()
        for conn in peer.connections:
            if conn.transport is not None:
                await asyncio.wait_for(asyncio.shield(conn.lost), TIMEOUT)
        await server.wait_closed()


def unused_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nothing listens on (connecting is refused)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port
