"""``secure_transport="starttls"`` and ``start_tls()`` (DESIGN.md decision 8) on real peers.

PostgreSQL (SSLRequest, ``S``, TLS, a query) and an SMTP server that requires STARTTLS are
driven through the public API only. The rules of decision 8 are checked against
:class:`StartTLSPeer`, a loopback server that reads the plain-text exchange byte-exactly
from its socket (as PostgreSQL does), so the client's TLS handshake stays in the kernel
for the server's TLS layer, then serves TLS with a scripted
:class:`~tests.peers.scripted.PeerConnection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.integration.assertions import (
    WITHIN,
    assert_bytes_received,
    assert_pending,
    assert_settled,
    assert_socket_error,
    close_and_settle,
    read_all,
    read_exactly,
    rejection,
    settle,
    settled_exception,
    write_until_blocked,
    yield_to_loop,
)
from tests.peers.postgres import PG_STARTUP, PostgresServer, pg_message
from tests.peers.scripted import PeerConnection, ScriptedPeer, fin, script
from tests.peers.smtp import SMTPServer
from tests.peers.tls_certs import TLSCerts, trusting
from wintersockets.connector.connector import connect
from wintersockets.errors import SocketError
from wintersockets.socket.socket import Socket
from wintersockets.starttls_dialogues import SSL_REQUEST, SMTPReply, negotiate, parse_smtp_reply

COMMAND = b"STARTTLS\r\n"


# -- a STARTTLS peer -------------------------------------------------------------------------


@dataclass
class StartTLSPeer:
    """A loopback server that speaks plain text, then TLS, on each connection.

    For each connection it sends ``greeting``, reads exactly ``expect`` bytes (which must
    end with ``command``), sends ``go_ahead``, then ``after_go_ahead`` once ``delay``
    seconds passed, and serves TLS with ``context``. :meth:`accept` returns the TLS side
    as a :class:`PeerConnection`; :attr:`plain` holds what each connection sent in plain
    text, :attr:`failures` what each failed handshake raised.
    """

    context: ssl.SSLContext
    greeting: bytes = b""
    command: bytes = COMMAND
    expect: int = len(COMMAND)
    go_ahead: bytes = b"220 go ahead\r\n"
    after_go_ahead: bytes = b""
    delay: float = 0.0
    host: str = "127.0.0.1"
    port: int = 0
    plain: list[bytes] = field(default_factory=list)
    failures: list[BaseException] = field(default_factory=list)
    _listener: socket.socket | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _connections: list[PeerConnection] = field(default_factory=list)
    _ready: asyncio.Queue[PeerConnection | BaseException] = field(default_factory=asyncio.Queue)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def accept(self) -> PeerConnection:
        """The TLS side of the next connection (raises what its handshake raised)."""
        async with asyncio.timeout(WITHIN):
            item = await self._ready.get()
        if isinstance(item, BaseException):
            raise item
        return item

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._listener is not None
        while True:
            sock, _ = await loop.sock_accept(self._listener)
            self._sockets.append(sock)
            self._tasks.append(loop.create_task(self._handle(sock)))

    async def _handle(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            if self.greeting:
                await loop.sock_sendall(sock, self.greeting)
            received = bytearray()
            while len(received) < self.expect:
                # Never more than expected: the client's handshake must stay in the kernel.
                data = await loop.sock_recv(sock, self.expect - len(received))
                if not data:
                    raise ConnectionError(f"the client hung up after {bytes(received)!r}")
                received += data
            self.plain.append(bytes(received))
            assert received.endswith(self.command), received
            if self.go_ahead:
                await loop.sock_sendall(sock, self.go_ahead)
            if self.after_go_ahead:
                await asyncio.sleep(self.delay)
                await loop.sock_sendall(sock, self.after_go_ahead)
            conn = PeerConnection(len(self._connections), read=True, tls=True)
            self._connections.append(conn)
            await loop.connect_accepted_socket(
                lambda: conn, sock, ssl=self.context, ssl_handshake_timeout=WITHIN
            )
            self._sockets.remove(sock)  # the transport owns it now
        except (OSError, AssertionError) as exc:
            self.failures.append(exc)
            self._ready.put_nowait(exc)
            return
        self._ready.put_nowait(conn)

    async def __aenter__(self) -> StartTLSPeer:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setblocking(False)
        listener.bind((self.host, 0))
        listener.listen(16)
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._tasks.append(asyncio.get_running_loop().create_task(self._serve()))
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for conn in self._connections:
            if conn._transport is not None and not conn.lost:
                conn.transport.abort()
        for conn in self._connections:
            if conn._transport is not None:
                await conn.wait_closed()
        for sock in self._sockets:
            sock.close()
        assert self._listener is not None
        self._listener.close()


async def read_reply(sock: Socket, expected: bytes) -> None:
    """Read exactly the server's go-ahead ``expected`` from the plain socket."""
    assert_bytes_received(await read_exactly(sock, len(expected)), expected)


