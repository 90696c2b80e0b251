"""Writable streams [ws]: the ``WritableStream`` class and the abstract operations on it.

https://streams.spec.whatwg.org/#ws

The operations follow the spec's order under its section headings: "Working with writable
streams" and "Interfacing with controllers". The writer's operations live in ``writer.py``
and the default controller's in ``writable_controller.py``.

Every method that returns a promise returns an ``asyncio.Future`` created at call time; a
rejection reason that is not an exception is wrapped in ``ReasonError`` on the future only,
while the underlying sink's ``abort`` receives the reason as given.
"""

from __future__ import annotations

import asyncio
from collections import deque
from enum import StrEnum
from typing import TYPE_CHECKING, Any, final

from ._promises import (
    mark_as_handled,
    new_promise,
    new_shared_promise,
    promise_rejected_with,
    promise_resolved_with,
    reject_promise,
    resolve_promise,
    upon_promise,
)
from ._queue_with_sizes import is_non_negative_number
from ._underlying_sink import check_dictionary, convert_underlying_sink
from .abort_signal import signal_abort
from .queuing_strategy import _size_one, extract_high_water_mark, extract_size_algorithm

if TYPE_CHECKING:
    from collections.abc import Callable

    from .queuing_strategy import SizeAlgorithm
    from .writable_controller import WriteNow

__all__ = ["WritableStream", "WritableStreamState"]

# Futures are made on the controller's loop directly: loop.create_future() costs a frame.
_Future = asyncio.Future


class WritableStreamState(StrEnum):
    """The values of a writable stream's [[state]] slot."""

    WRITABLE = "writable"
    CLOSED = "closed"
    ERRORING = "erroring"
    ERRORED = "errored"


WRITABLE = WritableStreamState.WRITABLE
CLOSED = WritableStreamState.CLOSED
ERRORING = WritableStreamState.ERRORING
ERRORED = WritableStreamState.ERRORED


@final
class PendingAbortRequest:
    """A [pending abort request]: the promise and reason of a WritableStreamAbort call."""

    __slots__ = ("promise", "reason", "was_already_erroring")

    def __init__(
        self, promise: asyncio.Future[None], reason: object, was_already_erroring: bool
    ) -> None:
        self.promise = promise
        self.reason = reason
        self.was_already_erroring = was_already_erroring


@final
class WritableStream:
    """A destination for data, with backpressure [WritableStream].

    https://streams.spec.whatwg.org/#ws-class

    Args:
        underlying_sink: an object or mapping with optional ``start(controller)``,
            ``write(chunk, controller)``, ``close()`` and ``abort(reason)`` callbacks, each
            plain or returning an awaitable.
        strategy: a queuing strategy (``high_water_mark`` and optional ``size``), as an
            object or mapping; the default counts chunks with a high-water mark of 1.

    Raises:
        TypeError: an argument has the wrong type, or ``start`` raised it.
        ValueError: the high-water mark is negative or NaN, or the sink has a ``type``
            (the spec's RangeError).
    """

    __slots__ = (
        "__weakref__",
        "_backpressure",
        "_close_request",
        "_controller",
        "_in_flight_close_request",
        "_in_flight_write_request",
        "_pending_abort_request",
        "_state",
        "_stored_error",
        "_write_requests",
        "_writer",
    )

    _backpressure: bool
    _close_request: asyncio.Future[None] | None
    _controller: WritableStreamDefaultController
    _in_flight_close_request: asyncio.Future[None] | None
    _in_flight_write_request: asyncio.Future[None] | None
    _pending_abort_request: PendingAbortRequest | None
    _state: WritableStreamState
    _stored_error: object
    _write_requests: deque[asyncio.Future[None]]
    _writer: WritableStreamDefaultWriter | None

    def __init__(self, underlying_sink: object = None, strategy: object = None) -> None:
        # Web IDL converts the strategy argument (its TypeErrors) before the constructor
        # steps convert the sink; ExtractHighWaterMark's RangeError comes after both.
        if strategy is not None:
            check_dictionary(strategy, "strategy")
        size_algorithm = extract_size_algorithm(strategy)
        range_error: ValueError | None = None
        try:
            high_water_mark = extract_high_water_mark(strategy, 1)
        except ValueError as exc:
            range_error = exc
        sink = convert_underlying_sink(underlying_sink)
        if range_error is not None:
            raise range_error
        initialize_writable_stream(self)
        set_up_writable_stream_default_controller_from_underlying_sink(
            self, sink, high_water_mark, size_algorithm
        )

    @property
    def locked(self) -> bool:
        """Whether a writer holds the stream's lock [locked]."""
        return is_writable_stream_locked(self)

    def abort(self, reason: object = None) -> asyncio.Future[None]:
        """Abort the stream, discarding queued writes [abort()].

        The returned future settles when the sink's ``abort`` has finished; it fails with
        ``TypeError`` if the stream is locked to a writer.
        """
        if is_writable_stream_locked(self):
            return promise_rejected_with(
                TypeError("cannot abort a writable stream locked to a writer: use the writer")
            )
        return writable_stream_abort(self, reason)

    def close(self) -> asyncio.Future[None]:
        """Close the stream once queued writes are done [close()].

        The returned future fails with ``TypeError`` if the stream is locked, or already
        closing or closed.
        """
        if is_writable_stream_locked(self):
            return promise_rejected_with(
                TypeError("cannot close a writable stream locked to a writer: use the writer")
            )
        if writable_stream_close_queued_or_in_flight(self):
            return promise_rejected_with(
                TypeError("cannot close a writable stream that is already closing or closed")
            )
        return writable_stream_close(self)

    def get_writer(self) -> WritableStreamDefaultWriter:
        """Lock the stream to a new writer and return it [getWriter()].

        Raises:
            TypeError: the stream is already locked.
        """
        return acquire_writable_stream_default_writer(self)

    def __repr__(self) -> str:
        return f"<WritableStream state={self._state.value!r} locked={self._writer is not None}>"


