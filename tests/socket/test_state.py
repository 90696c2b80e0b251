"""Tests of the socket lifecycle tables: every (state, event) pair, and the coupling rules."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest

from wintersockets.socket._state import (
    READ_TRANSITIONS,
    SOCKET_TRANSITIONS,
    WRITE_TRANSITIONS,
    InvalidTransition,
    ReadEvent,
    ReadState,
    SocketEvent,
    SocketMachine,
    SocketState,
    WriteEvent,
    WriteState,
    transition_table,
)

S, E = SocketState, SocketEvent

# The expected table, written out independently of the module so a change to either is seen.
EXPECTED_SOCKET = {
    S.CONNECTING: {
        E.CONNECTED: S.OPEN,
        E.CONNECT_FAILED: S.ERRORED,
        E.CLOSE: S.CLOSED,
        E.START_TLS: S.UPGRADING,
        E.CONNECTION_LOST: S.ERRORED,
        E.CONNECTION_BROKEN: S.ERRORED,
    },
    S.OPEN: {
        E.CLOSE: S.CLOSING,
        E.START_TLS: S.UPGRADING,
        E.FINISH: S.CLOSING,
        E.CONNECTION_LOST: S.CLOSED,
        E.CONNECTION_BROKEN: S.ERRORED,
    },
    S.UPGRADING: {
        E.CONNECTED: S.UPGRADING,
        E.CONNECT_FAILED: S.ERRORED,
        E.CLOSE: S.UPGRADING,
        E.HANDED_OVER: S.UPGRADED,
        E.CONNECTION_LOST: S.ERRORED,
        E.CONNECTION_BROKEN: S.ERRORED,
    },
    S.CLOSING: {
        E.CLOSE: S.CLOSING,
        E.CONNECTION_LOST: S.CLOSED,
        E.CONNECTION_BROKEN: S.ERRORED,
    },
    S.CLOSED: {
        E.CLOSE: S.CLOSED,
        E.CONNECTED: S.CLOSED,
        E.CONNECT_FAILED: S.CLOSED,
        E.CONNECTION_LOST: S.CLOSED,
        E.CONNECTION_BROKEN: S.CLOSED,
    },
    S.ERRORED: {
        E.CLOSE: S.ERRORED,
        E.CONNECTED: S.ERRORED,
        E.CONNECT_FAILED: S.ERRORED,
        E.CONNECTION_LOST: S.ERRORED,
        E.CONNECTION_BROKEN: S.ERRORED,
    },
    S.UPGRADED: {E.CLOSE: S.UPGRADED},
}
EXPECTED_READ = {
    ReadState.OPEN: {ReadEvent.PEER_FIN: ReadState.EOF, ReadEvent.CANCEL: ReadState.CANCELLED},
    ReadState.EOF: {ReadEvent.CANCEL: ReadState.EOF},
    ReadState.CANCELLED: {ReadEvent.PEER_FIN: ReadState.EOF},
}
EXPECTED_WRITE = {
    WriteState.OPEN: {WriteEvent.FLUSH: WriteState.FLUSHING, WriteEvent.SHUTDOWN: WriteState.SHUT},
    WriteState.FLUSHING: {WriteEvent.SHUTDOWN: WriteState.SHUT},
    WriteState.SHUT: {},
}


def machine_in(
    state: SocketState = S.OPEN,
    read: ReadState = ReadState.OPEN,
    write: WriteState = WriteState.OPEN,
    *,
    allow_half_open: bool = False,
) -> SocketMachine:
    machine = SocketMachine(allow_half_open=allow_half_open, name="test")
    machine.state, machine.read, machine.write = state, read, write
    return machine


@pytest.mark.parametrize(("state", "event"), list(itertools.product(SocketState, SocketEvent)))
def test_every_socket_pair_follows_the_table_or_raises_naming_both(
    state: SocketState, event: SocketEvent
) -> None:
    machine = machine_in(state)
    expected = EXPECTED_SOCKET[state].get(event)
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            machine.handle(event)
        assert state.name in str(info.value)
        assert event.name in str(info.value)
        assert (info.value.state, info.value.event) == (state, event)
        assert machine.state is state
    else:
        machine.handle(event)
        assert machine.state is expected
    assert (machine.read, machine.write) == (ReadState.OPEN, WriteState.OPEN)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(ReadState, ReadEvent)))
def test_every_read_pair_follows_the_table_or_raises_naming_both(
    state: ReadState, event: ReadEvent
) -> None:
    machine = machine_in(read=state)
    expected = EXPECTED_READ[state].get(event)
    if expected is None:
        with pytest.raises(InvalidTransition, match=f"{state.name}.*{event.name}"):
            machine.handle(event)
        assert machine.read is state
    else:
        machine.handle(event)
        assert machine.read is expected
    assert (machine.state, machine.write) == (S.OPEN, WriteState.OPEN)


@pytest.mark.parametrize(("state", "event"), list(itertools.product(WriteState, WriteEvent)))
def test_every_write_pair_follows_the_table_or_raises_naming_both(
    state: WriteState, event: WriteEvent
) -> None:
    machine = machine_in(write=state)
    expected = EXPECTED_WRITE[state].get(event)
    if expected is None:
        with pytest.raises(InvalidTransition, match=f"{state.name}.*{event.name}"):
            machine.handle(event)
        assert machine.write is state
    else:
        machine.handle(event)
        assert machine.write is expected


def test_tables_hold_exactly_the_expected_transitions() -> None:
    def flatten(expected: dict[Any, dict[Any, Any]]) -> dict[Any, Any]:
        return {(s, e): n for s, row in expected.items() for e, n in row.items()}

    assert flatten(EXPECTED_SOCKET) == SOCKET_TRANSITIONS
    assert flatten(EXPECTED_READ) == READ_TRANSITIONS
    assert flatten(EXPECTED_WRITE) == WRITE_TRANSITIONS


def test_transition_table_lists_every_transition_once_by_value() -> None:
    rows = transition_table()
    assert len(rows) == len(SOCKET_TRANSITIONS) + len(READ_TRANSITIONS) + len(WRITE_TRANSITIONS)
    assert ("socket", "connecting", "connected", "open") in rows
    assert ("read", "open", "peer FIN", "eof") in rows
    assert ("write", "flushing", "shutdown", "shut") in rows


def test_a_new_machine_is_connecting_with_both_directions_open() -> None:
    machine = SocketMachine(allow_half_open=False)
    assert (machine.state, machine.read, machine.write) == (
        S.CONNECTING,
        ReadState.OPEN,
        WriteState.OPEN,
    )
    assert not machine.fin_due
    assert not machine.finish_due


@pytest.mark.parametrize(
    ("state", "read", "write", "allow_half_open", "due"),
    [
        (S.OPEN, ReadState.EOF, WriteState.OPEN, False, True),
        (S.OPEN, ReadState.EOF, WriteState.OPEN, True, False),
        (S.OPEN, ReadState.EOF, WriteState.FLUSHING, False, False),
        (S.OPEN, ReadState.EOF, WriteState.SHUT, False, False),
        (S.OPEN, ReadState.OPEN, WriteState.OPEN, False, False),
        (S.OPEN, ReadState.CANCELLED, WriteState.OPEN, False, False),
        (S.CLOSING, ReadState.EOF, WriteState.OPEN, False, False),
        (S.UPGRADING, ReadState.EOF, WriteState.OPEN, False, False),
    ],
)
def test_fin_is_due_only_for_peer_fin_without_half_open_while_open(
    state: SocketState, read: ReadState, write: WriteState, allow_half_open: bool, due: bool
) -> None:
    machine = machine_in(state, read, write, allow_half_open=allow_half_open)
    assert machine.fin_due is due


@pytest.mark.parametrize("state", list(SocketState))
@pytest.mark.parametrize("read", list(ReadState))
@pytest.mark.parametrize("write", list(WriteState))
def test_finish_is_due_exactly_when_both_directions_are_done_while_open(
    state: SocketState, read: ReadState, write: WriteState
) -> None:
    machine = machine_in(state, read, write)
    expected = state is S.OPEN and read is not ReadState.OPEN and write is WriteState.SHUT
    assert machine.finish_due is expected


def test_peer_fin_without_half_open_walks_to_closed() -> None:
    machine = SocketMachine(allow_half_open=False)
    machine.handle(E.CONNECTED)
    machine.handle(ReadEvent.PEER_FIN)
    assert machine.fin_due
    machine.handle(WriteEvent.FLUSH)
    assert not machine.fin_due
    machine.handle(WriteEvent.SHUTDOWN)
    assert machine.finish_due
    machine.handle(E.FINISH)
    machine.handle(E.CONNECTION_LOST)
    assert machine.state is S.CLOSED


def test_half_open_socket_stays_open_until_the_application_shuts_writing() -> None:
    machine = SocketMachine(allow_half_open=True)
    machine.handle(E.CONNECTED)
    machine.handle(ReadEvent.PEER_FIN)
    assert not machine.fin_due
    assert not machine.finish_due
    machine.handle(WriteEvent.SHUTDOWN)
    assert machine.finish_due


@pytest.mark.parametrize("allow_half_open", [False, True])
def test_a_connection_that_cannot_half_close_answers_the_peers_fin_whatever_allow_half_open(
    allow_half_open: bool,
) -> None:
    """TLS over asyncio: the peer's close ends the connection in both directions."""
    machine = SocketMachine(allow_half_open=allow_half_open)
    machine.handle(E.CONNECTED)
    machine.half_closeable = False
    machine.handle(ReadEvent.PEER_FIN)
    assert machine.fin_due
    assert machine.allow_half_open is allow_half_open


