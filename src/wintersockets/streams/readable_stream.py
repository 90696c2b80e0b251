"""The ``ReadableStream`` class [rs-class] and the abstract operations on readable streams.

https://streams.spec.whatwg.org/#rs-class

The operations follow the spec's sections "Working with readable streams" and "Interfacing
with controllers", in the spec's order, with the spec's names in snake_case. Readers live in
``default_reader.py`` and ``byob_reader.py``, controllers in ``default_controller.py`` and
``byte_controller.py``, teeing in ``tee.py``, ``ReadableStream.from_`` in
``from_iterable.py`` and async iteration in ``async_iterator.py``.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, cast, final, overload

from ._promises import (
    mark_as_handled,
    promise_rejected_with,
    promise_resolved_with,
    reject_promise,
    resolve_promise,
    transform_promise,
)
from ._queue_with_sizes import is_non_negative_number
from ._underlying_source import convert_underlying_source, dictionary_member
from .queuing_strategy import extract_high_water_mark, extract_size_algorithm

if TYPE_CHECKING:
    from .abort_signal import AbortSignal
    from .async_iterator import ReadableStreamAsyncIterator
    from .byob_reader import ReadIntoRequest
    from .default_reader import ReadRequest

__all__ = ["ReadableStream", "ReadableStreamState"]

T = TypeVar("T")
R = TypeVar("R")

StartAlgorithm = Callable[[], object]
PullAlgorithm = Callable[[], object]
CancelAlgorithm = Callable[[object], object]
SizeAlgorithm = Callable[[Any], float]

# Python values that JavaScript would not treat as objects (a dictionary argument given one of
# these is the spec's TypeError).
_PRIMITIVES = (str, bytes, bytearray, memoryview, int, float, complex)


class ReadableStreamState(StrEnum):
    """The values of a stream's [[state]] slot; each compares equal to its string."""

    READABLE = "readable"
    CLOSED = "closed"
    ERRORED = "errored"


READABLE: Literal[ReadableStreamState.READABLE] = ReadableStreamState.READABLE
CLOSED: Literal[ReadableStreamState.CLOSED] = ReadableStreamState.CLOSED
ERRORED: Literal[ReadableStreamState.ERRORED] = ReadableStreamState.ERRORED


def _convert_strategy(strategy: object) -> dict[str, object]:
    # Web IDL's QueuingStrategy conversion: each member read once, in lexicographic order
    # (highWaterMark, size), and type-checked; ExtractHighWaterMark checks the range later.
    if strategy is None:
        return {}
    if isinstance(strategy, _PRIMITIVES):
        raise TypeError(f"strategy must be an object or a mapping, got {strategy!r}")
    converted: dict[str, object] = {}
    high_water_mark = dictionary_member(strategy, "high_water_mark", "highWaterMark")
    if high_water_mark is not None:
        if isinstance(high_water_mark, bool) or not isinstance(high_water_mark, int | float):
            raise TypeError(f"high_water_mark must be a number, got {high_water_mark!r}")
        converted["high_water_mark"] = high_water_mark
    size = dictionary_member(strategy, "size")
    if size is not None:
        if not callable(size):
            raise TypeError(f"a queuing strategy's size must be callable, got {size!r}")
        converted["size"] = size
    return converted