# -- Working with writable streams -----------------------------------------------------------


def acquire_writable_stream_default_writer(stream: WritableStream) -> WritableStreamDefaultWriter:
    """[AcquireWritableStreamDefaultWriter] https://streams.spec.whatwg.org/#acquire-writable-stream-default-writer"""
    return WritableStreamDefaultWriter(stream)


def create_writable_stream(
    start_algorithm: Callable[[], object],
    write_algorithm: Callable[[Any], object],
    close_algorithm: Callable[[], object],
    abort_algorithm: Callable[[object], object],
    high_water_mark: float = 1,
    size_algorithm: SizeAlgorithm | None = None,
    *,
    settle_sync_writes_at_once: bool = False,
    write_now: WriteNow | None = None,
) -> WritableStream:
    """[CreateWritableStream] https://streams.spec.whatwg.org/#create-writable-stream

    For other layers (the socket's ``writable``, transform streams). An algorithm returns
    ``None`` (or any plain value) for "a promise resolved with undefined", an awaitable to
    settle later, or raises for a rejected promise; the write algorithm's synchronous
    results cost no future.

    Not in the spec: with ``settle_sync_writes_at_once``, a write whose algorithm returns
    ``None`` completes before ``writer.write()`` returns, instead of one turn later, and
    the next queued write reaches the sink at once (see ``writable_controller.py``). Ask
    for it only when no code that could observe the difference runs in the algorithms (a
    socket's sink handing bytes to its transport, say; not a transformer's callbacks).

    Not in the spec either: ``write_now(chunk)`` lets such a sink take a write on an idle
    stream (writable, started, nothing queued, in flight or closing, no backpressure) in
    place of the size algorithm and the write algorithm, the steps in between skipped.
    It returns ``None`` to decline, leaving the chunk to the spec's steps (which then run
    both algorithms as usual); or ``(size, None)`` once the chunk is written, the write
    complete; or ``(size, pending)`` if it is written but the write completes when the
    awaitable ``pending`` does. The stream ends as the spec's steps would leave it: the
    write's promise settled or in flight, the ready promise replaced when ``size``
    reaches the high-water mark. It must not touch the stream. The promises of writes
    completed at once are one fulfilled future, returned again for each: awaiting it,
    its result and its callbacks are those of a new one; only ``is`` tells them apart.
    """
    assert is_non_negative_number(high_water_mark)
    stream = WritableStream.__new__(WritableStream)
    initialize_writable_stream(stream)
    controller = WritableStreamDefaultController.__new__(WritableStreamDefaultController)
    set_up_writable_stream_default_controller(
        stream,
        controller,
        start_algorithm,
        write_algorithm,
        close_algorithm,
        abort_algorithm,
        high_water_mark,
        _size_one if size_algorithm is None else size_algorithm,
        settle_sync_writes_at_once,
        write_now,
    )
    return stream


