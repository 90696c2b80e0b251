"""The behaviors WPT's ``streams/readable-streams/reentrant-strategies.any.js`` checks:
a strategy's ``size()`` that calls back into the stream."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from tests.streams.support import (
    assert_rejects,
    error1,
    flush_async_events,
    readable_stream_to_array,
    stream_with_controller,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.writable_stream import WritableStream


async def test_enqueue_inside_size() -> None:
    calls = 0
    box: list[Any] = []

    def size(_chunk: object) -> float:
        nonlocal calls
        calls += 1
        if calls < 2:
            box[0].enqueue("b")
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    box.append(controller)
    controller.enqueue("a")
    controller.close()
    assert await readable_stream_to_array(stream) == ["b", "a"]


async def test_close_inside_size_leaves_nothing_to_read() -> None:
    box: list[Any] = []

    def size(_chunk: object) -> float:
        box[0].close()
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    box.append(controller)
    controller.enqueue("a")
    assert await readable_stream_to_array(stream) == []


async def test_a_close_request_inside_size() -> None:
    calls = 0
    box: list[Any] = []

    def size(_chunk: object) -> float:
        nonlocal calls
        calls += 1
        if calls == 2:
            box[0].close()
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    box.append(controller)
    controller.enqueue("a")
    controller.enqueue("b")
    assert await readable_stream_to_array(stream) == ["a", "b"]


async def test_error_inside_size() -> None:
    box: list[Any] = []

    def size(_chunk: object) -> float:
        box[0].error(error1)
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    box.append(controller)
    controller.enqueue("a")
    await assert_rejects(stream.get_reader().read(), error1)


async def test_desired_size_inside_size() -> None:
    box: list[Any] = []
    seen: list[float | None] = []

    def size(_chunk: object) -> float:
        seen.append(box[0].desired_size)
        return 1

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 1})
    box.append(controller)
    controller.enqueue("a")
    controller.close()
    assert await readable_stream_to_array(stream) == ["a"]
    assert seen == [1]


async def test_cancel_inside_size() -> None:
    box: list[Any] = []
    cancels: list[asyncio.Future[None]] = []
    reasons: list[object] = []
    stream: ReadableStream[Any]

    def cancel(reason: object) -> None:
        reasons.append(reason)
        try:
            box[0].enqueue(None)
        except TypeError:
            reasons.append("enqueue raised")

    def size(_chunk: object) -> float:
        cancels.append(stream.cancel(error1))
        return 1

    stream, controller = stream_with_controller(
        {"cancel": cancel}, {"size": size, "high_water_mark": math.inf}
    )
    box.append(controller)
    controller.enqueue("a")
    reader = stream.get_reader()
    await asyncio.gather(reader.closed, *cancels)
    assert reasons == [error1, "enqueue raised"]
    assert (await reader.read()).done


async def test_pipe_to_inside_size() -> None:
    events: list[object] = []
    pipes: list[asyncio.Future[None]] = []
    stream: ReadableStream[Any]

    def write(chunk: object, _controller: object) -> None:
        events.extend(["write", chunk])

    destination = WritableStream({"write": write, "close": lambda: events.append("close")})

    def size(_chunk: object) -> float:
        if not pipes:
            pipes.append(stream.pipe_to(destination))
        return 1

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 1})
    controller.enqueue("a")
    assert pipes
    controller.enqueue("a")
    await flush_async_events()
    assert events == ["write", "a", "write", "a"]
    controller.close()
    await pipes[0]
    assert events == ["write", "a", "write", "a", "close"]


async def test_read_inside_size() -> None:
    box: list[Any] = []
    reads: list[asyncio.Future[ReadResult]] = []
    calls = 0

    def size(_chunk: object) -> float:
        nonlocal calls
        reads.append(box[1].read())  # the queue is empty and no read is pending yet
        calls += 1
        return 1

    stream, controller = stream_with_controller(None, {"size": size, "high_water_mark": 0})
    reader = stream.get_reader()
    box.extend([controller, reader])
    controller.enqueue("a")
    await flush_async_events()
    assert not reads[0].done()
    controller.enqueue("b")
    assert calls == 1
    # See whatwg/streams#794 for why the pending read gets "b", not "a".
    assert await reads[0] == ReadResult("b", False)
    assert await reader.read() == ReadResult("a", False)
    assert calls == 1


async def test_get_reader_inside_size() -> None:
    readers: list[Any] = []
    stream: ReadableStream[Any]

    def size(_chunk: object) -> float:
        readers.append(stream.get_reader())
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    controller.enqueue("a")
    assert await readers[0].read() == ReadResult("a", False)


async def test_tee_inside_size() -> None:
    branches: list[ReadableStream[Any]] = []
    stream: ReadableStream[Any]

    def size(_chunk: object) -> float:
        branches.extend(stream.tee())
        return 1

    stream, controller = stream_with_controller(None, {"size": size})
    controller.enqueue("a")
    assert stream.locked
    controller.close()
    assert await readable_stream_to_array(branches[0]) == ["a"]
    assert await readable_stream_to_array(branches[1]) == ["a"]
