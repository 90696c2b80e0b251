"""The ``Socket`` [Socket]: a TCP connection as a pair of streams with a lifecycle.

A socket does not know how to connect: whoever builds it (the connector's ``connect()``)
passes an *opener*, a coroutine function that connects, attaches the protocol it is given
to a transport and returns when the connection is open (for secure transport, after the
TLS handshake). For ``start_tls()`` the builder also passes an *upgrader*, which checks the
options of ``start_tls()`` and gives the step that wraps an open transport in TLS.
Everything that changes the socket's state goes through its
:class:`~wintersockets.socket._state.SocketMachine`; this module reacts to the new state.

``start_tls()`` (DESIGN.md decision 8) hands the connection from the plain socket to a new
one. The plain socket stops reading at once, so what the server sends next stays in the
kernel for the TLS handshake; flushes the writes already made; then ends its readable after
the plain text it holds (still readable: nothing received in plain text is lost, nor ever
shown on the TLS socket), resolves ``closed`` and gives the transport to the new socket,
whose opener runs the handshake. Plain text that arrives after ``start_tls()`` in spite of
the paused reading (it was already on its way) fails the upgrade: it came after the
server's go-ahead, where a man in the middle injects commands (CVE-2011-0411).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, final

from wintersockets.errors import SocketError
from wintersockets.streams._promises import as_exception, mark_as_handled, shared_promise
from wintersockets.transport.errors import closed_error, connect_error
from wintersockets.transport.protocol import StreamBridge

from ._state import (
    CANCEL,
    CLOSE,
    CLOSED,
    CLOSING,
    CONNECT_FAILED,
    CONNECTED,
    CONNECTING,
    CONNECTION_BROKEN,
    CONNECTION_LOST,
    ERRORED,
    FINISH,
    FLUSH,
    HANDED_OVER,
    OPEN,
    PEER_FIN,
    READ_EOF,
    SHUTDOWN,
    START_TLS,
    UPGRADED,
    UPGRADING,
    WRITE_OPEN,
    WRITE_SHUT,
    SocketMachine,
)
from .info import SocketInfo, format_host_port, tls_info

if TYPE_CHECKING:
    from wintersockets.streams.readable_stream import ReadableStream
    from wintersockets.streams.writable_stream import WritableStream

__all__ = ["Socket"]

Opener = Callable[[asyncio.BaseProtocol], Coroutine[Any, Any, object]]
"""Connects, makes the transport call the protocol's ``connection_made`` and returns."""

UpgradeStep = Callable[[asyncio.Transport, asyncio.BaseProtocol], Awaitable[object]]
"""``(transport, protocol)``: runs TLS over an open transport, makes the TLS transport call
``protocol.connection_made`` and returns after the handshake."""

Upgrader = Callable[[str | None], UpgradeStep]
"""``(expected_server_hostname) -> step``: checks the options of ``start_tls()`` at once
(raising ``SocketError``) and returns the step that upgrades the connection."""

SecureTransport = Literal["off", "on", "starttls"]

_START_TLS_OPTIONS: Final = {
    "expected_server_hostname": "expected_server_hostname",
    "expectedServerHostname": "expected_server_hostname",
}


