"""TLS peers: ``openssl s_server`` processes (session fixtures) and in-process test servers.

``openssl s_server -rev`` answers every line it receives with the line reversed
(``b"hello\\n"`` → ``b"olleh\\n"``), so data flows both ways. It serves one connection at a
time: a test must close its connection before the next one is served. Every server
negotiates ALPN from ``h2,http/1.1`` and listens on a free port of 127.0.0.1 (``[::1]`` for
the IPv6 variant). The session fixtures, each yielding an :class:`OpenSSLServer`:

- ``openssl_server``: the good certificate (``localhost``, 127.0.0.1, ::1), TLS 1.2 and 1.3
- ``openssl_server_ipv6``: the same on ``[::1]``
- ``openssl_server_tls12``: the good certificate, at most TLS 1.2
- ``openssl_server_expired`` / ``_not_yet_valid`` / ``_wrong_host`` / ``_untrusted`` /
  ``_self_signed``: the failing certificates of :class:`~tests.peers.tls_certs.TLSCerts`
- ``openssl_server_mtls``: ``-Verify 1``: requires a client certificate signed by the CA

Servers start on first use and are all stopped when the session ends. The in-process
servers (async context managers, started inside a test on its loop):

- :func:`stalling_server`: accepts TCP and never says a word (handshake timeouts)
- :func:`non_tls_server`: answers whatever it receives with a plain-text HTTP 400
- :func:`sni_recording_server`: a TLS echo server that records the SNI each client sent
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pytest

from tests.peers.processes import stop_process
from tests.peers.tls_certs import CertPair, TLSCerts

__all__ = [
    "OpenSSLServer",
    "OpenSSLServerPool",
    "SNIRecordingServer",
    "TCPPeer",
    "non_tls_server",
    "openssl_server",
    "openssl_server_expired",
    "openssl_server_ipv6",
    "openssl_server_mtls",
    "openssl_server_not_yet_valid",
    "openssl_server_pool",
    "openssl_server_self_signed",
    "openssl_server_tls12",
    "openssl_server_untrusted",
    "openssl_server_wrong_host",
    "sni_recording_server",
    "stalling_server",
    "start_openssl_server",
]

_STARTUP_TIMEOUT = 10.0
_ACCEPT_LINE = re.compile(rb"^ACCEPT (\S+):(\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class OpenSSLServer:
    """A running ``openssl s_server -rev``: where it listens, its process and its log."""

    host: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        """``"host:port"`` (``"[::1]:port"`` for IPv6) to pass to ``connect()``."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def start_openssl_server(
    pair: CertPair,
    log: Path,
    *,
    host: str = "127.0.0.1",
    alpn: str = "h2,http/1.1",
    extra_args: tuple[str, ...] = (),
) -> OpenSSLServer:
    """Start ``openssl s_server -rev`` presenting ``pair`` on a free port of ``host``.

    It binds port 0 and reports the port it got, so no other process can take it first.
    Its output goes to ``log`` (a pipe nobody reads would fill up and stall it).

    Raises:
        RuntimeError: ``openssl`` is missing or the server did not start (log attached).
    """
    binary = shutil.which("openssl")
    if binary is None:
        raise RuntimeError("openssl is missing: run scripts/install (apt-get install openssl)")
    accept = f"[{host}]:0" if ":" in host else f"{host}:0"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "s_server", "-accept", accept, "-cert", str(pair.cert),
             "-key", str(pair.key), "-rev", "-alpn", alpn, *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        match = _ACCEPT_LINE.search(log.read_bytes())
        if match:
            return OpenSSLServer(host, int(match.group(2)), process, log)
        time.sleep(0.01)
    stop_process(process)
    raise RuntimeError(f"openssl s_server did not start: {log.read_bytes()!r}")


@dataclass
class OpenSSLServerPool:
    """Starts each ``s_server`` variant on first request and stops them all at the end."""

    certs: TLSCerts
    directory: Path
    servers: dict[str, OpenSSLServer] = field(default_factory=dict)

    def get(self, variant: str) -> OpenSSLServer:
        """The running server of ``variant`` (see the module docstring), started if needed."""
        if variant not in self.servers:
            self.servers[variant] = self._start(variant)
        return self.servers[variant]

    def _start(self, variant: str) -> OpenSSLServer:
        certs = self.certs
        pairs = {
            "good": certs.server,
            "ipv6": certs.server,
            "tls12": certs.server,
            "mtls": certs.server,
            "expired": certs.expired,
            "not_yet_valid": certs.not_yet_valid,
            "wrong_host": certs.wrong_host,
            "untrusted": certs.untrusted,
            "self_signed": certs.self_signed,
        }
        extra: dict[str, tuple[str, ...]] = {
            "tls12": ("-no_tls1_3",),
            "mtls": ("-Verify", "1", "-CAfile", str(certs.ca), "-verify_return_error"),
        }
        return start_openssl_server(
            pairs[variant],
            self.directory / f"s_server-{variant}.log",
            host="::1" if variant == "ipv6" else "127.0.0.1",
            extra_args=extra.get(variant, ()),
        )

    def stop_all(self) -> None:
        """Stop every server started so far."""
        for server in self.servers.values():
            stop_process(server.process)
        self.servers.clear()


