"""The baselines: the same clients written with raw asyncio protocols and asyncio streams.

Each client does one job against the servers in :mod:`benchmarks._servers`, counts what it
moved, raises :class:`~benchmarks._harness.BenchmarkError` if the count is wrong, and
returns a :class:`~benchmarks._harness.Transfer` timed from just after the connection is
open to the end of the job (connects are timed whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import ssl
import tracemalloc
import typing
from collections.abc import Awaitable, Callable

from benchmarks._harness import BenchmarkError, Stopwatch, Transfer, expect
from benchmarks._servers import HEADER, encode_count

__all__ = [
    "CLIENT_CHUNK",
    "PING",
    "OpenedClosable",
    "floor_connect",
    "open_close_cycles",
    "raw_buffered_download",
    "raw_connect",
    "raw_idle_memory",
    "raw_pingpong",
    "raw_protocol_download",
    "raw_upload",
    "start_tracing",
    "streams_connect",
    "streams_download",
    "streams_idle_memory",
    "streams_pingpong",
    "streams_upload",
    "traced_bytes_per_object",
    "upload_chunks",
]

HOST = "127.0.0.1"
CLIENT_CHUNK = 64 * 1024
UPLOAD_CHUNK = bytes(CLIENT_CHUNK)
PING = b"0123456789abcdef"


def _server_hostname(context: ssl.SSLContext | None) -> str | None:
    return HOST if context is not None else None


def _settle(fut: asyncio.Future[None], exc: Exception | None) -> None:
    if fut.done():
        return
    if exc is None:
        fut.set_result(None)
    else:
        fut.set_exception(exc)


def upload_chunks(size: int) -> list[bytes]:
    """``size`` bytes as 64 KiB chunks (one shared object) and a shorter last one."""
    full, rest = divmod(size, CLIENT_CHUNK)
    return [UPLOAD_CHUNK] * full + ([UPLOAD_CHUNK[:rest]] if rest else [])


# -- download ---------------------------------------------------------------------------


class _CountingProtocol(asyncio.Protocol):
    """Counts the bytes ``data_received`` gets (one new ``bytes`` per read)."""

    def __init__(self, lost: asyncio.Future[None]) -> None:
        self.count = 0
        self.lost = lost

    def data_received(self, data: bytes) -> None:
        self.count += len(data)

    def connection_lost(self, exc: Exception | None) -> None:
        _settle(self.lost, exc)


class _CountingBufferedProtocol(asyncio.BufferedProtocol):
    """Counts the bytes read into one reused 64 KiB buffer."""

    def __init__(self, lost: asyncio.Future[None]) -> None:
        self.count = 0
        self.lost = lost
        self._buffer = memoryview(bytearray(CLIENT_CHUNK))

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.count += nbytes

    def connection_lost(self, exc: Exception | None) -> None:
        _settle(self.lost, exc)


async def _raw_download(
    port: int,
    size: int,
    context: ssl.SSLContext | None,
    protocol: type[_CountingProtocol | _CountingBufferedProtocol],
) -> Transfer:
    loop = asyncio.get_running_loop()
    lost: asyncio.Future[None] = loop.create_future()
    transport, proto = await loop.create_connection(
        lambda: protocol(lost), HOST, port, ssl=context, server_hostname=_server_hostname(context)
    )
    try:
        watch = Stopwatch()
        transport.write(encode_count(size))
        await lost
        seconds = watch.elapsed()
    finally:
        transport.close()
    expect("download", proto.count, size)
    return Transfer(proto.count, seconds)


async def raw_protocol_download(
    port: int, size: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Download ``size`` bytes with a raw ``asyncio.Protocol``."""
    return await _raw_download(port, size, context, _CountingProtocol)


async def raw_buffered_download(
    port: int, size: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Download ``size`` bytes with a raw ``asyncio.BufferedProtocol`` into one buffer."""
    return await _raw_download(port, size, context, _CountingBufferedProtocol)


async def streams_download(
    port: int, size: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Download ``size`` bytes with asyncio streams, ``reader.read(65536)`` until EOF."""
    reader, writer = await asyncio.open_connection(
        HOST, port, ssl=context, server_hostname=_server_hostname(context)
    )
    try:
        watch = Stopwatch()
        writer.write(encode_count(size))
        count = 0
        while chunk := await reader.read(CLIENT_CHUNK):
            count += len(chunk)
        seconds = watch.elapsed()
    finally:
        writer.close()
    await writer.wait_closed()
    expect("download", count, size)
    return Transfer(count, seconds)


# -- upload -----------------------------------------------------------------------------


class _UploadProtocol(asyncio.Protocol):
    """Flow control by pause_writing/resume_writing; collects the server's 8-byte reply."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.paused = False
        self.resumed: asyncio.Future[None] | None = None
        self.reply = bytearray()
        self.replied: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.resumed is not None:
            _settle(self.resumed, None)
            self.resumed = None

    def data_received(self, data: bytes) -> None:
        self.reply += data
        if len(self.reply) >= HEADER:
            _settle(self.replied, None)

    def connection_lost(self, exc: Exception | None) -> None:
        error = exc or ConnectionError("the upload sink closed the connection")
        _settle(self.replied, error)
        if self.resumed is not None:
            _settle(self.resumed, error)
        _settle(self.lost, None)

    async def drained(self) -> None:
        if self.paused:
            self.resumed = self.loop.create_future()
            await self.resumed


async def raw_upload(port: int, size: int, context: ssl.SSLContext | None = None) -> Transfer:
    """Upload ``size`` bytes in 64 KiB writes with a raw protocol honoring flow control."""
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_connection(
        lambda: _UploadProtocol(loop),
        HOST,
        port,
        ssl=context,
        server_hostname=_server_hostname(context),
    )
    try:
        chunks = upload_chunks(size)
        watch = Stopwatch()
        transport.write(encode_count(size))
        for chunk in chunks:
            transport.write(chunk)
            if proto.paused:
                await proto.drained()
        await proto.replied
        seconds = watch.elapsed()
    finally:
        transport.close()
    await proto.lost
    expect("upload", int.from_bytes(proto.reply[:HEADER], "big"), size)
    return Transfer(size, seconds)


async def streams_upload(port: int, size: int, context: ssl.SSLContext | None = None) -> Transfer:
    """Upload ``size`` bytes with asyncio streams, ``write`` then ``await drain()``."""
    reader, writer = await asyncio.open_connection(
        HOST, port, ssl=context, server_hostname=_server_hostname(context)
    )
    try:
        chunks = upload_chunks(size)
        watch = Stopwatch()
        writer.write(encode_count(size))
        for chunk in chunks:
            writer.write(chunk)
            await writer.drain()
        reply = await reader.readexactly(HEADER)
        seconds = watch.elapsed()
    finally:
        writer.close()
    await writer.wait_closed()
    expect("upload", int.from_bytes(reply, "big"), size)
    return Transfer(size, seconds)


# -- ping-pong --------------------------------------------------------------------------


class _PingProtocol(asyncio.Protocol):
    """Resolves one future per 16-byte echo."""

    def __init__(self, lost: asyncio.Future[None]) -> None:
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.lost = lost

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is not None and len(self.buffer) >= len(PING):
            self.waiter = None
            message = bytes(self.buffer[: len(PING)])
            del self.buffer[: len(PING)]
            waiter.set_result(message)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc or ConnectionError("the echo server closed"))
        _settle(self.lost, None)


async def raw_pingpong(port: int, pings: int) -> Transfer:
    """``pings`` sequential 16-byte round trips with a raw protocol, a future per trip."""
    loop = asyncio.get_running_loop()
    lost: asyncio.Future[None] = loop.create_future()
    transport, proto = await loop.create_connection(lambda: _PingProtocol(lost), HOST, port)
    count = 0
    try:
        watch = Stopwatch()
        for _ in range(pings):
            waiter: asyncio.Future[bytes] = loop.create_future()
            proto.waiter = waiter
            transport.write(PING)
            count += len(await waiter)
        seconds = watch.elapsed()
    finally:
        transport.close()
    await lost
    expect("ping-pong bytes", count, pings * len(PING))
    return Transfer(pings, seconds)


async def streams_pingpong(port: int, pings: int) -> Transfer:
    """``pings`` sequential 16-byte round trips with asyncio streams."""
    reader, writer = await asyncio.open_connection(HOST, port)
    count = 0
    try:
        watch = Stopwatch()
        for _ in range(pings):
            writer.write(PING)
            await writer.drain()
            count += len(await reader.readexactly(len(PING)))
        seconds = watch.elapsed()
    finally:
        writer.close()
    await writer.wait_closed()
    expect("ping-pong bytes", count, pings * len(PING))
    return Transfer(pings, seconds)


# -- connect ----------------------------------------------------------------------------


class _LostProtocol(asyncio.Protocol):
    def __init__(self, lost: asyncio.Future[None]) -> None:
        self.lost = lost

    def connection_lost(self, exc: Exception | None) -> None:
        _settle(self.lost, None)


async def raw_connect(port: int, connects: int, context: ssl.SSLContext | None = None) -> Transfer:
    """Open and close ``connects`` connections in turn: create_connection, close, lost."""
    loop = asyncio.get_running_loop()
    hostname = _server_hostname(context)
    done = 0
    watch = Stopwatch()
    for _ in range(connects):
        lost: asyncio.Future[None] = loop.create_future()
        transport, _proto = await loop.create_connection(
            functools.partial(_LostProtocol, lost),
            HOST,
            port,
            ssl=context,
            server_hostname=hostname,
        )
        transport.close()
        await lost
        done += 1
    seconds = watch.elapsed()
    expect("connects", done, connects)
    return Transfer(done, seconds)


async def streams_connect(
    port: int, connects: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Open and close ``connects`` connections: open_connection, close, wait_closed."""
    hostname = _server_hostname(context)
    done = 0
    watch = Stopwatch()
    for _ in range(connects):
        _reader, writer = await asyncio.open_connection(
            HOST, port, ssl=context, server_hostname=hostname
        )
        writer.close()
        # The server closes at once, so closing may meet a reset: closed either way.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError, ssl.SSLError):
            await writer.wait_closed()
        done += 1
    seconds = watch.elapsed()
    expect("connects", done, connects)
    return Transfer(done, seconds)


class _FloorSocket:
    """The least an API whose ``connect()`` returns at once can do per connection.

    Two futures (``opened``, ``closed``), a protocol that settles them, and a task that
    opens the connection in the background, which a synchronous ``connect()`` needs
    (the spec's ``connect()`` returns the socket before connecting). No streams, no
    validation, no state: what it costs above the raw client is the floor for any Python
    implementation of the Sockets API on that loop.
    """

    __slots__ = ("_task", "_transport", "closed", "opened")

    def __init__(self, port: int, context: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self._transport: asyncio.BaseTransport | None = None
        self._task = loop.create_task(self._open(loop, port, context))

    async def _open(
        self, loop: asyncio.AbstractEventLoop, port: int, context: ssl.SSLContext | None
    ) -> None:
        try:
            await loop.create_connection(
                lambda: _FloorProtocol(self),
                HOST,
                port,
                ssl=context,
                server_hostname=_server_hostname(context),
            )
        except Exception as exc:
            _settle(self.opened, exc)

    def close(self) -> asyncio.Future[None]:
        if self._transport is not None:
            self._transport.close()
        return self.closed


class _FloorProtocol(asyncio.Protocol):
    def __init__(self, sock: _FloorSocket) -> None:
        self._sock = sock

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._sock._transport = transport
        _settle(self._sock.opened, None)

    def connection_lost(self, exc: Exception | None) -> None:
        _settle(self._sock.closed, None)


class OpenedClosable(typing.Protocol):
    """A socket-like object the connect benchmark can await open, then close."""

    @property
    def opened(self) -> Awaitable[object]: ...

    def close(self) -> Awaitable[object]: ...


async def open_close_cycles(make: Callable[[], OpenedClosable], connects: int) -> Transfer:
    """Make ``connects`` sockets with ``make()`` in turn: await ``opened``, await ``close()``."""
    done = 0
    watch = Stopwatch()
    for _ in range(connects):
        sock = make()
        await sock.opened
        await sock.close()
        done += 1
    seconds = watch.elapsed()
    expect("connects", done, connects)
    return Transfer(done, seconds)


async def floor_connect(
    port: int, connects: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Open and close ``connects`` connections through :class:`_FloorSocket`."""
    return await open_close_cycles(lambda: _FloorSocket(port, context), connects)


# -- memory -----------------------------------------------------------------------------


def traced_bytes_per_object(before: int, count: int) -> float:
    """Python heap growth since ``before`` (a tracemalloc reading), per object."""
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    return (after - before) / count


def start_tracing() -> int:
    """Start tracemalloc (if needed), collect garbage, and return the traced size now."""
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def raw_idle_memory(port: int, sockets: int) -> float:
    """Python heap per idle connection held open by a raw protocol."""
    loop = asyncio.get_running_loop()
    was_tracing = tracemalloc.is_tracing()
    held: list[tuple[asyncio.BaseTransport, asyncio.Future[None]]] = []
    try:
        before = start_tracing()
        for _ in range(sockets):
            lost: asyncio.Future[None] = loop.create_future()
            opened, _ = await loop.create_connection(
                functools.partial(_LostProtocol, lost), HOST, port
            )
            held.append((opened, lost))
        per_socket = traced_bytes_per_object(before, sockets)
    finally:
        if not was_tracing:
            tracemalloc.stop()
        for transport, _ in held:
            transport.close()
        for _, lost in held:
            await lost
    expect("idle connections", len(held), sockets)
    return per_socket


async def streams_idle_memory(port: int, sockets: int) -> float:
    """Python heap per idle connection held open by asyncio streams."""
    was_tracing = tracemalloc.is_tracing()
    held: list[asyncio.StreamWriter] = []
    try:
        before = start_tracing()
        for _ in range(sockets):
            _reader, writer = await asyncio.open_connection(HOST, port)
            held.append(writer)
        per_socket = traced_bytes_per_object(before, sockets)
    finally:
        if not was_tracing:
            tracemalloc.stop()
        for writer in held:
            writer.close()
        for writer in held:
            await writer.wait_closed()
    if len(held) != sockets:
        raise BenchmarkError(f"held {len(held)} idle connections, expected {sockets}")
    return per_socket
