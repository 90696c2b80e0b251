"""No leaks over many connections: file descriptors and tasks do not grow.

A thousand connect/close cycles against a loopback peer that closes its side on FIN.
The peer runs in this process, so its descriptors count too: the test waits until it
released every connection before comparing. And a socket whose connection is over is
freed as soon as the application lets go of it, without waiting for the garbage collector.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_freed,
    collector_off,
    open_fds,
    settled_exception,
)
from tests.peers.scripted import PeerConnection, ScriptedPeer, echo, fin, script, send
from wintersockets import Socket
from wintersockets.connector.connector import connect

CYCLES = 1000
WARM_UP = 20


async def close_on_fin(conn: PeerConnection) -> None:
    """Answer the client's FIN by closing (unlike the default peer, which half-closes)."""
    await conn.wait_eof()
    conn.close()


async def cycle(peer: ScriptedPeer) -> None:
    sock = connect(peer.address)
    async with asyncio.timeout(WITHIN):
        await sock.opened
        await sock.close()
    assert settled_exception(sock.closed) is None


async def wait_until_peer_released(peer: ScriptedPeer) -> None:
    async with asyncio.timeout(WITHIN):
        while not all(c.lost for c in peer.connections):
            await asyncio.sleep(0.01)
        gc.collect()
        await asyncio.sleep(0)


async def test_a_thousand_connect_close_cycles_leak_no_fd_and_no_task() -> None:
    async with ScriptedPeer(close_on_fin) as peer:
        for _ in range(WARM_UP):  # lazily created resources (resolver threads...) first
            await cycle(peer)
        await wait_until_peer_released(peer)
        fds_before = open_fds()
        tasks_before = len(asyncio.all_tasks())

        # Debug mode records a traceback for every callback: 5x slower, and nothing it
        # adds matters for counting descriptors and tasks (the harness still sees errors).
        loop = asyncio.get_running_loop()
        loop.set_debug(False)
        try:
            for _ in range(CYCLES):
                await cycle(peer)
        finally:
            loop.set_debug(True)

        await wait_until_peer_released(peer)
        assert peer.accepted == WARM_UP + CYCLES
        assert open_fds() <= fds_before, f"{open_fds() - fds_before} file descriptor(s) leaked"
        assert len(asyncio.all_tasks()) <= tasks_before


async def test_a_hundred_sockets_open_at_once_all_close_cleanly() -> None:
    async with ScriptedPeer(close_on_fin) as peer:
        fds_before = open_fds()
        socks = [connect(peer.address) for _ in range(100)]
        async with asyncio.timeout(WITHIN):
            await asyncio.gather(*(s.opened for s in socks))
            for i, sock in enumerate(socks):
                await sock.writable.get_writer().write(b"%03d" % i)
            await asyncio.gather(*(s.close() for s in socks))
        await wait_until_peer_released(peer)
        assert open_fds() <= fds_before
        assert_bytes_received(
            b"".join(sorted(c.received for c in peer.connections)),
            b"".join(b"%03d" % i for i in range(100)),
        )


async def freed_without_the_collector(
    use: Callable[[Socket], Awaitable[None]], address: str
) -> None:
    """Open a socket to ``address``, ``use`` it, drop it: it must be freed at once.

    Only reference counting can free it, so the socket must be in no reference cycle
    once its connection is over.
    """
    with collector_off():
        sock = connect(address)
        ref = weakref.ref(sock)
        async with asyncio.timeout(WITHIN):
            await use(sock)
            await sock.closed
        del sock
        await asyncio.sleep(0)  # the loop drops the callbacks that ran
        assert_freed(ref)


async def test_a_socket_closed_without_its_streams_is_freed_by_reference_counting() -> None:
    async def open_and_close(sock: Socket) -> None:
        await sock.opened
        await sock.close()

    async with ScriptedPeer(close_on_fin) as peer:
        await freed_without_the_collector(open_and_close, peer.address)


async def test_a_socket_read_and_written_then_closed_is_freed_by_reference_counting() -> None:
    async def echo_once(sock: Socket) -> None:
        writer = sock.writable.get_writer()
        reader = sock.readable.get_reader()
        await writer.write(b"ping")
        result = await reader.read()
        assert result.value == b"ping"
        reader.release_lock()
        writer.release_lock()
        await sock.close()

    async with ScriptedPeer(script(echo())) as peer:
        await freed_without_the_collector(echo_once, peer.address)


async def test_a_socket_the_peer_closed_is_freed_by_reference_counting() -> None:
    async def read_to_the_end(sock: Socket) -> None:
        async for _chunk in sock.readable:
            pass

    async with ScriptedPeer(script(send(b"bye"), fin())) as peer:
        await freed_without_the_collector(read_to_the_end, peer.address)
