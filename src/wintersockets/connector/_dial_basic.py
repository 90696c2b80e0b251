"""The simplest dial: resolve a name (not a literal), then try each address in turn.

This is the plain-TCP path the :class:`~wintersockets.connector.connector.Connector` uses
until policy, proxies and Happy Eyeballs take over (``dial.py``). An IP literal is
connected to directly, without ``getaddrinfo``.
"""

from __future__ import annotations

import asyncio
import os
import socket

from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port
from wintersockets.transport.errors import describe

from .address import ip_version

__all__: list[str] = []


async def dial_basic(hostname: str, port: int) -> socket.socket:
    """A connected non-blocking socket to ``hostname:port``; the caller owns it.

    Raises:
        OSError: The only address failed (``socket.gaierror`` if the name did not resolve).
        SocketError: Several addresses failed; the ``ExceptionGroup`` of causes is chained.
    """
    loop = asyncio.get_running_loop()
    version = ip_version(hostname)
    if version is not None:
        family = socket.AF_INET6 if version == 6 else socket.AF_INET
        return await _attempt(loop, family, (hostname, port))
    infos = await loop.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)
    failures: list[tuple[str, OSError]] = []
    for family, _type, _proto, _name, sockaddr in infos:
        try:
            return await _attempt(loop, family, sockaddr)
        except OSError as exc:
            failures.append((format_host_port(str(sockaddr[0]), int(sockaddr[1])), exc))
    if len(failures) == 1:
        raise failures[0][1]
    details = "; ".join(f"{where}: {describe(exc)}" for where, exc in failures)
    raise SocketError(
        f"connecting to {format_host_port(hostname, port)!r} failed: all {len(failures)} "
        f"addresses failed ({details})"
    ) from ExceptionGroup("every address failed", [exc for _, exc in failures])


async def _attempt(
    loop: asyncio.AbstractEventLoop, family: int, sockaddr: tuple[object, ...]
) -> socket.socket:
    # Not loop.sock_connect(): uvloop's resolves the address again through getaddrinfo
    # (in its thread pool) even for a literal, which costs more than the whole connect.
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        try:
            sock.connect(sockaddr)
        except (BlockingIOError, InterruptedError):
            await _writable(loop, sock.fileno())
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                # OSError(errno, ...) is the errno's subclass (ConnectionRefusedError, ...).
                raise OSError(error, os.strerror(error)) from None
    except BaseException:
        sock.close()
        raise
    return sock


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
