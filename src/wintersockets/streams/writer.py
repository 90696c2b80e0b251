"""The writable stream default writer [default-writer-class] and its operations.

https://streams.spec.whatwg.org/#default-writer-class

The operations follow the spec's "Writers" section, in its order.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, final

from ._promises import (
    mark_as_handled,
    new_shared_promise,
    promise_rejected_with,
    promise_resolved_with,
    reject_promise,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from .writable_controller import WritableStreamDefaultController

__all__ = ["WritableStreamDefaultWriter"]

# Futures are made on the controller's loop directly: loop.create_future() costs a frame.
_Future = asyncio.Future


class LazyPromise(Enum):
    """A [[readyPromise]] nobody has asked for yet; the future is made on first access.

    Under a steady stream of writes, backpressure turns on and off with every chunk, and
    each turn makes a new ready promise that nobody looks at. Standing in for those with
    these two markers saves a future per write without changing what anyone can observe:
    the getter makes a future in the marked state when asked.
    """

    PENDING = "pending"
    FULFILLED = "fulfilled"


PENDING_PROMISE: Final = LazyPromise.PENDING
FULFILLED_PROMISE: Final = LazyPromise.FULFILLED


def ready_promise(writer: WritableStreamDefaultWriter) -> asyncio.Future[None]:
    """The writer's [[readyPromise]] as a future, made now if it was only marked."""
    ready = writer._ready_promise
    if ready is PENDING_PROMISE:
        ready = writer._ready_promise = new_shared_promise()
    elif ready is FULFILLED_PROMISE:
        ready = writer._ready_promise = promise_resolved_with(None)
    return ready


def resolve_ready_promise(writer: WritableStreamDefaultWriter) -> None:
    """[Resolve] the writer's [[readyPromise]] with undefined."""
    ready = writer._ready_promise
    if ready is PENDING_PROMISE:
        writer._ready_promise = FULFILLED_PROMISE
    elif ready is not FULFILLED_PROMISE and not ready.done():
        ready.set_result(None)


def _released_error(operation: str) -> TypeError:
    return TypeError(
        f"cannot {operation}: this writer's lock was released; "
        "get a new writer from the stream with get_writer()"
    )


@final
class WritableStreamDefaultWriter:
    """Writes to a writable stream it holds locked [WritableStreamDefaultWriter].

    https://streams.spec.whatwg.org/#default-writer-class

    Equivalent to ``stream.get_writer()``.

    Raises:
        TypeError: ``stream`` is not a ``WritableStream`` or is already locked.
    """

    __slots__ = ("_closed_promise", "_ready_promise", "_stream")

    _closed_promise: asyncio.Future[None]
    _ready_promise: asyncio.Future[None] | LazyPromise
    _stream: WritableStream | None

    def __init__(self, stream: WritableStream) -> None:
        if not isinstance(stream, WritableStream):
            raise TypeError(
                f"WritableStreamDefaultWriter needs a WritableStream, got {type(stream).__name__}"
            )
        set_up_writable_stream_default_writer(self, stream)

    @property
    def closed(self) -> asyncio.Future[None]:
        """Resolves when the stream closes; fails if it errors or the lock is released [closed]."""
        return self._closed_promise

    @property
    def desired_size(self) -> float | None:
        """How much the stream's queue wants [desiredSize].

        ``None`` if the stream is errored or erroring, 0 once it is closed; negative when
        the queue is over-full.

        Raises:
            TypeError: the writer's lock was released.
        """
        if self._stream is None:
            raise _released_error("get desired_size")
        return writable_stream_default_writer_get_desired_size(self)

    @property
    def ready(self) -> asyncio.Future[None]:
        """Resolves when the stream stops applying backpressure [ready].

        A new pending future replaces it each time the desired size drops to zero or below.
        """
        return ready_promise(self)

    def abort(self, reason: object = None) -> asyncio.Future[None]:
        """Abort the stream, as ``stream.abort(reason)`` would [abort()]."""
        if self._stream is None:
            return promise_rejected_with(_released_error("abort"))
        return writable_stream_default_writer_abort(self, reason)

    def close(self) -> asyncio.Future[None]:
        """Close the stream once queued writes are done [close()].

        The returned future fails with ``TypeError`` if the lock was released or the
        stream is already closing or closed.
        """
        stream = self._stream
        if stream is None:
            return promise_rejected_with(_released_error("close"))
        if writable_stream_close_queued_or_in_flight(stream):
            return promise_rejected_with(
                TypeError("cannot close a writable stream that is already closing or closed")
            )
        return writable_stream_default_writer_close(self)

    def release_lock(self) -> None:
        """Release the stream's lock; ``closed`` and ``ready`` then fail [releaseLock()].

        Writes already made still complete. A no-op if the lock was already released.
        """
        stream = self._stream
        if stream is None:
            return
        assert stream._writer is not None
        writable_stream_default_writer_release(self)

    def write(self, chunk: Any = None) -> asyncio.Future[None]:
        """Queue ``chunk`` for the underlying sink [write()].

        The returned future resolves once the sink has written the chunk, and fails if the
        write fails or the stream errors first. Await :attr:`ready` before writing to
        respect backpressure.
        """
        if self._stream is None:
            return promise_rejected_with(_released_error("write"))
        return writable_stream_default_writer_write(self, chunk)

    def __repr__(self) -> str:
        return f"<WritableStreamDefaultWriter stream={self._stream!r}>"