async def plain_then_upgrade(
    certs: TLSCerts, peer: StartTLSPeer, **options: object
) -> tuple[Socket, Socket, PeerConnection]:
    """Connect in plain text, send the command, read the go-ahead, upgrade, await opened."""
    sock = trusting(certs).connect(peer.address, secure_transport="starttls", **options)  # type: ignore[arg-type]
    writer = sock.writable.get_writer()
    await writer.write(COMMAND)
    writer.release_lock()
    await read_reply(sock, peer.go_ahead)
    tls = sock.start_tls()
    conn = await peer.accept()
    async with asyncio.timeout(WITHIN):
        await tls.opened
    return sock, tls, conn


# -- the upgrade -----------------------------------------------------------------------------


@pytest.mark.parametrize("allow_half_open", [False, True])
async def test_start_tls_returns_a_tls_socket_at_once_and_retires_the_plain_one(
    tls_certs: TLSCerts, allow_half_open: bool
) -> None:
    async with StartTLSPeer(tls_certs.server_context()) as peer:
        sock = trusting(tls_certs).connect(
            peer.address, secure_transport="starttls", allow_half_open=allow_half_open
        )
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls()
        try:
            assert isinstance(tls, Socket)
            assert tls is not sock
            assert (tls.secure_transport, tls.allow_half_open) == ("on", allow_half_open)
            assert tls.upgraded is False
            assert_pending(tls.opened)
            await settle(sock.closed)
            assert settled_exception(sock.closed) is None
            assert sock.upgraded
            assert sock.secure_transport == "starttls"
            conn = await peer.accept()
            async with asyncio.timeout(WITHIN):
                info = await tls.opened
            assert info.tls is not None
            assert info.tls.server_hostname == "127.0.0.1"
            assert info.remote_address == peer.address
            conn.start_echo()
            writer = tls.writable.get_writer()
            await writer.write(b"secret")
            assert_bytes_received(await read_exactly(tls, 6), b"secret")
            assert_bytes_received(conn.received, b"secret")
            assert peer.plain == [COMMAND]
        finally:
            await close_and_settle(tls)
        assert settled_exception(tls.closed) is None
        assert_settled(sock, tls)


async def test_writes_pending_at_start_tls_are_sent_before_the_handshake(
    tls_certs: TLSCerts,
) -> None:
    """The server upgrades as soon as the command arrives (no reply), so the command itself
    can still be queued when ``start_tls()`` is called: the upgrade sends it first."""
    payload = b"x" * 300_000 + COMMAND
    async with StartTLSPeer(tls_certs.server_context(), expect=len(payload), go_ahead=b"") as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        writer = sock.writable.get_writer()
        writes = [writer.write(payload[i : i + 65536]) for i in range(0, len(payload), 65536)]
        tls = sock.start_tls()
        try:
            await settle(*writes)
            assert all(settled_exception(w) is None for w in writes)
            await peer.accept()
            async with asyncio.timeout(WITHIN):
                await tls.opened
            assert peer.plain == [payload]
            assert_settled(sock)
            assert sock.upgraded
        finally:
            await close_and_settle(tls)


