"""The wintersockets clients: the same jobs as the baselines, through the Sockets API.

Each takes ``open_socket(address) -> Socket`` (``wintersockets.connect``, or a TLS
``Connector``'s ``connect`` with ``secure_transport="on"``), counts what it moved, and
returns a :class:`~benchmarks._harness.Transfer` timed like its baseline. On failure the
socket is closed without waiting, so a broken variant cannot hang the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from collections.abc import AsyncIterator, Callable

from benchmarks._asyncio_clients import (
    CLIENT_CHUNK,
    PING,
    start_tracing,
    traced_bytes_per_object,
    upload_chunks,
)
from benchmarks._harness import Stopwatch, Transfer, expect
from benchmarks._servers import HEADER, encode_count
from benchmarks._ws_api import (
    DefaultReaderLike,
    SocketLike,
    byob_reader,
    default_reader,
    writer_of,
)

__all__ = [
    "OpenSocket",
    "ws_byob_download",
    "ws_byob_pingpong",
    "ws_connect_close",
    "ws_default_download",
    "ws_idle_memory",
    "ws_pingpong",
    "ws_upload",
]

HOST = "127.0.0.1"

OpenSocket = Callable[[str], SocketLike]


def _abandon(sock: SocketLike) -> None:
    """Start closing ``sock`` without waiting (its ``closed`` is marked handled)."""
    with contextlib.suppress(Exception):
        sock.close()


@contextlib.asynccontextmanager
async def _open(open_socket: OpenSocket, port: int) -> AsyncIterator[SocketLike]:
    sock = open_socket(f"{HOST}:{port}")
    try:
        await sock.opened
        yield sock
    except BaseException:
        _abandon(sock)
        raise
    await sock.close()


async def _read_exactly(reader: DefaultReaderLike, n: int, buffer: bytearray) -> bytes:
    """Read until ``buffer`` holds ``n`` bytes; return them and keep the rest in ``buffer``."""
    while len(buffer) < n:
        result = await reader.read()
        if result.done:
            raise ConnectionError(f"stream ended after {len(buffer)} of {n} bytes")
        buffer += result.value
    message = bytes(buffer[:n])
    del buffer[:n]
    return message


async def ws_default_download(open_socket: OpenSocket, port: int, size: int) -> Transfer:
    """Download ``size`` bytes with the default reader (one ``bytes`` per read)."""
    async with _open(open_socket, port) as sock:
        writer = writer_of(sock)
        reader = default_reader(sock)
        count = 0
        watch = Stopwatch()
        await writer.write(encode_count(size))
        while True:
            result = await reader.read()
            if result.done:
                break
            count += len(result.value)
        seconds = watch.elapsed()
    expect("download", count, size)
    return Transfer(count, seconds)


async def ws_byob_download(open_socket: OpenSocket, port: int, size: int) -> Transfer:
    """Download ``size`` bytes with a BYOB reader into one reused 64 KiB buffer."""
    view = memoryview(bytearray(CLIENT_CHUNK))
    async with _open(open_socket, port) as sock:
        writer = writer_of(sock)
        reader = byob_reader(sock)
        count = 0
        watch = Stopwatch()
        await writer.write(encode_count(size))
        while True:
            result = await reader.read(view)
            if result.done:
                break
            count += len(result.value)
        seconds = watch.elapsed()
    expect("download", count, size)
    return Transfer(count, seconds)


async def ws_upload(open_socket: OpenSocket, port: int, size: int) -> Transfer:
    """Upload ``size`` bytes in 64 KiB chunks, awaiting each ``writer.write``."""
    chunks = upload_chunks(size)
    async with _open(open_socket, port) as sock:
        writer = writer_of(sock)
        reader = default_reader(sock)
        watch = Stopwatch()
        await writer.write(encode_count(size))
        for chunk in chunks:
            await writer.write(chunk)
        reply = await _read_exactly(reader, HEADER, bytearray())
        seconds = watch.elapsed()
    expect("upload", int.from_bytes(reply, "big"), size)
    return Transfer(size, seconds)


async def ws_pingpong(open_socket: OpenSocket, port: int, pings: int) -> Transfer:
    """``pings`` sequential 16-byte round trips: ``await write``, then read 16 bytes."""
    async with _open(open_socket, port) as sock:
        writer = writer_of(sock)
        reader = default_reader(sock)
        pending = bytearray()
        count = 0
        watch = Stopwatch()
        for _ in range(pings):
            await writer.write(PING)
            count += len(await _read_exactly(reader, len(PING), pending))
        seconds = watch.elapsed()
    expect("ping-pong bytes", count, pings * len(PING))
    return Transfer(pings, seconds)


async def ws_byob_pingpong(open_socket: OpenSocket, port: int, pings: int) -> Transfer:
    """``pings`` round trips, each read whole by a BYOB read with ``min`` = 16 bytes.

    A read with ``min`` is the streams spec's way to read an exact length (as
    ``readexactly`` is asyncio streams'): it waits until the buffer holds 16 bytes.
    """
    n = len(PING)
    view = memoryview(bytearray(n))
    async with _open(open_socket, port) as sock:
        writer = writer_of(sock)
        reader = byob_reader(sock)
        count = 0
        watch = Stopwatch()
        for _ in range(pings):
            await writer.write(PING)
            result = await reader.read(view, min=n)
            if result.done:
                raise ConnectionError(f"stream ended after {count} bytes")
            view = result.value
            count += len(view)
        seconds = watch.elapsed()
    expect("ping-pong bytes", count, pings * n)
    return Transfer(pings, seconds)


async def ws_connect_close(open_socket: OpenSocket, port: int, connects: int) -> Transfer:
    """Open and close ``connects`` sockets in turn: connect, await opened, await close()."""
    address = f"{HOST}:{port}"
    done = 0
    watch = Stopwatch()
    for _ in range(connects):
        sock = open_socket(address)
        try:
            await sock.opened
        except BaseException:
            _abandon(sock)
            raise
        await sock.close()
        done += 1
    seconds = watch.elapsed()
    expect("connects", done, connects)
    return Transfer(done, seconds)


async def ws_idle_memory(open_socket: OpenSocket, port: int, sockets: int) -> float:
    """Python heap per idle open socket (connected, nothing read or written)."""
    address = f"{HOST}:{port}"
    was_tracing = tracemalloc.is_tracing()
    held: list[SocketLike] = []
    try:
        before = start_tracing()
        for _ in range(sockets):
            sock = open_socket(address)
            held.append(sock)
            await sock.opened
        per_socket = traced_bytes_per_object(before, sockets)
    except BaseException:
        for sock in held:
            _abandon(sock)
        raise
    finally:
        if not was_tracing:
            tracemalloc.stop()
    await asyncio.gather(*(sock.close() for sock in held))
    expect("idle sockets", len(held), sockets)
    return per_socket