# -- Writers ---------------------------------------------------------------------------------


def writable_stream_default_writer_abort(
    writer: WritableStreamDefaultWriter, reason: object
) -> asyncio.Future[None]:
    """[WritableStreamDefaultWriterAbort] https://streams.spec.whatwg.org/#writable-stream-default-writer-abort"""
    stream = writer._stream
    assert stream is not None
    return writable_stream_abort(stream, reason)


def writable_stream_default_writer_close(
    writer: WritableStreamDefaultWriter,
) -> asyncio.Future[None]:
    """[WritableStreamDefaultWriterClose] https://streams.spec.whatwg.org/#writable-stream-default-writer-close"""
    stream = writer._stream
    assert stream is not None
    return writable_stream_close(stream)


def writable_stream_default_writer_close_with_error_propagation(
    writer: WritableStreamDefaultWriter,
) -> asyncio.Future[None]:
    """[WritableStreamDefaultWriterCloseWithErrorPropagation] https://streams.spec.whatwg.org/#writable-stream-default-writer-close-with-error-propagation"""
    stream = writer._stream
    assert stream is not None
    state = stream._state
    if writable_stream_close_queued_or_in_flight(stream) or state == CLOSED:
        return promise_resolved_with(None)
    if state == ERRORED:
        return promise_rejected_with(stream._stored_error)
    assert state in (WRITABLE, ERRORING)
    return writable_stream_default_writer_close(writer)


def writable_stream_default_writer_ensure_closed_promise_rejected(
    writer: WritableStreamDefaultWriter, error: object
) -> None:
    """[WritableStreamDefaultWriterEnsureClosedPromiseRejected] https://streams.spec.whatwg.org/#writable-stream-default-writer-ensure-closed-promise-rejected"""
    if not writer._closed_promise.done():
        reject_promise(writer._closed_promise, error)
    else:
        writer._closed_promise = promise_rejected_with(error)
    mark_as_handled(writer._closed_promise)


def writable_stream_default_writer_ensure_ready_promise_rejected(
    writer: WritableStreamDefaultWriter, error: object
) -> None:
    """[WritableStreamDefaultWriterEnsureReadyPromiseRejected] https://streams.spec.whatwg.org/#writable-stream-default-writer-ensure-ready-promise-rejected"""
    ready = writer._ready_promise
    if ready is PENDING_PROMISE:
        ready = writer._ready_promise = promise_rejected_with(error)
    elif ready is not FULFILLED_PROMISE and not ready.done():
        reject_promise(ready, error)
    else:
        ready = writer._ready_promise = promise_rejected_with(error)
    mark_as_handled(ready)


def writable_stream_default_writer_get_desired_size(
    writer: WritableStreamDefaultWriter,
) -> float | None:
    """[WritableStreamDefaultWriterGetDesiredSize] https://streams.spec.whatwg.org/#writable-stream-default-writer-get-desired-size"""
    stream = writer._stream
    assert stream is not None
    state = stream._state
    if state in (ERRORED, ERRORING):
        return None
    if state == CLOSED:
        return 0
    return writable_stream_default_controller_get_desired_size(stream._controller)


def writable_stream_default_writer_release(writer: WritableStreamDefaultWriter) -> None:
    """[WritableStreamDefaultWriterRelease] https://streams.spec.whatwg.org/#writable-stream-default-writer-release"""
    stream = writer._stream
    assert stream is not None
    assert stream._writer is writer
    released_error = TypeError(
        "the writer's lock on the stream was released: get a new writer with get_writer()"
    )
    writable_stream_default_writer_ensure_ready_promise_rejected(writer, released_error)
    writable_stream_default_writer_ensure_closed_promise_rejected(writer, released_error)
    stream._writer = None
    writer._stream = None