async def test_start_tls_before_open_upgrades_once_connected(tls_certs: TLSCerts) -> None:
    async with StartTLSPeer(tls_certs.server_context(), go_ahead=b"") as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        sock.writable.get_writer().write(COMMAND).add_done_callback(lambda f: f.exception())
        tls = sock.start_tls()
        try:
            await peer.accept()
            async with asyncio.timeout(WITHIN):
                await tls.opened
            await settle(sock.opened, sock.closed)
            assert settled_exception(sock.closed) is None
            assert sock.upgraded
        finally:
            await close_and_settle(tls)


async def test_the_old_streams_stop_working_after_the_upgrade(tls_certs: TLSCerts) -> None:
    async with StartTLSPeer(tls_certs.server_context()) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        writer = sock.writable.get_writer()
        await writer.write(COMMAND)
        reader = sock.readable.get_reader()
        reply = bytearray()
        async with asyncio.timeout(WITHIN):
            while len(reply) < len(peer.go_ahead):
                reply += (await reader.read()).value
        tls = sock.start_tls()
        try:
            await peer.accept()
            await settle(tls.opened)
            assert settled_exception(tls.opened) is None
            # The old readable has ended; the old writable is closed.
            assert (await reader.read()).done
            exc = await rejection(writer.write(b"plain text after the upgrade"))
            assert isinstance(exc, TypeError)
        finally:
            await close_and_settle(tls)


async def test_plain_text_unread_at_start_tls_stays_on_the_old_readable_only(
    tls_certs: TLSCerts,
) -> None:
    """Plain text the application had not read yet when it called ``start_tls()`` is read
    from the old socket after the upgrade, and never from the TLS socket."""
    greeting = b"hello in plain text\r\n"
    async with StartTLSPeer(tls_certs.server_context(), greeting=greeting, go_ahead=b"") as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        byob = sock.readable.get_reader(mode="byob")
        first = await byob.read(memoryview(bytearray(1)))
        assert bytes(first.value) == b"h"
        byob.release_lock()
        await yield_to_loop()  # the rest of the greeting reaches the readable's queue
        await sock.writable.get_writer().write(COMMAND)
        tls = sock.start_tls()
        try:
            conn = await peer.accept()
            async with asyncio.timeout(WITHIN):
                await tls.opened
            assert_bytes_received(await read_all(sock), greeting[1:])
            await conn.send(b"over TLS")
            assert_bytes_received(await read_exactly(tls, 8), b"over TLS")
        finally:
            await close_and_settle(tls)


async def test_plain_text_after_the_go_ahead_fails_the_upgrade_and_is_never_tls_data(
    tls_certs: TLSCerts,
) -> None:
    """Bytes a man in the middle appends to the go-ahead reach the TLS layer, which
    refuses them: the TLS socket fails with a message naming the STARTTLS mistake."""
    async with StartTLSPeer(
        tls_certs.server_context(), after_go_ahead=b"250 injected\r\n", delay=0.05
    ) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls()
        exc = await rejection(tls.opened)
        assert_socket_error(exc, match="sent plain text where the handshake was expected")
        assert await rejection(tls.closed) is exc
        await settle(sock.closed)
        assert sock.upgraded
        await close_and_settle(tls)


async def test_start_tls_before_open_fails_clearly_when_the_server_greets_in_plain_text(
    tls_certs: TLSCerts,
) -> None:
    """Whether the greeting was already read (refused as plain text after ``start_tls()``)
    or left for the TLS layer (not TLS), the upgrade fails and says why."""
    async with StartTLSPeer(tls_certs.server_context(), greeting=b"220 hi\r\n") as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        tls = sock.start_tls()
        exc = await rejection(tls.opened)
        assert_socket_error(
            exc,
            match="(plain text after start_tls|plain text where the handshake was expected)",
            cause=None,
        )
        await settle(sock.closed)
        await close_and_settle(tls)


# -- certificate verification ----------------------------------------------------------------


