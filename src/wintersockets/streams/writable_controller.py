"""The writable stream default controller [ws-default-controller-class] and its operations.

https://streams.spec.whatwg.org/#ws-default-controller-class

The operations follow the spec's "Default controllers" section, in its order.

Fast path: a write algorithm that returns ``None`` (or any value that is not awaitable)
stands for "a promise resolved with undefined". Instead of creating that promise and
reacting to it, ``process_write`` schedules the fulfillment steps with ``call_soon``, which
is exactly when the reaction would have run; a write algorithm that raises schedules the
rejection steps the same way. A synchronous sink thus costs one future per write: the one
``writer.write()`` returns.

Faster path, for streams other layers create (``create_writable_stream``, as the socket's
``writable``): such a stream may ask for a write algorithm that returns ``None`` to settle
the write *at once*, in the same turn. ProcessWrite's "upon fulfillment of
sinkWritePromise" steps (FinishInFlightWrite, DequeueValue, UpdateBackpressure,
AdvanceQueueIfNeeded) then run before ``writer.write()`` returns, so an awaited write of a
sink that took the chunk synchronously costs no loop turn. What changes is only when those
steps run: the write's future is already resolved when ``write()`` returns, the desired
size is back up at once, and queued writes reach the sink one after another without a turn
in between. Streams built from a user's sink (the ``WritableStream`` constructor) and
transform streams keep the spec's timing, which their callbacks can observe, except when
a pipe writes to them: a pipe holds the writer, so only the sink could tell, and
``writable_stream_pipe_write`` settles its synchronous writes at once (see there).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import TYPE_CHECKING, Any, Final, final

from ._promises import (
    get_loop,
    promise_rejected_with,
    promise_resolved_with,
    promise_resolved_with_result,
    reason_of,
    reject_promise,
    resolve_promise,
    upon_promise,
)
from ._queue_with_sizes import dequeue_value, enqueue_value_with_size, reset_queue
from .abort_signal import AbortController, AbortSignal
from .queuing_strategy import _size_one

if TYPE_CHECKING:
    from collections import deque
    from collections.abc import Awaitable, Callable

    from ._underlying_sink import UnderlyingSinkRecord
    from .queuing_strategy import SizeAlgorithm

    # Not in the spec: see create_writable_stream.
    WriteNow = Callable[[Any], tuple[int, Awaitable[Any] | None] | None]

__all__ = ["WritableStreamDefaultController"]

# [close sentinel]: enqueued in lieu of a chunk to signal that the stream is closed.
CLOSE_SENTINEL: Final = object()


@final
class WritableStreamDefaultController:
    """Lets a sink error its stream and learn of an abort [WritableStreamDefaultController].

    https://streams.spec.whatwg.org/#ws-default-controller-class

    The stream creates it and passes it to the sink's ``start`` and ``write``; it cannot be
    constructed directly.
    """

    __slots__ = (
        "_abort_algorithm",
        "_abort_controller",
        "_close_algorithm",
        "_loop",
        "_pipe_waiter",
        "_queue",
        "_queue_total_size",
        "_settles_sync_writes_at_once",
        "_started",
        "_strategy_hwm",
        "_strategy_size_algorithm",
        "_stream",
        "_write_algorithm",
        "_write_now",
        "_written_at_once",
    )

    _abort_algorithm: Callable[[object], object] | None
    _abort_controller: AbortController
    _close_algorithm: Callable[[], object] | None
    _loop: asyncio.AbstractEventLoop
    # Not in the spec: a pipe waiting for the desired size to grow (see pipe.py), told
    # once the oldest write has completed and the queue has moved on.
    _pipe_waiter: Callable[[], None] | None
    # Not in the spec: see the module docstring's "faster path".
    _settles_sync_writes_at_once: bool
    # Not in the spec: see create_writable_stream's write_now.
    _write_now: WriteNow | None
    # The fulfilled promise every write taken by write_now at once returns (made on first
    # use): creating and settling a future per write costs as much as the rest of it.
    _written_at_once: asyncio.Future[None] | None
    _queue: deque[tuple[Any, float]]
    _queue_total_size: float
    _started: bool
    _strategy_hwm: float
    _strategy_size_algorithm: SizeAlgorithm | None
    _stream: WritableStream
    _write_algorithm: Callable[[Any], object] | None

    def __init__(self) -> None:
        raise TypeError(
            "WritableStreamDefaultController cannot be constructed: "
            "a WritableStream creates one and passes it to its underlying sink"
        )

    @property
    def signal(self) -> AbortSignal:
        """Aborted when the stream is aborted, to stop a pending write or close [signal]."""
        return self._abort_controller.signal

    def error(self, e: object = None) -> None:
        """Error the stream with ``e``, unless it is no longer writable [error()]."""
        if self._stream._state != WRITABLE:
            return
        writable_stream_default_controller_error(self, e)

    def _abort_steps(self, reason: object) -> asyncio.Future[None]:
        """[[AbortSteps]] https://streams.spec.whatwg.org/#ws-default-controller-private-abort"""
        algorithm = self._abort_algorithm
        result: asyncio.Future[None] = (
            promise_resolved_with(None)
            if algorithm is None
            else invoke_promise_callback(algorithm, reason)
        )
        writable_stream_default_controller_clear_algorithms(self)
        return result

    def _error_steps(self) -> None:
        """[[ErrorSteps]] https://streams.spec.whatwg.org/#ws-default-controller-private-error"""
        reset_queue(self)

    def _sink_write_settled(self, promise: asyncio.Future[Any]) -> None:
        # The reaction to an asynchronous sinkWritePromise (ProcessWrite, steps 4-5).
        if promise.cancelled():
            _process_write_rejected(self, asyncio.CancelledError())
            return
        exc = promise.exception()
        if exc is None:
            _process_write_fulfilled(self)
        else:
            _process_write_rejected(self, reason_of(exc))

    def __repr__(self) -> str:
        desired_size = self._strategy_hwm - self._queue_total_size
        return f"<WritableStreamDefaultController desired_size={desired_size!r}>"


# -- Default controllers ---------------------------------------------------------------------


def set_up_writable_stream_default_controller(
    stream: WritableStream,
    controller: WritableStreamDefaultController,
    start_algorithm: Callable[[], object],
    write_algorithm: Callable[[Any], object],
    close_algorithm: Callable[[], object],
    abort_algorithm: Callable[[object], object],
    high_water_mark: float,
    size_algorithm: SizeAlgorithm,
    settle_sync_writes_at_once: bool = False,
    write_now: WriteNow | None = None,
) -> None:
    """[SetUpWritableStreamDefaultController] https://streams.spec.whatwg.org/#set-up-writable-stream-default-controller

    ``settle_sync_writes_at_once`` and ``write_now`` are not in the spec: see the module
    docstring and ``create_writable_stream``.

    Raises:
        Exception: whatever ``start_algorithm`` raises.
    """
    assert isinstance(stream, WritableStream)
    controller._loop = get_loop()
    controller._pipe_waiter = None
    controller._settles_sync_writes_at_once = settle_sync_writes_at_once
    controller._write_now = write_now
    controller._written_at_once = None
    controller._stream = stream
    stream._controller = controller
    reset_queue(controller)
    # A float, so the total follows the spec's double arithmetic (rounding included) even
    # when every size is an int.
    controller._queue_total_size = 0.0
    controller._abort_controller = AbortController()
    controller._started = False
    controller._strategy_size_algorithm = size_algorithm
    controller._strategy_hwm = high_water_mark
    controller._write_algorithm = write_algorithm
    controller._close_algorithm = close_algorithm
    controller._abort_algorithm = abort_algorithm
    backpressure = writable_stream_default_controller_get_backpressure(controller)
    writable_stream_update_backpressure(stream, backpressure)
    start_result = start_algorithm()
    start_promise = promise_resolved_with_value(start_result)

    def on_start_fulfilled(_: object) -> None:
        assert stream._state == WRITABLE or stream._state == ERRORING
        controller._started = True
        writable_stream_default_controller_advance_queue_if_needed(controller)

    def on_start_rejected(r: object) -> None:
        assert stream._state == WRITABLE or stream._state == ERRORING
        controller._started = True
        writable_stream_deal_with_rejection(stream, r)

    upon_promise(start_promise, on_start_fulfilled, on_start_rejected)


def set_up_writable_stream_default_controller_from_underlying_sink(
    stream: WritableStream,
    underlying_sink: UnderlyingSinkRecord,
    high_water_mark: float,
    size_algorithm: SizeAlgorithm,
) -> None:
    """[SetUpWritableStreamDefaultControllerFromUnderlyingSink] https://streams.spec.whatwg.org/#set-up-writable-stream-default-controller-from-underlying-sink"""
    controller = WritableStreamDefaultController.__new__(WritableStreamDefaultController)
    start = underlying_sink.start
    write = underlying_sink.write
    start_algorithm: Callable[[], object] = _return_none
    write_algorithm: Callable[[Any], object] = _return_none
    if start is not None:
        start_algorithm = lambda: start(controller)
    if write is not None:
        write_algorithm = lambda chunk: write(chunk, controller)
    set_up_writable_stream_default_controller(
        stream,
        controller,
        start_algorithm,
        write_algorithm,
        underlying_sink.close or _return_none,
        underlying_sink.abort or _return_none,
        high_water_mark,
        size_algorithm,
    )


def _return_none(*_args: object) -> None:
    # The default algorithms: "return a promise resolved with undefined".
    return None


def writable_stream_default_controller_advance_queue_if_needed(
    controller: WritableStreamDefaultController,
) -> None:
    """[WritableStreamDefaultControllerAdvanceQueueIfNeeded] https://streams.spec.whatwg.org/#writable-stream-default-controller-advance-queue-if-needed"""
    stream = controller._stream
    if not controller._started:
        return
    if stream._in_flight_write_request is not None:
        return
    state = stream._state
    assert state is not CLOSED
    assert state is not ERRORED
    if state is ERRORING:
        writable_stream_finish_erroring(stream)
        return
    queue = controller._queue
    if not queue:
        return
    value = queue[0][0]
    if value is CLOSE_SENTINEL:
        writable_stream_default_controller_process_close(controller)
    else:
        writable_stream_default_controller_process_write(controller, value)


def writable_stream_default_controller_clear_algorithms(
    controller: WritableStreamDefaultController,
) -> None:
    """[WritableStreamDefaultControllerClearAlgorithms] https://streams.spec.whatwg.org/#writable-stream-default-controller-clear-algorithms"""
    controller._write_algorithm = None
    controller._close_algorithm = None
    controller._abort_algorithm = None
    controller._strategy_size_algorithm = None


def writable_stream_default_controller_close(controller: WritableStreamDefaultController) -> None:
    """[WritableStreamDefaultControllerClose] https://streams.spec.whatwg.org/#writable-stream-default-controller-close"""
    enqueue_value_with_size(controller, CLOSE_SENTINEL, 0)
    writable_stream_default_controller_advance_queue_if_needed(controller)


def writable_stream_default_controller_error(
    controller: WritableStreamDefaultController, error: object
) -> None:
    """[WritableStreamDefaultControllerError] https://streams.spec.whatwg.org/#writable-stream-default-controller-error"""
    stream = controller._stream
    assert stream._state == WRITABLE
    writable_stream_default_controller_clear_algorithms(controller)
    writable_stream_start_erroring(stream, error)


def writable_stream_default_controller_error_if_needed(
    controller: WritableStreamDefaultController, error: object
) -> None:
    """[WritableStreamDefaultControllerErrorIfNeeded] https://streams.spec.whatwg.org/#writable-stream-default-controller-error-if-needed"""
    if controller._stream._state == WRITABLE:
        writable_stream_default_controller_error(controller, error)


def writable_stream_default_controller_get_backpressure(
    controller: WritableStreamDefaultController,
) -> bool:
    """[WritableStreamDefaultControllerGetBackpressure] https://streams.spec.whatwg.org/#writable-stream-default-controller-get-backpressure"""
    return controller._strategy_hwm - controller._queue_total_size <= 0


def writable_stream_default_controller_get_chunk_size(
    controller: WritableStreamDefaultController, chunk: object
) -> Any:
    """[WritableStreamDefaultControllerGetChunkSize] https://streams.spec.whatwg.org/#writable-stream-default-controller-get-chunk-size"""
    size_algorithm = controller._strategy_size_algorithm
    if size_algorithm is None:
        # The spec asserts the stream is not "writable" here, but a close in flight clears
        # the algorithms while the stream is still writable (whatwg/streams#1218); the
        # caller's closing check then rejects the write with a TypeError.
        return 1
    try:
        return size_algorithm(chunk)
    except Exception as exc:  # an abrupt completion errors the stream
        writable_stream_default_controller_error_if_needed(controller, exc)
        return 1


def writable_stream_default_controller_get_desired_size(
    controller: WritableStreamDefaultController,
) -> float:
    """[WritableStreamDefaultControllerGetDesiredSize] https://streams.spec.whatwg.org/#writable-stream-default-controller-get-desired-size"""
    return controller._strategy_hwm - controller._queue_total_size


