"""The bridge between one asyncio transport and a socket's two streams.

This is the only module that touches asyncio transports. :class:`StreamBridge` is the
transport's protocol, the ``readable`` byte stream's underlying source and the
``writable`` stream's underlying sink at once, so each byte crosses one object.

Reading
    When a BYOB read is pending, the kernel writes straight into the caller's buffer:
    ``get_buffer()`` returns the BYOB request's view and ``buffer_updated(n)`` responds with
    ``n``. Otherwise data goes to the default read waiting for it, or is enqueued as
    ``bytes``. Over plain TCP, while bytes stream in, a read that finds the queue empty
    first reads the socket itself, so that it completes inside ``read()`` (see
    :meth:`StreamBridge._read_now`); over TLS, a BYOB read decrypts what the TLS transport
    holds the same way (:meth:`StreamBridge._decrypt_now`).
    When the readable's queue holds :data:`READ_HIGH_WATER_MARK` bytes the transport's
    reading is paused, and the stream's ``pull`` (a read finding the queue empty) resumes
    it, so the kernel's receive window pushes back on the peer.

    Which protocol interface the transport drives was chosen by measurement (loopback,
    128-256 MiB downloads, interleaved with raw asyncio clients in the same run). uvloop
    always gets a ``BufferedProtocol``: its plain-``Protocol`` path copies from its own
    buffer into a new ``bytes`` too, so reading into our buffer and copying out costs the
    same, and BYOB reads need no copy at all. The default loop's selector transport reads
    up to 256 KiB per ``recv()`` straight into a new ``bytes`` for a plain ``Protocol``,
    one copy fewer than any buffer of ours (default-reader download about 10% faster
    measured); so on that loop the bridge is a ``Protocol`` while default reads are
    pending and becomes a ``BufferedProtocol`` while BYOB reads are, by changing its class
    (both have exactly this class's layout) and calling ``set_protocol()``.

Writing
    The writable's size algorithm runs inside ``writer.write()``; it converts the chunk
    (DESIGN.md decision 7: ``bytes`` as is, other bytes-like objects copied, ``str`` as
    UTF-8, anything else a ``TypeError`` that errors the writable) and queues the result,
    which the sink's ``write`` takes in the same order. A sink write hands the bytes to the
    transport and completes at once (before ``writer.write()`` returns, over TLS too: the
    transport has the bytes, as after a raw ``transport.write()``), unless the transport
    has paused writing; then it completes when ``resume_writing()`` is called.
    ``writer.ready`` and ``desired_size`` follow from that, as the Streams spec defines
    them.

Lifecycle decisions (FIN, close, upgrade) belong to the socket layer: the bridge reports
events to a ``BridgeListener`` (``listener.py``) and offers operations for the socket to
call. Each stream is created on first use (see :class:`StreamBridge`).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, cast

from wintersockets.errors import SocketError
from wintersockets.streams._promises import as_exception, transform_promise
from wintersockets.streams.byob_request import (
    current_byob_request_view,
    respond_to_current_byob_request,
)
from wintersockets.streams.byte_controller import (
    ReadableByteStreamController,
    set_up_readable_byte_stream_controller,
)
from wintersockets.streams.readable_stream import (
    ReadableStream,
    initialize_readable_stream,
)
from wintersockets.streams.writable_stream import (
    WritableStream,
    create_writable_stream,
    writable_stream_abort,
    writable_stream_close,
    writable_stream_close_queued_or_in_flight,
)

from .chunks import encode_chunk
from .errors import broken_error, closed_error, describe
from .listener import GONE

if TYPE_CHECKING:
    from wintersockets.streams.writable_controller import WritableStreamDefaultController

    from .listener import BridgeListener

__all__: list[str] = []

# Bytes the readable may hold unread before reading pauses. Measured: pausing as soon as
# anything is queued pauses and resumes the transport around every read and halves
# download speed on the default loop; from 64 KiB to 1 MiB makes no difference measurable
# on loopback. 256 KiB holds one full read of the default loop, and an idle socket holds
# no buffer either way.
READ_HIGH_WATER_MARK: Final = 256 * 1024
# The readable stream's own high-water mark: 0, the spec's default for byte streams, so
# that the stream pulls only when a read waits and finds its queue empty. Pausing is
# decided by READ_HIGH_WATER_MARK above, not by the stream's desired size; a larger mark
# would only make the stream pull after nearly every chunk, for nothing.
STREAM_HIGH_WATER_MARK: Final = 0
# Bytes the writable may queue before ``desired_size`` reaches 0, on top of the
# transport's own buffer (whose limits asyncio sets: 64 KiB high, 16 KiB low).
WRITE_HIGH_WATER_MARK: Final = 64 * 1024
# The buffer default reads land in before they are copied out to ``bytes``: one per thread,
# shared by the sockets of the loop it runs, since a read fills it and copies out with no
# await in between.
SCRATCH_SIZE: Final = 256 * 1024
# Whether the default loop's bridge switches between Protocol and BufferedProtocol.
SWITCH_READ_MODE: Final = True
# Bytes reads may take straight from the socket (see StreamBridge._read_now) before one
# waits for the loop, so that a fast peer cannot keep the loop from running other tasks:
# about a millisecond of reading on loopback (libuv reads up to 2 MiB per readiness event).
# Measured (BYOB downloads, in-process A/B against 1 MiB): 1.28x as fast on the default
# loop, 1.08x on uvloop, where each wait for the loop costs a pause and resume of reading.
READ_NOW_ALLOWANCE: Final = 4 * 1024 * 1024
# A read of at least this many bytes by the transport tells that bytes stream in, so the
# next reads try the socket at once again (see StreamBridge._read_now).
BULK_READ: Final = 64 * 1024
# A smaller read by the transport (a message: a BYOB read's whole view, or a default read)
# renews the allowance too, unless this many reads made at once in a row found nothing:
# then the replies come slower than the application asks for them (any real network), and
# only every READ_NOW_PROBE-th such read renews it, so that request and response traffic
# costs a failing read per READ_NOW_PROBE messages, not per message. Measured on loopback
# (16-byte ping-pong, uvloop): 99% of the reads made at once after a write find the reply.
READ_NOW_MISSES: Final = 2
READ_NOW_PROBE: Final = 32
# The transports that read a plain TCP socket and keep no bytes of their own between
# reads: a read on their socket's descriptor takes exactly the bytes they would take next.
_PLAIN_TCP_TRANSPORTS: Final = frozenset(
    {("asyncio.selector_events", "_SelectorSocketTransport"), ("uvloop.loop", "TCPTransport")}
)
# The TLS transports whose protocol, for a BufferedProtocol, reads from its ssl.SSLObject
# straight into the buffer get_buffer() gives and keeps no plain text of its own: reading
# that SSLObject takes exactly the bytes the transport would hand over next.
_TLS_TRANSPORTS: Final = frozenset(
    {("asyncio.sslproto", "_SSLProtocolTransport"), ("uvloop.loop", "_SSLProtocolTransport")}
)
# Eager transports that take either kind of protocol: set_protocol() tells them which
# (uvloop's restarts reading for it; see StreamBridge._become).
# Measured (16-byte ping-pong, default reader, uvloop, 15 interleaved pairs): 0.92x ->
# 0.96x asyncio streams as a plain Protocol, which spares a Python call and a slice per
# read; default-reader downloads unchanged within the noise.
_SWITCHABLE_EAGER_TRANSPORTS: Final = frozenset({("uvloop.loop", "TCPTransport")})
_read: Final = os.read
_readv: Final = os.readv
_FD_UNKNOWN: Final = -2
# In place of a descriptor: BYOB reads at once read the transport's SSLObject.
_FD_TLS: Final = -3

# Per class, what connection_made() learns from a transport's class (see _transport_kind),
# and whether a loop is asyncio's own (see is_asyncio_loop): reading a class's __module__
# and __qualname__ costs more than the dict lookup, and these run for every connection.
_transport_kinds: dict[type, tuple[bool, bool, int]] = {}
_asyncio_loop_types: dict[type, bool] = {}


def is_asyncio_loop(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether ``loop`` is one of asyncio's own event loops (not uvloop's, say)."""
    kind = type(loop)
    known = _asyncio_loop_types.get(kind)
    if known is None:
        known = _asyncio_loop_types[kind] = kind.__module__.startswith("asyncio.")
    return known


