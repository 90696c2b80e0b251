"""Everything that changes a socket's state lives here: the lifecycle as transition tables.

A socket is three small machines, as h11 couples a client and a server:

* the **socket** itself: ``connecting → open → closing → closed``, with ``errored`` for
  failures, and ``upgrading → upgraded`` for ``start_tls()``;
* the **read** direction: ``open``, then ``eof`` once the peer's FIN arrives, or
  ``cancelled`` once the application cancels the readable;
* the **write** direction: ``open``, ``flushing`` while queued writes drain before an
  automatic FIN, then ``shut`` once our FIN is sent (or the writable is dead).

Each machine is a table ``(state, event) -> new state``. A pair missing from its table is a
bug in the caller, and :class:`InvalidTransition` names both. Two rules couple the machines
(DESIGN.md decision 3), and :class:`SocketMachine` answers them as properties:

* :attr:`SocketMachine.fin_due`: the peer sent FIN, ``allow_half_open`` is false (or the
  connection cannot stay half-open, as asyncio's TLS cannot) and the write direction is
  open, so flush queued writes and send our FIN;
* :attr:`SocketMachine.finish_due`: both directions are done while the socket is open, so
  close the connection; ``closed`` resolves when the transport reports it gone.

At most one of them holds at a time (the first needs the write direction open, the second
needs it shut), and :meth:`SocketMachine.due` names it: the socket asks once per event.

Nothing here does I/O or needs an event loop; the socket calls :meth:`SocketMachine.handle`
and then acts on the new state.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final, TypeAlias, TypeVar

__all__: list[str] = []

logger = logging.getLogger("wintersockets.socket")


class SocketState(StrEnum):
    """The lifecycle of one ``Socket`` object."""

    CONNECTING = "connecting"  # connect() returned; the connection is being made
    OPEN = "open"  # opened resolved
    UPGRADING = "upgrading"  # start_tls() called: flushing, then handing the connection over
    CLOSING = "closing"  # close() called, or both directions done: waiting for the transport
    CLOSED = "closed"  # closed resolved
    UPGRADED = "upgraded"  # the TLS socket owns the connection; closed resolved
    ERRORED = "errored"  # closed rejected with a SocketError


class SocketEvent(StrEnum):
    """What happens to a socket as a whole."""

    CONNECTED = "connected"  # the opener produced a connected transport
    CONNECT_FAILED = "connect failed"  # the opener failed
    CLOSE = "close"  # the application called close()
    START_TLS = "start_tls"  # the application called start_tls()
    FINISH = "finish"  # both directions are done: close the transport
    HANDED_OVER = "handed over"  # start_tls(): the connection now belongs to the TLS socket
    CONNECTION_LOST = "connection lost"  # the transport is gone, cleanly
    CONNECTION_BROKEN = "connection broken"  # the transport is gone with an error (RST, ...)


class ReadState(StrEnum):
    """The receiving direction."""

    OPEN = "open"
    EOF = "eof"  # the peer sent FIN; the readable closes after the data already received
    CANCELLED = "cancelled"  # the application cancelled the readable; data is discarded


class ReadEvent(StrEnum):
    """What happens to the receiving direction."""

    PEER_FIN = "peer FIN"
    CANCEL = "cancel"


class WriteState(StrEnum):
    """The sending direction."""

    OPEN = "open"
    FLUSHING = "flushing"  # an automatic close waits for queued writes, then sends FIN
    SHUT = "shut"  # our FIN is sent, or the writable died: nothing more will be sent


class WriteEvent(StrEnum):
    """What happens to the sending direction."""

    FLUSH = "flush"  # peer FIN without allow_half_open: close the writable after its queue
    SHUTDOWN = "shutdown"  # the writable closed, aborted or failed: FIN sent


# The members as module constants, for the code that tests and changes states on every
# socket's way (this module's machine and the socket): on Python 3.11 each attribute
# lookup like ``SocketState.OPEN`` goes through the enum's metaclass, ten times the cost
# of a global's.
CONNECTING: Final = SocketState.CONNECTING
OPEN: Final = SocketState.OPEN
UPGRADING: Final = SocketState.UPGRADING
CLOSING: Final = SocketState.CLOSING
CLOSED: Final = SocketState.CLOSED
UPGRADED: Final = SocketState.UPGRADED
ERRORED: Final = SocketState.ERRORED
CONNECTED: Final = SocketEvent.CONNECTED
CONNECT_FAILED: Final = SocketEvent.CONNECT_FAILED
CLOSE: Final = SocketEvent.CLOSE
START_TLS: Final = SocketEvent.START_TLS
FINISH: Final = SocketEvent.FINISH
HANDED_OVER: Final = SocketEvent.HANDED_OVER
CONNECTION_LOST: Final = SocketEvent.CONNECTION_LOST
CONNECTION_BROKEN: Final = SocketEvent.CONNECTION_BROKEN
READ_OPEN: Final = ReadState.OPEN
READ_EOF: Final = ReadState.EOF
READ_CANCELLED: Final = ReadState.CANCELLED
PEER_FIN: Final = ReadEvent.PEER_FIN
CANCEL: Final = ReadEvent.CANCEL
WRITE_OPEN: Final = WriteState.OPEN
WRITE_FLUSHING: Final = WriteState.FLUSHING
WRITE_SHUT: Final = WriteState.SHUT
FLUSH: Final = WriteEvent.FLUSH
SHUTDOWN: Final = WriteEvent.SHUTDOWN

State: TypeAlias = SocketState | ReadState | WriteState
Event: TypeAlias = SocketEvent | ReadEvent | WriteEvent

_S, _E = SocketState, SocketEvent

SOCKET_TRANSITIONS: Final[dict[tuple[SocketState, SocketEvent], SocketState]] = {
    (_S.CONNECTING, _E.CONNECTED): _S.OPEN,
    (_S.CONNECTING, _E.CONNECT_FAILED): _S.ERRORED,
    # Decision 4: close() before the connection is open aborts the attempt at once.
    (_S.CONNECTING, _E.CLOSE): _S.CLOSED,
    # start_tls() before open: the upgrade waits for the connection.
    (_S.CONNECTING, _E.START_TLS): _S.UPGRADING,
    # The transport went away before the opener returned: the attempt failed.
    (_S.CONNECTING, _E.CONNECTION_LOST): _S.ERRORED,
    (_S.CONNECTING, _E.CONNECTION_BROKEN): _S.ERRORED,
    (_S.OPEN, _E.CLOSE): _S.CLOSING,
    (_S.OPEN, _E.START_TLS): _S.UPGRADING,
    (_S.OPEN, _E.FINISH): _S.CLOSING,
    # The transport ended cleanly without being asked (no FIN seen first): nothing failed.
    (_S.OPEN, _E.CONNECTION_LOST): _S.CLOSED,
    (_S.OPEN, _E.CONNECTION_BROKEN): _S.ERRORED,
    (_S.UPGRADING, _E.CONNECTED): _S.UPGRADING,
    (_S.UPGRADING, _E.CONNECT_FAILED): _S.ERRORED,
    # The connection is promised to the TLS socket; closing the old one does not touch it.
    (_S.UPGRADING, _E.CLOSE): _S.UPGRADING,
    (_S.UPGRADING, _E.HANDED_OVER): _S.UPGRADED,
    # The peer hung up before the upgrade could happen: the upgrade failed.
    (_S.UPGRADING, _E.CONNECTION_LOST): _S.ERRORED,
    (_S.UPGRADING, _E.CONNECTION_BROKEN): _S.ERRORED,
    (_S.CLOSING, _E.CLOSE): _S.CLOSING,
    (_S.CLOSING, _E.CONNECTION_LOST): _S.CLOSED,
    (_S.CLOSING, _E.CONNECTION_BROKEN): _S.ERRORED,
    (_S.CLOSED, _E.CLOSE): _S.CLOSED,
    # The attempt finished just as close() cancelled it: the connection is dropped.
    (_S.CLOSED, _E.CONNECTED): _S.CLOSED,
    (_S.CLOSED, _E.CONNECT_FAILED): _S.CLOSED,
    (_S.CLOSED, _E.CONNECTION_LOST): _S.CLOSED,
    (_S.CLOSED, _E.CONNECTION_BROKEN): _S.CLOSED,
    (_S.ERRORED, _E.CLOSE): _S.ERRORED,
    # The opener finished after the connection had already failed.
    (_S.ERRORED, _E.CONNECTED): _S.ERRORED,
    (_S.ERRORED, _E.CONNECT_FAILED): _S.ERRORED,
    (_S.ERRORED, _E.CONNECTION_LOST): _S.ERRORED,
    (_S.ERRORED, _E.CONNECTION_BROKEN): _S.ERRORED,
    (_S.UPGRADED, _E.CLOSE): _S.UPGRADED,
}

READ_TRANSITIONS: Final[dict[tuple[ReadState, ReadEvent], ReadState]] = {
    (ReadState.OPEN, ReadEvent.PEER_FIN): ReadState.EOF,
    (ReadState.OPEN, ReadEvent.CANCEL): ReadState.CANCELLED,
    # After a cancel the socket keeps reading (and discarding) so it sees FIN and RST.
    (ReadState.CANCELLED, ReadEvent.PEER_FIN): ReadState.EOF,
    # A closed readable with data still queued can be cancelled.
    (ReadState.EOF, ReadEvent.CANCEL): ReadState.EOF,
}

WRITE_TRANSITIONS: Final[dict[tuple[WriteState, WriteEvent], WriteState]] = {
    (WriteState.OPEN, WriteEvent.FLUSH): WriteState.FLUSHING,
    (WriteState.OPEN, WriteEvent.SHUTDOWN): WriteState.SHUT,
    (WriteState.FLUSHING, WriteEvent.SHUTDOWN): WriteState.SHUT,
}

_Ev = TypeVar("_Ev", SocketEvent, ReadEvent, WriteEvent)
_St = TypeVar("_St", SocketState, ReadState, WriteState)


def _by_event(table: dict[tuple[_St, _Ev], _St], events: type[_Ev]) -> dict[_Ev, dict[_St, _St]]:
    # The tables above, as handle() reads them: event -> {state: new state}, which
    # spares a tuple per transition. Every event has an entry, perhaps empty.
    by_event: dict[_Ev, dict[_St, _St]] = {event: {} for event in events}
    for (state, event), new in table.items():
        by_event[event][state] = new
    return by_event


_SOCKET_NEXT: Final = _by_event(SOCKET_TRANSITIONS, SocketEvent)
_READ_NEXT: Final = _by_event(READ_TRANSITIONS, ReadEvent)
_WRITE_NEXT: Final = _by_event(WRITE_TRANSITIONS, WriteEvent)
_MACHINES: Final = {SocketEvent: "socket", ReadEvent: "read", WriteEvent: "write"}

# States in which close() has nothing left to do but return ``closed``.
FINAL_STATES: Final = frozenset({CLOSED, UPGRADED, ERRORED})


class InvalidTransition(RuntimeError):
    """A socket received an event its current state has no transition for (a bug)."""

    def __init__(self, state: State, event: Event) -> None:
        super().__init__(
            f"no transition from {type(state).__name__}.{state.name} on "
            f"{type(event).__name__}.{event.name}: this is a bug in wintersockets"
        )
        self.state = state
        self.event = event


class SocketMachine:
    """The state of one socket: the socket, read and write machines and their coupling."""

    __slots__ = ("_log", "allow_half_open", "half_closeable", "name", "read", "state", "write")

    def __init__(self, *, allow_half_open: bool, name: str = "socket") -> None:
        # Whether transitions are logged is decided once, when the socket is made: asking
        # the logger on every transition cost a Python call each, seven per connection.
        self._log = logger.isEnabledFor(logging.DEBUG)
        self.state = CONNECTING
        self.read = READ_OPEN
        self.write = WRITE_OPEN
        self.allow_half_open = allow_half_open
        # Whether the connection can stay open one way after the peer's FIN. TLS over
        # asyncio cannot: it answers the peer's close_notify with its own and closes.
        self.half_closeable = True
        self.name = name

    def handle(self, event: Event) -> None:
        """Apply ``event`` to the machine it belongs to.

        Raises:
            InvalidTransition: the current state has no transition for ``event``.
        """
        old: State
        new: State
        kind = type(event)
        if kind is SocketEvent:
            old = self.state
            new_state = _SOCKET_NEXT[event].get(old)  # type: ignore[index]
            if new_state is None:
                raise InvalidTransition(old, event)
            self.state = new = new_state
        elif kind is ReadEvent:
            old = self.read
            new_read = _READ_NEXT[event].get(old)  # type: ignore[index]
            if new_read is None:
                raise InvalidTransition(old, event)
            self.read = new = new_read
        else:
            old = self.write
            new_write = _WRITE_NEXT[event].get(old)  # type: ignore[index]
            if new_write is None:
                raise InvalidTransition(old, event)
            self.write = new = new_write
        if self._log:
            # StrEnum members format as their values.
            logger.debug("%s %s: %s --%s--> %s", self.name, _MACHINES[kind], old, event, new)

    def due(self) -> WriteEvent | SocketEvent | None:
        """What the coupling rules call for now: ``FLUSH``, ``FINISH`` or nothing.

        ``FLUSH`` (the write machine's event) when :attr:`fin_due`, ``FINISH`` (the
        socket's) when :attr:`finish_due`; they never hold together.
        """
        if self.state is not OPEN or self.read is READ_OPEN:
            return None
        write = self.write
        if write is WRITE_SHUT:
            return FINISH
        if (
            write is WRITE_OPEN
            and self.read is READ_EOF
            and not (self.allow_half_open and self.half_closeable)
        ):
            return FLUSH
        return None

    @property
    def fin_due(self) -> bool:
        """The peer's FIN must be answered with ours: flush queued writes, then send FIN."""
        return self.due() is FLUSH

    @property
    def finish_due(self) -> bool:
        """Both directions are done while open: the connection should be closed."""
        return self.due() is FINISH

    def __repr__(self) -> str:
        return (
            f"<SocketMachine {self.name} {self.state.value} read={self.read.value} "
            f"write={self.write.value}>"
        )


def transition_table() -> list[tuple[str, str, str, str]]:
    """Every transition as ``(machine, state, event, new state)``, for docs and diagrams."""
    rows = [("socket", s.value, e.value, n.value) for (s, e), n in SOCKET_TRANSITIONS.items()]
    rows += [("read", s.value, e.value, n.value) for (s, e), n in READ_TRANSITIONS.items()]
    rows += [("write", s.value, e.value, n.value) for (s, e), n in WRITE_TRANSITIONS.items()]
    return rows