def writable_stream_default_controller_process_close(
    controller: WritableStreamDefaultController,
) -> None:
    """[WritableStreamDefaultControllerProcessClose] https://streams.spec.whatwg.org/#writable-stream-default-controller-process-close"""
    stream = controller._stream
    writable_stream_mark_close_request_in_flight(stream)
    dequeue_value(controller)
    assert not controller._queue
    algorithm = controller._close_algorithm
    assert algorithm is not None
    sink_close_promise = invoke_promise_callback(algorithm)
    writable_stream_default_controller_clear_algorithms(controller)
    upon_promise(
        sink_close_promise,
        lambda _: writable_stream_finish_in_flight_close(stream),
        lambda reason: writable_stream_finish_in_flight_close_with_error(stream, reason),
    )


def writable_stream_default_controller_process_write(
    controller: WritableStreamDefaultController, chunk: object
) -> None:
    """[WritableStreamDefaultControllerProcessWrite] https://streams.spec.whatwg.org/#writable-stream-default-controller-process-write

    See the module docstring for the synchronous fast path.
    """
    stream = controller._stream
    while True:
        # WritableStreamMarkFirstWriteRequestInFlight, inlined.
        assert stream._in_flight_write_request is None
        stream._in_flight_write_request = stream._write_requests.popleft()
        algorithm = controller._write_algorithm
        assert algorithm is not None
        try:
            result = algorithm(chunk)
        except Exception as exc:
            controller._loop.call_soon(_process_write_rejected, controller, exc)
            return
        if result is not None or not controller._settles_sync_writes_at_once:
            break
        # The faster path (see the module docstring): the fulfillment steps, now. Their
        # last step, AdvanceQueueIfNeeded, is this loop when it would process the next
        # write, so a long queue does not recurse.
        _finish_write(controller, stream)
        queue = controller._queue
        if (
            stream._state is not WRITABLE
            or not queue
            or queue[0][0] is CLOSE_SENTINEL
            or stream._in_flight_write_request is not None
        ):
            if queue or stream._state is not WRITABLE:
                # AdvanceQueueIfNeeded has more to do than find the queue empty.
                writable_stream_default_controller_advance_queue_if_needed(controller)
            if controller._pipe_waiter is not None:
                _wake_pipe(controller)
            return
        chunk = queue[0][0]
    if result is None:
        controller._loop.call_soon(_process_write_fulfilled, controller)
    elif isinstance(result, asyncio.Future):
        result.add_done_callback(controller._sink_write_settled)
    elif inspect.isawaitable(result):
        asyncio.ensure_future(result).add_done_callback(controller._sink_write_settled)
    else:
        controller._loop.call_soon(_process_write_fulfilled, controller)


def writable_stream_is_idle(stream: WritableStream) -> bool:
    """Not in the spec: whether a write now would go straight to the sink.

    The stream is writable and started, with nothing queued, in flight or closing.
    """
    controller = stream._controller
    return (
        stream._state is WRITABLE
        and stream._in_flight_write_request is None
        and not controller._queue
        and controller._started
        and stream._close_request is None
        and stream._in_flight_close_request is None
    )


def writable_stream_pipe_write(
    stream: WritableStream, chunk: object, settled: asyncio.Future[None]
) -> asyncio.Future[None] | None:
    """Not in the spec: WritableStreamDefaultWriterWrite for ``pipe_to``, settled at once.

    A pipe holds the destination's writer, so nobody else sees the write's promise, the
    writer's ready promise or its desired size. When the stream is writable and started,
    with nothing queued or in flight, and counts each chunk as 1 with a built-in size
    function (no user code to call), the chunk goes straight to the sink. If the sink's
    write returns ``None`` and leaves the stream writable, ProcessWrite's fulfillment steps
    run at once, as in the module docstring's faster path, and ``settled`` (a resolved
    future the pipe keeps) stands for the write's promise: no future is made. The sink sees
    the same calls in the same order, one write at a time and never re-entrantly; only
    other loop callbacks no longer run between its writes (in JavaScript no task runs
    between a pipe's microtasks either). Callers must bound how many chunks they write in
    a row without yielding to the loop.

    Otherwise (the sink raised, returned an awaitable or a value, or errored the stream)
    the write goes on as the spec's, with a new future as its promise, which is returned.

    Returns:
        ``settled`` if the write completed; the write's promise if it goes on; ``None``,
        having done nothing, when the preconditions do not hold (then write as usual).
    """
    controller = stream._controller
    if controller._strategy_size_algorithm is not _size_one or not writable_stream_is_idle(stream):
        return None
    algorithm = controller._write_algorithm
    assert algorithm is not None
    # WritableStreamDefaultControllerWrite for a chunk of size 1: EnqueueValueWithSize,
    # then AdvanceQueueIfNeeded and ProcessWrite: MarkFirstWriteRequestInFlight (with
    # ``settled`` standing in for the request) and the sink's write. UpdateBackpressure is
    # deferred: if the write settles at once the queue is empty again, so backpressure ends
    # as it began; otherwise _pipe_write_goes_on applies it.
    controller._queue.append((chunk, 1))
    controller._queue_total_size += 1
    stream._in_flight_write_request = settled
    try:
        result = algorithm(chunk)
    except Exception as exc:
        request = _pipe_write_goes_on(controller, stream)
        controller._loop.call_soon(_process_write_rejected, controller, exc)
        return request
    if result is None and stream._state is WRITABLE:
        # ProcessWrite's fulfillment steps, now: FinishInFlightWrite (``settled`` is
        # resolved already) and DequeueValue. The stream is still writable with nothing
        # closing (a close needs the writer the pipe holds), and the queue is empty again
        # (only the pipe writes, and it is in this call), so UpdateBackpressure and
        # AdvanceQueueIfNeeded have nothing to do.
        stream._in_flight_write_request = None
        controller._queue.popleft()
        total = controller._queue_total_size - 1
        controller._queue_total_size = total if total >= 0 else 0.0  # rounding errors
        return settled
    request = _pipe_write_goes_on(controller, stream)
    if isinstance(result, asyncio.Future):
        result.add_done_callback(controller._sink_write_settled)
    elif result is not None and inspect.isawaitable(result):
        asyncio.ensure_future(result).add_done_callback(controller._sink_write_settled)
    else:
        controller._loop.call_soon(_process_write_fulfilled, controller)
    return request


def _pipe_write_goes_on(
    controller: WritableStreamDefaultController, stream: WritableStream
) -> asyncio.Future[None]:
    # A pipe's write that did not settle at once: the write's promise is a real future from
    # now on, and the backpressure update writable_stream_pipe_write deferred happens now.
    request: asyncio.Future[None] = asyncio.Future(loop=controller._loop)
    stream._in_flight_write_request = request
    if (
        stream._state is WRITABLE
        and stream._close_request is None
        and stream._in_flight_close_request is None
    ):
        backpressure = controller._strategy_hwm - controller._queue_total_size <= 0
        if backpressure is not stream._backpressure:
            writable_stream_update_backpressure(stream, backpressure)
    return request


def _process_write_fulfilled(controller: WritableStreamDefaultController) -> None:
    # ProcessWrite, step 4: upon fulfillment of sinkWritePromise.
    _finish_write(controller, controller._stream)
    writable_stream_default_controller_advance_queue_if_needed(controller)
    if controller._pipe_waiter is not None:
        _wake_pipe(controller)


def _wake_pipe(controller: WritableStreamDefaultController) -> None:
    # Not in the spec: tell a pipe waiting for the desired size to grow (see pipe.py).
    waiter = controller._pipe_waiter
    if waiter is not None:
        controller._pipe_waiter = None
        waiter()


def _finish_write(controller: WritableStreamDefaultController, stream: WritableStream) -> None:
    # ProcessWrite, steps 4.1-4.5 (all but AdvanceQueueIfNeeded), with
    # WritableStreamFinishInFlightWrite and DequeueValue inlined.
    request = stream._in_flight_write_request
    assert request is not None
    if not request.done():
        request.set_result(None)
    stream._in_flight_write_request = None
    state = stream._state
    assert state is WRITABLE or state is ERRORING
    size = controller._queue.popleft()[1]
    total = controller._queue_total_size - size
    controller._queue_total_size = total if total >= 0 else 0.0  # rounding errors
    if (
        state is WRITABLE
        and stream._close_request is None
        and stream._in_flight_close_request is None
    ):
        backpressure = controller._strategy_hwm - total <= 0
        if backpressure is not stream._backpressure:
            writable_stream_update_backpressure(stream, backpressure)