async def test_the_certificate_is_verified_against_the_original_hostname(
    tls_certs: TLSCerts,
) -> None:
    async with StartTLSPeer(tls_certs.server_context(tls_certs.wrong_host)) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls()
        exc = await rejection(tls.opened)
        assert_socket_error(
            exc,
            match="could not establish TLS with '127.0.0.1': hostname mismatch",
            cause=ssl.SSLCertVerificationError,
        )
        assert await rejection(tls.closed) is exc
        await settle(sock.closed)
        assert settled_exception(sock.closed) is None
        assert sock.upgraded
        await close_and_settle(tls)


@pytest.mark.parametrize("how", ["expected_server_hostname", "expectedServerHostname", "sni"])
async def test_expected_server_hostname_or_sni_is_the_name_to_verify(
    tls_certs: TLSCerts, how: str
) -> None:
    context = tls_certs.server_context(tls_certs.wrong_host)
    async with StartTLSPeer(context) as peer:
        options = {"sni": "wrong.example"} if how == "sni" else {}
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls", **options)  # type: ignore[arg-type]
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls() if how == "sni" else sock.start_tls(**{how: "wrong.example"})
        try:
            await peer.accept()
            async with asyncio.timeout(WITHIN):
                info = await tls.opened
            assert info.tls is not None
            assert info.tls.server_hostname == "wrong.example"
        finally:
            await close_and_settle(tls)


async def test_alpn_is_offered_in_the_upgrade(tls_certs: TLSCerts) -> None:
    context = tls_certs.server_context()
    context.set_alpn_protocols(["postgresql"])
    async with StartTLSPeer(context) as peer:
        _, tls, _ = await plain_then_upgrade(tls_certs, peer, alpn=["postgresql"])
        try:
            assert tls.opened.result().alpn == "postgresql"
        finally:
            await close_and_settle(tls)


async def test_an_untrusted_certificate_fails_the_upgrade(tls_certs: TLSCerts) -> None:
    async with StartTLSPeer(tls_certs.server_context(tls_certs.untrusted)) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls()
        reader = tls.readable.get_reader()
        exc = await rejection(tls.opened)
        assert_socket_error(
            exc, match="self-signed / untrusted", cause=ssl.SSLCertVerificationError
        )
        assert await rejection(reader.read()) is exc
        await close_and_settle(tls)


async def test_a_server_that_never_starts_tls_is_bounded_by_the_handshake_timeout(
    tls_certs: TLSCerts,
) -> None:
    async with StartTLSPeer(tls_certs.server_context(), expect=1000) as peer:
        sock = trusting(tls_certs, tls_handshake_timeout=0.2).connect(
            peer.address, secure_transport="starttls"
        )
        await settle(sock.opened)
        tls = sock.start_tls()
        exc = await rejection(tls.opened)
        assert_socket_error(
            exc,
            match=r"timed out \(no answer after 0.2 s: did the server agree to TLS",
            cause=(ConnectionAbortedError, TimeoutError),
        )
        await close_and_settle(tls)


async def test_closing_the_tls_socket_during_the_upgrade_drops_the_connection(
    tls_certs: TLSCerts,
) -> None:
    async with StartTLSPeer(tls_certs.server_context(), expect=1000) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        await settle(sock.opened)
        tls = sock.start_tls()
        await asyncio.sleep(0.05)  # the handshake waits: the server is still reading
        await settle(tls.close())
        assert settled_exception(tls.closed) is None
        assert_socket_error(await rejection(tls.opened), match="closed", cause=None)
        await settle(sock.closed)


async def test_closing_the_old_socket_during_the_upgrade_leaves_the_tls_socket_alone(
    tls_certs: TLSCerts,
) -> None:
    async with StartTLSPeer(tls_certs.server_context()) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        await sock.writable.get_writer().write(COMMAND)
        await read_reply(sock, peer.go_ahead)
        tls = sock.start_tls()
        assert sock.close() is sock.closed
        try:
            await peer.accept()
            async with asyncio.timeout(WITHIN):
                await tls.opened
            await settle(sock.closed)
            assert settled_exception(sock.closed) is None
        finally:
            await close_and_settle(tls)


