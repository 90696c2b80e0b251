"""The behaviors WPT's ``streams/readable-streams/general.any.js`` checks, in Python.

Left out: property descriptors, ``length`` of methods and subclassing checks (JavaScript
object model), ``this`` binding (Python binds methods itself).
"""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    error1,
    flush_async_events,
    js_await,
    readable_stream_to_array,
    stream_with_controller,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableStreamDefaultController[Any]


async def test_can_be_constructed_with_nothing_or_empty_sources() -> None:
    ReadableStream()
    ReadableStream({})
    ReadableStream({"type": None})
    ReadableStream(None)


@pytest.mark.parametrize("source_type", ["", "asdf", "BYTES", 5])
async def test_an_invalid_type_is_rejected(source_type: object) -> None:
    with pytest.raises(TypeError):
        ReadableStream({"type": source_type})


@pytest.mark.parametrize("member", [{"start": "potato"}, {"cancel": "2"}, {"pull": {}}])
async def test_callbacks_that_are_not_callable_are_rejected(member: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        ReadableStream(member)


async def test_start_gets_a_controller_with_the_controller_api() -> None:
    box: list[Controller] = []
    ReadableStream({"start": box.append})
    controller = box[0]
    for name in ("close", "enqueue", "error"):
        assert callable(getattr(controller, name))
    assert controller.desired_size == 1


async def test_get_reader_accepts_only_no_mode() -> None:
    ReadableStream().get_reader(None)
    ReadableStream().get_reader({})
    ReadableStream().get_reader({"mode": None, "notmode": "ignored"})
    with pytest.raises(TypeError):
        ReadableStream().get_reader({"mode": "potato"})


async def test_start_found_through_the_class_of_the_source() -> None:
    started: list[bool] = []

    class Base:
        def start(self, _controller: object) -> None:
            started.append(True)

    class Source(Base):
        pass

    ReadableStream(Source())
    assert started == [True]


async def test_start_can_return_a_promise() -> None:
    async def start(controller: Controller) -> None:
        await asyncio.sleep(0.005)
        controller.enqueue("a")
        controller.close()

    reader = ReadableStream({"start": start}).get_reader()
    assert await reader.read() == ReadResult("a", False)
    await reader.closed


async def test_start_can_return_a_promise_that_rejects() -> None:
    async def start(_controller: Controller) -> None:
        await asyncio.sleep(0.001)
        raise error1

    await assert_rejects(ReadableStream({"start": start}).get_reader().closed, error1)


async def test_different_objects_can_be_enqueued() -> None:
    objects: list[object] = [{"potato": "Give me more!"}, "test", 1]

    def start(controller: Controller) -> None:
        for obj in objects:
            controller.enqueue(obj)
        controller.close()

    reader = ReadableStream({"start": start}).get_reader()
    results = [await reader.read() for _ in objects]
    assert [r.value for r in results] == objects
    await reader.closed


async def test_pull_that_rejects_errors_the_stream_closed_then_reads() -> None:
    """The current spec rejects ``closed`` before the pending reads (older WPT: reversed)."""

    async def pull(_controller: Controller) -> None:
        raise error1

    reader = ReadableStream({"pull": pull}).get_reader()
    order: list[str] = []
    closed, read = reader.closed, reader.read()
    closed.add_done_callback(lambda _f: order.append("closed"))
    read.add_done_callback(lambda _f: order.append("read"))
    await assert_rejects(read, error1)
    await assert_rejects(closed, error1)
    assert order == ["closed", "read"]


async def test_pull_is_called_once_when_start_finishes() -> None:
    pulls: list[int] = []
    ReadableStream({"pull": lambda c: pulls.append(1)})
    await flush_async_events()
    assert pulls == [1]
    await asyncio.sleep(0.01)
    assert pulls == [1]


async def test_pull_is_called_when_reading_a_started_empty_stream() -> None:
    pulls = 0

    def pull(controller: Controller) -> None:
        nonlocal pulls
        if pulls > 0:
            controller.enqueue(pulls)
        pulls += 1

    stream: ReadableStream[int] = ReadableStream({"pull": pull})
    await flush_async_events()
    assert pulls == 1
    read = stream.get_reader().read()
    assert pulls == 2  # synchronously, in read()
    assert await read == ReadResult(1, False)
    await flush_async_events()
    assert pulls == 3


async def test_pull_once_on_a_non_empty_stream_read_before_start_fulfills() -> None:
    pulls: list[int] = []
    stream: ReadableStream[str] = ReadableStream(
        {"start": lambda c: c.enqueue("a"), "pull": lambda c: pulls.append(1)}
    )
    read = stream.get_reader().read()
    assert pulls == []
    assert await read == ReadResult("a", False)
    await flush_async_events()
    assert pulls == [1]


async def test_pull_once_on_a_non_empty_stream_read_after_start_fulfills() -> None:
    pulls: list[int] = []
    stream: ReadableStream[str] = ReadableStream(
        {"start": lambda c: c.enqueue("a"), "pull": lambda c: pulls.append(1)}
    )
    await flush_async_events()
    assert pulls == []  # the queue is full
    read = stream.get_reader().read()
    assert pulls == [1]  # at once
    assert (await read).value == "a"
    await flush_async_events()
    assert pulls == [1]


async def test_pull_after_reading_the_last_chunk_unless_draining() -> None:
    pulls: list[int] = []
    stream, controller = stream_with_controller({"pull": lambda c: pulls.append(1)})
    reader = stream.get_reader()
    await flush_async_events()
    assert pulls == [1]
    controller.enqueue("a")
    assert pulls == [1]
    await reader.read()
    await flush_async_events()
    assert pulls == [1, 1]

    pulls.clear()
    stream, controller = stream_with_controller({"pull": lambda c: pulls.append(1)})
    reader = stream.get_reader()
    await flush_async_events()
    controller.enqueue("a")
    controller.close()
    await reader.read()
    await flush_async_events()
    assert pulls == [1]


async def test_pull_is_not_called_again_before_its_promise_fulfills() -> None:
    loop = asyncio.get_running_loop()
    times = 0
    pending: list[asyncio.Future[None]] = []

    def pull(controller: Controller) -> asyncio.Future[None]:
        nonlocal times
        times += 1
        controller.enqueue(times)
        pending.append(loop.create_future())
        return pending[-1]

    reader = ReadableStream({"pull": pull}).get_reader()
    assert (await reader.read()).value == 1
    await asyncio.sleep(0.01)
    assert times == 1
    pending[-1].set_result(None)
    await flush_async_events()
    assert times == 2


async def test_pull_after_start_and_after_every_read() -> None:
    pulls: list[int] = []

    def start(controller: Controller) -> None:
        for chunk in "abc":
            controller.enqueue(chunk)

    stream: ReadableStream[str] = ReadableStream(
        {"start": start, "pull": lambda c: pulls.append(1)},
        {"size": lambda chunk: 1, "high_water_mark": math.inf},
    )
    reader = stream.get_reader()
    await flush_async_events()
    for chunk in "abc":
        assert (await js_await(reader.read())).value == chunk
    await flush_async_events()
    assert len(pulls) == 4


async def test_no_pull_after_start_if_the_stream_is_closed() -> None:
    pulls: list[int] = []

    def start(controller: Controller) -> None:
        controller.enqueue("a")
        controller.close()

    reader = ReadableStream({"start": start, "pull": lambda c: pulls.append(1)}).get_reader()
    await flush_async_events()
    await reader.read()
    await reader.closed
    assert pulls == []


async def test_pull_while_the_strategy_allows_without_read_requests() -> None:
    times = 0

    def pull(controller: Controller) -> None:
        nonlocal times
        times += 1
        controller.enqueue(times)

    ReadableStream({"pull": pull}, {"size": lambda chunk: 1, "high_water_mark": 4})
    await flush_async_events()
    assert times == 4


async def test_pull_can_close_or_error_the_stream() -> None:
    await ReadableStream({"pull": lambda c: c.close()}).get_reader().closed
    await assert_rejects(
        ReadableStream({"pull": lambda c: c.error(error1)}).get_reader().closed, error1
    )

    def pull(controller: Controller) -> None:
        controller.error(error1)
        raise ValueError("thrown after error")

    await assert_rejects(ReadableStream({"pull": pull}).get_reader().closed, error1)


async def test_enqueue_returns_none_and_raises_once_draining_or_closed() -> None:
    def start(controller: Controller) -> None:
        assert controller.enqueue("a") is None  # type: ignore[func-returns-value]
        controller.close()
        with pytest.raises(TypeError):
            controller.enqueue("b")

    ReadableStream({"start": start})

    def start_closed(controller: Controller) -> None:
        controller.close()
        with pytest.raises(TypeError):
            controller.enqueue("a")

    ReadableStream({"start": start_closed})


async def test_underlying_source_methods_are_called_on_the_source() -> None:
    calls: list[tuple[str, object]] = []

    class Source:
        def start(self, controller: Controller) -> None:
            calls.append(("start", self))
            controller.enqueue("a")

        def pull(self, _controller: Controller) -> None:
            calls.append(("pull", self))

        def cancel(self, _reason: object) -> None:
            calls.append(("cancel", self))

    source = Source()
    stream: ReadableStream[str] = ReadableStream(source)
    reader = stream.get_reader()
    await js_await(reader.read())
    reader.release_lock()
    await stream.cancel()
    assert calls == [("start", source), ("pull", source), ("cancel", source)]
    await stream.get_reader().closed


async def test_desired_size_when_closed_or_errored() -> None:
    _stream, controller = stream_with_controller(None, {"high_water_mark": 10})
    assert controller.desired_size == 10
    controller.close()
    assert controller.desired_size == 0
    _stream, controller = stream_with_controller(None, {"high_water_mark": 10})
    controller.error()
    assert controller.desired_size is None


async def test_the_default_strategy_counts_one_per_chunk() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    assert controller.desired_size == 1
    for expected in range(0, -4, -1):
        controller.enqueue("x")
        assert controller.desired_size == expected
    for _ in range(4):
        await reader.read()
    assert controller.desired_size == 1
    for chunk in "bcd":
        controller.enqueue(chunk)
        assert controller.desired_size == 0
        assert (await reader.read()).value == chunk
        assert controller.desired_size == 1


async def test_adapting_a_random_push_source() -> None:
    rng = random.Random(8)
    remaining = 8
    paused = True
    box: list[Controller] = []

    def push() -> None:
        nonlocal remaining
        controller = box[0]
        while not paused and remaining:
            remaining -= 1
            controller.enqueue(bytes(rng.getrandbits(8) for _ in range(128)))
            if controller.desired_size is not None and controller.desired_size <= 0:
                stop()
        if not remaining:
            controller.close()

    def stop() -> None:
        nonlocal paused
        paused = True

    def pull(_controller: Controller) -> None:
        nonlocal paused
        paused = False
        asyncio.get_running_loop().call_soon(push)

    stream: ReadableStream[bytes] = ReadableStream({"start": box.append, "pull": pull})
    chunks = await readable_stream_to_array(stream)
    assert len(chunks) == 8
    assert all(len(chunk) == 128 for chunk in chunks)


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_adapting_a_pull_source(asynchronous: bool) -> None:
    count = 0
    closed: list[bool] = []

    async def pull_async(controller: Controller) -> None:
        await asyncio.sleep(0)
        pull_sync(controller)

    def pull_sync(controller: Controller) -> None:
        nonlocal count
        count += 1
        if count > 10:
            closed.append(True)
            controller.close()
        else:
            controller.enqueue(count)

    stream: ReadableStream[int] = ReadableStream(
        {"pull": pull_async if asynchronous else pull_sync}
    )
    assert await readable_stream_to_array(stream) == list(range(1, 11))
    assert closed == [True]
