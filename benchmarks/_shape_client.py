"""The connect benchmark's "shape" variant: the floor plus what the spec makes every socket do.

The floor (:func:`benchmarks._asyncio_clients.floor_connect`) is a task and two futures.
A socket with the spec's observable shape does a little more for every connection, and this
client does exactly that and nothing else: it takes the address as text (parsed once per
text, as wintersockets caches it); ``opened`` and ``closed`` are promises any number of
awaiters may share (:class:`~wintersockets.streams._promises.SharedPromise`); ``opened``
resolves with a :class:`~wintersockets.SocketInfo` holding both addresses as text (and the
ALPN protocol); the protocol is a ``BufferedProtocol`` reading into one buffer all
connections share, as wintersockets' bridge does; and one state field makes ``close()``
safe before and after the connection opens. No streams, options, validation, state machine,
errors or logging. On uvloop, where ``create_connection()`` runs in C and leaves nothing to
skip, its ratio to raw is about the most a Python socket of that shape can reach. (On the
default loop a socket can do better than it by not waiting for writability after a connect
that completed at once, as wintersockets does.)
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from benchmarks._asyncio_clients import open_close_cycles
from benchmarks._harness import Transfer
from wintersockets import SocketInfo
from wintersockets.streams._promises import SharedPromise, shared_promise

__all__ = ["shape_connect"]

HOST = "127.0.0.1"
_CONNECTING, _OPEN, _CLOSING, _DONE = range(4)
_parsed: dict[str, tuple[str, int]] = {}
# One buffer for every connection (a readable's source copies each read out of it at once).
_SCRATCH = bytearray(64 * 1024)


def _address_text(address: Any) -> str | None:
    if not isinstance(address, tuple):
        return None
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class _ShapeProtocol(asyncio.BufferedProtocol):
    __slots__ = ("_socket", "_transport")

    def __init__(self, socket: _ShapeSocket) -> None:
        self._socket = socket
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but have its methods.
        self._transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> bytearray:
        return _SCRATCH

    def buffer_updated(self, nbytes: int) -> None:
        pass

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._socket.lost()


class _ShapeSocket:
    __slots__ = ("_protocol", "_state", "_task", "closed", "opened")

    def __init__(self, address: str, context: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        destination = _parsed.get(address)
        if destination is None:
            host, _, port = address.rpartition(":")
            destination = _parsed[address] = (host, int(port))
        self.opened: SharedPromise[SocketInfo] = shared_promise(loop)
        self.closed: SharedPromise[None] = shared_promise(loop)
        self._state = _CONNECTING
        self._protocol = _ShapeProtocol(self)
        self._task = loop.create_task(self._open(loop, destination, context))

    async def _open(
        self, loop: asyncio.AbstractEventLoop, destination: tuple[str, int],
        context: ssl.SSLContext | None,
    ) -> None:  # fmt: skip
        protocol = self._protocol
        try:
            await loop.create_connection(
                lambda: protocol,
                destination[0],
                destination[1],
                ssl=context,
                server_hostname=None if context is None else destination[0],
            )
        except OSError as exc:
            self._state = _DONE
            self.opened.set_exception(exc)
            self.opened.exception()
            self.closed.set_exception(exc)
            self.closed.exception()
            return
        transport = protocol._transport
        assert transport is not None
        if self._state != _CONNECTING:  # closed while connecting
            transport.abort()
            self.opened.set_exception(ConnectionAbortedError("closed before it opened"))
            self.opened.exception()
            return
        self._state = _OPEN
        ssl_object = transport.get_extra_info("ssl_object")
        self.opened.set_result(
            SocketInfo(
                _address_text(transport.get_extra_info("peername")),
                _address_text(transport.get_extra_info("sockname")),
                None if ssl_object is None else ssl_object.selected_alpn_protocol(),
            )
        )

    def close(self) -> SharedPromise[None]:
        if self._state == _OPEN:
            self._state = _CLOSING
            transport = self._protocol._transport
            assert transport is not None
            transport.close()
        elif self._state == _CONNECTING:
            self._state = _CLOSING  # _open aborts the transport when it comes
        return self.closed

    def lost(self) -> None:
        self._state = _DONE
        if not self.closed.done():
            self.closed.set_result(None)


async def shape_connect(
    port: int, connects: int, context: ssl.SSLContext | None = None
) -> Transfer:
    """Open and close ``connects`` connections through :class:`_ShapeSocket`."""
    address = f"{HOST}:{port}"
    return await open_close_cycles(lambda: _ShapeSocket(address, context), connects)
