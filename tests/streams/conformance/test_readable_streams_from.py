"""The behaviors WPT's ``streams/readable-streams/from.any.js`` checks, in Python terms.

An async iterable is anything with ``__aiter__``; an iterable anything ``iter()`` accepts.
JavaScript's ``return(reason)`` is ``aclose()`` (async) or ``close()`` (sync), which take
no reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, flush_async_events
from wintersockets.streams._types import ReadResult
from wintersockets.streams.readable_stream import ReadableStream


def _array() -> object:
    return ["a", "b"]


def _array_of_futures() -> object:
    loop = asyncio.get_running_loop()
    futures = [loop.create_future(), loop.create_future()]
    futures[0].set_result("a")
    futures[1].set_result("b")
    return futures


def _array_iterator() -> object:
    return iter(["a", "b"])


def _string() -> object:
    return "ab"


def _set() -> object:
    return dict.fromkeys(["a", "b"])  # an ordered set


def _sync_generator() -> object:
    def generate() -> Iterator[str]:
        yield "a"
        yield "b"

    return generate()


def _async_generator() -> object:
    async def generate() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    return generate()


class _SyncIterable:
    def __init__(self, awaitable: bool) -> None:
        self.chunks = ["a", "b"]
        self.awaitable = awaitable

    def __iter__(self) -> _SyncIterable:
        return self

    def __next__(self) -> object:
        if not self.chunks:
            raise StopIteration
        value = self.chunks.pop(0)
        if not self.awaitable:
            return value
        future = asyncio.get_running_loop().create_future()
        future.set_result(value)
        return future


class _AsyncIterable:
    def __init__(self) -> None:
        self.chunks = ["a", "b"]

    def __aiter__(self) -> _AsyncIterable:
        return self

    def __anext__(self) -> asyncio.Future[str]:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if self.chunks:
            future.set_result(self.chunks.pop(0))
        else:
            future.set_exception(StopAsyncIteration())
        return future


def _readable_stream() -> object:
    def start(controller: Any) -> None:
        controller.enqueue("a")
        controller.enqueue("b")
        controller.close()

    return ReadableStream({"start": start})


def _readable_stream_iterator() -> object:
    stream = _readable_stream()
    assert isinstance(stream, ReadableStream)
    return aiter(stream)


FACTORIES: dict[str, Callable[[], Any]] = {
    "a list of values": _array,
    "a list of futures": _array_of_futures,
    "a list iterator": _array_iterator,
    "a string": _string,
    "an ordered set": _set,
    "a sync generator": _sync_generator,
    "an async generator": _async_generator,
    "a sync iterable of values": lambda: _SyncIterable(False),
    "a sync iterable of futures": lambda: _SyncIterable(True),
    "an async iterable": _AsyncIterable,
    "a ReadableStream": _readable_stream,
    "a ReadableStream async iterator": _readable_stream_iterator,
}


@pytest.mark.parametrize("label", FACTORIES)
async def test_from_accepts(label: str) -> None:
    stream: ReadableStream[str] = ReadableStream.from_(FACTORIES[label]())
    assert isinstance(stream, ReadableStream)
    reader = stream.get_reader()
    assert await reader.read() == ReadResult("a", False)
    assert await reader.read() == ReadResult("b", False)
    assert await reader.read() == ReadResult(None, True)
    await reader.closed


class _NotCallableIter:
    __iter__ = 42


class _NotCallableAiter:
    __aiter__ = 42


BAD_ITERABLES: dict[str, Any] = {
    "None": None,
    "0": 0,
    "NaN": float("nan"),
    "True": True,
    "an object": object(),
    "a function": lambda: 42,
    "an object with a non-callable __iter__": _NotCallableIter(),
    "an object with a non-callable __aiter__": _NotCallableAiter(),
}


@pytest.mark.parametrize("label", BAD_ITERABLES)
async def test_from_rejects_what_is_not_iterable(label: str) -> None:
    with pytest.raises(TypeError):
        ReadableStream.from_(BAD_ITERABLES[label])


async def test_from_reraises_errors_of_iter_and_aiter() -> None:
    class RaisingIter:
        def __iter__(self) -> Iterator[Any]:
            raise error1

    class RaisingAiter:
        def __iter__(self) -> Iterator[Any]:
            raise AssertionError("__iter__ must not be called when __aiter__ exists")

        def __aiter__(self) -> AsyncIterator[Any]:
            raise error1

    for iterable in (RaisingIter(), RaisingAiter()):
        with pytest.raises(type(error1)):
            ReadableStream.from_(iterable)


async def test_from_an_empty_async_iterable() -> None:
    class Empty:
        def __aiter__(self) -> Empty:
            return self

        async def __anext__(self) -> object:
            raise StopAsyncIteration

    reader = ReadableStream.from_(Empty()).get_reader()
    assert await reader.read() == ReadResult(None, True)
    await reader.closed


async def test_the_stream_errors_when_next_fails() -> None:
    class Failing:
        def __aiter__(self) -> Failing:
            return self

        async def __anext__(self) -> object:
            raise error1

    reader = ReadableStream.from_(Failing()).get_reader()
    await assert_rejects(reader.read(), error1)
    await assert_rejects(reader.closed, error1)


async def test_the_stream_stalls_when_next_never_settles() -> None:
    never: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    class Stalling:
        def __aiter__(self) -> Stalling:
            return self

        def __anext__(self) -> asyncio.Future[object]:
            return never

    reader = ReadableStream.from_(Stalling()).get_reader()
    read = reader.read()
    await flush_async_events()
    assert not read.done()
    assert not reader.closed.done()
    read.cancel()
    never.cancel()


async def test_next_is_called_only_after_the_first_read() -> None:
    calls = 0

    class Counting:
        def __aiter__(self) -> Counting:
            return self

        async def __anext__(self) -> str:
            nonlocal calls
            calls += 1
            return "a"

    reader = ReadableStream.from_(Counting()).get_reader()
    await flush_async_events()
    assert calls == 0
    assert await reader.read() == ReadResult("a", False)
    assert calls == 1


async def test_cancelling_calls_and_awaits_aclose() -> None:
    loop = asyncio.get_running_loop()
    release: asyncio.Future[None] = loop.create_future()
    calls = 0

    class Closable:
        def __aiter__(self) -> Closable:
            return self

        async def __anext__(self) -> str:
            raise AssertionError("__anext__ must not be called")

        async def aclose(self) -> None:
            nonlocal calls
            calls += 1
            await release

    reader = ReadableStream.from_(Closable()).get_reader()
    assert calls == 0
    cancel = reader.cancel(error1)
    await flush_async_events()
    assert calls == 1
    assert not cancel.done()
    release.set_result(None)
    await cancel
    await reader.closed


async def test_aclose_is_not_called_when_the_iterator_completes() -> None:
    calls = {"next": 0, "aclose": 0}

    class Completing:
        def __aiter__(self) -> Completing:
            return self

        async def __anext__(self) -> str:
            calls["next"] += 1
            raise StopAsyncIteration

        async def aclose(self) -> None:
            calls["aclose"] += 1

    reader = ReadableStream.from_(Completing()).get_reader()
    assert await reader.read() == ReadResult(None, True)
    await reader.closed
    assert calls == {"next": 1, "aclose": 0}