def running_loop() -> asyncio.AbstractEventLoop:
    """The running loop, or a ``RuntimeError`` that says ``connect()`` needs one."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        raise RuntimeError(
            "connect() needs a running asyncio event loop: call it from a coroutine "
            "(for example one run by asyncio.run())"
        ) from None


@final
class Socket:
    """A TCP connection: read from ``readable``, write to ``writable`` [Socket].

    Sockets come from ``connect()``; do not construct one yourself. The socket is
    returned while the connection is still being made: ``opened`` tells when it is open
    (or why it failed), and writes made before that are queued.

    ``async with connect(...) as sock:`` closes the socket when the block ends.

    Over TLS (``secure_transport="on"``, or the socket ``start_tls()`` returns) two things
    differ, because asyncio's TLS transports cannot half-close:

    * closing the writable flushes the writes and ends the write direction, but sends
      nothing: the peer is not told (no close_notify), and the socket keeps reading until
      the peer closes or ``close()`` is called;
    * the peer's close (close_notify, or a bare FIN) ends the connection in both
      directions whatever ``allow_half_open`` says: the readable ends after the data
      received, the writable closes (writes still queued fail with a ``SocketError``
      saying so) and ``closed`` resolves.
    """

    __slots__ = (
        "__weakref__",
        "_bridge",
        "_closed",
        "_handover",
        "_machine",
        "_made",
        "_name",
        "_open_task",
        "_opened",
        "_secure_transport",
        "_upgraded",
        "_upgrader",
    )

    _handover: asyncio.Future[tuple[asyncio.Transport, int]] | None
    _open_task: asyncio.Task[None] | None

    def __init__(
        self,
        opener: Opener,
        *,
        name: str,
        secure_transport: SecureTransport = "off",
        allow_half_open: bool = False,
        upgrader: Upgrader | None = None,
        opened_by_connection_made: bool = False,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if loop is None:
            loop = running_loop()
        self._name = name
        self._secure_transport: SecureTransport = secure_transport
        self._upgrader = upgrader
        self._upgraded = False
        self._handover = None
        self._machine = SocketMachine(allow_half_open=allow_half_open, name=name)
        # connect() steps 2-3: opened and closed are new promises, marked as handled (by
        # _reject(), the only way either is ever rejected: it retrieves the exception at
        # once, which costs no done-callback on the way).
        # Shared promises: a task cancelled while awaiting one cancels its wait only.
        opened: asyncio.Future[SocketInfo] = shared_promise(loop)
        closed: asyncio.Future[None] = shared_promise(loop)
        self._opened = opened
        self._closed = closed
        # With opened_by_connection_made, the opener's last step is the transport's
        # connection_made (a plain loop.create_connection): the bridge reports it, and
        # `opened` resolves then, a loop turn before the opener returns.
        self._made = False
        self._bridge = StreamBridge.create(
            self,
            opened,
            name,
            report_connection_made=opened_by_connection_made,
            loop=loop,
        )
        self._open_task = loop.create_task(self._open(opener))

    # -- the spec's attributes ---------------------------------------------------------------

    @property
    def readable(self) -> ReadableStream[bytes]:
        """The bytes the peer sends, as a byte stream [readable].

        A default reader reads ``bytes``; a BYOB reader (``get_reader(mode="byob")``) has
        the data written straight into its buffer. It closes after the peer's FIN.
        """
        return self._bridge.readable

    @property
    def writable(self) -> WritableStream:
        """Where to write bytes-like objects or ``str`` (sent as UTF-8) [writable]."""
        return self._bridge.writable

    @property
    def opened(self) -> asyncio.Future[SocketInfo]:
        """Resolves with a :class:`SocketInfo` once connected, or fails with a ``SocketError``.

        Marked as handled: a failure nobody awaits is not logged.
        """
        return self._opened

    @property
    def closed(self) -> asyncio.Future[None]:
        """Resolves once the socket is closed; fails with a ``SocketError`` if it broke.

        The same future on every access, and the one ``close()`` returns.
        """
        return self._closed

    @property
    def upgraded(self) -> bool:
        """Whether ``start_tls()`` moved this socket's connection to a TLS socket."""
        return self._upgraded

    @property
    def secure_transport(self) -> SecureTransport:
        """``"off"``, ``"on"`` or ``"starttls"``: how this socket was opened."""
        return self._secure_transport

    @property
    def allow_half_open(self) -> bool:
        """Whether the writable stays usable after the peer's FIN (DESIGN.md decision 3).

        Over TLS the peer's close ends the connection whatever this says (see the class).
        """
        return self._machine.allow_half_open

    # -- the spec's methods ------------------------------------------------------------------

    def close(self, reason: object = None) -> asyncio.Future[None]:
        """Close the socket [close()]; returns the ``closed`` future itself.

        Before the connection is open, the attempt is abandoned at once and ``opened``
        fails with ``reason`` (or a ``SocketError`` saying the socket was closed). Once
        open, writes already accepted are flushed, then the connection is closed. Reads
        and writes issued after ``close()`` fail at once with a ``TypeError``.
        """
        machine = self._machine
        state = machine.state
        if state is CONNECTING:
            machine.handle(CLOSE)
            self._close_before_open(reason)
        elif state is OPEN:
            machine.handle(CLOSE)
            self._close_open()
        else:
            machine.handle(CLOSE)
        return self._closed

    def start_tls(self, **options: object) -> Socket:
        """Upgrade the connection to TLS and return the new, secure socket [startTls()].

        Call it once the server has agreed to TLS and its reply has been read whole.
        This socket stops reading at once; the upgrade then flushes the writes already
        made, ends this socket's streams, sets ``upgraded`` and resolves ``closed``. Plain
        text received before the call stays readable on this socket's readable (which then
        ends); it never appears on the TLS socket. Writes to this socket fail afterwards.
        The returned socket (``secure_transport == "on"``, the same ``allow_half_open``)
        verifies the server's certificate and resolves ``opened`` after the handshake.
        If the server sends plain text after this call, before the handshake, the upgrade
        fails: such bytes may be injected (the STARTTLS injection flaw).

        Args:
            **options: ``expected_server_hostname`` (or ``expectedServerHostname``): the
                name the certificate must match, instead of the ``sni`` option or the
                hostname given to ``connect()``.

        Returns:
            The TLS socket, at once; its ``opened`` settles after the handshake.

        Raises:
            SocketError: the socket was not opened with ``secure_transport="starttls"``,
                ``start_tls()`` was already called, the socket is closed, either side
                already closed its direction, or an option is unknown or invalid.
        """
        if self._secure_transport != "starttls":
            raise SocketError(
                'start_tls() needs secure_transport="starttls", this socket was opened '
                f"with {self._secure_transport!r}"
            )
        state = self._machine.state
        if state in (UPGRADING, UPGRADED):
            raise SocketError(
                "start_tls() was already called on this socket: use the socket it returned"
            )
        if state not in (CONNECTING, OPEN):
            raise SocketError(f"start_tls() cannot upgrade a socket that is {state.value}")
        if self._machine.read is READ_EOF:
            raise SocketError(
                f"start_tls() cannot upgrade the connection to {self._name!r}: the peer "
                "closed its side of it (FIN)"
            )
        if self._machine.write is not WRITE_OPEN:
            raise SocketError(
                f"start_tls() cannot upgrade the connection to {self._name!r}: this "
                "socket's writable was closed (FIN sent)"
            )
        expected = _start_tls_options(options)
        step = None if self._upgrader is None else self._upgrader(expected)
        loop = asyncio.get_running_loop()
        handover: asyncio.Future[tuple[asyncio.Transport, int]] = loop.create_future()
        self._handover = handover
        self._machine.handle(START_TLS)
        bridge = self._bridge
        # Read no more plain text: what the server sends from now on belongs to the TLS
        # handshake. What was received before stays in the readable (ended at hand-over).
        bridge.hold_reading()
        # Flush: close the writable after the writes already made. Its sink's close hands
        # the connection over (writable_closing), perhaps at once.
        flush = bridge.close_writable()
        if flush is not None:
            mark_as_handled(flush)
        elif self._machine.state is UPGRADING:
            status = bridge.writable_status()
            if status == "closed":
                self._hand_over()
            elif status == "errored":
                self._fail_handover(_writable_gone_error())
            # "closing": the application's own close is under way and will hand over.
        secure = Socket(
            functools.partial(_upgrade, handover, step, self._name),
            name=self._name,
            secure_transport="on",
            allow_half_open=self._machine.allow_half_open,
        )
        secure._opened.add_done_callback(functools.partial(_drop_unclaimed, handover))
        return secure

    async def __aenter__(self) -> Socket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        closed = self.close()
        try:
            # Shielded: cancelling the block must not cancel the socket's own `closed`.
            await asyncio.shield(closed)
        except SocketError:
            if exc is None:
                raise

    def __repr__(self) -> str:
        return f"<Socket {self._name} {self._machine.state.value}>"

    # -- opening -----------------------------------------------------------------------------

    async def _open(self, opener: Opener) -> None:
        # connect() step 5: connect in the background. Step 6 happens in this task's last
        # step, so `opened` resolves without another trip through the loop.
        try:
            await opener(self._bridge)
        except asyncio.CancelledError:
            self._open_task = None
            if self._machine.state is not CLOSED and not self._made:
                self._connect_failed(SocketError(f"connecting to {self._name!r} was cancelled"))
            raise
        except Exception as exc:
            self._open_task = None
            if self._made:
                raise  # a bug: connection_made was to be the opener's last step
            self._connect_failed(exc)
            return
        self._open_task = None
        if not self._made:
            self._connected()

    def _connected(self) -> None:
        self._machine.handle(CONNECTED)
        state = self._machine.state
        if state is CLOSED or state is ERRORED:
            # Closed while the attempt was finishing, or lost before it finished.
            self._bridge.abort_transport()
            return
        bridge = self._bridge
        peername, sockname = bridge.addresses()
        ssl_object = bridge.ssl_object() if self._secure_transport == "on" else None
        if ssl_object is None:
            info = SocketInfo(_format(peername), _format(sockname))
        else:
            self._machine.half_closeable = bridge.half_closeable
            info = SocketInfo(
                _format(peername),
                _format(sockname),
                ssl_object.selected_alpn_protocol(),
                tls_info(ssl_object),
            )
        if not self._opened.done():
            self._opened.set_result(info)
        # The peer may have sent FIN (or the readable been cancelled) while connecting.
        self._apply_rules()

    def _connect_failed(self, exc: BaseException) -> None:
        self._bridge.abort_transport()
        self._machine.handle(CONNECT_FAILED)
        if self._machine.state is not ERRORED:
            return
        error = connect_error(exc, self._name)
        self._fail(error)

    def _fail(self, error: SocketError) -> None:
        # Connect step 7: reject closed and opened with the error; error both streams.
        _reject(self._opened, error)
        _reject(self._closed, error)
        self._bridge.error_readable(error)
        self._bridge.error_writable(error)
        self._fail_handover(error)

    # -- closing -----------------------------------------------------------------------------

    def _close_before_open(self, reason: object) -> None:
        # Decision 4: abort the attempt at once.
        task = self._open_task
        if task is not None:
            task.cancel()
        self._bridge.abort_transport()
        error = (
            closed_error(self._name, "was closed before its connection opened")
            if reason is None
            else as_exception(reason)
        )
        if self._bridge.reading:
            self._bridge.error_readable(closed_error(self._name, "was closed"))
        self._bridge.abort_writable(error if reason is None else reason)
        _reject(self._opened, error)
        _resolve(self._closed)

    def _close_open(self) -> None:
        # Decision 4: reads fail at once; writes already accepted are flushed, then the
        # connection closes (writable_closing() does it when the flush is done).
        bridge = self._bridge
        if bridge.reading:
            bridge.error_readable(closed_error(self._name, "is closing: close() was called"))
        flush = bridge.close_writable()
        if flush is not None:
            mark_as_handled(flush)
        elif self._machine.write is WRITE_SHUT or bridge.writable_status() != "closing":
            bridge.close_transport()
        # Otherwise the application's own close of the writable is under way; its sink
        # close arrives in the closing state and closes the connection.

    # -- what the bridge reports (BridgeListener) --------------------------------------------

    def connection_made(self) -> None:
        self._made = True
        self._connected()

    def peer_fin(self) -> None:
        machine = self._machine
        machine.handle(PEER_FIN)
        if (
            not machine.half_closeable
            and machine.state is OPEN
            and machine.write is WRITE_OPEN
            and self._bridge.unsent_writes()
        ):
            # asyncio's TLS closes right after the peer's close, and drops what is written
            # after it: writes still queued cannot be sent, so they fail, and say why.
            self._bridge.error_writable(
                SocketError(
                    f"the peer closed the TLS connection to {self._name!r} before the "
                    "writes queued were sent: TLS over asyncio cannot stay half-open"
                )
            )
            self._write_shut()
            return
        self._apply_rules()

    def readable_cancelled(self) -> None:
        self._machine.handle(CANCEL)
        self._apply_rules()

    def writable_closing(self) -> None:
        if self._machine.state is UPGRADING:
            self._hand_over()
        else:
            self._write_ended()

    def writable_done(self) -> None:
        if self._machine.state is UPGRADING:
            self._fail_handover(_writable_gone_error())
        else:
            self._write_ended()

    def connection_ended(self, error: SocketError | None) -> None:
        machine = self._machine
        before = machine.state
        if error is None:
            machine.handle(CONNECTION_LOST)
        else:
            machine.handle(CONNECTION_BROKEN)
        state = machine.state
        if state is CLOSED:
            _resolve(self._closed)
        elif state is ERRORED and before is not ERRORED:
            if error is None:
                if before is UPGRADING:
                    error = SocketError(
                        f"the peer at {self._name!r} closed the connection before "
                        "start_tls() could upgrade it"
                    )
                else:
                    error = connect_error(
                        ConnectionResetError("the peer closed the connection at once"),
                        self._name,
                    )
            self._fail(error)

    # -- coupling rules and the upgrade ------------------------------------------------------

    def _write_ended(self) -> None:
        # The writable closed (or was aborted or errored) outside an upgrade: while open,
        # the write direction ends with our FIN; while closing, the connection closes.
        state = self._machine.state
        if state is OPEN:
            self._send_fin()
            self._write_shut()
        elif state is CLOSING:
            self._write_shut()
            self._bridge.close_transport()

    def _send_fin(self) -> None:
        # The write direction ends while open. After the peer's FIN the connection is
        # closed right after (_write_shut: finish_due), and closing the transport sends
        # our FIN: a shutdown() first would only cost a system call. (After a cancel the
        # peer may still be sending, and a close with bytes unread sends RST: FIN first.)
        if self._machine.read is not READ_EOF:
            self._bridge.shutdown_write()

    def _write_shut(self) -> None:
        if self._machine.write is not WRITE_SHUT:
            self._machine.handle(SHUTDOWN)
            self._apply_rules()

    def _apply_rules(self) -> None:
        machine = self._machine
        due = machine.due()
        if due is FLUSH:
            # Decision 3: the peer's FIN without allow_half_open: flush, then our FIN.
            machine.handle(FLUSH)
            flush = self._bridge.close_writable()
            if flush is not None:
                mark_as_handled(flush)
        elif due is FINISH:
            machine.handle(FINISH)
            self._bridge.close_transport()

    def _hand_over(self) -> None:
        handover = self._handover
        bridge = self._bridge
        # The old readable ends after the plain text it holds, which stays readable.
        bridge.close_readable()
        late = bridge.late_bytes
        transport = bridge.detach()
        self._machine.handle(HANDED_OVER)
        self._upgraded = True
        _resolve(self._closed)
        if handover is None or handover.done():
            # The TLS socket was closed before it got the connection.
            if transport is not None:
                transport.abort()
        elif transport is None:
            _reject(handover, SocketError("start_tls() found no connection to upgrade"))
        else:
            handover.set_result((transport, late))

    def _fail_handover(self, error: SocketError) -> None:
        handover = self._handover
        if handover is not None:
            _reject(handover, error)
        if self._machine.state is UPGRADING:
            # The connection cannot be upgraded: this socket fails with the reason too
            # (not with the connection_lost that the abort brings).
            self._machine.handle(CONNECTION_BROKEN)
            self._fail(error)
            self._bridge.abort_transport()


