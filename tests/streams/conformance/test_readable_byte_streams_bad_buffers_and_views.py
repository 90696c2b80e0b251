"""The behaviors WPT's ``streams/readable-byte-streams/bad-buffers-and-views.any.js`` and
``non-transferable-buffers.any.js`` check, in Python terms.

Python cannot detach a buffer, so the cases about detached buffers have no counterpart.
What plays a buffer that cannot be transferred is a read-only one (``bytes``): a read
into it, or a response with it, fails.
"""

from __future__ import annotations

import array
from typing import Any

import pytest

from tests.streams.support import assert_rejects, byte_stream, flush_async_events, no_pull
from wintersockets.streams.byte_controller import ReadableByteStreamController


async def test_reading_from_a_closed_stream_gives_an_empty_view_of_the_same_buffer() -> None:
    stream, controller = byte_stream()
    controller.close()
    buffer = bytearray([1, 2, 3])
    result = await stream.get_reader("byob").read(buffer)
    assert result.done
    assert result.value.nbytes == 0
    assert result.value.obj is buffer
    assert buffer == bytearray([1, 2, 3])


async def test_reading_queued_chunks_fills_the_callers_buffer() -> None:
    stream, controller = byte_stream()
    controller.enqueue(bytes([1, 2, 3]))
    buffer = bytearray([4, 5, 6])
    result = await stream.get_reader("byob").read(buffer)
    assert bytes(result.value) == b"\x01\x02\x03"
    assert buffer == bytearray([1, 2, 3])


@pytest.mark.parametrize(
    "chunk", [b"", bytearray(), memoryview(bytearray(10))[0:0], array.array("B")]
)
async def test_enqueuing_an_empty_view_is_a_type_error(chunk: Any) -> None:
    _stream, controller = byte_stream()
    with pytest.raises(TypeError):
        controller.enqueue(chunk)


async def test_enqueuing_the_same_mutable_buffer_twice_enqueues_two_copies() -> None:
    """JavaScript detaches an enqueued buffer; Python copies it, so it can be reused."""
    stream, controller = byte_stream()
    chunk = bytearray([1, 2, 3])
    controller.enqueue(chunk)
    chunk[0] = 9
    controller.enqueue(chunk)
    reader = stream.get_reader()
    assert (await reader.read()).value == b"\x01\x02\x03"
    assert (await reader.read()).value == b"\x09\x02\x03"


@pytest.mark.parametrize(
    "view", [bytearray(), memoryview(bytearray(10))[0:0], b"abc", memoryview(b"abc")]
)
async def test_reading_into_an_empty_or_read_only_view_rejects(view: Any) -> None:
    stream, controller = byte_stream()
    controller.enqueue(bytes([1, 2, 3]))
    await assert_rejects(stream.get_reader("byob").read(view), TypeError)


async def test_reading_into_a_buffer_again_after_a_read_works() -> None:
    """JavaScript rejects a second read into a detached buffer; Python reuses the buffer."""
    stream, controller = byte_stream()
    controller.enqueue(bytes([1, 2, 3, 4, 5, 6]))
    reader = stream.get_reader("byob")
    buffer = bytearray(3)
    assert bytes((await reader.read(buffer)).value) == b"\x01\x02\x03"
    assert bytes((await reader.read(buffer)).value) == b"\x04\x05\x06"


@pytest.mark.parametrize("closed", [False, True])
@pytest.mark.parametrize(
    "make_view", [lambda: bytearray(), lambda: memoryview(bytearray(10))[0:0]], ids=["0", "0of10"]
)
async def test_respond_with_new_view_with_an_empty_view_of_another_buffer(
    closed: bool, make_view: Any
) -> None:
    errors: list[BaseException] = []

    def pull(controller: ReadableByteStreamController) -> None:
        if closed:
            controller.close()
        request = controller.byob_request
        assert request is not None
        try:
            request.respond_with_new_view(make_view())
        except (TypeError, ValueError) as exc:
            errors.append(exc)

    stream, _controller = byte_stream({"pull": pull})
    read = stream.get_reader("byob").read(bytearray([4, 5, 6]))
    await flush_async_events()
    assert len(errors) == 1
    # Readable: an empty view is the spec's TypeError; closed: another buffer's length is
    # the spec's RangeError.
    assert isinstance(errors[0], ValueError if closed else TypeError)
    read.cancel()


async def test_respond_with_new_view_with_a_read_only_buffer_raises() -> None:
    errors: list[BaseException] = []

    def pull(controller: ReadableByteStreamController) -> None:
        request = controller.byob_request
        assert request is not None
        try:
            request.respond_with_new_view(bytes(1))
        except ValueError as exc:
            errors.append(exc)

    stream, _controller = byte_stream({"pull": pull})
    read = stream.get_reader("byob").read(bytearray(1))
    await flush_async_events()
    assert len(errors) == 1
    read.cancel()


async def test_a_reader_cannot_read_into_a_view_it_does_not_own_the_write_access_to() -> None:
    stream, _controller = byte_stream({"pull": no_pull})
    await assert_rejects(stream.get_reader("byob").read(memoryview(b"x")), TypeError)
