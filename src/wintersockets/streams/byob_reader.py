"""``ReadableStreamBYOBReader`` [byob-reader-class]: reads from a byte stream into your buffer.

https://streams.spec.whatwg.org/#byob-reader-class

The abstract operations are the BYOB ones of the spec's section "Readers", in the spec's
order. A read-into request [read-into-request] is any object with ``chunk_steps(view)``,
``close_steps(view)`` and ``error_steps(e)`` methods.

Python cannot transfer the caller's buffer, so a read fills it in place: the result is a
``memoryview`` of the region filled, in the format of the view passed in. Do not use the
buffer while the read is pending.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol, final

from ._promises import promise_rejected_with, reject_promise, resolve_promise
from ._types import ReadResult
from ._types import tuple_new as _tuple_new
from ._underlying_source import enforce_range_unsigned
from .default_reader import (
    PromiseRequest,
    ReadableStreamGenericReader,
    _released_error,
    readable_stream_reader_generic_initialize,
    readable_stream_reader_generic_release,
)

if TYPE_CHECKING:
    from typing_extensions import Buffer

__all__ = ["ReadIntoRequest", "ReadableStreamBYOBReader"]

_Future = asyncio.Future


class ReadIntoRequest(Protocol):
    """A [read-into request]: what to do when a filled view, the end or an error arrives.

    https://streams.spec.whatwg.org/#read-into-request

    ``close_steps`` gets an empty view of the buffer, or ``None`` when the stream was
    cancelled.
    """

    def chunk_steps(self, chunk: memoryview, /) -> None: ...

    def close_steps(self, chunk: memoryview | None, /) -> None: ...

    def error_steps(self, e: object, /) -> None: ...


@final
class _BYOBReaderReadIntoRequest(PromiseRequest):
    """The read-into request of :meth:`ReadableStreamBYOBReader.read`."""

    __slots__ = ()

    def chunk_steps(self, chunk: memoryview) -> None:
        promise = self._promise  # resolve_promise(), inlined
        if not promise.done():
            promise.set_result(_tuple_new(ReadResult, (chunk, False)))

    def close_steps(self, chunk: memoryview | None) -> None:
        resolve_promise(self._promise, _tuple_new(ReadResult, (chunk, True)))

    def error_steps(self, e: object) -> None:
        reject_promise(self._promise, e)


def _check_view(view: object) -> memoryview:
    # Web IDL's ArrayBufferView conversion and the checks of read() steps 1-3, plus what
    # only Python needs: the view must be writable and contiguous.
    if not isinstance(view, memoryview):
        try:
            view = memoryview(view)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(
                f"read() needs a writable bytes-like view, got {type(view).__name__}"
            ) from None
    if view.readonly:
        raise TypeError("read() needs a writable view: pass a bytearray or a view of one")
    if view.nbytes == 0:
        raise TypeError("read() needs a view of at least one byte, got an empty view")
    if not view.c_contiguous:
        raise TypeError("read() needs a C-contiguous view")
    if view.format != "B":
        try:
            cast_view(view.cast("B"), view.format)
        except (TypeError, ValueError):
            raise TypeError(
                f"read() needs a view with a native single-character format, got {view.format!r}"
            ) from None
    return view


@final
class ReadableStreamBYOBReader(ReadableStreamGenericReader):
    """Reads from a byte stream into buffers you provide [ReadableStreamBYOBReader].

    https://streams.spec.whatwg.org/#byob-reader-class

    Raises:
        TypeError: ``stream`` is not a ReadableStream, is not a byte stream, or is locked.
    """

    __slots__ = ("_read_into_requests",)

    _read_into_requests: deque[ReadIntoRequest]

    def __init__(self, stream: ReadableStream[Any]) -> None:
        if not isinstance(stream, ReadableStream):
            raise TypeError(f"ReadableStreamBYOBReader needs a ReadableStream, got {stream!r}")
        set_up_readable_stream_byob_reader(self, stream)

    def read(self, view: Buffer, *, min: int = 1) -> asyncio.Future[ReadResult]:
        """Read bytes into ``view`` [read].

        https://streams.spec.whatwg.org/#byob-reader-read

        Args:
            view: a writable, C-contiguous buffer: a ``bytearray``, a writable
                ``memoryview`` (in any native format, such as ``memoryview.cast("I")``),
                an ``array.array``...
            min: the fewest elements of ``view`` the read waits for (fewer only when the
                stream closes).

        Returns:
            A future created now, resolving with ``ReadResult(filled, False)`` where
            ``filled`` is a ``memoryview`` of the start of ``view``'s buffer in ``view``'s
            format, or with ``ReadResult(empty_view, True)`` once the stream has closed. It
            rejects with ``TypeError`` for a read-only, empty or non-contiguous view, a
            ``min`` that is not a positive integer, or a released reader; with
            ``ValueError`` if ``min`` is more than ``view`` holds (the spec's RangeError);
            and with the stream's error. Cancelling the future abandons the read: bytes
            already written into ``view`` go back to the stream for the next read.
        """
        try:
            if min.__class__ is not int or min < 0:
                min = enforce_range_unsigned(min, "min")
            if (
                view.__class__ is memoryview
                and view.format == "B"
                and view.nbytes
                and not view.readonly
                and view.c_contiguous
            ):
                checked = view  # a writable byte view passes _check_view as it is
                byte_view = True
            else:
                checked = _check_view(view)
                byte_view = False
        except TypeError as exc:
            return promise_rejected_with(exc)
        if min != 1:  # a view holds at least one element
            if min == 0:
                return promise_rejected_with(TypeError("min must be greater than 0, got 0"))
            length = checked.nbytes // checked.itemsize
            if min > length:
                return promise_rejected_with(
                    ValueError(f"min must be at most the view's {length} elements, got {min!r}")
                )
        stream = self._stream
        if stream is None:
            return promise_rejected_with(_released_error("read from"))
        # The promise is made on the loop the reader was made on, as new_promise() would,
        # minus a lookup (as in ReadableStreamDefaultReader.read()).
        promise: asyncio.Future[ReadResult] = _Future(loop=self._loop)
        if stream._state is ERRORED:
            readable_stream_byob_reader_read(
                self, checked, min, _BYOBReaderReadIntoRequest(promise)
            )
            return promise
        # ReadableStreamBYOBReaderRead, inlined for a stream that is not errored.
        stream._disturbed = True
        # A BYOB reader's stream is a byte stream.
        controller: ReadableByteStreamController = stream._controller  # type: ignore[assignment]
        fill_now = idle_fill_now(controller) if byte_view else None
        if fill_now is not None:
            # ReadableByteStreamControllerPullInto's fill_now path (see there), for a byte
            # view, with the read-into request's chunk steps: no request object.
            filled = fill_now(checked)
            if filled >= min:
                promise.set_result(_tuple_new(ReadResult, (checked[:filled], False)))
                return promise
            if filled:
                readable_byte_stream_controller_pull_into(
                    controller, checked, min, _BYOBReaderReadIntoRequest(promise), filled
                )
                return promise
        readable_byte_stream_controller_pull_into(
            controller,
            checked,
            min,
            _BYOBReaderReadIntoRequest(promise),
        )
        return promise

    def release_lock(self) -> None:
        """Release the reader's lock on the stream [releaseLock].

        https://streams.spec.whatwg.org/#byob-reader-release-lock

        Pending reads reject with ``TypeError``, and ``closed`` rejects with ``TypeError``.
        Releasing a released reader does nothing.
        """
        if self._stream is None:
            return
        readable_stream_byob_reader_release(self)


# Readers -------------------------------------------------------------------------------------


def readable_stream_byob_reader_error_read_into_requests(
    reader: ReadableStreamBYOBReader, e: object
) -> None:
    """[ReadableStreamBYOBReaderErrorReadIntoRequests] https://streams.spec.whatwg.org/#abstract-opdef-readablestreambyobreadererrorreadintorequests"""
    read_into_requests = reader._read_into_requests
    reader._read_into_requests = deque()
    for read_into_request in read_into_requests:
        read_into_request.error_steps(e)


def readable_stream_byob_reader_read(
    reader: ReadableStreamBYOBReader,
    view: memoryview,
    min: int,
    read_into_request: ReadIntoRequest,
) -> None:
    """[ReadableStreamBYOBReaderRead] https://streams.spec.whatwg.org/#readable-stream-byob-reader-read"""
    stream = reader._stream
    assert stream is not None
    stream._disturbed = True
    if stream._state == "errored":
        read_into_request.error_steps(stream._stored_error)
    else:
        controller = stream._controller
        assert isinstance(controller, ReadableByteStreamController)
        readable_byte_stream_controller_pull_into(controller, view, min, read_into_request)


def readable_stream_byob_reader_release(reader: ReadableStreamBYOBReader) -> None:
    """[ReadableStreamBYOBReaderRelease] https://streams.spec.whatwg.org/#abstract-opdef-readablestreambyobreaderrelease"""
    readable_stream_reader_generic_release(reader)
    e = TypeError("the reader was released while this read was pending: read with a new reader")
    readable_stream_byob_reader_error_read_into_requests(reader, e)


def set_up_readable_stream_byob_reader(
    reader: ReadableStreamBYOBReader, stream: ReadableStream[Any]
) -> None:
    """[SetUpReadableStreamBYOBReader] https://streams.spec.whatwg.org/#set-up-readable-stream-byob-reader"""
    if is_readable_stream_locked(stream):
        raise TypeError("the stream is locked to another reader: release that reader's lock first")
    if not isinstance(stream._controller, ReadableByteStreamController):
        raise TypeError(
            'a BYOB reader needs a byte stream: construct the stream with type="bytes"'
        )
    readable_stream_reader_generic_initialize(reader, stream)
    reader._read_into_requests = deque()


# See readable_stream.py for why these imports come last.
from .byob_request import (  # noqa: E402
    cast_view,
    idle_fill_now,
    readable_byte_stream_controller_pull_into,
)
from .byte_controller import ReadableByteStreamController  # noqa: E402
from .readable_stream import (  # noqa: E402
    ERRORED,
    ReadableStream,
    is_readable_stream_locked,
)