@final
class ReadableStream(Generic[T]):
    """A source of data you read from [ReadableStream].

    https://streams.spec.whatwg.org/#rs-class

    Args:
        underlying_source: an object or mapping with optional ``start(controller)``,
            ``pull(controller)`` and ``cancel(reason)`` callbacks (plain or async), and
            ``type="bytes"`` plus ``auto_allocate_chunk_size`` for a readable byte stream.
        strategy: a queuing strategy (an object or mapping with ``high_water_mark`` and
            ``size``); by default a high-water mark of 1 chunk, or 0 bytes for byte streams.

    Raises:
        TypeError: the source or strategy is malformed.
        ValueError: the high-water mark is NaN or negative, or a byte stream's strategy has a
            ``size`` (the spec's RangeError).

    Iterating with ``async for`` locks the stream. The loop ends when the stream closes; an
    error raises from the loop and releases the lock. Python does not tell an async
    iterator that a loop was left by ``break`` (or an exception in the loop's body), so
    after ``break`` the stream stays locked and is not cancelled: call the iterator's
    ``aclose()`` (JavaScript's ``return()``), for example with
    ``async with contextlib.aclosing(stream.values()) as chunks:``, to cancel the stream
    and release the lock.
    """

    __slots__ = ("__weakref__", "_controller", "_disturbed", "_reader", "_state", "_stored_error")

    _controller: ReadableStreamDefaultController[T] | ReadableByteStreamController
    _disturbed: bool
    _reader: ReadableStreamDefaultReader[T] | ReadableStreamBYOBReader | None
    _state: ReadableStreamState
    _stored_error: object

    def __init__(
        self: ReadableStream[Any], underlying_source: object = None, strategy: object = None
    ) -> None:
        # Web IDL converts the strategy dictionary before the constructor's steps convert
        # the underlying source; range checks come after both.
        strategy = _convert_strategy(strategy)
        source = convert_underlying_source(underlying_source)
        initialize_readable_stream(self)
        if source.type == "bytes":
            if "size" in strategy:
                raise ValueError(
                    "the strategy of a byte stream cannot have a size function: "
                    "byte streams count bytes"
                )
            high_water_mark = extract_high_water_mark(strategy, 0)
            set_up_readable_byte_stream_controller_from_underlying_source(
                cast("ReadableStream[bytes]", self), source, high_water_mark
            )
        else:
            size_algorithm = extract_size_algorithm(strategy)
            high_water_mark = extract_high_water_mark(strategy, 1)
            set_up_readable_stream_default_controller_from_underlying_source(
                self, source, high_water_mark, size_algorithm
            )

    @classmethod
    def from_(cls, iterable: Iterable[R] | AsyncIterable[R]) -> ReadableStream[R]:
        """A stream of the values of a sync or async iterable [from].

        https://streams.spec.whatwg.org/#rs-from

        The iterable is opened at once; values are pulled one at a time as the stream is
        read (the high-water mark is 0). Awaitable values of a sync iterable are awaited, as
        JavaScript does with an array of promises. Cancelling the stream closes the iterator
        (``aclose()`` or ``close()`` when it has one).

        Raises:
            TypeError: ``iterable`` is neither iterable nor async iterable.
        """
        return readable_stream_from_iterable(iterable)

    @property
    def locked(self) -> bool:
        """Whether the stream is locked to a reader [locked]."""
        return is_readable_stream_locked(self)

    def cancel(self, reason: object = None) -> asyncio.Future[None]:
        """Cancel the stream: the consumer lost interest [cancel].

        https://streams.spec.whatwg.org/#rs-cancel

        Returns:
            A future that resolves once the underlying source's ``cancel(reason)`` has
            finished, or rejects with its error; it rejects with ``TypeError`` when the
            stream is locked.
        """
        if is_readable_stream_locked(self):
            return promise_rejected_with(
                TypeError("cannot cancel a locked stream: cancel through its reader instead")
            )
        return readable_stream_cancel(self, reason)

    @overload
    def get_reader(self, mode: None = None) -> ReadableStreamDefaultReader[T]: ...

    @overload
    def get_reader(self, mode: Literal["byob"]) -> ReadableStreamBYOBReader: ...

    @overload
    def get_reader(
        self, mode: Mapping[str, object]
    ) -> ReadableStreamDefaultReader[T] | ReadableStreamBYOBReader: ...

    def get_reader(
        self, mode: Literal["byob"] | Mapping[str, object] | None = None
    ) -> ReadableStreamDefaultReader[T] | ReadableStreamBYOBReader:
        """Lock the stream to a new reader and return it [getReader].

        https://streams.spec.whatwg.org/#rs-get-reader

        Args:
            mode: ``None`` for a default reader, ``"byob"`` for a BYOB reader (byte streams
                only). JavaScript's options mapping (``{"mode": "byob"}``) works too.

        Raises:
            TypeError: the stream is locked, ``mode`` is not ``"byob"``, or a BYOB reader was
                asked of a stream that is not a byte stream.
        """
        if isinstance(mode, Mapping):
            mode = mode.get("mode")  # type: ignore[assignment]
        if mode is None:
            return acquire_readable_stream_default_reader(self)
        if mode != "byob":
            raise TypeError(f'reader mode must be "byob" or None, got {mode!r}')
        return acquire_readable_stream_byob_reader(self)

    def pipe_through(
        self,
        transform: object,
        *,
        prevent_close: bool = False,
        prevent_abort: bool = False,
        prevent_cancel: bool = False,
        signal: AbortSignal | None = None,
    ) -> ReadableStream[Any]:
        """Pipe this stream into ``transform.writable`` and return ``transform.readable``.

        https://streams.spec.whatwg.org/#rs-pipe-through

        ``transform`` is a ``TransformStream`` or any object with ``readable`` and
        ``writable`` attributes (or a mapping with those keys). The options are those of
        :meth:`pipe_to`.

        Raises:
            TypeError: ``transform`` lacks a readable or writable stream, ``signal`` is not
                an ``AbortSignal``, or this stream or ``transform.writable`` is locked.
        """
        writable_stream, is_writable_stream_locked = _writable_stream_api()
        readable = _pair_member(transform, "readable")
        writable = _pair_member(transform, "writable")
        if not isinstance(readable, ReadableStream):
            raise TypeError(f"transform.readable must be a ReadableStream, got {readable!r}")
        if not isinstance(writable, writable_stream):
            raise TypeError(f"transform.writable must be a WritableStream, got {writable!r}")
        _check_signal(signal)
        if is_readable_stream_locked(self):
            raise TypeError("cannot pipe a locked stream: release its reader first")
        if is_writable_stream_locked(writable):
            raise TypeError("cannot pipe into a locked WritableStream: release its writer first")
        promise = _readable_stream_pipe_to()(
            self,
            writable,
            bool(prevent_close),
            bool(prevent_abort),
            bool(prevent_cancel),
            signal,
        )
        mark_as_handled(promise)
        return readable

    def pipe_to(
        self,
        destination: object,
        *,
        prevent_close: bool = False,
        prevent_abort: bool = False,
        prevent_cancel: bool = False,
        signal: AbortSignal | None = None,
    ) -> asyncio.Future[None]:
        """Pipe this stream into the writable stream ``destination`` [pipeTo].

        https://streams.spec.whatwg.org/#rs-pipe-to

        Both streams stay locked while the pipe runs. An error in this stream aborts
        ``destination`` (unless ``prevent_abort``), an error in ``destination`` cancels this
        stream (unless ``prevent_cancel``), and closing this stream closes ``destination``
        (unless ``prevent_close``). Aborting ``signal`` stops the pipe.

        Returns:
            A future that resolves when the pipe has finished, or rejects with the error that
            stopped it (a ``TypeError`` at once for bad arguments or a locked stream).
        """
        writable_stream, is_writable_stream_locked = _writable_stream_api()
        if not isinstance(destination, writable_stream):
            return promise_rejected_with(
                TypeError(f"pipe_to() needs a WritableStream, got {destination!r}")
            )
        try:
            _check_signal(signal)
        except TypeError as exc:
            return promise_rejected_with(exc)
        if is_readable_stream_locked(self):
            return promise_rejected_with(
                TypeError("cannot pipe a locked stream: release its reader first")
            )
        if is_writable_stream_locked(destination):
            return promise_rejected_with(
                TypeError("cannot pipe into a locked WritableStream: release its writer first")
            )
        result: asyncio.Future[None] = _readable_stream_pipe_to()(
            self,
            destination,
            bool(prevent_close),
            bool(prevent_abort),
            bool(prevent_cancel),
            signal,
        )
        return result

    def tee(self) -> tuple[ReadableStream[T], ReadableStream[T]]:
        """Split the stream into two branches that see the same chunks [tee].

        https://streams.spec.whatwg.org/#rs-tee

        The stream is locked to the tee. Branches of a byte stream get their own copy of
        each chunk; branches of other streams share the chunk objects. The stream is
        cancelled once both branches are, with the list of both reasons.

        Raises:
            TypeError: the stream is locked.
        """
        return readable_stream_tee(self, False)

    def values(self, prevent_cancel: bool = False) -> ReadableStreamAsyncIterator[T]:
        """An async iterator over the stream's chunks [values].

        https://streams.spec.whatwg.org/#rs-asynciterator

        The iterator locks the stream. Its ``aclose()`` (JavaScript's ``return()``)
        releases the lock and, unless ``prevent_cancel`` is true, cancels the stream. See
        the class docstring for what ``break`` does.

        Raises:
            TypeError: the stream is locked.
        """
        return ReadableStreamAsyncIterator(self, bool(prevent_cancel))

    def __aiter__(self) -> ReadableStreamAsyncIterator[T]:
        return ReadableStreamAsyncIterator(self, False)

    def __repr__(self) -> str:
        kind = "bytes" if isinstance(self._controller, ReadableByteStreamController) else ""
        kind = f" type={kind!r}" if kind else ""
        return f"<ReadableStream{kind} state={self._state.value} locked={self.locked}>"