def initialize_writable_stream(stream: WritableStream) -> None:
    """[InitializeWritableStream] https://streams.spec.whatwg.org/#initialize-writable-stream"""
    stream._state = WRITABLE
    stream._stored_error = None
    stream._writer = None
    stream._in_flight_write_request = None
    stream._close_request = None
    stream._in_flight_close_request = None
    stream._pending_abort_request = None
    stream._write_requests = deque()
    stream._backpressure = False


def is_writable_stream_locked(stream: WritableStream) -> bool:
    """[IsWritableStreamLocked] https://streams.spec.whatwg.org/#is-writable-stream-locked"""
    return stream._writer is not None


def set_up_writable_stream_default_writer(
    writer: WritableStreamDefaultWriter, stream: WritableStream
) -> None:
    """[SetUpWritableStreamDefaultWriter] https://streams.spec.whatwg.org/#set-up-writable-stream-default-writer"""
    if is_writable_stream_locked(stream):
        raise TypeError(
            "this writable stream is locked to another writer: "
            "release that writer's lock before getting a new one"
        )
    writer._stream = stream
    stream._writer = writer
    state = stream._state
    if state == WRITABLE:
        if not writable_stream_close_queued_or_in_flight(stream) and stream._backpressure:
            writer._ready_promise = new_shared_promise()
        else:
            writer._ready_promise = promise_resolved_with(None)
        writer._closed_promise = new_shared_promise()
    elif state == ERRORING:
        writer._ready_promise = promise_rejected_with(stream._stored_error)
        mark_as_handled(writer._ready_promise)
        writer._closed_promise = new_shared_promise()
    elif state == CLOSED:
        writer._ready_promise = promise_resolved_with(None)
        writer._closed_promise = promise_resolved_with(None)
    else:
        assert state == ERRORED
        stored_error = stream._stored_error
        writer._ready_promise = promise_rejected_with(stored_error)
        mark_as_handled(writer._ready_promise)
        writer._closed_promise = promise_rejected_with(stored_error)
        mark_as_handled(writer._closed_promise)


def writable_stream_abort(stream: WritableStream, reason: object) -> asyncio.Future[None]:
    """[WritableStreamAbort] https://streams.spec.whatwg.org/#writable-stream-abort"""
    if stream._state == CLOSED or stream._state == ERRORED:
        return promise_resolved_with(None)
    # 2. Signal abort on the controller's AbortController with reason (None included).
    signal_abort(stream._controller._abort_controller.signal, reason)
    # 4. Re-check: signalling abort runs the sink's listeners, which may change the state.
    state = stream._state
    if state in (CLOSED, ERRORED):
        return promise_resolved_with(None)
    if stream._pending_abort_request is not None:
        return stream._pending_abort_request.promise
    assert state in (WRITABLE, ERRORING)
    was_already_erroring = False
    if state == ERRORING:
        was_already_erroring = True
        reason = None
    promise: asyncio.Future[None] = new_promise()
    stream._pending_abort_request = PendingAbortRequest(promise, reason, was_already_erroring)
    if not was_already_erroring:
        writable_stream_start_erroring(stream, reason)
    return promise


def writable_stream_close(stream: WritableStream) -> asyncio.Future[None]:
    """[WritableStreamClose] https://streams.spec.whatwg.org/#writable-stream-close"""
    state = stream._state
    if state in (CLOSED, ERRORED):
        return promise_rejected_with(
            TypeError(f"cannot close a writable stream that is {state.value}")
        )
    assert state in (WRITABLE, ERRORING)
    assert not writable_stream_close_queued_or_in_flight(stream)
    promise: asyncio.Future[None] = new_promise()
    stream._close_request = promise
    writer = stream._writer
    if writer is not None and stream._backpressure and state == WRITABLE:
        resolve_ready_promise(writer)
    writable_stream_default_controller_close(stream._controller)
    return promise


# -- Interfacing with controllers ------------------------------------------------------------