def _transport_kind(kind: type) -> tuple[bool, bool, int]:
    # (whether the bridge may switch read modes, whether the transport is eager, the
    # descriptor to start with). asyncio's own transports and uvloop's TCP transport take
    # the bridge as either kind of protocol: a plain Protocol for default reads (the
    # transport makes the bytes), a BufferedProtocol for BYOB reads. Eager transports are
    # all but asyncio's own: they read again at once while data is there (libuv does), and
    # a default read made at once costs less than theirs (see _bytes_now). See
    # _PLAIN_TCP_TRANSPORTS and _TLS_TRANSPORTS for which may be read at once.
    known = _transport_kinds.get(kind)
    if known is None:
        key = (kind.__module__, kind.__qualname__)
        if key in _PLAIN_TCP_TRANSPORTS:
            fd = _FD_UNKNOWN  # looked up by the first read made at once
        elif key in _TLS_TRANSPORTS:
            fd = _FD_TLS
        else:
            fd = -1
        eager = not kind.__module__.startswith("asyncio.")
        switchable = SWITCH_READ_MODE and (not eager or key in _SWITCHABLE_EAGER_TRANSPORTS)
        known = _transport_kinds[kind] = (switchable, eager, fd)
    return known


_per_thread = threading.local()


def _thread_scratch() -> memoryview:
    # One per thread, not per loop: a thread runs one loop at a time, and a read fills the
    # buffer and copies out of it in one callback. Finding it costs no lookup of the loop.
    try:
        scratch: memoryview = _per_thread.scratch
    except AttributeError:
        scratch = _per_thread.scratch = memoryview(bytearray(SCRATCH_SIZE))
    return scratch


# Markers for what ended a direction before its stream was created.
_OPEN: Final = object()
_EOF: Final = object()  # the readable ends after the data received
_CLOSED: Final = object()  # the writable was closed by the socket


