"""``ReadableStreamDefaultReader`` [default-reader-class], the generic reader and read requests.

https://streams.spec.whatwg.org/#default-reader-class

The abstract operations follow the spec's section "Readers" (the generic and default-reader
ones; the BYOB ones are in ``byob_reader.py``), in the spec's order.

A read request [read-request] is any object with ``chunk_steps(chunk)``, ``close_steps()``
and ``error_steps(e)`` methods. ``read()`` uses a small slotted class that settles a future;
other users of :func:`readable_stream_default_reader_read` (``pipe_to``, ``tee``) bring
their own.

Beyond the spec, a caller may cancel the future a read returned (``asyncio.wait_for``
timing out, say). Its read request is then *abandoned*: controllers skip it and hand the
chunk to the next read, or keep it queued, so no data is lost.

This module is the base of the reader classes: it imports the other stream modules only
inside functions, so any module can import it first (see readable_stream.py).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar, final

from ._promises import (
    get_loop,
    mark_as_handled,
    new_shared_promise,
    promise_rejected_with,
    promise_resolved_with,
    reject_promise,
    resolve_promise,
)
from ._types import ReadResult
from ._types import tuple_new as _tuple_new

if TYPE_CHECKING:
    from .default_controller import ReadableStreamDefaultController
    from .readable_stream import ReadableStream

__all__ = ["ReadRequest", "ReadableStreamDefaultReader", "ReadableStreamGenericReader"]

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

NO_CHUNK: Final = object()
"""What a controller's ``_pull_steps_from_queue()`` returns when no chunk is queued."""


# ReadableStreamDefaultController and three operations, for read()'s fast paths. This
# module cannot import default_controller.py when it loads (see the module docstring);
# that module fills these in when it loads, which is before any stream, and so any
# reader, exists.
def _not_loaded(_argument: object) -> None:
    raise AssertionError("default_controller.py has not been loaded")


_DefaultController: type[Any] = type(None)
_call_pull_if_needed: Callable[[Any], None] = _not_loaded
_clear_algorithms: Callable[[Any], None] = _not_loaded
_close_stream: Callable[[Any], None] = _not_loaded
_dequeue_size: Callable[[Any], float] = _not_loaded  # type: ignore[assignment]
_READABLE: object = None
# ReadableByteStreamControllerCallPullIfNeeded, filled in by byte_controller.py likewise.
_byte_call_pull_if_needed: Callable[[Any], None] = _not_loaded

_DONE: Final = ReadResult(None, True)
_Future = asyncio.Future


class ReadRequest(Protocol[T_contra]):
    """A [read request]: what to do when a chunk, the end or an error arrives.

    https://streams.spec.whatwg.org/#read-request
    """

    def chunk_steps(self, chunk: T_contra, /) -> None: ...

    def close_steps(self) -> None: ...

    def error_steps(self, e: object, /) -> None: ...


class PromiseRequest:
    """Base of the read (and read-into) requests that settle a future handed to a caller.

    Not in the spec: the caller may cancel that future, which abandons the request.
    """

    __slots__ = ("_promise",)

    def __init__(self, promise: asyncio.Future[Any]) -> None:
        self._promise = promise


def request_is_abandoned(request: object) -> bool:
    """Whether ``request`` settles a future its caller has already cancelled."""
    return isinstance(request, PromiseRequest) and request._promise.done()


def drop_abandoned_requests(requests: deque[Any]) -> None:
    """Remove abandoned requests from the front of ``requests``."""
    while requests:
        first = requests[0]
        if not (isinstance(first, PromiseRequest) and first._promise.done()):
            return
        requests.popleft()


@final
class _DefaultReaderReadRequest(PromiseRequest):
    """The read request of :meth:`ReadableStreamDefaultReader.read`."""

    __slots__ = ()

    def chunk_steps(self, chunk: object) -> None:
        promise = self._promise  # resolve_promise(), inlined
        if not promise.done():
            promise.set_result(_tuple_new(ReadResult, (chunk, False)))

    def close_steps(self) -> None:
        resolve_promise(self._promise, _DONE)

    def error_steps(self, e: object) -> None:
        reject_promise(self._promise, e)


class ReadableStreamGenericReader:
    """What both kinds of reader share [ReadableStreamGenericReader].

    https://streams.spec.whatwg.org/#generic-reader-mixin
    """

    __slots__ = ("__weakref__", "_closed_promise", "_loop", "_stream")

    _closed_promise: asyncio.Future[None]
    _loop: asyncio.AbstractEventLoop
    _stream: ReadableStream[Any] | None

    @property
    def closed(self) -> asyncio.Future[None]:
        """A future that resolves when the stream closes [closed].

        It rejects when the stream errors or the reader's lock is released; that rejection
        is marked handled, so nobody has to await it.
        """
        return self._closed_promise

    def cancel(self, reason: object = None) -> asyncio.Future[None]:
        """Cancel the stream through this reader [cancel].

        https://streams.spec.whatwg.org/#generic-reader-cancel

        Returns:
            A future that resolves once the underlying source was cancelled; it rejects
            with ``TypeError`` if the reader was released.
        """
        if self._stream is None:
            return promise_rejected_with(_released_error("cancel the stream through"))
        return readable_stream_reader_generic_cancel(self, reason)


