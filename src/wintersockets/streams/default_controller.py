"""``ReadableStreamDefaultController`` [rs-default-controller-class] and its abstract operations.

https://streams.spec.whatwg.org/#rs-default-controller-class

The operations follow the spec's section "Default controllers", in the spec's order.

Algorithms (start, pull, cancel) may return a future (the spec's promise), another
awaitable, or a plain value, which counts as a promise resolved with that value; this saves
a future per pull for sources whose ``pull`` is a plain function.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

from ._promises import (
    get_loop,
    promise_rejected_with,
    promise_resolved_with_result,
    reject_promise,
    resolve_promise,
    upon_promise,
)
from ._queue_with_sizes import check_chunk_size
from ._types import ReadResult
from ._types import tuple_new as _tuple_new

if TYPE_CHECKING:
    from ._underlying_source import UnderlyingSourceRecord
    from .default_reader import ReadRequest
    from .readable_stream import (
        CancelAlgorithm,
        PullAlgorithm,
        SizeAlgorithm,
        StartAlgorithm,
    )

__all__ = ["ReadableStreamDefaultController"]

T = TypeVar("T")


def react_to_algorithm(
    result: object,
    on_fulfilled: Callable[[Any], object],
    on_rejected: Callable[[object], object],
) -> None:
    """[React] to what an algorithm returned, as if it were a promise.

    A future or awaitable is reacted to; any other value counts as a promise fulfilled
    with it, and ``on_fulfilled`` runs in a later loop iteration, as a reaction would.
    """
    if result is None:
        get_loop().call_soon(on_fulfilled, None)
    elif isinstance(result, asyncio.Future) or inspect.isawaitable(result):
        upon_promise(promise_resolved_with_result(result), on_fulfilled, on_rejected)
    else:
        get_loop().call_soon(on_fulfilled, result)


def algorithm_promise(result: object) -> asyncio.Future[Any]:
    """The promise an algorithm's result stands for (see :func:`react_to_algorithm`)."""
    return promise_resolved_with_result(result)


def _invoke(callback: Callable[[Any], object], argument: object) -> object:
    # Web IDL "invoke" for a callback returning Promise<undefined> (pull, cancel): an
    # exception becomes a rejected promise, and a returned awaitable is adopted.
    try:
        result = callback(argument)
    except Exception as exc:
        return promise_rejected_with(exc)
    if result is None or not (isinstance(result, asyncio.Future) or inspect.isawaitable(result)):
        return result
    return _adopt(result)


def _adopt(result: object) -> asyncio.Future[Any]:
    # Web IDL converts a callback's return value to a promise type by resolving a new
    # promise with it, and a promise adopting another settles two microtasks after it (the
    # thenable job, then its reaction). Two loop turns play them, so a source's promise
    # settles no sooner, relative to other promises, than it would in JavaScript.
    loop = get_loop()
    promise: asyncio.Future[Any] = loop.create_future()
    upon_promise(
        promise_resolved_with_result(result),
        lambda value: loop.call_soon(resolve_promise, promise, value),
        lambda reason: loop.call_soon(reject_promise, promise, reason),
    )
    return promise


def _return_none(*_args: object) -> None:
    return None


@final
class ReadableStreamDefaultController(Generic[T]):
    """Controls a readable stream that is not a byte stream [ReadableStreamDefaultController].

    https://streams.spec.whatwg.org/#rs-default-controller-class

    The stream gives one to its underlying source's ``start`` and ``pull``; it cannot be
    constructed directly.

    Its [[queue]] holds each chunk as the ``ReadResult(chunk, False)`` a read of it
    resolves with, made when the chunk is queued, so that reading a queued chunk allocates
    nothing but its future. The chunks' sizes are in ``_queue_sizes``, in the same order,
    or, while every queued chunk has size 1 (always, without a size function),
    ``_queue_sizes`` is ``None`` and each counts 1.
    """

    __slots__ = (
        "_cancel_algorithm",
        "_close_requested",
        "_pull_again",
        "_pull_algorithm",
        "_pulling",
        "_queue",
        "_queue_sizes",
        "_queue_total_size",
        "_settles_sync_pulls_at_once",
        "_started",
        "_strategy_hwm",
        "_strategy_size_algorithm",
        "_stream",
        "_sync_pulls_when_piped",
    )

    _cancel_algorithm: CancelAlgorithm
    _close_requested: bool
    _pull_again: bool
    _pull_algorithm: PullAlgorithm
    _pulling: bool
    _queue: deque[ReadResult]
    _queue_sizes: deque[float] | None
    _queue_total_size: float
    # Not in the spec: see readable_stream_default_controller_call_pull_if_needed.
    _settles_sync_pulls_at_once: bool
    _sync_pulls_when_piped: bool
    _started: bool
    _strategy_hwm: float
    _strategy_size_algorithm: SizeAlgorithm
    _stream: ReadableStream[T]

    def __init__(self) -> None:
        raise TypeError(
            "ReadableStreamDefaultController cannot be constructed directly: "
            "a ReadableStream passes one to its underlying source"
        )

    @property
    def desired_size(self) -> float | None:
        """How much the queue lacks to reach the high-water mark [desiredSize].

        Negative when the queue is over it, 0 once closed, ``None`` once errored.
        """
        return readable_stream_default_controller_get_desired_size(self)

    def close(self) -> None:
        """Close the stream once the queued chunks have been read [close].

        Raises:
            TypeError: the stream is already closed, closing or errored.
        """
        if not readable_stream_default_controller_can_close_or_enqueue(self):
            raise TypeError(f"cannot close the stream: {self._cannot_close_or_enqueue_why()}")
        readable_stream_default_controller_close(self)

    def enqueue(self, chunk: T = None) -> None:  # type: ignore[assignment]
        """Queue ``chunk`` for reading, or hand it to a pending read [enqueue].

        Raises:
            TypeError: the stream is closed, closing or errored.
            Exception: whatever the strategy's ``size`` raised (the stream is then errored);
                ``ValueError`` if it returned a negative, NaN or infinite size.
        """
        if not readable_stream_default_controller_can_close_or_enqueue(self):
            raise TypeError(f"cannot enqueue: {self._cannot_close_or_enqueue_why()}")
        readable_stream_default_controller_enqueue(self, chunk)

    def error(self, e: object = None) -> None:
        """Error the stream: reads and later operations fail with ``e`` [error]."""
        readable_stream_default_controller_error(self, e)

    def _cannot_close_or_enqueue_why(self) -> str:
        state = self._stream._state
        if state == "errored":
            return "the stream is errored"
        if state == "closed":
            return "the stream is closed"
        return "close() was already called"

    # Internal methods [rs-default-controller-internal-methods]

    def _cancel_steps(self, reason: object) -> asyncio.Future[Any]:
        """[[CancelSteps]] https://streams.spec.whatwg.org/#rs-default-controller-private-cancel"""
        reset_queue(self)
        result = self._cancel_algorithm(reason)
        readable_stream_default_controller_clear_algorithms(self)
        return algorithm_promise(result)

    def _pull_steps(self, read_request: ReadRequest[T]) -> None:
        """[[PullSteps]] https://streams.spec.whatwg.org/#rs-default-controller-private-pull"""
        stream = self._stream
        if self._queue:
            chunk = self._pull_steps_from_queue()
            read_request.chunk_steps(chunk)
        else:
            readable_stream_add_read_request(stream, read_request)
            readable_stream_default_controller_call_pull_if_needed(self)

    def _pull_steps_from_queue(self) -> Any:
        """[[PullSteps]] steps 2.1-2.3, for a read served from the queue.

        Dequeues a chunk and returns it after closing the stream or pulling as the spec
        says; returns ``NO_CHUNK`` when the queue is empty.
        """
        queue = self._queue
        if not queue:
            return NO_CHUNK
        # DequeueValue, inlined.
        result = queue.popleft()
        total = self._queue_total_size - 1 if self._queue_sizes is None else dequeue_size(self)
        self._queue_total_size = total
        if self._close_requested and not queue:
            readable_stream_default_controller_clear_algorithms(self)
            readable_stream_close(self._stream)
        elif self._strategy_hwm - total > 0:
            # With a chunk queued there is no pending read request, so ShouldCallPull can
            # only be true when the desired size is positive: skip the call otherwise.
            readable_stream_default_controller_call_pull_if_needed(self)
        return result[0]

    def _release_steps(self) -> None:
        """[[ReleaseSteps]] https://streams.spec.whatwg.org/#abstract-opdef-readablestreamdefaultcontroller-releasesteps"""
        return

    def _on_pull_fulfilled(self, _value: object) -> None:
        self._pulling = False
        if self._pull_again:
            self._pull_again = False
            readable_stream_default_controller_call_pull_if_needed(self)

    def _on_pull_or_start_rejected(self, e: object) -> None:
        readable_stream_default_controller_error(self, e)

    def _on_start_fulfilled(self, _value: object) -> None:
        self._started = True
        assert not self._pulling
        assert not self._pull_again
        readable_stream_default_controller_call_pull_if_needed(self)


# Default controllers -------------------------------------------------------------------------


def readable_stream_default_controller_call_pull_if_needed(
    controller: ReadableStreamDefaultController[Any],
) -> None:
    """[ReadableStreamDefaultControllerCallPullIfNeeded] https://streams.spec.whatwg.org/#readable-stream-default-controller-call-pull-if-needed"""
    # Steps 1-2: ReadableStreamDefaultControllerShouldCallPull, inlined (it runs on every
    # read and enqueue); see that function for the spec's steps.
    stream = controller._stream
    while True:
        if controller._close_requested or stream._state is not READABLE or not controller._started:
            return
        reader = stream._reader
        if (reader is None or not reader._read_requests) and (  # type: ignore[union-attr]
            controller._strategy_hwm - controller._queue_total_size <= 0
        ):
            return
        if controller._pulling:
            controller._pull_again = True
            return
        assert not controller._pull_again
        controller._pulling = True
        pull_promise = controller._pull_algorithm()
        if pull_promise is not None:
            react_to_algorithm(
                pull_promise, controller._on_pull_fulfilled, controller._on_pull_or_start_rejected
            )
            return
        if not controller._settles_sync_pulls_at_once:
            # A promise resolved with undefined: its fulfillment steps run in a later turn,
            # as the reaction would (react_to_algorithm's first case, without the checks).
            get_loop().call_soon(controller._on_pull_fulfilled, None)
            return
        # Not in the spec: the fulfillment steps, now. Only ReadableStream.from_() over a
        # plain iterator asks for this (its pull is ours: it has taken the next value, and
        # enqueued it or closed the stream, when it returns), and only while a pipe, which
        # nobody else sees reading, is the reader (see pipe.py): the iterator's next() is
        # then called for each of the pipe's reads in turn, as the pipe reads, instead of a
        # loop turn later. Pulling again is this loop, so a long run does not recurse.
        controller._pulling = False
        if not controller._pull_again:
            return
        controller._pull_again = False


def readable_stream_default_controller_should_call_pull(
    controller: ReadableStreamDefaultController[Any],
) -> bool:
    """[ReadableStreamDefaultControllerShouldCallPull] https://streams.spec.whatwg.org/#readable-stream-default-controller-should-call-pull"""
    stream = controller._stream
    if not readable_stream_default_controller_can_close_or_enqueue(controller):
        return False
    if not controller._started:
        return False
    # IsReadableStreamLocked and ReadableStreamGetNumReadRequests inlined: this runs on every
    # read. A stream with a default controller can only have a default reader.
    reader = stream._reader
    if reader is not None and reader._read_requests:  # type: ignore[union-attr]
        return True
    desired_size = readable_stream_default_controller_get_desired_size(controller)
    assert desired_size is not None
    return desired_size > 0


def readable_stream_default_controller_clear_algorithms(
    controller: ReadableStreamDefaultController[Any],
) -> None:
    """[ReadableStreamDefaultControllerClearAlgorithms] https://streams.spec.whatwg.org/#readable-stream-default-controller-clear-algorithms"""
    # The spec sets them to undefined so they can be garbage-collected; these placeholders
    # do the same and are never called.
    controller._pull_algorithm = _return_none
    controller._cancel_algorithm = _return_none
    controller._strategy_size_algorithm = _size_zero


def _size_zero(_chunk: object) -> float:
    return 0


def readable_stream_default_controller_close(
    controller: ReadableStreamDefaultController[Any],
) -> None:
    """[ReadableStreamDefaultControllerClose] https://streams.spec.whatwg.org/#readable-stream-default-controller-close"""
    if not readable_stream_default_controller_can_close_or_enqueue(controller):
        return
    stream = controller._stream
    controller._close_requested = True
    if not controller._queue:
        readable_stream_default_controller_clear_algorithms(controller)
        readable_stream_close(stream)