def writable_stream_default_writer_write(
    writer: WritableStreamDefaultWriter, chunk: object
) -> asyncio.Future[None]:
    """[WritableStreamDefaultWriterWrite] https://streams.spec.whatwg.org/#writable-stream-default-writer-write"""
    stream = writer._stream
    assert stream is not None
    controller = stream._controller
    write_now = controller._write_now
    if (
        write_now is not None
        and not stream._backpressure
        and controller._pipe_waiter is None
        and writable_stream_is_idle(stream)
    ):
        # Not in the spec: the sink takes the write at once (see create_writable_stream).
        taken = write_now(chunk)
        if taken is not None:
            size, pending = taken
            if pending is not None:
                return _written_later(stream, controller, chunk, size, pending)
            # Where the spec's steps leave an idle stream whose sink wrote the chunk at
            # once: EnqueueValueWithSize, UpdateBackpressure (on if the chunk reaches the
            # high-water mark: a new, pending ready promise), ProcessWrite, the write's
            # fulfillment steps (DequeueValue, UpdateBackpressure: off again, that ready
            # promise resolved; AdvanceQueueIfNeeded finds nothing queued).
            if size >= controller._strategy_hwm:
                writer._ready_promise = FULFILLED_PROMISE
            # The write's promise, fulfilled: one future serves every such write, which
            # only its identity could tell (see create_writable_stream).
            written = controller._written_at_once
            if written is None:
                written = controller._written_at_once = _Future(loop=controller._loop)
                written.set_result(None)
            return written
    size_algorithm = controller._strategy_size_algorithm
    if size_algorithm is not None:
        # WritableStreamDefaultControllerGetChunkSize, inlined for the usual case.
        try:
            chunk_size = size_algorithm(chunk)
        except Exception as exc:  # an abrupt completion errors the stream
            writable_stream_default_controller_error_if_needed(controller, exc)
            chunk_size = 1
    else:
        chunk_size = writable_stream_default_controller_get_chunk_size(controller, chunk)
    # The size algorithm is user code: it may have released this writer's lock.
    if stream is not writer._stream:
        return promise_rejected_with(_released_error("write"))
    state = stream._state
    if (
        state is not WRITABLE
        or stream._close_request is not None
        or stream._in_flight_close_request is not None
    ):
        if state is ERRORED:
            return promise_rejected_with(stream._stored_error)
        if state is CLOSED or writable_stream_close_queued_or_in_flight(stream):
            return promise_rejected_with(
                TypeError("cannot write to a writable stream that is closing or closed")
            )
        assert state is ERRORING
        return promise_rejected_with(stream._stored_error)
    # WritableStreamAddWriteRequest, inlined (its asserts hold: we hold the lock and the
    # state is "writable").
    promise: asyncio.Future[None] = _Future(loop=controller._loop)
    stream._write_requests.append(promise)
    writable_stream_default_controller_write(controller, chunk, chunk_size)
    return promise


def _written_later(
    stream: WritableStream,
    controller: WritableStreamDefaultController,
    chunk: object,
    size: int,
    pending: Awaitable[Any],
) -> asyncio.Future[None]:
    # Where WritableStreamDefaultWriterWrite would leave an idle stream whose sink took
    # the chunk at once but completes the write later: EnqueueValueWithSize,
    # UpdateBackpressure (on if the chunk reaches the high-water mark), ProcessWrite with
    # the write in flight; the sink's promise settles it.
    promise: asyncio.Future[None] = _Future(loop=controller._loop)
    stream._in_flight_write_request = promise
    controller._queue.append((chunk, size))
    controller._queue_total_size += size
    if controller._strategy_hwm - controller._queue_total_size <= 0:
        writable_stream_update_backpressure(stream, True)
    asyncio.ensure_future(pending).add_done_callback(controller._sink_write_settled)
    return promise


from .writable_controller import (  # noqa: E402  (see the end of writable_stream.py)
    writable_stream_default_controller_error_if_needed,
    writable_stream_default_controller_get_chunk_size,
    writable_stream_default_controller_get_desired_size,
    writable_stream_default_controller_write,
    writable_stream_is_idle,
)
from .writable_stream import (  # noqa: E402
    CLOSED,
    ERRORED,
    ERRORING,
    WRITABLE,
    WritableStream,
    set_up_writable_stream_default_writer,
    writable_stream_abort,
    writable_stream_close,
    writable_stream_close_queued_or_in_flight,
    writable_stream_update_backpressure,
)