async def test_aborting_the_writable_while_start_tls_flushes_fails_both_sockets() -> None:
    async with ScriptedPeer(read=False) as peer:
        sock = connect(peer.address, secure_transport="starttls")
        await peer.accept()
        writer = sock.writable.get_writer()
        writes = await write_until_blocked(writer)
        tls = sock.start_tls()  # its flush waits behind the writes the peer never takes
        await yield_to_loop()
        assert_pending(tls.opened)
        aborted = writer.abort("the application gave up")
        await settle(aborted, tls, sock, *writes)
        for error in (await rejection(tls.opened), await rejection(sock.closed)):
            assert_socket_error(error, match="the writable stream was aborted", cause=None)
        assert not sock.upgraded
        assert_settled(tls, sock, *writes)


# -- random sequences around the upgrade ------------------------------------------------------

UPGRADE_STEPS = (
    "read", "start_tls", "close old", "close tls", "abort old writer", "write old",
    "sleep", "await tls opened", "release old reader", "peer reset", "peer close",
    "write tls", "read tls", "abort tls writer", "peer sends",
)  # fmt: skip


async def run_upgrade_sequence(seed: int, certs: TLSCerts, peer: StartTLSPeer) -> None:
    """Usually the dialogue and start_tls() first, then random steps of both sides; every
    future must settle, and neither socket's opened or closed may end up cancelled."""
    rnd = random.Random(seed)
    sock = trusting(certs).connect(
        peer.address, secure_transport="starttls", allow_half_open=rnd.random() < 0.5
    )
    futures: list[asyncio.Future[Any]] = []
    steps: list[str] = []
    tls: Socket | None = None
    writer = sock.writable.get_writer()
    futures.append(writer.write(COMMAND))
    reader: Any = None
    tls_writer: Any = None
    if rnd.random() < 0.7:
        reader = sock.readable.get_reader()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(WITHIN):
                got = b""
                while len(got) < len(peer.go_ahead):
                    result = await reader.read()
                    if result.done:
                        break
                    got += result.value
        tls = sock.start_tls()
        steps.append("dialogue, start_tls")
    for _ in range(rnd.randint(1, 8)):
        step = rnd.choice(UPGRADE_STEPS)
        steps.append(step)
        conn = peer._connections[-1] if peer._connections else None
        # Misuse refused at once (a released lock, a closed socket) is part of the game.
        with contextlib.suppress(SocketError, TypeError, ValueError):
            if step == "read":
                if reader is None:
                    reader = sock.readable.get_reader()
                futures.append(reader.read())
            elif step == "start_tls" and tls is None:
                tls = sock.start_tls()
            elif step == "close old":
                futures.append(sock.close())
            elif step == "close tls" and tls is not None:
                futures.append(tls.close())
            elif step == "abort old writer":
                futures.append(writer.abort("sequence"))
            elif step == "write old":
                futures.append(writer.write(b"x" * rnd.randint(1, 200_000)))
            elif step == "sleep":
                await asyncio.sleep(rnd.choice([0, 0.005, 0.02]))
            elif step == "await tls opened" and tls is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(0.02):
                        await tls.opened
            elif step == "release old reader" and reader is not None:
                reader.release_lock()
                reader = None
            elif step in ("write tls", "abort tls writer") and tls is not None:
                if tls_writer is None:
                    tls_writer = tls.writable.get_writer()
                if step == "write tls":
                    futures.append(tls_writer.write(b"s" * rnd.randint(1, 300_000)))
                else:
                    futures.append(tls_writer.abort("sequence"))
            elif step == "read tls" and tls is not None:
                futures.append(tls.readable.get_reader().read())
            elif step.startswith("peer") and conn is not None and conn._transport is not None:
                if conn.lost:
                    continue
                with contextlib.suppress(AttributeError, OSError, RuntimeError):
                    if step == "peer reset":
                        conn.rst()
                    elif step == "peer close":
                        conn.close()
                    else:
                        conn.transport.write(b"q" * rnd.randint(1, 100_000))
    futures.append(sock.close())
    sockets = [sock] if tls is None else [sock, tls]
    if tls is not None:
        futures.append(tls.close())
    try:
        await settle(*futures, *sockets)
    except AssertionError as exc:
        raise AssertionError(f"seed {seed}, after {steps}, {sockets}: {exc}") from None
    for each in sockets:
        assert not each.opened.cancelled(), (seed, steps)
        assert not each.closed.cancelled(), (seed, steps)


