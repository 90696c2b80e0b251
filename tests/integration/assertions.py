"""Domain assertions and bounded I/O helpers for the integration and connector tests.

Every helper that waits is bounded (``within`` seconds, :data:`WITHIN` by default), so a
broken socket fails the test with a message instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import os
import re
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from wintersockets.errors import SocketError

if TYPE_CHECKING:
    from wintersockets.socket.socket import Socket
    from wintersockets.streams.writer import WritableStreamDefaultWriter

__all__ = [
    "WITHIN",
    "assert_bytes_received",
    "assert_clear_message",
    "assert_echo",
    "assert_freed",
    "assert_pending",
    "assert_settled",
    "assert_socket_error",
    "close_and_settle",
    "collector_off",
    "open_fds",
    "outcome",
    "read_all",
    "read_exactly",
    "rejection",
    "settle",
    "settled_exception",
    "yield_to_loop",
]

WITHIN = 10.0
"""The default bound, in seconds, on any wait (generous: it only stops hangs)."""


def _futures(items: Iterable[asyncio.Future[Any] | Socket]) -> list[asyncio.Future[Any]]:
    futures: list[asyncio.Future[Any]] = []
    for item in items:
        if isinstance(item, asyncio.Future):
            futures.append(item)
        else:
            futures += [item.opened, item.closed]
    return futures


def assert_settled(*items: asyncio.Future[Any] | Socket) -> None:
    """Assert that every future (and each socket's ``opened`` and ``closed``) has settled.

    Retrieves each rejection, so asserting also marks them handled.
    """
    pending = [f for f in _futures(items) if not f.done()]
    assert not pending, f"{len(pending)} future(s) still pending: {pending!r}"
    for f in _futures(items):
        if not f.cancelled():
            f.exception()


def assert_pending(*items: asyncio.Future[Any]) -> None:
    """Assert that no future has settled yet."""
    done = [f for f in items if f.done()]
    assert not done, f"expected pending, but settled: {done!r}"


async def settle(*items: asyncio.Future[Any] | Socket, within: float = WITHIN) -> None:
    """Wait until every future has settled (fulfilled or rejected), at most ``within`` s."""
    futures = _futures(items)
    if futures:
        try:
            async with asyncio.timeout(within):
                await asyncio.wait(futures)
        except TimeoutError:
            pending = [f for f in futures if not f.done()]
            raise AssertionError(
                f"{len(pending)} future(s) did not settle within {within}s: {pending!r}"
            ) from None
    assert_settled(*futures)


async def yield_to_loop(iterations: int = 20) -> None:
    """Let the loop run callbacks a few times: enough for reactions, not a timing wait."""
    for _ in range(iterations):
        await asyncio.sleep(0)


def settled_exception(f: asyncio.Future[Any]) -> BaseException | None:
    """The exception ``f`` settled with, or ``None`` if it was fulfilled."""
    assert f.done(), f"{f!r} has not settled"
    if f.cancelled():
        return asyncio.CancelledError()
    return f.exception()


async def outcome(f: asyncio.Future[Any], *, within: float = WITHIN) -> BaseException | None:
    """Wait for ``f`` to settle and return its exception, or ``None`` if it was fulfilled."""
    await settle(f, within=within)
    return settled_exception(f)


async def rejection(f: asyncio.Future[Any], *, within: float = WITHIN) -> BaseException:
    """Wait for ``f`` to settle and return the exception it was rejected with."""
    exc = await outcome(f, within=within)
    assert exc is not None, f"expected a rejection, but {f!r} was fulfilled"
    return exc


def assert_clear_message(exc: BaseException) -> None:
    """Assert the message style: lowercase after the prefix, no trailing period."""
    text = str(exc)
    message = text.removeprefix("SocketError: ")
    assert message, f"empty error message in {exc!r}"
    assert not message[:1].isupper(), f"message should start in lowercase: {text!r}"
    assert not message.rstrip().endswith("."), f"message should not end with a period: {text!r}"


def assert_socket_error(
    exc: BaseException | None,
    *,
    match: str | None = None,
    cause: type[BaseException] | tuple[type[BaseException], ...] | None = OSError,
) -> SocketError:
    """Assert ``exc`` is a clear ``SocketError`` (a ``TypeError``) chaining ``cause``.

    Args:
        exc: The error to check.
        match: A regular expression the message must contain (case-insensitive).
        cause: The type ``exc.__cause__`` must have; ``None`` skips the check.
    """
    assert isinstance(exc, SocketError), f"expected a SocketError, got {exc!r}"
    assert isinstance(exc, TypeError)
    assert str(exc).startswith("SocketError: "), str(exc)
    assert_clear_message(exc)
    if match is not None:
        assert re.search(match, str(exc), re.IGNORECASE), f"{match!r} not in {str(exc)!r}"
    if cause is not None:
        assert isinstance(exc.__cause__, cause), (
            f"expected __cause__ to be {cause!r}, got {exc.__cause__!r} in {exc!r}"
        )
    return exc


def assert_bytes_received(actual: bytes | bytearray, expected: bytes | bytearray) -> None:
    """Assert two byte strings are equal, reporting length and first difference, not a dump."""
    if actual == expected:
        return
    first = next(
        (i for i, (a, b) in enumerate(zip(actual, expected, strict=False)) if a != b),
        min(len(actual), len(expected)),
    )
    raise AssertionError(
        f"received {len(actual)} bytes (sha256 {hashlib.sha256(actual).hexdigest()[:16]}),"
        f" expected {len(expected)} (sha256 {hashlib.sha256(expected).hexdigest()[:16]});"
        f" first difference at offset {first}:"
        f" got {bytes(actual[first : first + 16])!r},"
        f" expected {bytes(expected[first : first + 16])!r}"
    )


async def read_all(sock: Socket, *, within: float = WITHIN) -> bytes:
    """Read ``sock.readable`` to its end with a default reader, then release the lock."""
    reader = sock.readable.get_reader()
    data = bytearray()
    try:
        async with asyncio.timeout(within):
            while True:
                result = await reader.read()
                if result.done:
                    break
                data += result.value
    except TimeoutError:
        raise AssertionError(
            f"the readable did not end within {within}s (read {len(data)} bytes)"
        ) from None
    reader.release_lock()
    return bytes(data)


async def read_exactly(sock: Socket, n: int, *, within: float = WITHIN) -> bytes:
    """Read exactly ``n`` bytes (the last chunk may carry more: it is kept), then release."""
    reader = sock.readable.get_reader()
    data = bytearray()
    try:
        async with asyncio.timeout(within):
            while len(data) < n:
                result = await reader.read()
                assert not result.done, f"the readable ended after {len(data)} of {n} bytes"
                data += result.value
    except TimeoutError:
        raise AssertionError(f"read {len(data)} of {n} bytes within {within}s") from None
    reader.release_lock()
    return bytes(data)


async def write_until_blocked(
    writer: WritableStreamDefaultWriter, *, chunk: bytes = b"w" * 65536
) -> list[asyncio.Future[None]]:
    """Write ``chunk`` until ``writer.ready`` stays pending (a peer that does not read).

    Returns every write made: the last ones wait for the peer.
    """
    writes = []
    async with asyncio.timeout(WITHIN):
        while True:
            writes.append(writer.write(chunk))
            done, _ = await asyncio.wait([writer.ready], timeout=0.25)
            if not done:
                return writes


async def close_and_settle(sock: Socket, *, within: float = WITHIN) -> None:
    """Close ``sock`` unless it is closed, then wait until ``opened`` and ``closed`` settle."""
    if not sock.closed.done():
        sock.close()
    await settle(sock, within=within)


async def assert_echo(
    sock: Socket, peer_conn: Any, payload: bytes = b"ping", *, within: float = WITHIN
) -> None:
    """Bytes go both ways: ``peer_conn`` receives ``payload``, ``sock`` reads it reversed.

    ``peer_conn`` is a peer's side of the connection, with ``wait_received(n)`` and
    ``send(data)`` (a :class:`tests.socket.peer.PeerConnection`). Both locks are released.
    """
    writer = sock.writable.get_writer()
    async with asyncio.timeout(within):
        await writer.write(payload)
    assert await peer_conn.wait_received(len(payload)) == payload
    peer_conn.send(payload[::-1])
    received = await read_exactly(sock, len(payload), within=within)
    assert received == payload[::-1]
    writer.release_lock()


def open_fds() -> int:
    """How many file descriptors this process has open."""
    return len(os.listdir("/proc/self/fd"))


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """Turn the garbage collector off: inside, only reference counting frees objects."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def assert_freed(ref: weakref.ref[Any]) -> None:
    """Assert the object ``ref`` refers to is gone (under :func:`collector_off`: freed at
    once, so it was in no reference cycle)."""
    obj = ref()
    if obj is not None:
        holders = [type(h).__name__ for h in gc.get_referrers(obj)]
        raise AssertionError(f"{obj!r} is still alive, held by {holders}")
