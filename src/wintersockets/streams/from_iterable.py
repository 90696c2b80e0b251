"""``ReadableStream.from_()``: a stream over an iterable [readable-stream-from-iterable].

https://streams.spec.whatwg.org/#readable-stream-from-iterable

Web IDL's async sequence, in Python terms: an object with ``__aiter__`` is iterated with
``__anext__()``; otherwise a plain iterable is iterated with ``next()``, and values that
are awaitable are awaited, as JavaScript's async-from-sync iterator does with promises.
Closing the iterator calls its ``aclose()`` (async) or ``close()`` (sync) when it has one:
generators of both kinds do.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any, Final, TypeVar, cast, final

from ._promises import (
    promise_call,
    promise_rejected_with,
    promise_resolved_with,
    promise_resolved_with_result,
    transform_promise,
)

__all__: list[str] = []

T = TypeVar("T")

_END_OF_ITERATION: Final = object()

# Types whose values are never awaitable: from_()'s pull skips the awaitable checks for
# them (an exact type check; subclasses take the full check).
_PLAIN_TYPES: Final = frozenset(
    {bytes, bytearray, memoryview, str, int, float, bool, type(None), tuple, list, dict}
)


def _end_or_reject(reason: object) -> object:
    if isinstance(reason, StopAsyncIteration):
        return _END_OF_ITERATION
    return promise_rejected_with(reason)


def _to_none(_value: object) -> None:
    return None


@final
class AsyncSequenceIterator:
    """An opened async sequence: ``next()`` and ``close(reason)`` return futures."""

    __slots__ = ("_async_iterator", "_sync_iterator")

    def __init__(self, iterable: object) -> None:
        """[Open an async sequence] https://webidl.spec.whatwg.org/#async-sequence-open

        Raises:
            TypeError: ``iterable`` is neither async iterable nor iterable, or its iterator
                is not an iterator.
        """
        self._async_iterator: AsyncIterator[Any] | None = None
        self._sync_iterator: Iterator[Any] | None = None
        if hasattr(type(iterable), "__aiter__"):
            iterator = iterable.__aiter__()  # type: ignore[attr-defined]
            if not hasattr(type(iterator), "__anext__"):
                raise TypeError(
                    f"__aiter__() of {type(iterable).__name__} returned "
                    f"{type(iterator).__name__}, which has no __anext__()"
                )
            self._async_iterator = iterator
        elif isinstance(iterable, Iterable) or hasattr(type(iterable), "__getitem__"):
            self._sync_iterator = iter(cast("Iterable[Any]", iterable))
        else:
            raise TypeError(
                "ReadableStream.from_() needs an iterable or an async iterable, "
                f"got {type(iterable).__name__}"
            )

    def next(self) -> asyncio.Future[Any]:
        """[Get an async iterator next value]: a future of a value or ``_END_OF_ITERATION``."""
        if self._async_iterator is not None:
            return transform_promise(
                promise_call(type(self._async_iterator).__anext__, self._async_iterator),
                None,
                _end_or_reject,
            )
        assert self._sync_iterator is not None
        try:
            value = next(self._sync_iterator)
        except StopIteration:
            return promise_resolved_with(_END_OF_ITERATION)
        except Exception as exc:
            return promise_rejected_with(exc)
        if isinstance(value, asyncio.Future) or inspect.isawaitable(value):
            return promise_resolved_with_result(value)
        return promise_resolved_with(value)

    def close(self, _reason: object) -> asyncio.Future[None]:
        """[Close an async iterator]: call its ``aclose()`` or ``close()``, if it has one."""
        if self._async_iterator is not None:
            method = getattr(self._async_iterator, "aclose", None)
        else:
            method = getattr(self._sync_iterator, "close", None)
        if method is None:
            return promise_resolved_with(None)
        return transform_promise(promise_call(method), _to_none)


def readable_stream_from_iterable(
    async_iterable: Iterable[T] | AsyncIterable[T],
) -> ReadableStream[T]:
    """[ReadableStreamFromIterable] https://streams.spec.whatwg.org/#readable-stream-from-iterable

    Raises:
        TypeError: ``async_iterable`` is neither async iterable nor iterable.
    """
    stream: ReadableStream[T] | None = None
    iterator = AsyncSequenceIterator(async_iterable)

    def start_algorithm() -> None:
        return None

    def on_next(value: Any) -> None:
        assert stream is not None
        controller: ReadableStreamDefaultController[Any] | ReadableByteStreamController
        controller = stream._controller
        assert isinstance(controller, ReadableStreamDefaultController)
        if value is _END_OF_ITERATION:
            readable_stream_default_controller_close(controller)
        else:
            readable_stream_default_controller_enqueue(controller, value)

    def on_next_rejected(r: object) -> None:
        assert stream is not None
        controller = stream._controller
        assert isinstance(controller, ReadableStreamDefaultController)
        readable_stream_default_controller_error(controller, r)

    sync_iterator = iterator._sync_iterator

    def pull_algorithm() -> asyncio.Future[Any] | None:
        if sync_iterator is not None:
            # Fast path for a plain iterator's value that is not awaitable: the fulfillment
            # steps at once, and a pull that is done when it returns. Collapses the turns
            # of "get an async iterator next value" (the async-from-sync wrapper's promise)
            # and of reacting to nextPromise; an awaitable value, or next() raising, takes
            # the spec's path.
            try:
                value = next(sync_iterator)
            except StopIteration:
                value = _END_OF_ITERATION
            except Exception as exc:
                return transform_promise(promise_rejected_with(exc), on_next, on_next_rejected)
            if (
                type(value) in _PLAIN_TYPES
                or value is _END_OF_ITERATION
                or not (isinstance(value, asyncio.Future) or inspect.isawaitable(value))
            ):
                try:
                    on_next(value)
                except Exception as exc:  # as a throwing reaction rejects the pull
                    return promise_rejected_with(exc)
                return None
            return transform_promise(
                promise_resolved_with_result(value), on_next, on_next_rejected
            )
        next_promise = iterator.next()
        return transform_promise(next_promise, on_next, on_next_rejected)

    def cancel_algorithm(reason: object) -> asyncio.Future[None]:
        return iterator.close(reason)

    stream = create_readable_stream(start_algorithm, pull_algorithm, cancel_algorithm, 0)
    if sync_iterator is not None:
        # Not in the spec: a pipe reading this stream may have its pulls settle at once
        # (see readable_stream_default_controller_call_pull_if_needed).
        controller = stream._controller
        assert isinstance(controller, ReadableStreamDefaultController)
        controller._sync_pulls_when_piped = True
    return stream


# See readable_stream.py for why these imports come last.
from .byte_controller import ReadableByteStreamController  # noqa: E402
from .default_controller import (  # noqa: E402
    ReadableStreamDefaultController,
    readable_stream_default_controller_close,
    readable_stream_default_controller_enqueue,
    readable_stream_default_controller_error,
)
from .readable_stream import ReadableStream, create_readable_stream  # noqa: E402