def test_transitions_are_logged_at_debug_level(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="wintersockets.socket"):
        machine = SocketMachine(allow_half_open=False, name="example.com:80")
        machine.handle(E.CONNECTED)
    assert caplog.messages == ["example.com:80 socket: connecting --connected--> open"]


def test_whether_a_machine_logs_is_decided_when_it_is_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet = SocketMachine(allow_half_open=False, name="quiet:80")
    with caplog.at_level(logging.DEBUG, logger="wintersockets.socket"):
        quiet.handle(E.CONNECTED)
        loud = SocketMachine(allow_half_open=False, name="loud:80")
    loud.handle(E.CONNECTED)
    assert caplog.messages == []  # the capture ended before loud's transition
    with caplog.at_level(logging.DEBUG, logger="wintersockets.socket"):
        loud.handle(E.CLOSE)
    assert caplog.messages == ["loud:80 socket: open --close--> closing"]


@pytest.mark.parametrize("state", list(SocketState))
@pytest.mark.parametrize("read", list(ReadState))
@pytest.mark.parametrize("write", list(WriteState))
@pytest.mark.parametrize("half_closeable", [False, True])
def test_at_most_one_coupling_rule_is_due_and_due_names_it(
    state: SocketState, read: ReadState, write: WriteState, half_closeable: bool
) -> None:
    machine = machine_in(state, read, write)
    machine.half_closeable = half_closeable
    assert not (machine.fin_due and machine.finish_due)
    expected = WriteEvent.FLUSH if machine.fin_due else E.FINISH if machine.finish_due else None
    assert machine.due() is expected


def test_repr_shows_all_three_states() -> None:
    assert repr(machine_in()) == "<SocketMachine test open read=open write=open>"