def _released_error(what: str) -> TypeError:
    return TypeError(f"cannot {what} a released reader: get a new reader with stream.get_reader()")


@final
class ReadableStreamDefaultReader(ReadableStreamGenericReader, Generic[T]):
    """Reads chunks from a stream it has locked [ReadableStreamDefaultReader].

    https://streams.spec.whatwg.org/#default-reader-class

    Raises:
        TypeError: ``stream`` is not a ReadableStream or is locked.
    """

    __slots__ = ("_default_controller", "_default_queue", "_read_requests")

    # Not in the spec: the stream's controller and its [[queue]] while this reader holds the
    # lock on a stream that is not a byte stream, else None and an empty tuple; they save
    # read() the lookups. (That controller empties its queue in place: the deque stays.)
    _default_controller: ReadableStreamDefaultController[T] | None
    _default_queue: deque[ReadResult] | tuple[()]
    _read_requests: deque[ReadRequest[T]]

    def __init__(self, stream: ReadableStream[T]) -> None:
        from .readable_stream import ReadableStream

        if not isinstance(stream, ReadableStream):
            raise TypeError(f"ReadableStreamDefaultReader needs a ReadableStream, got {stream!r}")
        set_up_readable_stream_default_reader(self, stream)

    def read(self) -> asyncio.Future[ReadResult]:
        """Read the next chunk [read].

        https://streams.spec.whatwg.org/#default-reader-read

        Returns:
            A future created now, resolving with ``ReadResult(chunk, False)``, or
            ``ReadResult(None, True)`` once the stream has closed; it rejects with the
            stream's error, or with ``TypeError`` if the reader is or gets released.
            Cancelling the future abandons the read: the chunk it would have received goes
            to the next read instead.
        """
        # Fast paths: collapse ReadableStreamDefaultReaderRead, the controller's [[PullSteps]]
        # when a chunk is queued, and the read request's chunk steps. A chunk can only be
        # queued while the stream is readable, so the state needs no check. The promise is
        # made on the loop the reader was made on, as new_promise() would, minus a lookup.
        promise: asyncio.Future[ReadResult]
        queue = self._default_queue
        if queue:
            # [[PullSteps]] steps 2.1-2.3 (ReadableStreamDefaultController's
            # _pull_steps_from_queue, inlined: reads are hot), then the chunk steps. The queue
            # holds the ReadResult to resolve with (see the controller's class docstring),
            # and a chunk's size is 1 unless sizes are kept.
            controller: ReadableStreamDefaultController[T] = self._default_controller  # type: ignore[assignment]
            locked = controller._stream
            locked._disturbed = True
            result = queue.popleft()
            if controller._queue_sizes is None:
                total = controller._queue_total_size - 1
            else:
                total = _dequeue_size(controller)
            controller._queue_total_size = total
            if not queue and controller._close_requested:
                _clear_algorithms(controller)
                _close_stream(locked)
            elif controller._strategy_hwm - total > 0:
                # With a chunk queued there is no pending read request, so ShouldCallPull
                # can only be true when the desired size is positive.
                _call_pull_if_needed(controller)
            promise = _Future(loop=self._loop)
            promise.set_result(result)
            return promise
        stream = self._stream
        if stream is None:
            return promise_rejected_with(_released_error("read from"))
        if self._default_controller is None:
            # A byte stream.
            byte_controller = stream._controller
            if byte_controller._queue:
                chunk = byte_controller._pull_steps_from_queue()
                stream._disturbed = True
                promise = _Future(loop=self._loop)
                promise.set_result(_tuple_new(ReadResult, (chunk, False)))
                return promise
            if stream._state is _READABLE and byte_controller._auto_allocate_chunk_size is None:  # type: ignore[union-attr]
                # A byte stream with nothing queued (a socket waiting for data): the
                # ReadableByteStreamController's [[PullSteps]] steps 4-7 without a buffer to
                # allocate, that is ReadableStreamAddReadRequest and CallPullIfNeeded.
                stream._disturbed = True
                promise = _Future(loop=self._loop)
                self._read_requests.append(_DefaultReaderReadRequest(promise))
                _byte_call_pull_if_needed(byte_controller)
                return promise
        promise = _Future(loop=self._loop)
        readable_stream_default_reader_read(self, _DefaultReaderReadRequest(promise))
        return promise

    def release_lock(self) -> None:
        """Release the reader's lock on the stream [releaseLock].

        https://streams.spec.whatwg.org/#default-reader-release-lock

        Pending reads reject with ``TypeError``, and ``closed`` rejects with ``TypeError``.
        Releasing a released reader does nothing.
        """
        if self._stream is None:
            return
        readable_stream_default_reader_release(self)


