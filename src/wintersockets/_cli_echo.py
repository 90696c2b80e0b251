"""The command line's echo server: ``wintersockets serve`` and ``connect`` with no address.

It is a peer, not a client, so it sits on asyncio directly (the Sockets API only
connects). It echoes every byte back, keeps flow control end to end (it stops reading
while its send buffer is full), and answers a client's FIN by sending what is left and
closing, so a netcat-style client sees its input come back and then a clean close.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO, cast

__all__ = ["EchoServer", "format_address", "parse_listen_address", "serve_forever"]


class _EchoProtocol(asyncio.Protocol):
    def __init__(self, connections: set[asyncio.Transport]) -> None:
        self._connections = connections
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._connections.add(self._transport)

    def data_received(self, data: bytes) -> None:
        assert self._transport is not None
        self._transport.write(data)

    def eof_received(self) -> bool:
        # Returning False makes asyncio flush the echo, then close: the client's FIN is
        # answered with ours, after every byte it sent.
        return False

    def pause_writing(self) -> None:
        # The client is not reading: stop reading too, so the kernel pushes back on it.
        assert self._transport is not None
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        assert self._transport is not None
        if not self._transport.is_closing():
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._connections.discard(self._transport)


class EchoServer:
    """A TCP echo server on the running loop; an async context manager.

    Args:
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one (see :attr:`address`).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Transport] = set()

    @property
    def address(self) -> str:
        """Where the server listens, as ``"host:port"`` (``"[v6]:port"`` for IPv6)."""
        assert self._server is not None, "the echo server is not started"
        sockname = self._server.sockets[0].getsockname()
        return format_address(str(sockname[0]), int(sockname[1]))

    async def start(self) -> None:
        """Bind and start accepting connections."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _EchoProtocol(self._connections), self._host, self._port
        )

    async def close(self) -> None:
        """Stop accepting, drop every open connection, and wait until the port is free."""
        if self._server is None:
            return
        self._server.close()
        for transport in list(self._connections):
            transport.abort()
        await self._server.wait_closed()
        # Let the aborted transports run connection_lost and release their sockets.
        while self._connections:
            await asyncio.sleep(0)

    async def __aenter__(self) -> EchoServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def format_address(host: str, port: int) -> str:
    """``"host:port"``, with brackets around an IPv6 host."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_listen_address(text: str) -> tuple[str, int]:
    """Parse ``serve``'s address: ``"host:port"``, ``"[v6]:port"``, ``":port"`` or ``"port"``.

    A missing host means 127.0.0.1; port 0 picks a free port.

    Raises:
        ValueError: The text is not such an address.
    """
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"put an IPv6 address in brackets, as in [::1]:8000, got {text!r}")
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"the port must be an integer from 0 to 65535, got {text!r}")
    return host or "127.0.0.1", int(port_text)


async def serve_forever(host: str, port: int, *, stderr: TextIO | None = None) -> int:
    """Run an echo server until SIGINT or SIGTERM; print where it listens to ``stderr``.

    Returns:
        The exit status: 0 after a signal, 1 if the address cannot be bound.
    """
    err = stderr if stderr is not None else sys.stderr
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    server = EchoServer(host, port)
    try:
        await server.start()
    except OSError as exc:
        print(f"wintersockets: cannot listen on {format_address(host, port)}: {exc}", file=err)
        return 1

    def on_signal() -> None:
        if not stop.done():
            stop.set_result(None)

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        print(f"listening on {server.address}", file=err, flush=True)
        await stop
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await server.close()
    return 0