def _pair_member(pair: object, name: str) -> object:
    if isinstance(pair, Mapping):
        return pair.get(name)
    return getattr(pair, name, None)


def _writable_stream_api() -> tuple[type[Any], Callable[[Any], bool]]:
    # Imported lazily: the writable side is a separate layer of the package that imports
    # this module.
    from .writable_stream import WritableStream, is_writable_stream_locked

    return WritableStream, is_writable_stream_locked


def _readable_stream_pipe_to() -> Callable[..., asyncio.Future[None]]:
    # ReadableStreamPipeTo lives in pipe.py, with the writable side, which imports this module.
    pipe = importlib.import_module("wintersockets.streams.pipe")
    operation: Callable[..., asyncio.Future[None]] = pipe.readable_stream_pipe_to
    return operation


def _check_signal(signal: object) -> None:
    if signal is None:
        return
    from .abort_signal import AbortSignal

    if not isinstance(signal, AbortSignal):
        raise TypeError(f"signal must be an AbortSignal or None, got {signal!r}")


# Working with readable streams ---------------------------------------------------------------


def acquire_readable_stream_byob_reader(stream: ReadableStream[Any]) -> ReadableStreamBYOBReader:
    """[AcquireReadableStreamBYOBReader] https://streams.spec.whatwg.org/#acquire-readable-stream-byob-reader"""
    reader = ReadableStreamBYOBReader.__new__(ReadableStreamBYOBReader)
    set_up_readable_stream_byob_reader(reader, stream)
    return reader


