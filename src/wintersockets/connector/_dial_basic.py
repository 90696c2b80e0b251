"""The simplest dial: resolve a name (not a literal), then try each address in turn.

This is the plain-TCP path the :class:`~wintersockets.connector.connector.Connector` uses
until policy, proxies and Happy Eyeballs take over (``dial.py``). An IP literal is
connected to directly, without ``getaddrinfo``.
"""

from __future__ import annotations

import asyncio
import socket

from wintersockets.errors import SocketError
from wintersockets.socket.info import format_host_port
from wintersockets.transport.errors import describe

from .address import ip_literal

__all__: list[str] = []


async def dial_basic(hostname: str, port: int) -> socket.socket:
    """A connected non-blocking socket to ``hostname:port``; the caller owns it.

    Raises:
        OSError: The only address failed (``socket.gaierror`` if the name did not resolve).
        SocketError: Several addresses failed; the ``ExceptionGroup`` of causes is chained.
    """
    loop = asyncio.get_running_loop()
    literal = ip_literal(hostname)
    if literal is not None:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
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
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        await loop.sock_connect(sock, sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock
