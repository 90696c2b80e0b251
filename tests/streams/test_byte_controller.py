"""ReadableByteStreamController and ReadableStreamBYOBRequest: chunks, requests, responses."""

from __future__ import annotations

import array
import asyncio

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    byte_stream,
    error1,
    flush_async_events,
    readable_stream_to_array,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.byob_request import ReadableStreamBYOBRequest
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream

# Chunks --------------------------------------------------------------------------------------


async def test_a_bytes_chunk_is_kept_without_copying() -> None:
    stream, controller = byte_stream()
    chunk = b"hello"
    controller.enqueue(chunk)
    result = await stream.get_reader().read()
    assert result.value is chunk


async def test_a_mutable_chunk_is_copied_at_enqueue() -> None:
    stream, controller = byte_stream()
    chunk = bytearray(b"abc")
    controller.enqueue(chunk)
    chunk[0] = ord("X")
    controller.enqueue(memoryview(bytearray(b"def"))[1:])
    controller.enqueue(array.array("H", [1]))
    controller.close()
    chunks = await readable_stream_to_array(stream)
    assert chunks == [b"abc", b"ef", array.array("H", [1]).tobytes()]
    assert all(type(c) is bytes for c in chunks)


async def test_a_pending_default_read_gets_the_chunk_directly() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader()
    read = reader.read()
    chunk = b"direct"
    controller.enqueue(chunk)
    assert (await read).value is chunk
    assert controller.desired_size == 0


@pytest.mark.parametrize("chunk", ["text", 5, None, [1, 2]])
async def test_a_chunk_that_is_not_bytes_like_is_a_type_error(chunk: object) -> None:
    _stream, controller = byte_stream()
    with pytest.raises(TypeError, match="bytes-like"):
        controller.enqueue(chunk)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunk", [b"", bytearray(), memoryview(b"abc")[3:]])
async def test_an_empty_chunk_is_a_type_error(chunk: bytes) -> None:
    _stream, controller = byte_stream()
    with pytest.raises(TypeError, match="empty chunk"):
        controller.enqueue(chunk)


async def test_enqueue_and_close_after_close_or_error() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"a")
    controller.close()
    with pytest.raises(TypeError, match="close\\(\\) was already called"):
        controller.enqueue(b"b")
    with pytest.raises(TypeError, match="close\\(\\) was already called"):
        controller.close()
    assert await readable_stream_to_array(stream) == [b"a"]
    with pytest.raises(TypeError, match="close\\(\\) was already called"):
        controller.enqueue(b"c")
    stream, controller = byte_stream()
    controller.error(error1)
    with pytest.raises(TypeError, match="errored"):
        controller.enqueue(b"c")
    with pytest.raises(TypeError, match="errored"):
        controller.close()


async def test_desired_size_counts_bytes() -> None:
    _stream, controller = byte_stream(None, {"high_water_mark": 10})
    assert controller.desired_size == 10
    controller.enqueue(b"abcd")
    assert controller.desired_size == 6
    controller.close()
    assert controller.desired_size == 6  # still readable until drained


async def test_error_rejects_reads_and_clears_the_queue() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"lost")
    reader = stream.get_reader()
    controller.error(error1)
    await assert_rejects(reader.read(), error1)
    assert controller._queue_total_size == 0
    assert controller.desired_size is None


async def test_pull_is_called_while_reads_are_pending() -> None:
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        pulls += 1
        controller.enqueue(bytes([pulls]))

    stream, _controller = byte_stream({"pull": pull})
    await flush_async_events()
    assert pulls == 0  # high-water mark 0, no read
    reader = stream.get_reader()
    assert (await reader.read()).value == b"\x01"
    assert (await reader.read()).value == b"\x02"
    assert pulls == 2


# The BYOB request ----------------------------------------------------------------------------


async def test_no_byob_request_without_a_pending_read_into_a_buffer() -> None:
    stream, controller = byte_stream()
    assert controller.byob_request is None
    stream.get_reader().read().cancel()
    assert controller.byob_request is None


async def test_the_byob_request_views_the_readers_buffer() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(8)
    read = stream.get_reader("byob").read(buffer)
    request = controller.byob_request
    assert request is not None
    assert controller.byob_request is request
    view = request.view
    assert view is not None
    assert request.view is view
    assert view.nbytes == 8
    assert not view.readonly
    assert view.obj is buffer
    view[:3] = b"abc"
    request.respond(3)
    assert request.view is None
    assert controller.byob_request is None
    result = await read
    assert not result.done
    assert bytes(result.value) == b"abc"
    assert result.value.obj is buffer


async def test_an_answered_request_cannot_respond_again() -> None:
    stream, controller = byte_stream()
    read = stream.get_reader("byob").read(bytearray(4))
    request = controller.byob_request
    assert request is not None
    request.respond(1)
    with pytest.raises(TypeError, match="already answered or invalidated"):
        request.respond(1)
    with pytest.raises(TypeError, match="already answered or invalidated"):
        request.respond_with_new_view(bytearray(1))
    await read


async def test_enqueue_invalidates_the_byob_request() -> None:
    stream, controller = byte_stream()
    read = stream.get_reader("byob").read(bytearray(4))
    request = controller.byob_request
    assert request is not None
    controller.enqueue(b"xy")
    assert request.view is None
    assert bytes((await read).value) == b"xy"


async def test_the_request_cannot_be_constructed_directly() -> None:
    with pytest.raises(TypeError, match="cannot be constructed directly"):
        ReadableStreamBYOBRequest()


async def test_respond_checks_bytes_written() -> None:
    stream, controller = byte_stream()
    read = stream.get_reader("byob").read(bytearray(4))
    request = controller.byob_request
    assert request is not None
    with pytest.raises(TypeError, match="respond\\(0\\) is only for a closed stream"):
        request.respond(0)
    with pytest.raises(ValueError, match="at most the view's 4 bytes"):
        request.respond(5)
    with pytest.raises(TypeError, match="bytes_written must be an integer"):
        request.respond(-1)
    with pytest.raises(TypeError, match="bytes_written must be an integer"):
        request.respond(1.0)  # type: ignore[arg-type]
    request.respond(4)
    assert bytes((await read).value) == b"\0\0\0\0"


async def test_respond_on_a_closed_stream_takes_0_and_ends_the_read() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(4)
    read = stream.get_reader("byob").read(buffer)
    controller.close()
    request = controller.byob_request
    assert request is not None
    with pytest.raises(TypeError, match="closed stream takes 0"):
        request.respond(1)
    request.respond(0)
    result = await read
    assert result.done
    assert result.value.nbytes == 0
    assert result.value.obj is buffer


async def test_respond_with_new_view() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(6)
    read = stream.get_reader("byob").read(buffer)
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:2] = b"hi"
    request.respond_with_new_view(request.view[:2])
    assert bytes((await read).value) == b"hi"


async def test_respond_with_new_view_after_a_partial_fill_starts_at_the_fill_position() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(4)
    read = stream.get_reader("byob").read(memoryview(buffer).cast("I"))
    request = controller.byob_request
    assert request is not None
    request.respond(2)  # half an element: the read stays pending
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    assert request.view.nbytes == 2
    with pytest.raises(
        ValueError, match=r"starts at byte 0 of its buffer, byob_request[.]view at byte 2"
    ):
        request.respond_with_new_view(memoryview(buffer)[0:2])
    request.respond_with_new_view(memoryview(buffer)[2:4])
    result = await read
    assert result.value.format == "I"
    assert len(result.value) == 1


async def test_respond_with_new_view_rejects_other_geometry() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(4)
    read = stream.get_reader("byob").read(buffer)
    request = controller.byob_request
    assert request is not None
    with pytest.raises(ValueError, match=r"holds 2 bytes, byob_request[.]view's 4"):
        request.respond_with_new_view(bytearray(2))
    with pytest.raises(ValueError, match="starts at byte 1"):
        request.respond_with_new_view(memoryview(buffer)[1:3])
    with pytest.raises(ValueError, match="writable view"):
        request.respond_with_new_view(bytes(2))
    with pytest.raises(TypeError, match="bytes-like"):
        request.respond_with_new_view("ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="empty view"):
        request.respond_with_new_view(memoryview(buffer)[:0])
    assert request.view is not None
    request.respond_with_new_view(request.view[:4])
    assert bytes((await read).value) == bytes(4)


async def test_respond_with_new_view_longer_than_the_request_is_a_value_error() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(8)
    read = stream.get_reader("byob").read(memoryview(buffer)[:4])
    request = controller.byob_request
    assert request is not None
    with pytest.raises(ValueError, match=r"more than byob_request[.]view's 4"):
        request.respond_with_new_view(memoryview(buffer)[:5])
    request.respond(1)
    assert bytes((await read).value) == b"\0"


async def test_respond_with_new_view_in_another_buffer_copies_into_the_readers() -> None:
    """The spec accepts any buffer of the request's length at its offset; we copy it in."""
    stream, controller = byte_stream()
    buffer = bytearray(8)
    read = stream.get_reader("byob").read(memoryview(buffer)[4:8])
    request = controller.byob_request
    assert request is not None
    other = bytearray(8)
    other[4:6] = b"hi"
    request.respond_with_new_view(memoryview(other)[4:6])
    result = await read
    assert bytes(result.value) == b"hi"
    assert result.value.obj is buffer
    assert buffer == bytes(4) + b"hi" + bytes(2)


async def test_respond_with_new_view_on_a_closed_stream_takes_an_empty_view() -> None:
    stream, controller = byte_stream()
    buffer = bytearray(4)
    read = stream.get_reader("byob").read(buffer)
    controller.close()
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    with pytest.raises(TypeError, match="takes an empty view"):
        request.respond_with_new_view(request.view[:1])
    request.respond_with_new_view(request.view[:0])
    assert (await read).done


async def test_close_with_a_partial_element_pending_errors_the_stream() -> None:
    stream, controller = byte_stream()
    read = stream.get_reader("byob").read(memoryview(bytearray(4)).cast("H"))
    request = controller.byob_request
    assert request is not None
    request.respond(1)
    with pytest.raises(TypeError, match="too few bytes"):
        controller.close()
    assert stream._state == "errored"
    await assert_rejects(read, TypeError)


# Automatic allocation ------------------------------------------------------------------------


async def test_auto_allocate_gives_a_default_read_a_byob_request() -> None:
    stream, controller = byte_stream({"auto_allocate_chunk_size": 16})
    read = stream.get_reader().read()
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    assert request.view.nbytes == 16
    request.view[:5] = b"hello"
    request.respond(5)
    result = await read
    assert result == ReadResult(b"hello", False)
    assert type(result.value) is bytes


async def test_auto_allocate_and_enqueue_together() -> None:
    stream, controller = byte_stream({"auto_allocate_chunk_size": 16})
    reader = stream.get_reader()
    read = reader.read()
    assert controller.byob_request is not None
    controller.enqueue(b"instead")
    assert (await read).value == b"instead"
    assert controller.byob_request is None


async def test_a_source_filling_the_request_with_recv_into_style_writes() -> None:
    data = b"0123456789" * 10
    position = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal position
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        n = min(7, len(data) - position, request.view.nbytes)
        if n == 0:
            controller.close()
            request.respond(0)
            return
        request.view[:n] = data[position : position + n]
        position += n
        request.respond(n)

    stream, _controller = byte_stream({"pull": pull, "auto_allocate_chunk_size": 64})
    assert b"".join(await readable_stream_to_array(stream)) == data


async def test_releasing_a_byob_reader_with_a_pending_read_keeps_what_the_source_writes() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4))
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    reader.release_lock()
    await assert_rejects(read, TypeError, "released")
    request.view[:2] = b"ok"
    request.respond(2)
    assert (await stream.get_reader().read()).value == b"ok"