async def _upgrade(
    handover: asyncio.Future[tuple[asyncio.Transport, int]],
    step: UpgradeStep | None,
    name: str,
    protocol: asyncio.BaseProtocol,
) -> None:
    """The opener of a socket returned by ``start_tls()``."""
    transport, late_bytes = await handover
    if step is None:
        transport.abort()
        raise SocketError(
            f"start_tls() cannot upgrade the connection to {name!r}: the socket was made "
            "without TLS support (use connect() or a Connector)"
        )
    if late_bytes:
        transport.abort()
        raise SocketError(
            f"start_tls() refused to upgrade the connection to {name!r}: the server sent "
            f"{late_bytes} bytes of plain text after start_tls() was called, before the "
            "TLS handshake (they could be injected; they stay readable on the old "
            "socket): read the server's whole reply before calling start_tls()"
        )
    try:
        await step(transport, protocol)
    except BaseException:
        transport.abort()
        raise


def _drop_unclaimed(
    handover: asyncio.Future[tuple[asyncio.Transport, int]], opened: asyncio.Future[SocketInfo]
) -> None:
    """The TLS socket failed or was closed: abort the connection if its opener never took it.

    Closed before its opener ran, the opener never will (a task cancelled before its first
    step runs none of its code), so the connection is dropped here instead.
    """
    if not opened.cancelled() and opened.exception() is None:
        return
    if not handover.done():
        handover.cancel()  # the hand-over, when it comes, aborts the connection
    elif not handover.cancelled() and handover.exception() is None:
        transport, _ = handover.result()
        transport.abort()


def _start_tls_options(options: dict[str, object]) -> str | None:
    expected: str | None = None
    for key, value in options.items():
        if key not in _START_TLS_OPTIONS:
            raise SocketError(
                f"unknown start_tls() option {key!r}: the option is 'expected_server_hostname'"
            )
        if value is None:
            continue
        if not isinstance(value, str) or not value:
            raise SocketError(
                f"expected_server_hostname must be a non-empty string, got {value!r}"
            )
        expected = value
    return expected


def _format(address: Any) -> str | None:
    if type(address) is tuple and len(address) >= 2:
        host = address[0]
        if type(host) is str and type(address[1]) is int:
            # format_host_port(), inlined: this runs for every socket that opens.
            return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
        return format_host_port(str(host), int(address[1]))
    return None if address is None else str(address)


def _writable_gone_error() -> SocketError:
    return SocketError("start_tls() cannot upgrade: the writable stream was aborted or errored")


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _reject(future: asyncio.Future[Any], error: BaseException) -> None:
    """Reject ``future`` and mark it handled: asyncio will not log it as never retrieved."""
    if not future.done():
        future.set_exception(error)
        future.exception()
