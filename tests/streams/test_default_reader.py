"""ReadableStreamDefaultReader: reads, closed, cancel, release_lock, abandoned reads."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    error1,
    flush_async_events,
    stream_with_controller,
)
from wintersockets.streams._promises import ReasonError
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_controller import ReadableStreamDefaultController
from wintersockets.streams.default_reader import (
    ReadableStreamDefaultReader,
    readable_stream_default_reader_read,
)
from wintersockets.streams.readable_stream import (
    ReadableStream,
    acquire_readable_stream_default_reader,
)


async def test_the_constructor_needs_an_unlocked_readable_stream() -> None:
    with pytest.raises(TypeError, match="needs a ReadableStream"):
        ReadableStreamDefaultReader(object())  # type: ignore[arg-type]
    stream: ReadableStream[Any] = ReadableStream()
    reader = ReadableStreamDefaultReader(stream)
    assert stream.locked
    with pytest.raises(TypeError, match="locked to another reader"):
        ReadableStreamDefaultReader(stream)
    reader.release_lock()
    ReadableStreamDefaultReader(stream)


async def test_reads_queued_chunks_in_order_then_done() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue("a")
    controller.enqueue("b")
    controller.close()
    reader = stream.get_reader()
    assert await reader.read() == ReadResult("a", False)
    assert await reader.read() == ReadResult("b", False)
    assert await reader.read() == ReadResult(None, True)
    assert await reader.read() == ReadResult(None, True)
    await reader.closed


async def test_a_pending_read_gets_the_next_enqueued_chunk() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    first, second = reader.read(), reader.read()
    await flush_async_events()
    assert_pending(first)
    controller.enqueue(1)
    controller.enqueue(2)
    assert await first == ReadResult(1, False)
    assert await second == ReadResult(2, False)
    assert controller.desired_size == 1


async def test_read_returns_a_future_created_at_call_time_that_triggers_pull() -> None:
    pulls: list[int] = []
    stream: ReadableStream[int] = ReadableStream(
        {"pull": lambda c: pulls.append(1)}, {"high_water_mark": 0}
    )
    reader = stream.get_reader()
    await flush_async_events()
    assert pulls == []
    read = reader.read()
    assert isinstance(read, asyncio.Future)
    await flush_async_events()
    assert pulls == [1]
    assert_pending(read)
    read.cancel()


async def test_an_error_rejects_pending_and_later_reads_and_closed() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    pending = reader.read()
    controller.error(error1)
    await assert_rejects(pending, error1)
    await assert_rejects(reader.read(), error1)
    await assert_rejects(reader.closed, error1)
    assert controller.desired_size is None


async def test_an_error_that_is_not_an_exception_keeps_its_reason() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    controller.error({"code": 42})
    exc = await assert_rejects(reader.read(), {"code": 42})
    assert isinstance(exc, ReasonError)
    assert stream._stored_error == {"code": 42}


async def test_the_closed_rejection_of_an_errored_stream_is_handled() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    controller.error(error1)
    del reader
    # The harness fails the test if the rejection is reported as unhandled.
    await flush_async_events()


async def test_a_reader_acquired_after_error_or_close_sees_it() -> None:
    stream, controller = stream_with_controller()
    controller.error(error1)
    await assert_rejects(stream.get_reader().closed, error1)
    stream, controller = stream_with_controller()
    controller.close()
    await stream.get_reader().closed


async def test_release_lock_rejects_pending_reads_and_closed_with_type_error() -> None:
    stream, _controller = stream_with_controller()
    reader = stream.get_reader()
    read = reader.read()
    closed = reader.closed
    reader.release_lock()
    assert not stream.locked
    await assert_rejects(read, TypeError, "released")
    await assert_rejects(closed, TypeError, "released")
    reader.release_lock()  # a no-op the second time


async def test_a_released_reader_rejects_read_and_cancel() -> None:
    stream, _controller = stream_with_controller()
    reader = stream.get_reader()
    reader.release_lock()
    await assert_rejects(reader.read(), TypeError, "released reader")
    await assert_rejects(reader.cancel(), TypeError, "released reader")


async def test_releasing_after_close_replaces_closed_with_a_rejection() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    controller.close()
    await reader.closed
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)
    new_reader = stream.get_reader()
    await new_reader.closed
    assert (await new_reader.read()).done


async def test_a_new_reader_reads_what_the_old_one_left() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue(1)
    controller.enqueue(2)
    reader = stream.get_reader()
    assert (await reader.read()).value == 1
    reader.release_lock()
    assert (await stream.get_reader().read()).value == 2


async def test_reader_cancel_cancels_the_stream_and_closes_reads() -> None:
    reasons: list[object] = []
    stream, _controller = stream_with_controller({"cancel": reasons.append})
    reader = stream.get_reader()
    read = reader.read()
    await reader.cancel("bye")
    assert reasons == ["bye"]
    assert await read == ReadResult(None, True)
    await reader.closed
    assert stream.locked


async def test_reading_marks_the_stream_disturbed() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue(1)
    reader = stream.get_reader()
    assert not stream._disturbed
    await reader.read()
    assert stream._disturbed


async def test_close_after_queued_chunks_closes_once_they_are_read() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue(1)
    controller.close()
    assert stream._state == "readable"
    with pytest.raises(TypeError, match="close\\(\\) was already called"):
        controller.enqueue(2)
    with pytest.raises(TypeError, match="close\\(\\) was already called"):
        controller.close()
    reader = stream.get_reader()
    assert (await reader.read()).value == 1
    assert stream._state == "closed"
    assert controller.desired_size == 0
    with pytest.raises(TypeError, match="the stream is closed"):
        controller.enqueue(3)


async def test_enqueue_after_error_is_a_type_error_and_error_twice_is_a_no_op() -> None:
    stream, controller = stream_with_controller()
    controller.error(error1)
    controller.error(ValueError("ignored"))
    assert stream._stored_error is error1
    with pytest.raises(TypeError, match="errored"):
        controller.enqueue(1)


async def test_a_custom_read_request_gets_the_steps() -> None:
    events: list[object] = []

    class Request:
        def chunk_steps(self, chunk: object) -> None:
            events.append(("chunk", chunk))

        def close_steps(self) -> None:
            events.append("close")

        def error_steps(self, e: object) -> None:
            events.append(("error", e))

    stream, controller = stream_with_controller()
    reader = acquire_readable_stream_default_reader(stream)
    controller.enqueue(1)
    readable_stream_default_reader_read(reader, Request())
    readable_stream_default_reader_read(reader, Request())
    controller.close()
    readable_stream_default_reader_read(reader, Request())
    assert events == [("chunk", 1), "close", "close"]


# Abandoned reads (not in the spec): a read whose future was cancelled loses no data.


async def test_a_cancelled_read_leaves_its_chunk_for_the_next_read() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    abandoned = reader.read()
    abandoned.cancel()
    controller.enqueue("kept")
    assert controller.desired_size == 0  # queued, not handed to the cancelled read
    assert await reader.read() == ReadResult("kept", False)


async def test_a_read_that_times_out_loses_no_chunk() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(), 0.01)
    controller.enqueue("late")
    assert (await reader.read()).value == "late"


async def test_a_cancelled_read_between_live_reads_is_skipped() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    first, second, third = reader.read(), reader.read(), reader.read()
    second.cancel()
    controller.enqueue(1)
    controller.enqueue(2)
    assert (await first).value == 1
    assert (await third).value == 2
    assert controller.desired_size == 1


async def test_release_after_a_cancelled_read_is_clean() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    read = reader.read()
    read.cancel()
    reader.release_lock()
    controller.enqueue(1)
    assert (await stream.get_reader().read()).value == 1


async def test_many_reads_with_a_pulling_source() -> None:
    count = 0

    def pull(controller: ReadableStreamDefaultController[int]) -> None:
        nonlocal count
        count += 1
        if count > 100:
            controller.close()
        else:
            controller.enqueue(count)

    stream: ReadableStream[int] = ReadableStream({"pull": pull})
    reader = stream.get_reader()
    values = []
    while not (result := await reader.read()).done:
        values.append(result.value)
    assert values == list(range(1, 101))
