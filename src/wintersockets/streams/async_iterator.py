"""Async iteration over a ``ReadableStream`` [rs-asynciterator].

https://streams.spec.whatwg.org/#rs-asynciterator

``async for chunk in stream`` and ``stream.values(prevent_cancel=...)`` give a
:class:`ReadableStreamAsyncIterator`. It follows Web IDL's asynchronous iterator: calls to
``__anext__()`` and ``aclose()`` (JavaScript's ``next()`` and ``return()``) run one after
another, each starting once the previous one has settled, and once the iterator has
finished (the stream closed or errored, or ``aclose()`` was called) ``__anext__()`` raises
``StopAsyncIteration``.

Python does not call ``aclose()`` when an ``async for`` loop is left by ``break`` or an
exception: the stream then stays locked, and is not cancelled, until ``aclose()`` is
called. Wrap the iterator in ``contextlib.aclosing()`` to cancel on exit.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Generic, TypeVar, final

from ._promises import (
    new_promise,
    promise_resolved_with,
    reject_promise,
    resolve_promise,
    upon_promise,
)
from .default_reader import (
    NO_CHUNK,
    PromiseRequest,
    ReadableStreamDefaultReader,
    drop_abandoned_requests,
    readable_stream_default_reader_read,
    readable_stream_default_reader_release,
    readable_stream_reader_generic_cancel,
)

if TYPE_CHECKING:
    from .readable_stream import ReadableStream

__all__ = ["ReadableStreamAsyncIterator"]

_Future = asyncio.Future

T = TypeVar("T")


@final
class _IteratorReadRequest(PromiseRequest):
    """The read request of the spec's "get the next iteration result" steps."""

    __slots__ = ("_iterator",)

    def __init__(
        self, promise: asyncio.Future[Any], iterator: ReadableStreamAsyncIterator[Any]
    ) -> None:
        super().__init__(promise)
        self._iterator = iterator

    def chunk_steps(self, chunk: object) -> None:
        resolve_promise(self._promise, chunk)

    def close_steps(self) -> None:
        iterator = self._iterator
        iterator._is_finished = True
        readable_stream_default_reader_release(iterator._reader)
        reject_promise(self._promise, StopAsyncIteration())

    def error_steps(self, e: object) -> None:
        iterator = self._iterator
        iterator._is_finished = True
        readable_stream_default_reader_release(iterator._reader)
        reject_promise(self._promise, e)


@final
class ReadableStreamAsyncIterator(Generic[T]):
    """Iterates over a stream's chunks; see the module docstring.

    Get one with ``stream.values()`` or ``aiter(stream)``; creating one locks the stream.

    Raises:
        TypeError: the stream is locked.
    """

    __slots__ = ("_is_finished", "_ongoing_promise", "_prevent_cancel", "_reader")

    def __init__(self, stream: ReadableStream[T], prevent_cancel: bool = False) -> None:
        # The asynchronous iterator initialization steps.
        self._reader: ReadableStreamDefaultReader[T] = acquire_readable_stream_default_reader(
            stream
        )
        self._prevent_cancel = prevent_cancel
        self._is_finished = False
        self._ongoing_promise: asyncio.Future[Any] | None = None

    def __aiter__(self) -> ReadableStreamAsyncIterator[T]:
        return self

    def __anext__(self) -> asyncio.Future[T]:
        """The next chunk (JavaScript's ``next()``).

        Returns:
            A future created now that resolves with the next chunk, or rejects with
            ``StopAsyncIteration`` once the stream has closed, or with the stream's error.
        """
        ongoing = self._ongoing_promise
        if ongoing is None or ongoing.done():
            result = self._next_steps()
        else:
            result = new_promise()
            chain = lambda _: self._settle_with(result, self._next_steps())
            upon_promise(ongoing, chain, chain)
        self._ongoing_promise = result
        return result

    def aclose(self) -> asyncio.Future[None]:
        """Stop iterating: release the lock and cancel the stream (JavaScript's ``return()``).

        The stream is not cancelled if the iterator was made with ``prevent_cancel=True``,
        or has already finished.

        Returns:
            A future created now that resolves once the stream was cancelled, or rejects
            with the cancellation's error.
        """
        ongoing = self._ongoing_promise
        if ongoing is None or ongoing.done():
            result = self._return_steps()
        else:
            result = new_promise()
            chain = lambda _: self._settle_with(result, self._return_steps())
            upon_promise(ongoing, chain, chain)
        self._ongoing_promise = result
        return result

    def _next_steps(self) -> asyncio.Future[Any]:
        if self._is_finished:
            done: asyncio.Future[Any] = new_promise()
            done.set_exception(StopAsyncIteration())
            return done
        # The spec's "get the next iteration result" steps.
        reader = self._reader
        stream = reader._stream
        assert stream is not None
        # Fast path, as in ReadableStreamDefaultReader.read().
        chunk = stream._controller._pull_steps_from_queue()
        if chunk is not NO_CHUNK:
            stream._disturbed = True
            promise: asyncio.Future[Any] = _Future(loop=reader._loop)
            promise.set_result(chunk)
            return promise
        promise = new_promise()
        readable_stream_default_reader_read(reader, _IteratorReadRequest(promise, self))
        return promise

    def _return_steps(self) -> asyncio.Future[None]:
        if self._is_finished:
            return promise_resolved_with(None)
        self._is_finished = True
        # The asynchronous iterator return steps.
        reader = self._reader
        assert reader._stream is not None
        # Reads abandoned by their callers do not count as pending.
        drop_abandoned_requests(reader._read_requests)
        assert not reader._read_requests
        if not self._prevent_cancel:
            result = readable_stream_reader_generic_cancel(reader, None)
            readable_stream_default_reader_release(reader)
            return result
        readable_stream_default_reader_release(reader)
        return promise_resolved_with(None)

    @staticmethod
    def _settle_with(result: asyncio.Future[Any], source: asyncio.Future[Any]) -> None:
        upon_promise(
            source,
            lambda value: resolve_promise(result, value),
            lambda reason: reject_promise(result, reason),
        )


# See readable_stream.py for why this import comes last.
from .readable_stream import acquire_readable_stream_default_reader  # noqa: E402