@pytest.mark.parametrize("first", [0, 100])
async def test_random_sequences_around_the_upgrade_settle_everything(
    tls_certs: TLSCerts, first: int
) -> None:
    async with StartTLSPeer(tls_certs.server_context()) as peer:
        for seed in range(first, first + 100):
            await run_upgrade_sequence(seed, tls_certs, peer)


# -- synchronous errors ----------------------------------------------------------------------


async def test_start_tls_raises_at_once_when_it_cannot_upgrade(tls_certs: TLSCerts) -> None:
    async with StartTLSPeer(tls_certs.server_context(), expect=1000) as peer:
        plain = connect(peer.address)
        on = trusting(tls_certs).connect(peer.address, secure_transport="on")
        with pytest.raises(SocketError, match='needs secure_transport="starttls"'):
            plain.start_tls()
        with pytest.raises(SocketError, match="opened with 'on'"):
            on.start_tls()
        closed = connect(peer.address, secure_transport="starttls")
        await settle(closed.close())
        with pytest.raises(SocketError, match="cannot upgrade a socket that is closed"):
            closed.start_tls()
        half_closed = connect(peer.address, secure_transport="starttls")
        await half_closed.writable.get_writer().close()
        with pytest.raises(SocketError, match=r"writable was closed \(FIN sent\)"):
            half_closed.start_tls()
        bad_name = connect(peer.address, secure_transport="starttls")
        with pytest.raises(SocketError, match="is not a valid hostname"):
            bad_name.start_tls(expected_server_hostname="not a name")
        with pytest.raises(SocketError, match="unknown start_tls"):
            bad_name.start_tls(sni="x")
        once = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        tls = once.start_tls()
        with pytest.raises(SocketError, match="already called"):
            once.start_tls()
        with pytest.raises(SocketError):
            tls.start_tls()
        for sock in (plain, on, half_closed, bad_name, tls, once):
            await close_and_settle(sock)


async def test_start_tls_after_the_peer_closed_raises() -> None:
    async with ScriptedPeer(script(fin())) as peer:
        sock = connect(peer.address, secure_transport="starttls", allow_half_open=True)
        assert await read_all(sock) == b""
        with pytest.raises(SocketError, match=r"the peer closed its side of it \(FIN\)"):
            sock.start_tls()
        await close_and_settle(sock)


# -- real servers ------------------------------------------------------------------------------


class MessageReader:
    """Reads exact byte counts from a socket's readable, keeping what is left over."""

    def __init__(self, sock: Socket) -> None:
        self._reader = sock.readable.get_reader()
        self._buffer = bytearray()

    async def exactly(self, n: int) -> bytes:
        async with asyncio.timeout(WITHIN):
            while len(self._buffer) < n:
                result = await self._reader.read()
                assert not result.done, f"the server closed after {bytes(self._buffer)!r}"
                self._buffer += result.value
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    async def pg_message(self) -> tuple[bytes, bytes]:
        header = await self.exactly(5)
        return header[:1], await self.exactly(int.from_bytes(header[1:], "big") - 4)

    async def pg_until_ready(self) -> list[tuple[bytes, bytes]]:
        messages = []
        while True:
            kind, payload = await self.pg_message()
            assert kind != b"E", f"postgres reported an error: {payload!r}"
            messages.append((kind, payload))
            if kind == b"Z":
                return messages

    async def smtp_reply(self) -> SMTPReply:
        async with asyncio.timeout(WITHIN):
            while (reply := parse_smtp_reply(self._buffer)) is None:
                result = await self._reader.read()
                assert not result.done, "the SMTP server closed the connection"
                self._buffer += result.value
        return reply

    def release(self) -> None:
        assert not self._buffer, f"unread: {bytes(self._buffer)!r}"
        self._reader.release_lock()


