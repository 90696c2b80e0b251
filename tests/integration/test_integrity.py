"""Integrity under load: 64 MiB each way at once, in random chunk sizes, on both loops.

The application and the peer write and read at the same time, so both directions are
full and flow control is exercised both ways; SHA-256 digests must match at both ends.
BYOB reads into buffers of random sizes, over TCP and TLS, cross every way bytes reach a
read: the queue, the transport filling a waiting read, and reads made at once.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections.abc import Awaitable, Callable

import pytest

from tests.integration.assertions import WITHIN, close_and_settle, settled_exception
from tests.peers.scripted import ScriptedPeer
from tests.peers.tls_certs import TLSCerts, trusting
from wintersockets.connector.connector import connect
from wintersockets.streams import ReadResult

SIZE = 64 * 1024 * 1024
LARGEST_CHUNK = 256 * 1024


def random_size(rng: random.Random) -> int:
    """A read or write size from 1 byte to 256 KiB, small ones as likely as large."""
    return rng.choice((1, rng.randint(1, 1500), rng.randint(1, LARGEST_CHUNK)))


def random_chunks(seed: int, size: int = SIZE) -> tuple[list[bytes], str]:
    """``size`` random bytes cut into random-sized chunks (1 byte to 256 KiB), and their
    SHA-256."""
    rng = random.Random(seed)
    data = rng.randbytes(size)
    view = memoryview(data)
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        n = random_size(rng)
        chunks.append(bytes(view[offset : offset + n]))
        offset += n
    return chunks, hashlib.sha256(data).hexdigest()


async def digest_of_reads(read: Callable[[], Awaitable[ReadResult]], size: int) -> str:
    """Call ``read()`` until ``size`` bytes came; their SHA-256."""
    digest = hashlib.sha256()
    received = 0
    while received < size:
        result = await read()
        assert not result.done, f"the readable ended after {received} bytes"
        digest.update(result.value)
        received += len(result.value)
    assert received == size
    return digest.hexdigest()


async def test_64_mib_each_way_at_once_arrive_intact() -> None:
    upload, upload_digest = random_chunks(seed=64)
    download, download_digest = random_chunks(seed=65)
    async with ScriptedPeer() as peer:
        sock = connect(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        reader = sock.readable.get_reader()

        async def write_all() -> None:
            for chunk in upload:
                await writer.write(chunk)
            await writer.close()  # FIN: the peer knows the upload is complete

        async with asyncio.timeout(6 * WITHIN), asyncio.TaskGroup() as tasks:
            tasks.create_task(write_all())
            tasks.create_task(conn.send_chunks(download, within=6 * WITHIN))
            received_digest = tasks.create_task(digest_of_reads(reader.read, SIZE))
            peer_received = tasks.create_task(conn.wait_eof(within=6 * WITHIN))

        assert received_digest.result() == download_digest
        assert len(peer_received.result()) == SIZE
        assert hashlib.sha256(peer_received.result()).hexdigest() == upload_digest
        conn.close()
        async with asyncio.timeout(WITHIN):
            assert (await reader.read()).done
        await close_and_settle(sock)
        assert settled_exception(sock.closed) is None


@pytest.mark.parametrize("secure", [False, True], ids=["tcp", "tls"])
async def test_32_mib_each_way_read_into_random_buffers_arrive_intact(
    tls_certs: TLSCerts, secure: bool
) -> None:
    size = SIZE // 2
    upload, upload_digest = random_chunks(seed=67, size=size)
    download, download_digest = random_chunks(seed=68, size=size)
    rng = random.Random(69)
    context = tls_certs.server_context() if secure else None
    async with ScriptedPeer(ssl=context) as peer:
        if secure:
            sock = trusting(tls_certs).connect(peer.address, secure_transport="on")
        else:
            sock = connect(peer.address)
        conn = await peer.accept()
        writer = sock.writable.get_writer()
        reader = sock.readable.get_reader(mode="byob")
        buffer = memoryview(bytearray(LARGEST_CHUNK))

        async def write_all() -> None:
            for chunk in upload:
                await writer.write(chunk)

        def read_into_random_buffer() -> Awaitable[ReadResult]:
            return reader.read(buffer[: random_size(rng)])

        async with asyncio.timeout(6 * WITHIN), asyncio.TaskGroup() as tasks:
            tasks.create_task(write_all())
            tasks.create_task(conn.send_chunks(download, within=6 * WITHIN))
            received_digest = tasks.create_task(digest_of_reads(read_into_random_buffer, size))
            # Over TLS a FIN cannot end the upload: the peer counts the bytes instead.
            peer_received = tasks.create_task(conn.wait_received(size, within=6 * WITHIN))

        assert received_digest.result() == download_digest
        assert len(peer_received.result()) == size
        assert hashlib.sha256(peer_received.result()).hexdigest() == upload_digest
        conn.close()
        async with asyncio.timeout(WITHIN):
            assert (await reader.read(buffer)).done
        await close_and_settle(sock)
        assert settled_exception(sock.closed) is None


async def test_pipe_to_relays_one_socket_into_another_with_its_fin() -> None:
    """``a.readable.pipe_to(b.writable)``: every byte, then FIN, as a proxy would."""
    chunks, digest = random_chunks(seed=66, size=8 * 1024 * 1024)
    async with ScriptedPeer() as source_peer, ScriptedPeer() as sink_peer:
        source = connect(source_peer.address)
        sink = connect(sink_peer.address)
        source_conn = await source_peer.accept()
        sink_conn = await sink_peer.accept()
        async with asyncio.timeout(6 * WITHIN):
            await asyncio.gather(source.opened, sink.opened)
            pipe = source.readable.pipe_to(sink.writable)
            await source_conn.send_chunks(chunks)
            source_conn.fin()
            received = await sink_conn.wait_eof(within=6 * WITHIN)
            await pipe
        assert len(received) == 8 * 1024 * 1024
        assert hashlib.sha256(received).hexdigest() == digest
        sink_conn.close()
        await close_and_settle(source)
        await close_and_settle(sink)
        assert settled_exception(source.closed) is None
        assert settled_exception(sink.closed) is None