class StreamBridge(asyncio.BaseProtocol):
    """A transport's protocol, the readable's source and the writable's sink in one.

    Create it with :meth:`create`, give it to the transport as its protocol, and read its
    :attr:`readable` and :attr:`writable`.

    Each stream is created when first asked for, so a socket whose streams are never used
    (a health check, a refused connection, one closed at once) costs neither stream. What
    happens to a direction before then is kept and replayed on creation, so the stream is
    exactly what it would have been: data received before is queued in it, a FIN closes
    it after that data, an error errors it, and a writable the socket closed is closed.
    """

    __slots__ = (
        "_byob_view",
        "_decrypt_into",
        "_detached",
        "_drain",
        "_eager",
        "_early",
        "_early_size",
        "_eof_seen",
        "_fd",
        "_half_closeable",
        "_held",
        "_late_bytes",
        "_listener",
        "_name",
        "_opened",
        "_outgoing",
        "_outgoing_head",
        "_read_controller",
        "_read_end",
        "_read_now_allowance",
        "_read_now_misses",
        "_read_open",
        "_readable",
        "_reading_paused",
        "_reads_unprobed",
        "_report_made",
        "_scratch",
        "_switchable",
        "_sync_error",
        "_transport",
        "_writable",
        "_write_aborted",
        "_write_controller",
        "_write_end",
        "_write_paused",
    )

    # The pending BYOB read's view that get_buffer() gave the transport, if it did.
    _byob_view: memoryview | None
    _detached: bool
    _drain: asyncio.Future[None] | None
    # Data received before the readable exists, and how the read direction ended then.
    _early: list[bytes] | None
    _early_size: int
    # Whether the peer's FIN (or close_notify) was reported.
    _eof_seen: bool
    # The socket's descriptor, for BYOB reads made at once: -1 if not plain TCP (or not
    # now), _FD_UNKNOWN until first needed; _FD_TLS to read the TLS transport's SSLObject.
    _fd: int
    # Whether the transport can send FIN and keep reading (TCP can; asyncio's TLS cannot).
    _half_closeable: bool
    # start_tls(): reading stays paused until the transport is handed over; bytes that
    # still arrive (already on their way when reading paused) are counted.
    _held: bool
    _late_bytes: int
    _read_end: object
    _listener: BridgeListener
    _name: str
    _opened: asyncio.Future[Any]
    # Chunks converted by the size algorithm, for the sink's write to take in order. A list
    # and a head index, not a deque: an empty deque costs 760 bytes, an empty list 56.
    _outgoing: list[bytes]
    _outgoing_head: int
    _read_controller: ReadableByteStreamController | None
    _read_now_allowance: int
    # Reads made at once in a row that found nothing, and the transport's message-sized
    # reads since the last probe (see READ_NOW_MISSES).
    _read_now_misses: int
    _reads_unprobed: int
    _read_open: bool
    _readable: ReadableStream[bytes] | None
    _reading_paused: bool
    # Whether connection_made is reported to the listener (see create()).
    _report_made: bool
    _scratch: memoryview | None
    # The TLS transport's SSLObject.read(n, buffer), once a read at once needed it.
    _decrypt_into: Callable[[int, memoryview], int] | None
    # Whether the transport may take the bridge as either kind of protocol (see _become).
    _switchable: bool
    # Whether the transport reads again at once while data is there (see _transport_kind).
    _eager: bool
    # An error a read made at once met; the transport is aborted and ends with it.
    _sync_error: OSError | None
    _transport: asyncio.Transport | None
    _writable: WritableStream | None
    _write_controller: WritableStreamDefaultController | None
    # How the write direction ended before the writable existed: _OPEN, _CLOSED or a reason.
    _write_end: object
    # The writable was aborted: closing then drops what the transport has not sent.
    _write_aborted: bool
    _write_paused: bool

    @classmethod
    def create(
        cls,
        listener: BridgeListener,
        opened: asyncio.Future[Any],
        name: str,
        *,
        report_connection_made: bool = False,
        loop: asyncio.AbstractEventLoop,
    ) -> StreamBridge:
        """A bridge not yet attached to a transport.

        Args:
            listener: the socket, told about FIN, cancel, close and loss.
            opened: the socket's ``opened``: settles once the connection is open. Writes and
                a close made before wait for it (the writable queues what follows), and
                fail with its rejection reason.
            name: ``host:port``, for error messages.
            report_connection_made: tell the listener when the transport calls
                ``connection_made`` (for a socket whose opener ends with it).
            loop: the running loop.
        """
        # The default loop's own transports may take the bridge as a plain Protocol (see
        # connection_made); any other loop's get a BufferedProtocol from the start (uvloop's
        # TCP transport takes a plain Protocol later, for default reads: see _pull).
        switchable = SWITCH_READ_MODE and is_asyncio_loop(loop)
        self: StreamBridge = object.__new__(_DataBridge if switchable else _BufferedBridge)
        self._listener = listener
        self._opened = opened
        self._name = name
        self._transport = None
        self._byob_view = None
        self._detached = False
        self._drain = None
        self._early = None
        self._early_size = 0
        self._eof_seen = False
        self._fd = -1
        self._half_closeable = True
        self._held = False
        self._late_bytes = 0
        self._read_end = _OPEN
        self._read_now_allowance = READ_NOW_ALLOWANCE
        self._read_now_misses = 0
        self._reads_unprobed = 0
        self._read_open = True
        self._readable = None
        self._read_controller = None
        self._reading_paused = False
        self._report_made = report_connection_made
        self._scratch = None
        self._decrypt_into = None
        self._switchable = False
        self._eager = True
        self._sync_error = None
        self._writable = None
        self._write_controller = None
        self._write_end = _OPEN
        self._write_aborted = False
        self._write_paused = False
        self._outgoing = []
        self._outgoing_head = 0
        return self

    # -- the streams -------------------------------------------------------------------------

    @property
    def readable(self) -> ReadableStream[bytes]:
        """The readable byte stream, created on first use."""
        readable = self._readable
        if readable is None:
            readable = self._create_readable()
        return readable

    @property
    def writable(self) -> WritableStream:
        """The writable stream, created on first use."""
        writable = self._writable
        if writable is None:
            writable = self._create_writable()
        return writable

    def _create_readable(self) -> ReadableStream[bytes]:
        # [set up with byte reading support], https://streams.spec.whatwg.org/#readablestream-set-up-with-byte-reading-support
        readable: ReadableStream[bytes] = ReadableStream.__new__(ReadableStream)
        initialize_readable_stream(readable)
        controller = ReadableByteStreamController.__new__(ReadableByteStreamController)
        set_up_readable_byte_stream_controller(
            readable,
            controller,
            _return_none,
            self._pull,
            self._cancel,
            STREAM_HIGH_WATER_MARK,
            None,
            # Our pull never waits, and only we see it: no loop callback per pull.
            settle_sync_pulls_at_once=True,
            fill_now=self._fill_now,
        )
        self._readable = readable
        self._read_controller = controller
        # Replay what happened before: the data, then the FIN or the error.
        early, self._early, self._early_size = self._early, None, 0
        for chunk in early or ():
            controller.enqueue(chunk)
        end = self._read_end
        if end is _EOF:
            controller.close()
        elif end is not _OPEN:
            controller.error(end)
        return readable

    def _create_writable(self) -> WritableStream:
        end = self._write_end
        if end is _OPEN:
            writable = create_writable_stream(
                _return_none,
                self._write,
                self._close,
                self._abort,
                WRITE_HIGH_WATER_MARK,
                self._chunk_size,
                # A write the transport took settles before writer.write() returns: only
                # the transport sees our sink, so no loop turn per write.
                settle_sync_writes_at_once=True,
                write_now=self._write_now,
            )
        else:
            # The direction already ended: a stream whose sink does nothing.
            writable = create_writable_stream(
                _return_none, _return_none, _return_none, _return_none, WRITE_HIGH_WATER_MARK
            )
        self._writable = writable
        # To error the writable when the connection is lost, as a sink's `start` keeps its
        # controller (CreateWritableStream gives the algorithms no controller).
        self._write_controller = controller = writable._controller
        if end is _OPEN:
            controller.signal.add_algorithm(self._abandon_drain)
        if end is _CLOSED:
            writable_stream_close(writable).add_done_callback(_retrieve)
        elif end is not _OPEN:
            controller.error(end)
        return writable

    # -- asyncio protocol callbacks ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but have its methods
        # (an annotation, not typing.cast(): that would be a call per connection).
        stream_transport: asyncio.Transport = transport  # type: ignore[assignment]
        self._transport = stream_transport
        self._half_closeable = stream_transport.can_write_eof()
        self._switchable, self._eager, self._fd = _transport_kind(type(transport))
        if not self._switchable and type(self) is _DataBridge:
            self._become(_BufferedBridge)
        if self._held:
            # start_tls() came before the connection: read nothing in plain text. uvloop
            # starts reading after connection_made() returns, so pause again after it.
            self._pause_reading()
            asyncio.get_running_loop().call_soon(self._repause)
        if self._report_made:
            self._listener.connection_made()

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain
        if drain is not None:
            self._drain = None
            if not drain.done():
                drain.set_result(None)

    def get_buffer(self, sizehint: int) -> memoryview:
        controller = self._read_controller
        if controller is not None and controller._pending_pull_intos and self._read_open:
            # A BYOB read is pending: the kernel writes into the caller's buffer.
            view = current_byob_request_view(controller)
            if view is not None:
                self._byob_view = view
                return view
        self._byob_view = None
        scratch = self._scratch
        if scratch is None:
            scratch = self._scratch = _thread_scratch()
        return scratch

    def buffer_updated(self, nbytes: int) -> None:
        if self._held:
            self._late_bytes += nbytes
        view = self._byob_view
        if view is not None:
            self._byob_view = None
            if nbytes >= BULK_READ:
                self._read_now_allowance = READ_NOW_ALLOWANCE  # bytes stream in
            elif nbytes == view.nbytes:
                # _message_read(), inlined: every BYOB read that waits ends here.
                if self._read_now_misses < READ_NOW_MISSES:
                    self._read_now_allowance = READ_NOW_ALLOWANCE
                else:
                    self._reads_unprobed += 1
                    if self._reads_unprobed >= READ_NOW_PROBE:
                        self._probe_read_now()
            controller = self._read_controller
            assert controller is not None
            respond_to_current_byob_request(controller, nbytes)
            if not controller._pending_pull_intos and (self._eager or self._fd == _FD_TLS):
                # Without another BYOB read pending, the transport's next read would land in
                # the scratch buffer and be copied twice: uvloop (like most transports) reads
                # again at once while data is there, and a TLS transport decrypts what it
                # holds. Stop until the reader asks again (pull), which libuv does without a
                # syscall when it happens before its next poll; over TLS, that next read is
                # mostly made at once from what the transport holds (see _decrypt_now).
                self._pause_reading()
        elif self._read_open:
            if nbytes >= BULK_READ:
                self._read_now_allowance = READ_NOW_ALLOWANCE  # bytes stream in
            else:
                self._message_read()
            scratch = self._scratch
            assert scratch is not None
            self._deliver(scratch[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        if self._held:
            self._late_bytes += len(data)
        if not self._read_open:
            return
        # Every default read ends here, so _message_read() and _deliver() are inlined.
        if len(data) >= BULK_READ or self._read_now_misses < READ_NOW_MISSES:
            self._read_now_allowance = READ_NOW_ALLOWANCE  # bytes stream in
        else:
            self._reads_unprobed += 1
            if self._reads_unprobed >= READ_NOW_PROBE:
                self._probe_read_now()
        controller = self._read_controller
        if controller is None:
            self._deliver(data)  # before the readable exists
            return
        if controller._pending_pull_intos:
            view = current_byob_request_view(controller)
            if view is not None:
                n = min(len(view), len(data))
                view[:n] = memoryview(data)[:n]
                respond_to_current_byob_request(controller, n)
                data = data[n:]
                if not data or not self._read_open:
                    self._pause_reading_if_full()
                    return
        controller.enqueue(data)
        if controller._queue_total_size >= READ_HIGH_WATER_MARK:  # _pause_reading_if_full()
            self._pause_reading()

    def eof_received(self) -> bool:
        if self._detached:
            return True
        if self._eof_seen:
            return self._half_closeable  # a read at once met the close_notify first
        self._eof_seen = True
        self._end_readable()
        self._listener.peer_fin()
        # Keep the transport open: the write direction is the socket's to close. (A TLS
        # transport closes itself whatever this returns, and logs a warning if it is true.)
        return self._half_closeable

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._detached:
            return  # the connection belongs to whoever took it
        if self._transport is None:
            # Never connected: uvloop tells the protocol of a failed start_tls() handshake.
            # The opener's exception reports it, with the reason (see tls_errors).
            return
        self._transport = None
        self._fd = -1
        if exc is None:
            exc = self._sync_error  # a read made at once met it, and aborted the transport
        error = None if exc is None else broken_error(exc, self._name)
        if error is None:
            self._end_readable()
        else:
            self.error_readable(error)
        drain = self._drain
        writable = self._writable
        if drain is not None or (
            self._write_end is _OPEN if writable is None else writable._state == "writable"
        ):
            # Something can still fail with it: a write waiting to drain, or the writable.
            writable_error = error or closed_error(
                self._name,
                "was closed before the writes queued were sent"
                if drain is not None or self.unsent_writes()
                else "was closed",
            )
            if drain is not None:
                self._drain = None
                if not drain.done():
                    drain.set_exception(writable_error)
            self.error_writable(writable_error)
        self._outgoing.clear()
        self._outgoing_head = 0
        self._listener.connection_ended(error)
        # The socket is in a final state now: let go of it (see GONE).
        self._listener = GONE

    # -- the readable's underlying source ----------------------------------------------------

    def _deliver(self, data: bytes) -> None:
        """Hand received bytes that no BYOB read took to a waiting read, or queue them.

        Reading pauses once enough wait in the queue.
        """
        controller = self._read_controller
        if controller is None:
            early = self._early
            if early is None:
                early = self._early = []
            early.append(data)
            self._early_size += len(data)
        else:
            controller.enqueue(data)
        self._pause_reading_if_full()

    def _pull(self) -> None:
        transport = self._transport
        if transport is None or self._held:
            return
        controller = self._read_controller
        if controller is None:
            return  # pulled while the readable is being set up: nothing can wait yet
        # With the readable's high-water mark of 0, the stream pulls only for a read that
        # waits: a BYOB read (a pending pull-into) or a default read.
        # First, answer the read from the socket now if bytes are there (a default read only
        # on uvloop: see _bytes_now).
        if (
            self._fd != -1
            and self._read_now_allowance > 0
            and (controller._pending_pull_intos or self._eager)
            and self._read_now()
        ):
            return
        if controller._pending_pull_intos:
            # A BYOB read waits; on the default loop it wants the kernel to fill its buffer.
            if self._switchable and type(self) is not _BufferedBridge:
                self._become(_BufferedBridge)
        elif self._switchable and type(self) is not _DataBridge:
            # A default read waits; on the default loop it wants bytes.
            self._become(_DataBridge)
        if self._reading_paused:
            self._reading_paused = False
            transport.resume_reading()

    def _message_read(self) -> None:
        # The transport read a message (less than BULK_READ): let the next read try the
        # socket at once, unless reads made so kept finding nothing (READ_NOW_MISSES).
        if self._read_now_misses < READ_NOW_MISSES:
            self._read_now_allowance = READ_NOW_ALLOWANCE
            return
        self._reads_unprobed += 1
        if self._reads_unprobed >= READ_NOW_PROBE:
            self._probe_read_now()

    def _probe_read_now(self) -> None:
        # Every READ_NOW_PROBE-th message while reads made at once find nothing: try again.
        self._reads_unprobed = 0
        self._read_now_misses = READ_NOW_MISSES - 1  # one more miss stops it again
        self._read_now_allowance = READ_NOW_ALLOWANCE

    def _read_now(self) -> bool:
        """Answer the waiting read from the socket, now; return whether it was.

        A fast path that bypasses the transport and the loop: the kernel writes into a
        BYOB reader's buffer (``respond()``, as ``buffer_updated()`` does) or, on uvloop,
        into a new ``bytes`` for a default read (``enqueue()``, as ``buffer_updated()``
        does), and the read settles before ``read()`` returns, so awaiting it costs no
        loop turn. It is the same read the transport would make next, one poll earlier:
        the transports in ``_PLAIN_TCP_TRANSPORTS`` keep no bytes between reads, and a
        readiness the loop saw before finds nothing left (``EAGAIN``), which they ignore.
        When nothing is there, or at EOF (which the transport then reads itself and
        reports), the read waits for the loop as before. An error ends the connection as
        the transport would: aborted, ``connection_lost`` reporting it. Never over TLS.

        Tried while bytes come: after the transport read :data:`BULK_READ` bytes, or a
        message (see :meth:`_message_read`), and until a read finds nothing or
        :data:`READ_NOW_ALLOWANCE` bytes were read so in a row; then reads wait for the
        loop, until the transport's next such read renews the allowance.
        """
        controller = self._read_controller
        if controller is None:
            return False
        if not controller._pending_pull_intos:
            # A default read waits (the stream pulls only for a waiting read).
            data = self._bytes_now()
            if data is None:
                return False
            controller.enqueue(data)
            return True
        view = current_byob_request_view(controller)
        if view is None:
            return False
        nbytes = self._fill_now(view)
        if nbytes == 0:
            return False
        respond_to_current_byob_request(controller, nbytes)
        return True

    def _may_read_now(self) -> bool:
        # Whether a read at once may be made now: bytes stream in, and the transport is
        # open and reading for this readable.
        transport = self._transport
        return (
            self._read_now_allowance > 0
            and transport is not None
            and self._read_open
            and not self._held
            and not transport.is_closing()
        )

    def _read_fd(self) -> int:
        # The descriptor a read at once may read, or -1 if none may be made now.
        fd = self._fd
        if fd == -1 or fd == _FD_TLS or not self._may_read_now():
            return -1
        return self._socket_fd() if fd == _FD_UNKNOWN else fd

    def _socket_fd(self) -> int:
        # The plain TCP socket's descriptor, looked up once; -1 if there is none.
        fd = self._fd
        if fd == _FD_UNKNOWN:
            transport = self._transport
            sock = None if transport is None else transport.get_extra_info("socket")
            fd = self._fd = -1 if sock is None else sock.fileno()
        return fd

    def _bytes_now(self) -> bytes | None:
        """:meth:`_read_now` for a default read: a new ``bytes``, or ``None``.

        Measured (128 MiB downloads, interleaved): on uvloop, whose transport reads into
        a buffer of its own or ours and copies out, reading into a new bytes here is faster
        (0.77x raw -> 0.82x); on the default loop, whose transport reads into a new bytes
        itself, it is slower (0.8x -> 0.6x), so there the read waits for the loop.
        """
        if not self._eager:
            return None
        fd = self._read_fd()
        if fd < 0:
            return None
        try:
            data = _read(fd, SCRATCH_SIZE)
        except (BlockingIOError, InterruptedError):
            self._read_now_allowance = 0
            self._read_now_misses += 1
            return None
        except OSError as exc:
            self._failed_now(exc)
            return None
        if not data:
            return None  # EOF: the transport reads it too, and reports it
        self._read_now_allowance -= len(data)
        self._read_now_misses = 0
        return data

    def _fill_now(self, view: memoryview) -> int:
        """The readable's ``fill_now``: :meth:`_read_now` for a BYOB read about to pull.

        Called by the stream before the read adds its pull-into descriptor, so a read the
        socket can answer at once costs neither the descriptor nor the pull.
        """
        if self._read_now_allowance <= 0:
            return 0  # the usual case when replies take a while: no further calls
        if self._fd == _FD_TLS:
            return self._decrypt_now(view)
        fd = self._read_fd()
        if fd < 0:
            return 0
        try:
            nbytes = _readv(fd, (view,))
        except (BlockingIOError, InterruptedError):
            self._read_now_allowance = 0
            self._read_now_misses += 1
            return 0
        except OSError as exc:
            self._failed_now(exc)
            return 0
        self._read_now_allowance -= nbytes
        self._read_now_misses = 0
        if nbytes and self._eager and not self._reading_paused:
            self._pause_reading()  # as buffer_updated() does, for uvloop
        return nbytes

    def _decrypt_now(self, view: memoryview) -> int:
        """:meth:`_fill_now` over TLS: decrypt what the TLS transport holds into ``view``.

        The transport's protocol reads records from its ``ssl.SSLObject`` into the buffer
        ``get_buffer()`` gives, once per loop turn at most; reading that SSLObject here
        takes the same bytes, in the same order, a loop turn earlier. The transport keeps
        reading the socket into the SSLObject meanwhile (up to its own limit); a read that
        finds no complete record waits for the loop, whose next read by the transport
        renews the allowance. Reading pauses after a read here, so that the read that waits
        resumes it, which makes the transport look at its buffers again (they may have
        filled while it was not asked for anything), and also sends what TLS may have to
        answer (a key update) then. The peer's close_notify, met here, is reported as the
        transport would (see :meth:`_tls_closed`).
        """
        if not self._may_read_now():
            return 0
        decrypt_into = self._decrypt_into
        if decrypt_into is None:
            ssl_object = self.ssl_object()
            if ssl_object is None:
                self._fd = -1
                return 0
            # With a buffer, SSLObject.read() returns the bytes it wrote into it.
            decrypt_into = self._decrypt_into = cast(
                "Callable[[int, memoryview], int]", ssl_object.read
            )
        want = view.nbytes
        total = 0
        try:
            while total < want:
                nbytes = decrypt_into(want - total, view[total:] if total else view)
                if not nbytes:
                    self._tls_closed()
                    break
                total += nbytes
        except ssl.SSLWantReadError:
            self._read_now_allowance = 0  # no complete record left: wait for the loop
            if not total:
                self._read_now_misses += 1
        except ssl.SSLZeroReturnError:
            self._tls_closed()
        except OSError as exc:  # ssl.SSLError included
            self._failed_now(exc)
        if total:
            self._read_now_allowance -= total
            self._read_now_misses = 0
            self._pause_reading()
        return total

    def _tls_closed(self) -> None:
        # A read at once met the peer's close_notify. The transport may not read the
        # SSLObject again (uvloop reads only while bytes are pending), so end the readable
        # and close the connection as it would, once the read that met it has responded.
        self._fd = -1
        self._read_now_allowance = 0
        asyncio.get_running_loop().call_soon(self._close_notified, self._transport)

    def _close_notified(self, transport: asyncio.Transport | None) -> None:
        if transport is None or transport is not self._transport:
            return  # lost or handed over meanwhile
        self.eof_received()
        transport.close()

    def _failed_now(self, exc: OSError) -> None:
        # A call we made on the connection ourselves (a read at once, a shutdown) met this
        # error, which the transport would have met: end the connection as it would, with
        # connection_lost reporting it. (Only called while the transport is open.)
        self._fd = -1
        self._sync_error = exc
        transport = self._transport
        assert transport is not None
        transport.abort()

    def _cancel(self, _reason: object) -> None:
        self._read_open = False
        transport = self._transport
        if self._reading_paused and transport is not None and not self._held:
            # Keep reading (and discarding) to see the peer's FIN or RST.
            self._reading_paused = False
            transport.resume_reading()
        self._listener.readable_cancelled()

    def _pause_reading_if_full(self) -> None:
        if self._holds_enough():
            self._pause_reading()

    def _pause_reading(self) -> None:
        transport = self._transport
        if not self._reading_paused and transport is not None:
            self._reading_paused = True
            transport.pause_reading()

    def _repause(self) -> None:
        transport = self._transport
        if self._held and transport is not None and transport.is_reading():
            transport.pause_reading()

    def _end_readable(self) -> None:
        # The peer's FIN, or a clean end: close the readable after the data it holds, and
        # end a pending BYOB read with 0 bytes, as the spec asks of a source that closes.
        self._byob_view = None
        if not self._read_open:
            return
        self._read_open = False
        controller = self._read_controller
        if controller is None:
            self._read_end = _EOF
            return
        try:
            controller.close()
        except TypeError:
            # A BYOB read into a view of multi-byte elements holds part of an element: the
            # spec's close() errors the stream with this TypeError (the read rejects with
            # it) and throws it at the source. The connection itself ended cleanly.
            return
        if controller._pending_pull_intos:
            respond_to_current_byob_request(controller, 0)

    def _become(self, cls: type[StreamBridge]) -> None:
        # Both classes have exactly StreamBridge's slots, so the object can change class;
        # set_protocol() makes the transport look again at which interface to drive.
        self.__class__ = cls
        transport = self._transport
        if transport is not None:
            transport.set_protocol(self)

    # -- the writable's underlying sink ------------------------------------------------------

    def _chunk_size(self, chunk: object) -> int:
        # The writable's size algorithm, run inside writer.write(): the copy made here is
        # what decision 7 promises ("copied at write() time").
        try:
            data = encode_chunk(chunk)
        except TypeError:
            self._listener.writable_done()
            raise
        self._outgoing.append(data)
        return len(data)

    def _write(self, _chunk: object) -> asyncio.Future[Any] | None:
        # The chunk the size algorithm converted: the first one it queued.
        outgoing = self._outgoing
        head = self._outgoing_head
        data = outgoing[head]
        if head + 1 == len(outgoing):
            outgoing.clear()
            self._outgoing_head = 0
        else:
            outgoing[head] = b""  # let the chunk go now
            self._outgoing_head = head + 1
        if self._transport is None and not self._opened.done():
            # Written before the connection opened: this write waits for it, and the
            # writable queues the ones after it.
            return transform_promise(self._opened, lambda _: self._send(data))
        return self._send(data)

    def _write_refused(self, exc: Exception) -> SocketError:
        # The transport raised on a write (it was shut behind the socket's back, say): the
        # writable errors with this, and nothing more can be sent, as after an abort.
        self._listener.writable_done()
        return SocketError(f"the connection to {self._name!r} refused a write: {describe(exc)}")

    def _write_now(self, chunk: object) -> tuple[int, asyncio.Future[None] | None] | None:
        # The writable's write_now (see create_writable_stream): size algorithm and sink
        # write in one call, for a write to an idle writable over an open connection.
        transport = self._transport
        if transport is None or self._write_paused:
            return None
        if type(chunk) is bytes:
            data = chunk
        elif isinstance(chunk, (bytearray, memoryview, str)):
            data = encode_chunk(chunk)
        else:
            return None  # the size algorithm says what is wrong with it
        if data:
            try:
                transport.write(data)
            except Exception:  # the sink's write meets it again, and says so
                return None
        if self._write_paused:
            return len(data), self._drain_future()
        return len(data), None

    def _send(self, data: bytes) -> asyncio.Future[None] | None:
        transport = self._transport
        if transport is None:
            raise closed_error(self._name, "is not connected")
        if data:
            try:
                transport.write(data)
            except Exception as exc:
                raise self._write_refused(exc) from exc
        if self._write_paused:
            return self._drain_future()
        return None

    def _close(self) -> asyncio.Future[Any] | None:
        if self._transport is None and not self._opened.done():
            return transform_promise(self._opened, lambda _: self._close())
        if self._write_paused:
            # Flush what the transport holds down to its low-water mark first.
            return transform_promise(
                self._drain_future(), lambda _: self._listener.writable_closing()
            )
        self._listener.writable_closing()
        return None

    def _abort(self, _reason: object) -> None:
        self._write_aborted = True
        self._outgoing.clear()
        self._outgoing_head = 0
        self._listener.writable_done()

    def _abandon_drain(self) -> None:
        # The writable is being aborted. A write (or close) waiting for the transport to
        # drain holds the abort up until it settles (WritableStreamAbort waits for the
        # operation in flight), and the transport drains only when the peer reads: fail it
        # now, with the abort's reason, as the spec lets a sink do when its controller's
        # signal aborts. What the transport holds still goes out, before the FIN the
        # abort sends.
        drain = self._drain
        controller = self._write_controller
        if drain is not None and controller is not None:
            self._drain = None
            if not drain.done():
                drain.set_exception(as_exception(controller.signal.reason))

    def _drain_future(self) -> asyncio.Future[None]:
        drain = self._drain
        if drain is None:
            drain = self._drain = asyncio.get_running_loop().create_future()
        return drain

    # -- operations for the socket layer -----------------------------------------------------

    @property
    def transport(self) -> asyncio.Transport | None:
        """The transport, once connected and until lost or handed over."""
        return self._transport

    def addresses(self) -> tuple[Any, Any]:
        """The transport's ``(peername, sockname)``, as the socket module gives them."""
        transport = self._transport
        if transport is None:
            return None, None
        return transport.get_extra_info("peername"), transport.get_extra_info("sockname")

    def alpn(self) -> str | None:
        """The protocol ALPN selected, for a TLS transport; else ``None``."""
        ssl_object = self.ssl_object()
        if ssl_object is None:
            return None
        selected: str | None = ssl_object.selected_alpn_protocol()
        return selected

    def ssl_object(self) -> ssl.SSLObject | None:
        """The TLS connection's ``ssl.SSLObject`` (version, cipher, certificate), if TLS."""
        transport = self._transport
        if transport is None:
            return None
        ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
        return ssl_object

    @property
    def reading(self) -> bool:
        """Whether the readable may still get data: not ended, errored nor cancelled."""
        return self._read_open

    @property
    def half_closeable(self) -> bool:
        """Whether the transport can send FIN and keep reading (not asyncio's TLS)."""
        return self._half_closeable

    @property
    def late_bytes(self) -> int:
        """Bytes received after :meth:`hold_reading` (``start_tls()``): plain text that
        arrived although reading was paused."""
        return self._late_bytes

    def unsent_writes(self) -> int:
        """How many accepted chunks the writable holds that the transport has not got yet."""
        return len(self._outgoing) - self._outgoing_head

    def hold_reading(self) -> None:
        """Stop reading for ``start_tls()``, now or as soon as the transport exists.

        Reading stays paused whatever the readable asks until :meth:`detach`, so what the
        peer sends next stays in the kernel for the TLS layer. The readable stays open:
        what arrives in spite of the pause (already on its way) is queued in it and counted
        in :attr:`late_bytes`.
        """
        if self._reading_paused:
            self._take_received()
        self._held = True
        self._late_bytes = 0
        self._pause_reading()

    def _take_received(self) -> None:
        # Reading is paused, and the kernel may hold bytes received before start_tls() was
        # called (on uvloop reading pauses after each BYOB read fills its buffer). A
        # transport that kept reading would have queued them in the readable, up to its
        # high-water mark, so read them into it now: else the TLS handshake would read
        # them as if the server had sent them after start_tls().
        if not self._read_open or self._holds_enough():
            return
        fd = self._socket_fd()
        transport = self._transport
        if fd < 0 or transport is None or transport.is_closing():
            return
        while True:
            try:
                data = _read(fd, SCRATCH_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._failed_now(exc)
                return
            if not data:
                return  # EOF: the transport reads it too, and reports it
            self._deliver(data)
            if self._holds_enough():
                return

    def _holds_enough(self) -> bool:
        # Whether the readable (or, before it exists, the bytes kept for it) holds as much
        # as reading pauses at.
        controller = self._read_controller
        if controller is None:
            return self._early_size >= READ_HIGH_WATER_MARK
        return controller._queue_total_size >= READ_HIGH_WATER_MARK

    def shutdown_write(self) -> None:
        """Send FIN after what the transport holds, if the transport can half-close.

        asyncio's TLS transports cannot (``can_write_eof()`` is false): nothing is sent,
        and the connection stays open for reading.
        """
        transport = self._transport
        if transport is not None and not transport.is_closing() and transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError as exc:  # the connection is gone already (reset: ENOTCONN)
                self._failed_now(exc)

    def close_transport(self) -> None:
        """Close the transport after it flushes; ``connection_lost`` follows.

        After the writable was aborted, what the transport still holds is dropped instead
        of waited for: the application gave up on those writes, and a peer that does not
        read would keep the connection open for as long as it likes.
        """
        transport = self._transport
        if transport is None:
            return
        if self._write_aborted and transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def abort_transport(self) -> None:
        """Drop the connection at once, discarding unsent data."""
        transport = self._transport
        if transport is not None:
            transport.abort()

    def error_readable(self, error: BaseException) -> None:
        """Error the readable (reads fail with ``error``) and discard later data."""
        self._byob_view = None
        if not self._read_open:
            return
        self._read_open = False
        controller = self._read_controller
        if controller is None:
            # An errored stream has nothing queued.
            self._read_end = error
            self._early = None
            self._early_size = 0
        else:
            controller.error(error)

    def error_writable(self, error: BaseException) -> None:
        """Error the writable (writes fail with ``error``), unless it is finished already."""
        controller = self._write_controller
        if controller is not None:
            controller.error(error)
        elif self._write_end is _OPEN:
            self._write_end = error

    def close_readable(self) -> None:
        """Stop reading and close the readable; what it holds stays readable."""
        self._pause_reading()
        self._end_readable()

    def close_writable(self) -> asyncio.Future[Any] | None:
        """Close the writable after its queued writes, unless it is closing or finished.

        Returns:
            A future for a close still under way, or ``None`` if the writable was already
            closing, closed or errored (its sink's close or abort tells the socket when
            it is done), or closed at once.
        """
        writable = self._writable
        if writable is None:
            if self._write_end is not _OPEN:
                return None
            # Nothing was ever written: close as an idle writable's sink would.
            self._write_end = _CLOSED
            return self._close()
        if writable._state != "writable" or writable_stream_close_queued_or_in_flight(writable):
            return None
        return writable_stream_close(writable)

    def writable_status(self) -> str:
        """``"writable"``, ``"closing"``, ``"closed"`` or ``"errored"`` (erroring counts)."""
        writable = self._writable
        if writable is None:
            end = self._write_end
            return "writable" if end is _OPEN else "closed" if end is _CLOSED else "errored"
        state = writable._state
        if state == "writable":
            return "closing" if writable_stream_close_queued_or_in_flight(writable) else state
        return "closed" if state == "closed" else "errored"

    def abort_writable(self, reason: object) -> None:
        """Abort the writable with ``reason``, discarding queued writes."""
        writable = self._writable
        if writable is None:
            if self._write_end is _OPEN:
                self._write_end = reason
            return
        writable_stream_abort(writable, reason).add_done_callback(_retrieve)

    def detach(self) -> asyncio.Transport | None:
        """Give up the transport (for ``start_tls``); the bridge hears no more of it."""
        transport, self._transport = self._transport, None
        self._detached = True
        self._listener = GONE
        return transport


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _return_none(*_args: object) -> None:
    return None


class _DataBridge(StreamBridge, asyncio.Protocol):
    """The bridge as a plain ``Protocol``: the transport hands it ``bytes``."""

    __slots__ = ()


class _BufferedBridge(StreamBridge, asyncio.BufferedProtocol):
    """The bridge as a ``BufferedProtocol``: the transport reads into its buffers."""

    __slots__ = ()