async def test_postgres_ssl_request_then_start_tls_then_a_query(
    tls_certs: TLSCerts, postgres_server: PostgresServer
) -> None:
    sock = trusting(tls_certs).connect(postgres_server.address, secure_transport="starttls")
    writer = sock.writable.get_writer()
    await writer.write(SSL_REQUEST)
    plain = MessageReader(sock)
    assert await plain.exactly(1) == b"S"
    plain.release()
    writer.release_lock()
    tls = sock.start_tls()
    try:
        info = await asyncio.wait_for(tls.opened, WITHIN)
        assert info.tls is not None
        assert info.tls.version in ("TLSv1.2", "TLSv1.3")
        assert sock.upgraded
        secure = MessageReader(tls)
        writer = tls.writable.get_writer()
        await writer.write(PG_STARTUP)
        assert (b"R", bytes(4)) in await secure.pg_until_ready()  # AuthenticationOk
        await writer.write(pg_message(b"Q", b"SELECT 42\0"))
        rows = [p for kind, p in await secure.pg_until_ready() if kind == b"D"]
        # DataRow: Int16 column count, then Int32 length and the bytes of each value.
        assert rows == [(1).to_bytes(2, "big") + (2).to_bytes(4, "big") + b"42"]
        await writer.write(pg_message(b"X", b""))  # Terminate: the server closes
        await settle(tls.closed)
        assert settled_exception(tls.closed) is None
    finally:
        await close_and_settle(tls)
    assert_settled(sock, tls)


async def test_smtp_starttls_then_a_message_reaches_the_handler(
    tls_certs: TLSCerts, smtp_server: SMTPServer, loop_kind: str
) -> None:
    sock = trusting(tls_certs).connect(smtp_server.address, secure_transport="starttls")
    tls = await negotiate(sock, "smtp", ehlo_name="client.example")
    marker = f"starttls-socket-{loop_kind}".encode()
    try:
        async with asyncio.timeout(WITHIN):
            await tls.opened
        await settle(sock.closed)
        assert sock.upgraded
        replies = MessageReader(tls)
        writer = tls.writable.get_writer()
        for line, code in [
            (b"EHLO client.example\r\n", 250),
            (b"MAIL FROM:<a@client.example>\r\n", 250),
            (b"RCPT TO:<b@localhost>\r\n", 250),
            (b"DATA\r\n", 354),
            (b"Subject: " + marker + b"\r\n\r\nhello over TLS\r\n.\r\n", 250),
            (b"QUIT\r\n", 221),
        ]:
            await writer.write(line)
            assert (await replies.smtp_reply()).code == code
        await settle(tls.closed)
        assert settled_exception(tls.closed) is None
    finally:
        await close_and_settle(tls)
    [message] = smtp_server.received(marker)
    assert message.tls
    assert message.rcpt_tos == ("b@localhost",)


async def test_smtp_upgrade_to_a_name_the_certificate_lacks_fails(
    tls_certs: TLSCerts, smtp_server: SMTPServer
) -> None:
    sock = trusting(tls_certs).connect(smtp_server.address, secure_transport="starttls")
    tls = await negotiate(sock, "smtp", expected_server_hostname="mail.example")
    exc = await rejection(tls.opened)
    assert_socket_error(
        exc, match="'mail.example': hostname mismatch", cause=ssl.SSLCertVerificationError
    )
    await close_and_settle(tls)
    await settle(sock.closed)


async def test_the_dialogue_refuses_bytes_after_the_go_ahead(tls_certs: TLSCerts) -> None:
    """negotiate() reads the reply whole; bytes sent with it make it refuse to upgrade."""
    command = b"a001 STARTTLS\r\n"
    async with StartTLSPeer(
        tls_certs.server_context(),
        greeting=b"* OK ready\r\n",
        command=command,
        expect=len(command),
        go_ahead=b"a001 OK begin TLS\r\n* injected\r\n",
    ) as peer:
        sock = trusting(tls_certs).connect(peer.address, secure_transport="starttls")
        with pytest.raises(SocketError, match="could be injected plain text"):
            await negotiate(sock, "imap")
        assert not sock.upgraded
        await close_and_settle(sock)