def writable_stream_add_write_request(stream: WritableStream) -> asyncio.Future[None]:
    """[WritableStreamAddWriteRequest] https://streams.spec.whatwg.org/#writable-stream-add-write-request"""
    assert is_writable_stream_locked(stream)
    assert stream._state == WRITABLE
    promise: asyncio.Future[None] = _Future(loop=stream._controller._loop)
    stream._write_requests.append(promise)
    return promise


def writable_stream_close_queued_or_in_flight(stream: WritableStream) -> bool:
    """[WritableStreamCloseQueuedOrInFlight] https://streams.spec.whatwg.org/#writable-stream-close-queued-or-in-flight"""
    return stream._close_request is not None or stream._in_flight_close_request is not None


def writable_stream_deal_with_rejection(stream: WritableStream, error: object) -> None:
    """[WritableStreamDealWithRejection] https://streams.spec.whatwg.org/#writable-stream-deal-with-rejection"""
    state = stream._state
    if state == WRITABLE:
        writable_stream_start_erroring(stream, error)
        return
    assert state == ERRORING
    writable_stream_finish_erroring(stream)


def writable_stream_finish_erroring(stream: WritableStream) -> None:
    """[WritableStreamFinishErroring] https://streams.spec.whatwg.org/#writable-stream-finish-erroring"""
    assert stream._state == ERRORING
    assert not writable_stream_has_operation_marked_in_flight(stream)
    stream._state = ERRORED
    stream._controller._error_steps()
    stored_error = stream._stored_error
    write_requests, stream._write_requests = stream._write_requests, deque()
    for write_request in write_requests:
        reject_promise(write_request, stored_error)
    abort_request = stream._pending_abort_request
    if abort_request is None:
        writable_stream_reject_close_and_closed_promise_if_needed(stream)
        return
    stream._pending_abort_request = None
    if abort_request.was_already_erroring:
        reject_promise(abort_request.promise, stored_error)
        writable_stream_reject_close_and_closed_promise_if_needed(stream)
        return
    promise = stream._controller._abort_steps(abort_request.reason)
    upon_promise(
        promise,
        lambda _: _abort_request_settled(stream, abort_request, None, False),
        lambda r: _abort_request_settled(stream, abort_request, r, True),
    )


def _abort_request_settled(
    stream: WritableStream, abort_request: PendingAbortRequest, reason: object, rejected: bool
) -> None:
    # WritableStreamFinishErroring, steps 13-14: settle the abort request's promise as the
    # sink's abort algorithm did, then reject the close request and writer.closed.
    if rejected:
        reject_promise(abort_request.promise, reason)
    else:
        resolve_promise(abort_request.promise, None)
    writable_stream_reject_close_and_closed_promise_if_needed(stream)


def writable_stream_finish_in_flight_close(stream: WritableStream) -> None:
    """[WritableStreamFinishInFlightClose] https://streams.spec.whatwg.org/#writable-stream-finish-in-flight-close"""
    assert stream._in_flight_close_request is not None
    resolve_promise(stream._in_flight_close_request, None)
    stream._in_flight_close_request = None
    state = stream._state
    assert state in (WRITABLE, ERRORING)
    if state == ERRORING:
        stream._stored_error = None
        if stream._pending_abort_request is not None:
            resolve_promise(stream._pending_abort_request.promise, None)
            stream._pending_abort_request = None
    stream._state = CLOSED
    writer = stream._writer
    if writer is not None:
        resolve_promise(writer._closed_promise, None)
    assert stream._pending_abort_request is None
    assert stream._stored_error is None


def writable_stream_finish_in_flight_close_with_error(
    stream: WritableStream, error: object
) -> None:
    """[WritableStreamFinishInFlightCloseWithError] https://streams.spec.whatwg.org/#writable-stream-finish-in-flight-close-with-error"""
    assert stream._in_flight_close_request is not None
    reject_promise(stream._in_flight_close_request, error)
    stream._in_flight_close_request = None
    assert stream._state == WRITABLE or stream._state == ERRORING
    if stream._pending_abort_request is not None:
        reject_promise(stream._pending_abort_request.promise, error)
        stream._pending_abort_request = None
    writable_stream_deal_with_rejection(stream, error)


