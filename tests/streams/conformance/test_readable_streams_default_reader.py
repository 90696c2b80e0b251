"""The behaviors WPT's ``streams/readable-streams/default-reader.any.js`` checks.

Left out: property descriptors and ``length`` of methods (JavaScript object model).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, stream_with_controller
from wintersockets.streams._promises import promise_rejected_with
from wintersockets.streams._types import ReadResult
from wintersockets.streams.default_reader import ReadableStreamDefaultReader
from wintersockets.streams.readable_stream import ReadableStream


@pytest.mark.parametrize("argument", ["potato", {}, None])
async def test_the_constructor_needs_a_readable_stream(argument: Any) -> None:
    with pytest.raises(TypeError):
        ReadableStreamDefaultReader(argument)


async def test_closed_is_the_same_future_every_time() -> None:
    reader = ReadableStreamDefaultReader(ReadableStream())
    assert reader.closed is reader.closed


async def test_locking_by_construction_or_get_reader_excludes_both() -> None:
    stream: ReadableStream[Any] = ReadableStream()
    ReadableStreamDefaultReader(stream)
    with pytest.raises(TypeError):
        ReadableStreamDefaultReader(stream)
    with pytest.raises(TypeError):
        stream.get_reader()
    stream = ReadableStream()
    stream.get_reader()
    with pytest.raises(TypeError):
        ReadableStreamDefaultReader(stream)
    with pytest.raises(TypeError):
        stream.get_reader()


async def test_a_reader_can_be_constructed_for_a_closed_or_errored_stream() -> None:
    stream, controller = stream_with_controller()
    controller.close()
    ReadableStreamDefaultReader(stream)
    stream, controller = stream_with_controller()
    controller.error(error1)
    ReadableStreamDefaultReader(stream)


async def test_a_read_on_an_empty_stream_waits_for_a_chunk() -> None:
    stream, controller = stream_with_controller()
    read = stream.get_reader().read()
    controller.enqueue("a")
    assert await read == ReadResult("a", False)


async def test_reader_cancel_keeps_the_lock() -> None:
    calls: list[object] = []
    stream: ReadableStream[Any]

    def cancel(reason: object) -> None:
        assert stream.locked
        with pytest.raises(TypeError):
            stream.get_reader()
        calls.append(reason)

    stream = ReadableStream({"cancel": cancel})
    await stream.get_reader().cancel(error1)
    assert calls == [error1]


async def test_closed_resolves_when_the_stream_closes() -> None:
    stream, controller = stream_with_controller()
    closed = stream.get_reader().closed
    controller.close()
    await closed


async def test_closed_of_a_released_reader_rejects_while_the_new_one_resolves() -> None:
    stream, controller = stream_with_controller()
    reader1 = stream.get_reader()
    reader1.release_lock()
    reader2 = stream.get_reader()
    controller.close()
    await assert_rejects(reader1.closed, TypeError)
    await reader2.closed


async def test_readers_in_sequence_share_the_queue() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue("a")
    controller.enqueue("b")
    controller.close()
    reader1 = stream.get_reader()
    read1 = reader1.read()
    reader1.release_lock()
    reader2 = stream.get_reader()
    read2 = reader2.read()
    reader2.release_lock()
    assert await read1 == ReadResult("a", False)
    assert await read2 == ReadResult("b", False)


async def test_a_released_reader_cannot_unlock_the_stream_again() -> None:
    stream, controller = stream_with_controller()
    controller.enqueue("a")
    reader1 = stream.get_reader()
    reader1.release_lock()
    reader2 = stream.get_reader()
    reader1.release_lock()
    assert stream.locked
    assert await reader2.read() == ReadResult("a", False)


async def test_cancel_on_a_released_reader_rejects_and_does_not_reach_the_source() -> None:
    def cancel(_reason: object) -> None:
        raise AssertionError("the source's cancel must not be called")

    stream, controller = stream_with_controller({"cancel": cancel})
    controller.enqueue("a")
    reader = stream.get_reader()
    reader.release_lock()
    cancelled = reader.cancel()
    assert await stream.get_reader().read() == ReadResult("a", False)
    await assert_rejects(cancelled, TypeError)


async def test_a_second_reader_after_error_and_release_sees_the_error() -> None:
    stream, controller = stream_with_controller()
    reader1 = stream.get_reader()
    closed1, read1 = reader1.closed, reader1.read()
    with pytest.raises(TypeError):
        stream.get_reader()
    controller.error(error1)
    reader1.release_lock()
    reader2 = stream.get_reader()
    await assert_rejects(closed1, error1)
    await assert_rejects(read1, error1)
    await assert_rejects(reader2.closed, error1)
    await assert_rejects(reader2.read(), error1)


async def test_erroring_with_none_rejects_with_none_as_the_reason() -> None:
    stream, controller = stream_with_controller()
    closed = stream.get_reader().closed
    controller.error()
    await assert_rejects(closed, None)

    stream = ReadableStream({"start": lambda c: _rejected_with_none()})
    await assert_rejects(stream.get_reader().read(), None)


def _rejected_with_none() -> asyncio.Future[None]:
    return promise_rejected_with(None)


async def test_erroring_before_or_after_getting_closed_rejects_it() -> None:
    stream, controller = stream_with_controller()
    closed = stream.get_reader().closed
    controller.error(error1)
    await assert_rejects(closed, error1)
    stream, controller = stream_with_controller()
    controller.error(error1)
    stream.get_reader().release_lock()
    await assert_rejects(stream.get_reader().closed, error1)


async def test_reading_twice_on_a_stream_that_gets_closed_or_is_closed() -> None:
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    reads = [reader.read(), reader.read()]
    controller.close()
    assert await asyncio.gather(*reads) == [ReadResult(None, True)] * 2
    await reader.closed
    stream, controller = stream_with_controller()
    controller.close()
    reader = stream.get_reader()
    assert list(await asyncio.gather(reader.read(), reader.read())) == [ReadResult(None, True)] * 2
    await reader.closed


async def test_reading_twice_on_a_stream_that_gets_errored_or_is_errored() -> None:
    stream, controller = stream_with_controller()
    controller.error(error1)
    reader = stream.get_reader()
    futures: list[asyncio.Future[Any]] = [reader.read(), reader.read(), reader.closed]
    for future in futures:
        await assert_rejects(future, error1)
    stream, controller = stream_with_controller()
    reader = stream.get_reader()
    futures = [reader.read(), reader.read(), reader.closed]
    controller.error(error1)
    for future in futures:
        await assert_rejects(future, error1)


async def test_get_reader_with_an_unknown_mode_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ReadableStream().get_reader({"mode": ""})


async def test_release_lock_rejects_pending_reads_with_type_error() -> None:
    stream, _controller = stream_with_controller()
    reader = stream.get_reader()
    reads = [reader.read(), reader.read()]
    reader.release_lock()
    for read in reads:
        await assert_rejects(read, TypeError)
