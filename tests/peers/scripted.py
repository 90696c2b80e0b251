"""An in-process loopback TCP peer that misbehaves on cue, for fault injection.

:class:`ScriptedPeer` is an async context manager that listens on a free port of
127.0.0.1 (or ``::1``), accepts connections, and runs a *handler* for each one. A handler
is a coroutine function taking the server side of the connection, a
:class:`PeerConnection`; :func:`script` builds one from steps::

    async with ScriptedPeer(script(wait_received(5), send(b"hi"), rst())) as peer:
        sock = connect(peer.address)
        ...
        assert peer.accepted == 1 and peer.received == b"hello"

Tests can also drive a connection themselves, on cue::

    async with ScriptedPeer() as peer:       # no handler: accept, read, never send
        sock = connect(peer.address)
        conn = await peer.accept()
        await conn.send(b"x" * 1000)
        conn.fin()

A :class:`PeerConnection` records every byte it received and whether the client sent FIN,
and can echo, send, delay, half-close (FIN), reset (RST), stop reading and never send.
Leaving the ``async with`` block cancels the handlers, aborts every connection and waits
until each transport has released its socket, so no task or file descriptor outlives the
test. Every wait is bounded by ``within`` seconds seconds (``WAIT_TIMEOUT`` by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl as ssl_module
import struct
from collections.abc import Awaitable, Callable, Iterable, Iterator
from types import TracebackType
from typing import Self, cast

__all__ = [
    "WAIT_TIMEOUT",
    "Handler",
    "PeerConnection",
    "ScriptedPeer",
    "Step",
    "close",
    "delay",
    "echo",
    "fin",
    "hanging_address",
    "refusing_address",
    "rst",
    "script",
    "send",
    "send_bytes",
    "stop_reading",
    "wait_closed",
    "wait_eof",
    "wait_received",
]

WAIT_TIMEOUT = 10.0
"""How long a peer waits for something before giving up (a bound, not an expectation)."""

Handler = Callable[["PeerConnection"], Awaitable[None]]
"""What a peer does with each accepted connection."""


class PeerConnection(asyncio.Protocol):
    """The peer's side of one accepted connection; its methods are the cues.

    Attributes:
        index: The connection's number on its peer, from 0 in order of acceptance.
        got_eof: Whether the client half-closed (sent FIN).
        lost: Whether the connection is gone (closed by either side or reset).
        error: The error the connection was lost with, if any (a reset, say).
    """

    def __init__(
        self, index: int, *, read: bool, tls: bool, on_made: Callable[[], None] | None = None
    ) -> None:
        self.index = index
        self._on_made = on_made
        self.got_eof = False
        self.lost = False
        self.error: Exception | None = None
        self._tls = tls
        self._read = read
        self._received = bytearray()
        self._echo = False
        self._fin_after_echo = False
        self._transport: asyncio.Transport | None = None
        self._write_paused = False
        self._changed = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._reading = True

    # -- what happened ------------------------------------------------------------------

    @property
    def received(self) -> bytes:
        """Every byte received on this connection, in order."""
        return bytes(self._received)

    @property
    def transport(self) -> asyncio.Transport:
        """The connection's transport (there once the peer has accepted it)."""
        assert self._transport is not None, "the connection is not made yet"
        return self._transport

    async def wait_received(self, n: int, *, within: float = WAIT_TIMEOUT) -> bytes:
        """Wait until at least ``n`` bytes arrived; return everything received so far."""
        await self._wait_for(lambda: len(self._received) >= n, f"{n} bytes", within)
        return self.received

    async def wait_eof(self, *, within: float = WAIT_TIMEOUT) -> bytes:
        """Wait until the client sent FIN; return everything it sent."""
        await self._wait_for(lambda: self.got_eof, "the client's FIN", within)
        return self.received

    async def wait_closed(self, *, within: float = WAIT_TIMEOUT) -> None:
        """Wait until the connection is gone."""
        await self._wait_for(lambda: self.lost, "the connection to close", within)

    async def _wait_for(self, done: Callable[[], bool], what: str, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                while not done():
                    if self.lost and what != "the connection to close":
                        raise AssertionError(
                            f"peer connection {self.index} was lost while waiting for {what}"
                            f" (received {len(self._received)} bytes, error {self.error!r})"
                        )
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            raise AssertionError(
                f"peer connection {self.index} waited {within}s for {what} in vain"
                f" (received {len(self._received)} bytes, eof {self.got_eof})"
            ) from None

    # -- cues -----------------------------------------------------------------------------

    def start_echo(self, *, fin_after: bool = True) -> None:
        """Echo every byte received from now on, and what arrived before but was not echoed.

        With ``fin_after``, the client's FIN is answered with a FIN once the echo is sent.
        """
        self._echo = True
        self._fin_after_echo = fin_after
        if self._received and not self.lost:
            self.transport.write(bytes(self._received))
            self._pause_if_write_paused()
        if self.got_eof and fin_after:
            self._fin_or_close()

    async def send(self, data: bytes, *, within: float = WAIT_TIMEOUT) -> None:
        """Send ``data`` and wait until the transport's buffer drained (backpressure)."""
        self.transport.write(data)
        await self.drain(within=within)

    async def send_chunks(self, chunks: Iterable[bytes], *, within: float = WAIT_TIMEOUT) -> None:
        """Send each chunk in turn, waiting for the buffer to drain between them."""
        for chunk in chunks:
            await self.send(chunk, within=within)

    async def drain(self, *, within: float = WAIT_TIMEOUT) -> None:
        """Wait until the transport accepts more data (bounded by ``within`` seconds)."""
        async with asyncio.timeout(within):
            await self._drained.wait()
        if self.lost and self.error is not None:
            raise ConnectionError(f"peer connection {self.index} is lost") from self.error

    def fin(self) -> None:
        """Half-close: send FIN once buffered data is out (``write_eof``).

        Raises:
            AssertionError: The connection speaks TLS, which asyncio cannot half-close
                (use :meth:`close`).
        """
        if self.lost:
            return
        if not self.transport.can_write_eof():
            raise AssertionError("this peer connection cannot half-close (TLS): use close()")
        self.transport.write_eof()

    def _fin_or_close(self) -> None:
        if self.transport.can_write_eof():
            self.fin()
        else:
            self.close()

    def rst(self) -> None:
        """Reset the connection: SO_LINGER 0, then close, so the kernel sends RST."""
        if self.lost:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def close(self) -> None:
        """Close gracefully (FIN after buffered data; further input is discarded)."""
        if not self.lost:
            self.transport.close()

    def stop_reading(self) -> None:
        """Stop reading: the kernel buffers fill, then the client's writes stall."""
        self._reading = False
        if not self.lost:
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        """Read again after :meth:`stop_reading`."""
        self._reading = True
        if not self.lost and not self._write_paused:
            self.transport.resume_reading()

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        if not self._read:
            self.stop_reading()
            # uvloop starts reading after connection_made() returns; pause again after it.
            asyncio.get_running_loop().call_soon(self._repause)
        self._changed.set()
        if self._on_made is not None:
            self._on_made()

    def _repause(self) -> None:
        if not self._reading and not self.lost and self.transport.is_reading():
            self.transport.pause_reading()

    def data_received(self, data: bytes) -> None:
        self._received += data
        if self._echo:
            self.transport.write(data)
            self._pause_if_write_paused()
        self._changed.set()

    def eof_received(self) -> bool:
        self.got_eof = True
        if self._echo and self._fin_after_echo:
            self._fin_or_close()
        self._changed.set()
        # Keep our direction open (half-close) unless TLS, where asyncio cannot.
        return not self._tls

    def pause_writing(self) -> None:
        self._write_paused = True
        self._drained.clear()

    def resume_writing(self) -> None:
        self._write_paused = False
        self._drained.set()
        if self._echo and self._reading and not self.lost:
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self.error = exc
        self._drained.set()
        self._changed.set()

    def _pause_if_write_paused(self) -> None:
        # An echo must not buffer without bound: stop reading while the client does not read.
        if self._write_paused:
            self.transport.pause_reading()


class ScriptedPeer:
    """A loopback TCP server running ``handler`` for every connection it accepts.

    Args:
        handler: What to do with each connection; ``None`` accepts and reads but never
            sends. Build one with :func:`script`, or pass a step such as ``echo()``.
        read: ``False`` makes the peer never read (it pauses reading on accept).
        host: ``"127.0.0.1"`` or ``"::1"``.
        ssl: A server-side ``ssl.SSLContext`` to speak TLS (for TLS runs of the contract).
    """

    def __init__(
        self,
        handler: Handler | None = None,
        *,
        read: bool = True,
        host: str = "127.0.0.1",
        ssl: ssl_module.SSLContext | None = None,
    ) -> None:
        self._handler = handler
        self._read = read
        self._host = host
        self._ssl = ssl
        self._server: asyncio.Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._new_connection = asyncio.Event()
        self._taken = 0
        self.connections: list[PeerConnection] = []
        """Every connection accepted so far, in order."""

    @property
    def accepted(self) -> int:
        """How many connections the peer accepted."""
        return len(self.connections)

    @property
    def received(self) -> bytes:
        """Every byte received, on all connections in order of acceptance."""
        return b"".join(c.received for c in self.connections)

    @property
    def host(self) -> str:
        """The address the peer listens on."""
        return self._host

    @property
    def port(self) -> int:
        """The port the peer listens on."""
        assert self._server is not None, "the peer is not started"
        return cast(int, self._server.sockets[0].getsockname()[1])

    @property
    def address(self) -> str:
        """``"host:port"`` to pass to ``connect()`` (brackets around an IPv6 host)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{host}:{self.port}"

    async def accept(self, *, within: float = WAIT_TIMEOUT) -> PeerConnection:
        """The next connection not yet returned by ``accept()``, waiting for it if needed."""
        try:
            async with asyncio.timeout(within):
                while (
                    self._taken >= len(self.connections)
                    or self.connections[self._taken]._transport is None
                ):
                    self._new_connection.clear()
                    await self._new_connection.wait()
        except TimeoutError:
            raise AssertionError(f"the peer waited {within}s for a connection in vain") from None
        self._taken += 1
        return self.connections[self._taken - 1]

    def _protocol(self) -> PeerConnection:
        conn = PeerConnection(
            len(self.connections),
            read=self._read,
            tls=self._ssl is not None,
            on_made=self._new_connection.set,
        )
        self.connections.append(conn)
        if self._handler is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(self._run(conn)))
        return conn

    async def _run(self, conn: PeerConnection) -> None:
        assert self._handler is not None
        # The protocol exists before the transport; let connection_made run first.
        while conn._transport is None and not conn.lost:
            await asyncio.sleep(0)
        await self._handler(conn)

    async def __aenter__(self) -> Self:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self._host, 0, ssl=self._ssl)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        results = await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in self.connections:
            if conn._transport is not None and not conn.lost:
                conn._transport.abort()
        with contextlib.suppress(AssertionError):
            for conn in self.connections:
                if conn._transport is not None:
                    await conn.wait_closed(within=WAIT_TIMEOUT)
        await self._server.wait_closed()
        failures = [r for r in results if isinstance(r, Exception)]
        if failures and exc is None:
            raise failures[0]


# -- steps for script() ----------------------------------------------------------------------

Step = Handler


def script(*steps: Step) -> Handler:
    """A handler that runs ``steps`` in order on each connection."""

    async def run(conn: PeerConnection) -> None:
        for step in steps:
            await step(conn)

    return run


def echo(*, fin_after: bool = True) -> Step:
    """Echo everything; with ``fin_after``, answer the client's FIN with a FIN."""

    async def step(conn: PeerConnection) -> None:
        conn.start_echo(fin_after=fin_after)

    return step


def send(data: bytes) -> Step:
    """Send ``data`` (waiting for the buffer to drain)."""

    async def step(conn: PeerConnection) -> None:
        await conn.send(data)

    return step


def send_bytes(n: int, *, fill: bytes = b"x") -> Step:
    """Send ``n`` bytes of ``fill`` repeated, in 64 KiB writes."""

    async def step(conn: PeerConnection) -> None:
        chunk = fill * (65536 // len(fill))
        left = n
        while left > 0:
            piece = chunk[:left]
            await conn.send(piece)
            left -= len(piece)

    return step


def delay(seconds: float) -> Step:
    """Do nothing for ``seconds``."""

    async def step(conn: PeerConnection) -> None:
        await asyncio.sleep(seconds)

    return step


def wait_received(n: int) -> Step:
    """Wait until ``n`` bytes arrived."""

    async def step(conn: PeerConnection) -> None:
        await conn.wait_received(n)

    return step


def wait_eof() -> Step:
    """Wait for the client's FIN."""

    async def step(conn: PeerConnection) -> None:
        await conn.wait_eof()

    return step


def wait_closed() -> Step:
    """Wait until the connection is gone."""

    async def step(conn: PeerConnection) -> None:
        await conn.wait_closed()

    return step


def fin() -> Step:
    """Send FIN (half-close)."""

    async def step(conn: PeerConnection) -> None:
        conn.fin()

    return step


def rst() -> Step:
    """Reset the connection (RST)."""

    async def step(conn: PeerConnection) -> None:
        conn.rst()

    return step


def close() -> Step:
    """Close the connection gracefully."""

    async def step(conn: PeerConnection) -> None:
        conn.close()

    return step


def stop_reading() -> Step:
    """Stop reading from the connection."""

    async def step(conn: PeerConnection) -> None:
        conn.stop_reading()

    return step


# -- addresses that misbehave at connect time ------------------------------------------------


@contextlib.contextmanager
def refusing_address(host: str = "127.0.0.1") -> Iterator[str]:
    """An address where a connect is refused at once (RST): a bound port, not listening.

    The port stays bound while the context is open, so no other process can take it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as bound:
        bound.bind((host, 0))
        port = bound.getsockname()[1]
        yield f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@contextlib.contextmanager
def hanging_address(host: str = "127.0.0.1") -> Iterator[str]:
    """An address where a connect hangs: the listener's accept queue is full.

    It listens with a backlog of 0 and one connection nobody accepts fills the queue;
    Linux then drops new SYNs, so the client keeps retransmitting and stays connecting
    (for minutes) until it gives up or is closed.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.bind((host, 0))
        listener.listen(0)
        address = listener.getsockname()[:2]
        with socket.create_connection(address, timeout=WAIT_TIMEOUT):
            host_text = f"[{host}]" if ":" in host else host
            yield f"{host_text}:{address[1]}"
