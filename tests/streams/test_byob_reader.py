"""ReadableStreamBYOBReader: reads into the caller's buffer, min, views of every kind."""

from __future__ import annotations

import array
import sys
from typing import Any

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    byte_stream,
    error1,
    flush_async_events,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.byob_reader import ReadableStreamBYOBReader
from wintersockets.streams.readable_stream import ReadableStream


async def test_the_constructor_needs_an_unlocked_byte_stream() -> None:
    with pytest.raises(TypeError, match="needs a ReadableStream"):
        ReadableStreamBYOBReader(b"nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="needs a byte stream"):
        ReadableStreamBYOBReader(ReadableStream())
    stream, _controller = byte_stream()
    reader = ReadableStreamBYOBReader(stream)
    with pytest.raises(TypeError, match="locked"):
        ReadableStreamBYOBReader(stream)
    reader.release_lock()
    ReadableStreamBYOBReader(stream).release_lock()


async def test_a_read_fills_the_callers_buffer_in_place() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"hello world")
    buffer = bytearray(5)
    result = await stream.get_reader("byob").read(buffer)
    assert result.done is False
    assert buffer == b"hello"
    assert isinstance(result.value, memoryview)
    assert result.value.obj is buffer
    assert result.value.tobytes() == b"hello"
    assert controller._queue_total_size == 6


async def test_a_read_into_a_slice_fills_only_the_slice() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"ab")
    buffer = bytearray(b"......")
    result = await stream.get_reader("byob").read(memoryview(buffer)[2:5])
    assert buffer == b"..ab.."
    assert result.value.tobytes() == b"ab"


async def test_the_result_has_the_views_format() -> None:
    stream, controller = byte_stream()
    controller.enqueue(bytes(range(8)) + b"\x01")
    reader = stream.get_reader("byob")
    words = memoryview(bytearray(8)).cast("I")
    result = await reader.read(words)
    assert result.value.format == "I"
    assert result.value.itemsize == 4
    assert len(result.value) == 2
    assert result.value.tolist() == list(memoryview(bytes(range(8))).cast("I"))
    shorts = array.array("H", [0, 0])
    controller.enqueue(b"\x02\x03")
    result = await reader.read(shorts)
    assert result.value.format == "H"
    assert result.value.tolist() == [int.from_bytes(b"\x01\x02", sys.byteorder)]
    assert result.value.obj is shorts
    assert controller._queue_total_size == 1  # the odd byte waits for the next read


async def test_a_partial_element_stays_queued_for_the_next_read() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"abc")
    reader = stream.get_reader("byob")
    result = await reader.read(memoryview(bytearray(4)).cast("H"))
    assert result.value.tobytes() == b"ab"
    result = await reader.read(bytearray(4))
    assert result.value.tobytes() == b"c"


async def test_min_waits_for_enough_bytes() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    buffer = bytearray(8)
    read = reader.read(buffer, min=6)
    controller.enqueue(b"abc")
    await flush_async_events()
    assert_pending(read)
    controller.enqueue(b"defgh")
    result = await read
    assert result.value.tobytes() == b"abcdefgh"


async def test_min_counts_elements_of_the_view() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(memoryview(bytearray(8)).cast("I"), min=2)
    controller.enqueue(b"1234567")
    await flush_async_events()
    assert_pending(read)
    controller.enqueue(b"8")
    assert len((await read).value) == 2


async def test_min_served_from_the_queue_at_once() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"abcdef")
    result = await stream.get_reader("byob").read(bytearray(10), min=4)
    assert result.value.tobytes() == b"abcdef"


async def test_closing_before_min_is_reached_errors_a_read_from_the_queue() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"ab")
    controller.close()
    read = stream.get_reader("byob").read(bytearray(4), min=4)
    await assert_rejects(read, TypeError, "too few bytes")
    assert stream._state == "errored"


async def test_a_pending_min_read_ends_with_what_it_has_when_the_stream_closes() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4), min=4)
    controller.enqueue(b"ab")
    controller.close()
    request = controller.byob_request
    assert request is not None
    request.respond(0)
    result = await read
    assert result.done
    assert result.value.tobytes() == b"ab"


async def test_reading_a_closed_stream_gives_an_empty_view_of_the_buffer() -> None:
    stream, controller = byte_stream()
    controller.close()
    buffer = bytearray(3)
    result = await stream.get_reader("byob").read(memoryview(buffer))
    assert result.done
    assert result.value.nbytes == 0
    assert result.value.obj is buffer


async def test_reading_an_errored_stream_rejects() -> None:
    stream, controller = byte_stream()
    controller.error(error1)
    reader = stream.get_reader("byob")
    await assert_rejects(reader.read(bytearray(1)), error1)
    await assert_rejects(reader.closed, error1)


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (b"read-only", "writable view"),
        (memoryview(b"read-only"), "writable view"),
        (bytearray(), "at least one byte"),
        (memoryview(bytearray(4))[::2], "C-contiguous"),
        ("text", "bytes-like"),
        (12, "bytes-like"),
    ],
)
async def test_a_bad_view_rejects_with_type_error(view: Any, message: str) -> None:
    stream, _controller = byte_stream()
    await assert_rejects(stream.get_reader("byob").read(view), TypeError, message)


@pytest.mark.parametrize(
    ("min", "error", "message"),
    [
        (0, TypeError, "greater than 0"),
        (-1, TypeError, "min must be an integer"),
        (True, TypeError, "min must be an integer"),
        (1.5, TypeError, "min must be an integer"),
        (5, ValueError, "at most the view's 4 elements"),
    ],
)
async def test_a_bad_min_rejects(min: Any, error: type[Exception], message: str) -> None:
    stream, _controller = byte_stream()
    read = stream.get_reader("byob").read(bytearray(4), min=min)
    await assert_rejects(read, error, message)


async def test_min_beyond_the_element_count_of_a_typed_view_rejects() -> None:
    stream, _controller = byte_stream()
    read = stream.get_reader("byob").read(memoryview(bytearray(8)).cast("I"), min=3)
    await assert_rejects(read, ValueError, "2 elements")


async def test_release_lock_rejects_pending_reads_and_later_ones() -> None:
    stream, _controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(2))
    reader.release_lock()
    await assert_rejects(read, TypeError, "released")
    await assert_rejects(reader.read(bytearray(2)), TypeError, "released reader")
    await assert_rejects(reader.closed, TypeError, "released")
    reader.release_lock()


async def test_reads_queue_up_in_order() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    first, second = reader.read(bytearray(3)), reader.read(bytearray(3))
    controller.enqueue(b"abcdef")
    assert (await first).value.tobytes() == b"abc"
    assert (await second).value.tobytes() == b"def"


async def test_a_byob_reader_after_a_default_reader_sees_the_queue() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"abcdef")
    reader = stream.get_reader()
    reader.release_lock()
    byob = stream.get_reader("byob")
    assert (await byob.read(bytearray(2))).value.tobytes() == b"ab"
    byob.release_lock()
    assert await stream.get_reader().read() == ReadResult(b"cdef", False)


async def test_reader_cancel_works_through_the_byob_reader() -> None:
    reasons: list[object] = []
    stream, _controller = byte_stream({"cancel": reasons.append})
    reader = stream.get_reader("byob")
    await reader.cancel("enough")
    assert reasons == ["enough"]
    await reader.closed