# Readers -------------------------------------------------------------------------------------


def readable_stream_reader_generic_cancel(
    reader: ReadableStreamGenericReader, reason: object
) -> asyncio.Future[None]:
    """[ReadableStreamReaderGenericCancel] https://streams.spec.whatwg.org/#readable-stream-reader-generic-cancel"""
    from .readable_stream import readable_stream_cancel

    stream = reader._stream
    assert stream is not None
    return readable_stream_cancel(stream, reason)


def readable_stream_reader_generic_initialize(
    reader: ReadableStreamGenericReader, stream: ReadableStream[Any]
) -> None:
    """[ReadableStreamReaderGenericInitialize] https://streams.spec.whatwg.org/#readable-stream-reader-generic-initialize"""
    reader._stream = stream
    stream._reader = reader  # type: ignore[assignment]
    reader._loop = get_loop()  # not in the spec: see ReadableStreamDefaultReader.read()
    if stream._state == "readable":
        reader._closed_promise = new_shared_promise()
    elif stream._state == "closed":
        reader._closed_promise = promise_resolved_with(None)
    else:
        assert stream._state == "errored"
        reader._closed_promise = promise_rejected_with(stream._stored_error)
        mark_as_handled(reader._closed_promise)


def readable_stream_reader_generic_release(reader: ReadableStreamGenericReader) -> None:
    """[ReadableStreamReaderGenericRelease] https://streams.spec.whatwg.org/#readable-stream-reader-generic-release"""
    stream = reader._stream
    assert stream is not None
    assert stream._reader is reader
    error = TypeError(
        "the reader was released: it no longer tells when the stream closes; "
        "use a new reader's closed"
    )
    if stream._state == "readable":
        reject_promise(reader._closed_promise, error)
    else:
        reader._closed_promise = promise_rejected_with(error)
    mark_as_handled(reader._closed_promise)
    stream._controller._release_steps()
    stream._reader = None
    reader._stream = None


# ReadableStreamBYOBReaderErrorReadIntoRequests, ReadableStreamBYOBReaderRead and
# ReadableStreamBYOBReaderRelease are in byob_reader.py.


def readable_stream_default_reader_error_read_requests(
    reader: ReadableStreamDefaultReader[Any], e: object
) -> None:
    """[ReadableStreamDefaultReaderErrorReadRequests] https://streams.spec.whatwg.org/#abstract-opdef-readablestreamdefaultreadererrorreadrequests"""
    read_requests = reader._read_requests
    reader._read_requests = deque()
    for read_request in read_requests:
        read_request.error_steps(e)


def readable_stream_default_reader_read(
    reader: ReadableStreamDefaultReader[T], read_request: ReadRequest[T]
) -> None:
    """[ReadableStreamDefaultReaderRead] https://streams.spec.whatwg.org/#readable-stream-default-reader-read"""
    stream = reader._stream
    assert stream is not None
    stream._disturbed = True
    state = stream._state
    if state == "closed":
        read_request.close_steps()
    elif state == "errored":
        read_request.error_steps(stream._stored_error)
    else:
        assert state == "readable"
        # A byte stream's T is bytes.
        stream._controller._pull_steps(read_request)  # type: ignore[arg-type]


def readable_stream_default_reader_release(reader: ReadableStreamDefaultReader[Any]) -> None:
    """[ReadableStreamDefaultReaderRelease] https://streams.spec.whatwg.org/#abstract-opdef-readablestreamdefaultreaderrelease"""
    reader._default_controller = None
    reader._default_queue = ()
    readable_stream_reader_generic_release(reader)
    e = TypeError("the reader was released while this read was pending: read with a new reader")
    readable_stream_default_reader_error_read_requests(reader, e)


# SetUpReadableStreamBYOBReader is in byob_reader.py.


def set_up_readable_stream_default_reader(
    reader: ReadableStreamDefaultReader[Any], stream: ReadableStream[Any]
) -> None:
    """[SetUpReadableStreamDefaultReader] https://streams.spec.whatwg.org/#set-up-readable-stream-default-reader"""
    from .readable_stream import is_readable_stream_locked

    if is_readable_stream_locked(stream):
        raise TypeError("the stream is locked to another reader: release that reader's lock first")
    readable_stream_reader_generic_initialize(reader, stream)
    reader._read_requests = deque()
    controller = stream._controller
    if type(controller) is _DefaultController:
        reader._default_controller = controller  # type: ignore[assignment]
        reader._default_queue = controller._queue  # type: ignore[assignment]
    else:
        reader._default_controller = None
        reader._default_queue = ()