def readable_stream_default_controller_enqueue(
    controller: ReadableStreamDefaultController[T], chunk: T
) -> None:
    """[ReadableStreamDefaultControllerEnqueue] https://streams.spec.whatwg.org/#readable-stream-default-controller-enqueue"""
    stream = controller._stream
    # ReadableStreamDefaultControllerCanCloseOrEnqueue, inlined.
    if controller._close_requested or stream._state is not READABLE:
        return
    reader = stream._reader
    # IsReadableStreamLocked and ReadableStreamGetNumReadRequests > 0, inlined (a stream
    # with a default controller can only have a default reader).
    requests = None if reader is None else reader._read_requests  # type: ignore[union-attr]
    if requests:
        first = requests[0]
        if isinstance(first, PromiseRequest) and first._promise.done():
            # Not in the spec: reads whose futures were cancelled by their callers get
            # nothing.
            drop_abandoned_requests(requests)
    if requests:
        # ReadableStreamFulfillReadRequest, inlined.
        requests.popleft().chunk_steps(chunk)
    else:
        try:
            chunk_size = controller._strategy_size_algorithm(chunk)
        except Exception as chunk_size_e:
            readable_stream_default_controller_error(controller, chunk_size_e)
            raise
        if type(chunk_size) is int and chunk_size == 1 and controller._queue_sizes is None:
            # EnqueueValueWithSize for the usual size (see the class docstring).
            controller._queue.append(_tuple_new(ReadResult, (chunk, False)))
            controller._queue_total_size += 1
        else:
            try:
                enqueue_value_with_size(controller, chunk, chunk_size)
            except Exception as enqueue_e:
                readable_stream_default_controller_error(controller, enqueue_e)
                raise
        state: ReadableStreamState = stream._state  # the size algorithm may change it
        if state is not READABLE:
            # A size algorithm that closed or errored the stream leaves the chunk in a queue
            # no read can reach; the spec's reads check the state first. Dropping it keeps
            # "a chunk is queued only while readable", which the read fast path relies on.
            reset_queue(controller)
    readable_stream_default_controller_call_pull_if_needed(controller)


def enqueue_value_with_size(
    controller: ReadableStreamDefaultController[Any], chunk: object, size: object
) -> None:
    """[EnqueueValueWithSize] https://streams.spec.whatwg.org/#enqueue-value-with-size

    For this controller's queue (see the class docstring).

    Raises:
        ValueError: ``size`` is not a finite non-negative number (the spec's RangeError).
    """
    check_chunk_size(size)
    assert isinstance(size, int | float)
    sizes = controller._queue_sizes
    if sizes is None and size != 1:
        sizes = controller._queue_sizes = deque(itertools.repeat(1, len(controller._queue)))
    if sizes is not None:
        sizes.append(size)
    controller._queue.append(_tuple_new(ReadResult, (chunk, False)))
    controller._queue_total_size += size


def dequeue_size(controller: ReadableStreamDefaultController[Any]) -> float:
    """DequeueValue's size part when ``_queue_sizes`` is kept: the queue's new total size.

    The caller has taken the chunk off ``_queue``.
    """
    sizes = controller._queue_sizes
    assert sizes is not None
    total = controller._queue_total_size - sizes.popleft()
    if total < 0:  # rounding errors
        total = 0
    if not sizes:
        controller._queue_sizes = None
    return total


def reset_queue(controller: ReadableStreamDefaultController[Any]) -> None:
    """[ResetQueue] https://streams.spec.whatwg.org/#reset-queue

    The deque is emptied in place: the default reader keeps it (see ReadableStreamDefaultReader).
    """
    controller._queue.clear()
    controller._queue_sizes = None
    controller._queue_total_size = 0


def readable_stream_default_controller_error(
    controller: ReadableStreamDefaultController[Any], e: object
) -> None:
    """[ReadableStreamDefaultControllerError] https://streams.spec.whatwg.org/#readable-stream-default-controller-error"""
    stream = controller._stream
    if stream._state != "readable":
        return
    reset_queue(controller)
    readable_stream_default_controller_clear_algorithms(controller)
    readable_stream_error(stream, e)


def readable_stream_default_controller_get_desired_size(
    controller: ReadableStreamDefaultController[Any],
) -> float | None:
    """[ReadableStreamDefaultControllerGetDesiredSize] https://streams.spec.whatwg.org/#readable-stream-default-controller-get-desired-size"""
    state = controller._stream._state
    if state == "errored":
        return None
    if state == "closed":
        return 0
    return controller._strategy_hwm - controller._queue_total_size


def readable_stream_default_controller_has_backpressure(
    controller: ReadableStreamDefaultController[Any],
) -> bool:
    """[ReadableStreamDefaultControllerHasBackpressure] https://streams.spec.whatwg.org/#rs-default-controller-has-backpressure"""
    return not readable_stream_default_controller_should_call_pull(controller)