def _process_write_rejected(controller: WritableStreamDefaultController, reason: object) -> None:
    # ProcessWrite, step 5: upon rejection of sinkWritePromise with reason.
    stream = controller._stream
    if stream._state == WRITABLE:
        writable_stream_default_controller_clear_algorithms(controller)
    writable_stream_finish_in_flight_write_with_error(stream, reason)


def writable_stream_default_controller_write(
    controller: WritableStreamDefaultController, chunk: object, chunk_size: Any
) -> None:
    """[WritableStreamDefaultControllerWrite] https://streams.spec.whatwg.org/#writable-stream-default-controller-write"""
    # EnqueueValueWithSize, inlined for the common integer size; anything else goes through
    # the full check, whose RangeError is an abrupt completion that errors the stream.
    if type(chunk_size) is int and chunk_size >= 0:
        controller._queue.append((chunk, chunk_size))
        controller._queue_total_size += chunk_size
    else:
        try:
            enqueue_value_with_size(controller, chunk, chunk_size)
        except ValueError as exc:
            writable_stream_default_controller_error_if_needed(controller, exc)
            return
    stream = controller._stream
    if (
        stream._state is WRITABLE
        and stream._close_request is None
        and stream._in_flight_close_request is None
    ):
        backpressure = controller._strategy_hwm - controller._queue_total_size <= 0
        # WritableStreamUpdateBackpressure does nothing but store an unchanged value.
        if backpressure is not stream._backpressure:
            writable_stream_update_backpressure(stream, backpressure)
        if controller._started and stream._in_flight_write_request is None:
            # AdvanceQueueIfNeeded, inlined for a writable stream with no write in flight:
            # process the write at the head of the queue (this one, or one queued before
            # start finished), unless a close is queued there.
            value = controller._queue[0][0]
            if value is not CLOSE_SENTINEL:
                writable_stream_default_controller_process_write(controller, value)
                return
    writable_stream_default_controller_advance_queue_if_needed(controller)


# -- Web IDL promises -------------------------------------------------------------------------


def adopt(promise: asyncio.Future[Any]) -> asyncio.Future[Any]:
    """A new promise that adopts ``promise``, as JavaScript resolves a promise with a thenable.

    Web IDL's [a promise resolved with] a value makes a new promise and resolves it with the
    value; when the value is itself a promise, NewPromiseResolveThenableJob subscribes to it
    on the next turn and settles the new promise the turn after it settles. Reactions queued
    in between run first, and WPT checks some of those races (an abort or a cancel while a
    stream starts, a transformer's cancel erroring the stream), so this keeps both turns.
    """
    loop = get_loop()
    adopted: asyncio.Future[Any] = loop.create_future()

    def settle(source: asyncio.Future[Any]) -> None:
        if source.cancelled():
            reject_promise(adopted, asyncio.CancelledError())
            return
        exc = source.exception()
        if exc is None:
            resolve_promise(adopted, source.result())
        else:
            reject_promise(adopted, reason_of(exc))

    loop.call_soon(promise.add_done_callback, settle)
    return adopted


def promise_resolved_with_value(value: object) -> asyncio.Future[Any]:
    """Web IDL's [a promise resolved with] ``value``; an awaitable is adopted (:func:`adopt`)."""
    if isinstance(value, asyncio.Future) or inspect.isawaitable(value):
        return adopt(promise_resolved_with_result(value))
    return promise_resolved_with(value)


def invoke_promise_callback(callback: Callable[..., object], *args: object) -> asyncio.Future[Any]:
    """Web IDL's [invoke] of a callback returning ``Promise<undefined>``, as a future.

    Raising gives a rejected promise; a plain value a fulfilled one; an awaitable (a
    coroutine runs as a task) is adopted. Per-chunk algorithms (write, transform) skip the
    adoption's two turns; see the module docstring.
    """
    try:
        result = callback(*args)
    except Exception as exc:
        return promise_rejected_with(exc)
    return promise_resolved_with_value(result)


from .writable_stream import (  # noqa: E402  (see the end of writable_stream.py)
    CLOSED,
    ERRORED,
    ERRORING,
    WRITABLE,
    WritableStream,
    writable_stream_deal_with_rejection,
    writable_stream_finish_erroring,
    writable_stream_finish_in_flight_close,
    writable_stream_finish_in_flight_close_with_error,
    writable_stream_finish_in_flight_write_with_error,
    writable_stream_mark_close_request_in_flight,
    writable_stream_start_erroring,
    writable_stream_update_backpressure,
)
