"""Happy Eyeballs (RFC 8305): race TCP connection attempts over a host's addresses.

Two parts. :func:`interleave_addrinfos` is pure: it orders ``getaddrinfo`` results as
RFC 8305 §4 asks, alternating address families starting with the family of the first
result (the resolver's RFC 6724 ordering, which prefers IPv6 where it works).
:func:`race_connections` does the I/O: it starts the first attempt, and starts the next
one after ``delay`` seconds or as soon as the previous one fails, whichever is first
(RFC 8305 §5). The first attempt to succeed wins.

Like trio's ``open_tcp_stream``, it cleans up completely: every losing socket is closed,
whether the race ends in success, in failure, in cancellation or in a crash; the winning
socket is handed over only once nothing else is running. Every failure is kept: when all
attempts fail, one ``SocketError`` lists each address with its reason, and its
``__cause__`` is the ``OSError`` (one attempt) or an ``ExceptionGroup`` of them (several).

Each attempt is a non-blocking ``connect()`` to the resolved address, awaited with
``loop.add_writer`` (not ``loop.sock_connect``, which uvloop resolves again), so it works
on the default loop and on uvloop alike, and connects to exactly the checked address.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from collections.abc import Sequence
from typing import TypeAlias

from wintersockets.errors import SocketError
from wintersockets.transport.errors import describe

# Everything here is the dialer's (importable, not public API).
__all__: list[str] = []

# RFC 8305 §8: "Connection Attempt Delay ... recommended default value ... is 250 ms".
DEFAULT_DELAY = 0.25

SockAddr: TypeAlias = tuple[str, int] | tuple[str, int, int, int]
AddrInfo: TypeAlias = tuple[socket.AddressFamily, socket.SocketKind, int, str, SockAddr]


class DialError(SocketError):
    """Connecting to ``target`` failed; ``reason`` says why, ``__cause__`` is the cause.

    ``str(error)`` is ``"SocketError: connecting to '<target>' failed: <reason>"``. The
    parts are kept so that a caller can say the same thing in a larger sentence (the
    dialer does, when the proxy cannot be reached).
    """

    def __init__(self, target: str, reason: str) -> None:
        super().__init__(f"connecting to {target!r} failed: {reason}")
        self.target = target
        self.reason = reason


def interleave_addrinfos(
    infos: Sequence[AddrInfo], *, first_address_family_count: int = 1
) -> list[AddrInfo]:
    """Order addresses for connection attempts as RFC 8305 §4 specifies.

    Duplicates are dropped. The family of the first entry goes first: its first
    ``first_address_family_count`` addresses, then one address of each family in turn.
    Within a family the resolver's order is kept.

    Args:
        infos: ``getaddrinfo`` results, in the resolver's order.
        first_address_family_count: RFC 8305's "First Address Family Count" (at least 1).

    Returns:
        A new list, in the order to attempt.
    """
    if first_address_family_count < 1:
        raise ValueError(
            f"first_address_family_count must be at least 1, got {first_address_family_count}"
        )
    by_family: dict[socket.AddressFamily, list[AddrInfo]] = {}
    seen: set[tuple[socket.AddressFamily, SockAddr]] = set()
    for info in infos:
        key = (info[0], info[4])
        if key in seen:
            continue
        seen.add(key)
        by_family.setdefault(info[0], []).append(info)
    queues = list(by_family.values())
    ordered: list[AddrInfo] = []
    if queues:
        head = queues[0][: first_address_family_count - 1]
        ordered.extend(head)
        del queues[0][: len(head)]
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    return ordered


async def race_connections(
    infos: Sequence[AddrInfo],
    *,
    delay: float = DEFAULT_DELAY,
    description: str | None = None,
) -> socket.socket:
    """Connect to the first address that answers, racing attempts as RFC 8305 §5 says.

    Attempt ``i + 1`` starts ``delay`` seconds after attempt ``i`` started, or at once if
    attempt ``i`` fails first. Attempts already running go on until one succeeds.

    Args:
        infos: The addresses in the order to attempt (see :func:`interleave_addrinfos`).
        delay: RFC 8305's "Connection Attempt Delay", in seconds.
        description: What is being connected to, for the error message (for example
            ``"example.com:443"``); defaults to the first address.

    Returns:
        A connected, non-blocking socket. The caller owns it.

    Raises:
        DialError: Every attempt failed (a ``SocketError``). The message lists each
            address and reason; ``__cause__`` is the ``OSError`` or an ``ExceptionGroup``
            of them.

    Warning:
        If the caller is cancelled, every attempt is cancelled and every socket closed
        before ``CancelledError`` propagates.
    """
    if not infos:
        raise ValueError("race_connections() needs at least one address")
    if delay < 0:
        raise ValueError(f"delay must be a non-negative number of seconds, got {delay!r}")
    loop = asyncio.get_running_loop()
    if len(infos) == 1:
        # Nothing to race: connect in this task (the attempt closes its socket on any
        # failure or cancellation), saving a task and a wait() per connection.
        try:
            return await connect_socket(loop, infos[0])
        except OSError as failure:
            raise attempt_failed(description, infos[0], failure) from failure
    pending: dict[asyncio.Task[socket.socket], AddrInfo] = {}
    failures: list[tuple[AddrInfo, OSError]] = []
    winner: socket.socket | None = None
    latest: asyncio.Task[socket.socket] | None = None
    deadline = 0.0
    index = 0
    try:
        while winner is None:
            # RFC 8305 §5: start the next attempt when the delay since the last one has
            # passed, or as soon as the last one failed.
            if index < len(infos) and (
                latest is None or latest not in pending or loop.time() >= deadline
            ):
                latest = loop.create_task(connect_socket(loop, infos[index]))
                pending[latest] = infos[index]
                deadline = loop.time() + delay
                index += 1
            if not pending:
                break
            timeout = max(0.0, deadline - loop.time()) if index < len(infos) else None
            done, _ = await asyncio.wait(
                pending.keys(), timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                info = pending.pop(task)
                exc = task.exception()
                if exc is None:
                    if winner is None:
                        winner = task.result()
                    else:  # two finished in the same turn: keep the first
                        task.result().close()
                elif isinstance(exc, OSError):
                    exc.add_note(f"while connecting to {format_sockaddr(info[4])}")
                    failures.append((info, exc))
                else:
                    raise exc
    finally:
        cancelled = await _cancel_and_reap(pending)
        if cancelled and winner is not None:
            winner.close()
            winner = None
        if cancelled:
            raise asyncio.CancelledError
    if winner is not None:
        return winner
    raise _all_failed(description, failures)


async def connect_socket(loop: asyncio.AbstractEventLoop, info: AddrInfo) -> socket.socket:
    """A non-blocking socket connected to ``info``'s address; closed if this fails.

    Raises:
        OSError: the connect failed (the errno's subclass, such as ConnectionRefusedError).
    """
    family, kind, proto, _, sockaddr = info
    sock = socket.socket(family, kind, proto)
    try:
        sock.setblocking(False)
        # Not loop.sock_connect(): uvloop's resolves the address again through getaddrinfo
        # (in its thread pool) even for a literal, which costs more than the whole connect.
        try:
            sock.connect(sockaddr)
        except (BlockingIOError, InterruptedError):
            if not _connected(sock):  # on loopback it usually is, as connect() returns
                await _writable(loop, sock.fileno())
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                # OSError(errno, ...) is the errno's subclass (ConnectionRefusedError, ...).
                raise OSError(error, os.strerror(error)) from None
    except BaseException:
        sock.close()
        raise
    return sock


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
    except OSError:
        return False
    return True


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    """Wait until ``fd`` is writable: a non-blocking connect() has finished."""
    waiter: asyncio.Future[None] = loop.create_future()
    loop.add_writer(fd, _wake, waiter)
    try:
        await waiter
    finally:
        loop.remove_writer(fd)


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _cancel_and_reap(pending: dict[asyncio.Task[socket.socket], AddrInfo]) -> bool:
    """Cancel the attempts still running, wait for them, close what they opened.

    Returns whether the caller was cancelled while waiting; the cancellation is held
    back until every attempt is reaped, so no socket outlives the race.
    """
    for task in pending:
        task.cancel()
    cancelled = False
    while True:
        running = [task for task in pending if not task.done()]
        if not running:
            break
        try:
            await asyncio.wait(running)
        except asyncio.CancelledError:
            cancelled = True
    for task in pending:
        if task.cancelled():
            continue
        if task.exception() is None:  # finished connecting before the cancel landed
            task.result().close()
    return cancelled


def attempt_failed(description: str | None, info: AddrInfo, failure: OSError) -> DialError:
    """The error of a dial whose only attempt, to ``info``, failed with ``failure``.

    Notes the address on ``failure``, which becomes the error's ``__cause__``.
    """
    failure.add_note(f"while connecting to {format_sockaddr(info[4])}")
    return _all_failed(description, [(info, failure)])


def _all_failed(description: str | None, failures: list[tuple[AddrInfo, OSError]]) -> DialError:
    reasons = [f"{format_sockaddr(info[4])}: {describe(exc)}" for info, exc in failures]
    target = description or format_sockaddr(failures[0][0][4])
    if len(failures) == 1:
        error = DialError(target, reasons[0].removeprefix(f"{target}: "))
        error.__cause__ = failures[0][1]
    else:
        error = DialError(target, f"all {len(failures)} attempts failed: " + "; ".join(reasons))
        error.__cause__ = ExceptionGroup(
            f"{len(failures)} connection attempts failed", [exc for _, exc in failures]
        )
    return error


def format_sockaddr(sockaddr: SockAddr) -> str:
    """``"127.0.0.1:80"``, ``"[::1]:80"``, or ``"[fe80::1%2]:80"`` with a scope id."""
    host, port = sockaddr[0], sockaddr[1]
    if len(sockaddr) == 4 and ":" in host:
        scope = sockaddr[3]
        if scope and "%" not in host:
            host = f"{host}%{scope}"
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def sockaddr_ip(sockaddr: SockAddr) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address part of a sockaddr as an ``ipaddress`` object (zone id dropped)."""
    return ipaddress.ip_address(sockaddr[0].partition("%")[0])