def writable_stream_finish_in_flight_write(stream: WritableStream) -> None:
    """[WritableStreamFinishInFlightWrite] https://streams.spec.whatwg.org/#writable-stream-finish-in-flight-write"""
    request = stream._in_flight_write_request
    assert request is not None
    if not request.done():
        request.set_result(None)
    stream._in_flight_write_request = None


def writable_stream_finish_in_flight_write_with_error(
    stream: WritableStream, error: object
) -> None:
    """[WritableStreamFinishInFlightWriteWithError] https://streams.spec.whatwg.org/#writable-stream-finish-in-flight-write-with-error"""
    assert stream._in_flight_write_request is not None
    reject_promise(stream._in_flight_write_request, error)
    stream._in_flight_write_request = None
    assert stream._state == WRITABLE or stream._state == ERRORING
    writable_stream_deal_with_rejection(stream, error)


def writable_stream_has_operation_marked_in_flight(stream: WritableStream) -> bool:
    """[WritableStreamHasOperationMarkedInFlight] https://streams.spec.whatwg.org/#writable-stream-has-operation-marked-in-flight"""
    return (
        stream._in_flight_write_request is not None or stream._in_flight_close_request is not None
    )


def writable_stream_mark_close_request_in_flight(stream: WritableStream) -> None:
    """[WritableStreamMarkCloseRequestInFlight] https://streams.spec.whatwg.org/#writable-stream-mark-close-request-in-flight"""
    assert stream._in_flight_close_request is None
    assert stream._close_request is not None
    stream._in_flight_close_request = stream._close_request
    stream._close_request = None


def writable_stream_mark_first_write_request_in_flight(stream: WritableStream) -> None:
    """[WritableStreamMarkFirstWriteRequestInFlight] https://streams.spec.whatwg.org/#writable-stream-mark-first-write-request-in-flight"""
    assert stream._in_flight_write_request is None
    assert stream._write_requests
    stream._in_flight_write_request = stream._write_requests.popleft()


def writable_stream_reject_close_and_closed_promise_if_needed(stream: WritableStream) -> None:
    """[WritableStreamRejectCloseAndClosedPromiseIfNeeded] https://streams.spec.whatwg.org/#writable-stream-reject-close-and-closed-promise-if-needed"""
    assert stream._state == ERRORED
    if stream._close_request is not None:
        assert stream._in_flight_close_request is None
        reject_promise(stream._close_request, stream._stored_error)
        stream._close_request = None
    writer = stream._writer
    if writer is not None:
        reject_promise(writer._closed_promise, stream._stored_error)
        mark_as_handled(writer._closed_promise)


def writable_stream_start_erroring(stream: WritableStream, reason: object) -> None:
    """[WritableStreamStartErroring] https://streams.spec.whatwg.org/#writable-stream-start-erroring"""
    assert stream._stored_error is None
    assert stream._state == WRITABLE
    controller = stream._controller
    assert controller is not None
    stream._state = ERRORING
    stream._stored_error = reason
    writer = stream._writer
    if writer is not None:
        writable_stream_default_writer_ensure_ready_promise_rejected(writer, reason)
    if not writable_stream_has_operation_marked_in_flight(stream) and controller._started:
        writable_stream_finish_erroring(stream)


def writable_stream_update_backpressure(stream: WritableStream, backpressure: bool) -> None:
    """[WritableStreamUpdateBackpressure] https://streams.spec.whatwg.org/#writable-stream-update-backpressure"""
    assert stream._state == WRITABLE
    assert not writable_stream_close_queued_or_in_flight(stream)
    writer = stream._writer
    if writer is not None and backpressure != stream._backpressure:
        if backpressure:
            writer._ready_promise = PENDING_PROMISE  # a new promise, made when asked for
        else:
            resolve_ready_promise(writer)
    stream._backpressure = backpressure


# The writer and controller modules import this one; importing them last, once every name
# above exists, lets the three modules refer to each other's operations directly.
from .writable_controller import (  # noqa: E402
    WritableStreamDefaultController,
    set_up_writable_stream_default_controller,
    set_up_writable_stream_default_controller_from_underlying_sink,
    writable_stream_default_controller_close,
)
from .writer import (  # noqa: E402
    PENDING_PROMISE,
    WritableStreamDefaultWriter,
    resolve_ready_promise,
    writable_stream_default_writer_ensure_ready_promise_rejected,
)