def acquire_readable_stream_default_reader(
    stream: ReadableStream[T],
) -> ReadableStreamDefaultReader[T]:
    """[AcquireReadableStreamDefaultReader] https://streams.spec.whatwg.org/#acquire-readable-stream-reader"""
    reader: ReadableStreamDefaultReader[T] = ReadableStreamDefaultReader.__new__(
        ReadableStreamDefaultReader
    )
    set_up_readable_stream_default_reader(reader, stream)
    return reader


def create_readable_stream(
    start_algorithm: StartAlgorithm,
    pull_algorithm: PullAlgorithm,
    cancel_algorithm: CancelAlgorithm,
    high_water_mark: float = 1,
    size_algorithm: SizeAlgorithm | None = None,
) -> ReadableStream[Any]:
    """[CreateReadableStream] https://streams.spec.whatwg.org/#create-readable-stream

    ``pull_algorithm`` and ``cancel_algorithm`` return a future (the spec's promise) or a
    plain value, which counts as a promise resolved with it. ``start_algorithm`` returns a
    value or an awaitable; if it raises, so does this function.
    """
    assert is_non_negative_number(high_water_mark)
    if size_algorithm is None:
        size_algorithm = _size_one
    stream: ReadableStream[Any] = ReadableStream.__new__(ReadableStream)
    initialize_readable_stream(stream)
    controller: ReadableStreamDefaultController[Any] = ReadableStreamDefaultController.__new__(
        ReadableStreamDefaultController
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
    return stream


def _size_one(_chunk: object) -> float:
    return 1


def create_readable_byte_stream(
    start_algorithm: StartAlgorithm,
    pull_algorithm: PullAlgorithm,
    cancel_algorithm: CancelAlgorithm,
) -> ReadableStream[bytes]:
    """[CreateReadableByteStream] https://streams.spec.whatwg.org/#abstract-opdef-createreadablebytestream

    The high-water mark is 0 and chunks are not allocated automatically, as in the spec.
    """
    stream: ReadableStream[bytes] = ReadableStream.__new__(ReadableStream)
    initialize_readable_stream(stream)
    controller = ReadableByteStreamController.__new__(ReadableByteStreamController)
    set_up_readable_byte_stream_controller(
        stream, controller, start_algorithm, pull_algorithm, cancel_algorithm, 0, None
    )
    return stream


def initialize_readable_stream(stream: ReadableStream[Any]) -> None:
    """[InitializeReadableStream] https://streams.spec.whatwg.org/#initialize-readable-stream"""
    stream._state = READABLE
    stream._reader = None
    stream._stored_error = None
    stream._disturbed = False


def is_readable_stream_disturbed(stream: ReadableStream[Any]) -> bool:
    """[IsReadableStreamDisturbed] https://streams.spec.whatwg.org/#is-readable-stream-disturbed

    Whether the stream was ever read from or cancelled (for other specifications).
    """
    return stream._disturbed


def is_readable_stream_locked(stream: ReadableStream[Any]) -> bool:
    """[IsReadableStreamLocked] https://streams.spec.whatwg.org/#is-readable-stream-locked"""
    return stream._reader is not None


# ReadableStreamFromIterable lives in from_iterable.py, ReadableStreamPipeTo in pipe.py,
# ReadableStreamTee, ReadableStreamDefaultTee and ReadableByteStreamTee in tee.py.


# Interfacing with controllers ----------------------------------------------------------------


def readable_stream_add_read_into_request(
    stream: ReadableStream[Any], read_request: ReadIntoRequest
) -> None:
    """[ReadableStreamAddReadIntoRequest] https://streams.spec.whatwg.org/#readable-stream-add-read-into-request"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamBYOBReader)
    assert stream._state == READABLE or stream._state == CLOSED
    reader._read_into_requests.append(read_request)


def readable_stream_add_read_request(
    stream: ReadableStream[Any], read_request: ReadRequest[Any]
) -> None:
    """[ReadableStreamAddReadRequest] https://streams.spec.whatwg.org/#readable-stream-add-read-request"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamDefaultReader)
    assert stream._state == READABLE
    reader._read_requests.append(read_request)


def readable_stream_cancel(stream: ReadableStream[Any], reason: object) -> asyncio.Future[None]:
    """[ReadableStreamCancel] https://streams.spec.whatwg.org/#readable-stream-cancel"""
    stream._disturbed = True
    if stream._state == CLOSED:
        return promise_resolved_with(None)
    if stream._state == ERRORED:
        return promise_rejected_with(stream._stored_error)
    readable_stream_close(stream)
    reader = stream._reader
    if isinstance(reader, ReadableStreamBYOBReader):
        read_into_requests = reader._read_into_requests
        reader._read_into_requests = type(read_into_requests)()
        for read_into_request in read_into_requests:
            read_into_request.close_steps(None)
    source_cancel_promise = stream._controller._cancel_steps(reason)
    return transform_promise(source_cancel_promise, _to_none)


def _to_none(_value: object) -> None:
    return None


def readable_stream_close(stream: ReadableStream[Any]) -> None:
    """[ReadableStreamClose] https://streams.spec.whatwg.org/#readable-stream-close"""
    assert stream._state == READABLE
    stream._state = CLOSED
    reader = stream._reader
    if reader is None:
        return
    resolve_promise(reader._closed_promise, None)
    if isinstance(reader, ReadableStreamDefaultReader):
        read_requests = reader._read_requests
        reader._read_requests = type(read_requests)()
        for read_request in read_requests:
            read_request.close_steps()


def readable_stream_error(stream: ReadableStream[Any], e: object) -> None:
    """[ReadableStreamError] https://streams.spec.whatwg.org/#readable-stream-error"""
    assert stream._state == READABLE
    stream._state = ERRORED
    stream._stored_error = e
    reader = stream._reader
    if reader is None:
        return
    reject_promise(reader._closed_promise, e)
    mark_as_handled(reader._closed_promise)
    if isinstance(reader, ReadableStreamDefaultReader):
        readable_stream_default_reader_error_read_requests(reader, e)
    else:
        readable_stream_byob_reader_error_read_into_requests(reader, e)


def readable_stream_fulfill_read_into_request(
    stream: ReadableStream[Any], chunk: memoryview, done: bool
) -> None:
    """[ReadableStreamFulfillReadIntoRequest] https://streams.spec.whatwg.org/#readable-stream-fulfill-read-into-request"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamBYOBReader)
    assert reader._read_into_requests
    read_into_request = reader._read_into_requests.popleft()
    if done:
        read_into_request.close_steps(chunk)
    else:
        read_into_request.chunk_steps(chunk)


def readable_stream_fulfill_read_request(
    stream: ReadableStream[Any], chunk: object, done: bool
) -> None:
    """[ReadableStreamFulfillReadRequest] https://streams.spec.whatwg.org/#readable-stream-fulfill-read-request"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamDefaultReader)
    assert reader._read_requests
    read_request = reader._read_requests.popleft()
    if done:
        read_request.close_steps()
    else:
        read_request.chunk_steps(chunk)


def readable_stream_get_num_read_into_requests(stream: ReadableStream[Any]) -> int:
    """[ReadableStreamGetNumReadIntoRequests] https://streams.spec.whatwg.org/#readable-stream-get-num-read-into-requests"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamBYOBReader)
    return len(reader._read_into_requests)


def readable_stream_get_num_read_requests(stream: ReadableStream[Any]) -> int:
    """[ReadableStreamGetNumReadRequests] https://streams.spec.whatwg.org/#readable-stream-get-num-read-requests"""
    reader = stream._reader
    assert isinstance(reader, ReadableStreamDefaultReader)
    return len(reader._read_requests)


def readable_stream_has_byob_reader(stream: ReadableStream[Any]) -> bool:
    """[ReadableStreamHasBYOBReader] https://streams.spec.whatwg.org/#readable-stream-has-byob-reader"""
    return isinstance(stream._reader, ReadableStreamBYOBReader)


def readable_stream_has_default_reader(stream: ReadableStream[Any]) -> bool:
    """[ReadableStreamHasDefaultReader] https://streams.spec.whatwg.org/#readable-stream-has-default-reader"""
    return isinstance(stream._reader, ReadableStreamDefaultReader)


# The spec's operations call one another across its sections, so the modules that hold them
# import one another. Every such import sits at the end of its module, after the module's own
# definitions, so the modules can be imported in any order. The one exception is
# default_reader.py, which holds base classes: it imports these modules only inside
# functions, so importing it at the top of a module is always safe.
from .async_iterator import ReadableStreamAsyncIterator  # noqa: E402
from .byob_reader import (  # noqa: E402
    ReadableStreamBYOBReader,
    readable_stream_byob_reader_error_read_into_requests,
    set_up_readable_stream_byob_reader,
)
from .byte_controller import (  # noqa: E402
    ReadableByteStreamController,
    set_up_readable_byte_stream_controller,
    set_up_readable_byte_stream_controller_from_underlying_source,
)
from .default_controller import (  # noqa: E402
    ReadableStreamDefaultController,
    set_up_readable_stream_default_controller,
    set_up_readable_stream_default_controller_from_underlying_source,
)
from .default_reader import (  # noqa: E402
    ReadableStreamDefaultReader,
    readable_stream_default_reader_error_read_requests,
    set_up_readable_stream_default_reader,
)
from .from_iterable import readable_stream_from_iterable  # noqa: E402
from .tee import readable_stream_tee  # noqa: E402
