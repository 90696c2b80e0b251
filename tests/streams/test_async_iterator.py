"""Async iteration in Python terms: break, aclosing, cancelled next, futures at call time."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from tests.streams.support import flush_async_events, stream_with_controller
from wintersockets.streams.async_iterator import ReadableStreamAsyncIterator
from wintersockets.streams.readable_stream import ReadableStream


async def test_break_leaves_the_stream_locked_and_uncancelled() -> None:
    cancelled: list[object] = []
    stream, controller = stream_with_controller({"cancel": cancelled.append})
    controller.enqueue(1)
    controller.enqueue(2)
    iterator = aiter(stream)
    async for _chunk in iterator:
        break
    assert stream.locked
    assert cancelled == []
    assert await anext(iterator) == 2  # the iterator still works
    await iterator.aclose()
    assert not stream.locked
    assert cancelled == [None]


async def test_aclosing_cancels_on_break() -> None:
    cancelled: list[object] = []
    stream, controller = stream_with_controller({"cancel": cancelled.append})
    controller.enqueue(1)
    async with contextlib.aclosing(stream.values()) as chunks:
        async for _chunk in chunks:
            break
    assert cancelled == [None]
    assert not stream.locked


async def test_values_and_aiter_give_stream_iterators() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    iterator = stream.values()
    assert isinstance(iterator, ReadableStreamAsyncIterator)
    assert aiter(iterator) is iterator
    await iterator.aclose()
    assert isinstance(aiter(stream), ReadableStreamAsyncIterator)


async def test_anext_returns_a_future_created_at_call_time() -> None:
    pulls: list[int] = []
    stream: ReadableStream[int] = ReadableStream(
        {"pull": lambda c: pulls.append(1)}, {"high_water_mark": 0}
    )
    iterator = aiter(stream)
    await flush_async_events()
    pending = iterator.__anext__()
    assert isinstance(pending, asyncio.Future)
    await flush_async_events()
    assert pulls == [1]
    pending.cancel()


async def test_a_cancelled_next_loses_no_chunk() -> None:
    stream, controller = stream_with_controller()
    iterator = aiter(stream)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(iterator), 0.01)
    controller.enqueue("kept")
    assert await anext(iterator) == "kept"
    await iterator.aclose()


async def test_aclose_after_a_cancelled_next() -> None:
    cancelled: list[object] = []
    stream, _controller = stream_with_controller({"cancel": cancelled.append})
    iterator = aiter(stream)
    pending = iterator.__anext__()
    pending.cancel()
    await iterator.aclose()
    assert cancelled == [None]
    assert not stream.locked


async def test_chunks_queued_before_iteration_are_served_at_once() -> None:
    stream, controller = stream_with_controller()
    for i in range(5):
        controller.enqueue(i)
    controller.close()
    iterator = aiter(stream)
    futures = [iterator.__anext__() for _ in range(5)]
    assert all(f.done() for f in futures)
    assert [f.result() for f in futures] == list(range(5))
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