async def test_cancel_ends_pending_byob_reads_without_a_view() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4))
    await reader.cancel()
    assert await read == ReadResult(None, True)
    assert controller.byob_request is None


# Abandoned reads (not in the spec) -----------------------------------------------------------


async def test_bytes_written_for_a_cancelled_byob_read_go_to_the_next_read() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    abandoned_buffer = bytearray(8)
    abandoned = reader.read(abandoned_buffer)
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    abandoned.cancel()
    request.view[:3] = b"abc"  # the source was writing when the caller gave up
    request.respond(3)
    result = await reader.read(bytearray(8))
    assert bytes(result.value) == b"abc"


async def test_a_cancelled_partially_filled_read_returns_its_bytes_first() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    abandoned = reader.read(bytearray(8), min=8)
    controller.enqueue(b"first")  # 5 of the 8 bytes the read waits for
    assert_pending(abandoned)
    abandoned.cancel()
    controller.enqueue(b"-second")
    result = await reader.read(bytearray(16))
    assert bytes(result.value) == b"first-second"


async def test_a_byob_read_that_times_out_loses_no_byte() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.read(bytearray(4)), 0.01)
    controller.enqueue(b"late")
    assert bytes((await reader.read(bytearray(4))).value) == b"late"


async def test_a_cancelled_read_behind_a_live_one_is_dropped() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    first = reader.read(bytearray(2))
    second = reader.read(bytearray(2))
    third = reader.read(bytearray(2))
    second.cancel()
    controller.enqueue(b"aabb")
    assert bytes((await first).value) == b"aa"
    assert bytes((await third).value) == b"bb"


async def test_a_cancelled_auto_allocated_read_keeps_the_bytes_the_source_writes() -> None:
    stream, controller = byte_stream({"auto_allocate_chunk_size": 8})
    reader = stream.get_reader()
    abandoned = reader.read()
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    abandoned.cancel()
    request.view[:4] = b"kept"
    request.respond(4)
    assert (await reader.read()).value == b"kept"


async def test_a_cancelled_default_read_on_a_byte_stream_leaves_the_chunk_queued() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader()
    reader.read().cancel()
    controller.enqueue(b"queued")
    assert controller.desired_size == -6
    assert (await reader.read()).value == b"queued"


async def test_stream_built_with_the_class_reads_everything() -> None:
    chunks = [b"a" * 100, b"b" * 50]

    def pull(controller: ReadableByteStreamController) -> None:
        if chunks:
            controller.enqueue(chunks.pop(0))
            return
        controller.close()
        request = controller.byob_request
        if request is not None:  # a pending read into a buffer ends when answered
            request.respond(0)

    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes", "pull": pull})
    reader = stream.get_reader("byob")
    received = bytearray()
    while True:
        result = await reader.read(bytearray(30))
        if result.done:
            break
        received += result.value
    assert received == b"a" * 100 + b"b" * 50