def readable_stream_default_controller_can_close_or_enqueue(
    controller: ReadableStreamDefaultController[Any],
) -> bool:
    """[ReadableStreamDefaultControllerCanCloseOrEnqueue] https://streams.spec.whatwg.org/#readable-stream-default-controller-can-close-or-enqueue"""
    return not controller._close_requested and controller._stream._state == "readable"


def set_up_readable_stream_default_controller(
    stream: ReadableStream[T],
    controller: ReadableStreamDefaultController[T],
    start_algorithm: StartAlgorithm,
    pull_algorithm: PullAlgorithm,
    cancel_algorithm: CancelAlgorithm,
    high_water_mark: float,
    size_algorithm: SizeAlgorithm,
) -> None:
    """[SetUpReadableStreamDefaultController] https://streams.spec.whatwg.org/#set-up-readable-stream-default-controller

    Raises:
        Exception: whatever ``start_algorithm`` raised.
    """
    assert not hasattr(stream, "_controller")
    controller._stream = stream
    controller._queue = deque()
    controller._queue_sizes = None
    controller._queue_total_size = 0
    controller._started = False
    controller._close_requested = False
    controller._pull_again = False
    controller._pulling = False
    controller._settles_sync_pulls_at_once = False
    controller._sync_pulls_when_piped = False
    controller._strategy_size_algorithm = size_algorithm
    controller._strategy_hwm = high_water_mark
    controller._pull_algorithm = pull_algorithm
    controller._cancel_algorithm = cancel_algorithm
    stream._controller = controller
    start_result = start_algorithm()
    react_to_algorithm(
        start_result, controller._on_start_fulfilled, controller._on_pull_or_start_rejected
    )


def set_up_readable_stream_default_controller_from_underlying_source(
    stream: ReadableStream[T],
    underlying_source: UnderlyingSourceRecord,
    high_water_mark: float,
    size_algorithm: SizeAlgorithm,
) -> None:
    """[SetUpReadableStreamDefaultControllerFromUnderlyingSource] https://streams.spec.whatwg.org/#set-up-readable-stream-default-controller-from-underlying-source"""
    controller: ReadableStreamDefaultController[T] = ReadableStreamDefaultController.__new__(
        ReadableStreamDefaultController
    )
    start_algorithm, pull_algorithm, cancel_algorithm = source_algorithms(
        underlying_source, controller
    )
    set_up_readable_stream_default_controller(
        stream,
        controller,
        start_algorithm,
        pull_algorithm,
        cancel_algorithm,
        high_water_mark,
        size_algorithm,
    )


def source_algorithms(
    underlying_source: UnderlyingSourceRecord, controller: object
) -> tuple[StartAlgorithm, PullAlgorithm, CancelAlgorithm]:
    """The start, pull and cancel algorithms of the "...FromUnderlyingSource" steps 2-7."""
    start, pull, cancel = underlying_source.start, underlying_source.pull, underlying_source.cancel
    start_algorithm: StartAlgorithm = _return_none
    pull_algorithm: PullAlgorithm = _return_none
    cancel_algorithm: CancelAlgorithm = _return_none
    if start is not None:
        # Start is not invoked through a promise: if it raises, the constructor raises.
        start_algorithm = lambda: start(controller)
    if pull is not None:
        pull_algorithm = lambda: _invoke(pull, controller)
    if cancel is not None:
        cancel_algorithm = lambda reason: _invoke(cancel, reason)
    return start_algorithm, pull_algorithm, cancel_algorithm


# See readable_stream.py for why these imports come last.
from . import default_reader  # noqa: E402
from .default_reader import NO_CHUNK, PromiseRequest, drop_abandoned_requests  # noqa: E402
from .readable_stream import (  # noqa: E402
    READABLE,
    ReadableStream,
    ReadableStreamState,
    readable_stream_add_read_request,
    readable_stream_close,
    readable_stream_error,
)

# ReadableStreamDefaultReader.read()'s fast path serves queued chunks itself (see there).
default_reader._DefaultController = ReadableStreamDefaultController
default_reader._call_pull_if_needed = readable_stream_default_controller_call_pull_if_needed
default_reader._clear_algorithms = readable_stream_default_controller_clear_algorithms
default_reader._close_stream = readable_stream_close
default_reader._READABLE = READABLE
default_reader._dequeue_size = dequeue_size