@pytest.fixture(scope="session")
def openssl_server_pool(
    tls_certs: TLSCerts, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OpenSSLServerPool]:
    """The session's ``s_server`` processes, started on demand by the fixtures below."""
    pool = OpenSSLServerPool(tls_certs, tmp_path_factory.mktemp("s_server"))
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="session")
def openssl_server(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` with the good certificate, ALPN h2/http/1.1, TLS 1.2 and 1.3."""
    return openssl_server_pool.get("good")


@pytest.fixture(scope="session")
def openssl_server_ipv6(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` with the good certificate on ``[::1]``."""
    return openssl_server_pool.get("ipv6")


@pytest.fixture(scope="session")
def openssl_server_tls12(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` with the good certificate that speaks at most TLS 1.2."""
    return openssl_server_pool.get("tls12")


@pytest.fixture(scope="session")
def openssl_server_mtls(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev -Verify 1``: refuses clients without a certificate from the CA."""
    return openssl_server_pool.get("mtls")


@pytest.fixture(scope="session")
def openssl_server_expired(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` presenting a certificate that expired yesterday."""
    return openssl_server_pool.get("expired")


@pytest.fixture(scope="session")
def openssl_server_not_yet_valid(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` presenting a certificate valid only from tomorrow."""
    return openssl_server_pool.get("not_yet_valid")


@pytest.fixture(scope="session")
def openssl_server_wrong_host(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` presenting a certificate for ``wrong.example`` only."""
    return openssl_server_pool.get("wrong_host")


@pytest.fixture(scope="session")
def openssl_server_untrusted(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` presenting a certificate from a CA the tests do not trust."""
    return openssl_server_pool.get("untrusted")


@pytest.fixture(scope="session")
def openssl_server_self_signed(openssl_server_pool: OpenSSLServerPool) -> OpenSSLServer:
    """``s_server -rev`` presenting a self-signed certificate."""
    return openssl_server_pool.get("self_signed")


# In-process servers: started inside a test, on its loop.


@dataclass(frozen=True)
class TCPPeer:
    """Where an in-process server listens."""

    host: str
    port: int

    @property
    def address(self) -> str:
        """``"host:port"`` to pass to ``connect()``."""
        return f"{self.host}:{self.port}"


class _Tracked(asyncio.Protocol):
    """Keeps every accepted transport so the server can close them all on exit."""

    def __init__(self, transports: set[asyncio.Transport], reply: bytes | None) -> None:
        self._transports = transports
        self._reply = reply
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, only look-alikes.
        self._transport = cast(asyncio.Transport, transport)
        self._transports.add(self._transport)

    def data_received(self, data: bytes) -> None:
        if self._reply is not None and self._transport is not None:
            self._transport.write(self._reply)
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._transport is not None:
            self._transports.discard(self._transport)


@contextlib.asynccontextmanager
async def _tracked_server(host: str, reply: bytes | None) -> AsyncIterator[TCPPeer]:
    loop = asyncio.get_running_loop()
    transports: set[asyncio.Transport] = set()
    server = await loop.create_server(lambda: _Tracked(transports, reply), host, 0)
    try:
        yield TCPPeer(host, server.sockets[0].getsockname()[1])
    finally:
        server.close()
        for transport in list(transports):
            transport.abort()
        await server.wait_closed()
        await asyncio.sleep(0)  # let connection_lost callbacks run


def stalling_server(host: str = "127.0.0.1") -> contextlib.AbstractAsyncContextManager[TCPPeer]:
    """A server that accepts connections and never answers (nor closes them)."""
    return _tracked_server(host, None)


def non_tls_server(
    host: str = "127.0.0.1", reply: bytes = b"HTTP/1.1 400 Bad Request\r\n\r\n"
) -> contextlib.AbstractAsyncContextManager[TCPPeer]:
    """A plain-text server: answers the first bytes it receives with ``reply``, then closes."""
    return _tracked_server(host, reply)


@dataclass
class SNIRecordingServer:
    """A TLS echo server; :attr:`names` holds the SNI of each handshake (``None``: none)."""

    host: str
    port: int
    names: list[str | None] = field(default_factory=list)


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def sni_recording_server(
    context: ssl.SSLContext, host: str = "127.0.0.1"
) -> AsyncIterator[SNIRecordingServer]:
    """A TLS echo server with the server ``context`` that records each client's SNI.

    ``context`` is modified (its ``sni_callback`` is set): pass a fresh one, e.g.
    ``tls_certs.server_context()``.
    """
    record = SNIRecordingServer(host, 0)

    def on_sni(_obj: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        record.names.append(name)

    context.sni_callback = on_sni
    handlers: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            await _echo(reader, writer)
        finally:
            handlers.discard(task)

    server = await asyncio.start_server(handle, host, 0, ssl=context)
    record.port = server.sockets[0].getsockname()[1]
    try:
        yield record
    finally:
        server.close()
        for task in list(handlers):
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()
