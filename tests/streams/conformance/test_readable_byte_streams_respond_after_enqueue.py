"""The behaviors WPT's ``streams/readable-byte-streams/respond-after-enqueue.any.js`` checks."""

from __future__ import annotations

import asyncio

from wintersockets.streams._types import ReadResult
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream


async def test_respond_after_enqueue_reads_the_enqueued_chunk() -> None:
    def pull(controller: ReadableByteStreamController) -> None:
        controller.enqueue(b"\x01\x02\x03")
        assert controller.byob_request is None  # the enqueue answered the only read
        raise TypeError("JavaScript's null.respond(10) throws here")

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "auto_allocate_chunk_size": 10, "pull": pull}
    )
    assert await stream.get_reader().read() == ReadResult(b"\x01\x02\x03", False)


async def test_respond_with_a_cached_request_after_enqueue_reads_the_enqueued_chunk() -> None:
    def pull(controller: ReadableByteStreamController) -> None:
        request = controller.byob_request
        assert request is not None
        controller.enqueue(b"\x01\x02\x03")
        assert request.view is None  # the enqueue answered it
        try:
            request.respond(10)
        except TypeError:
            pass
        else:
            raise AssertionError("respond() on an invalidated request must raise")

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "auto_allocate_chunk_size": 10, "pull": pull}
    )
    assert await stream.get_reader().read() == ReadResult(b"\x01\x02\x03", False)


async def test_respond_after_enqueue_with_two_reads() -> None:
    def pull(controller: ReadableByteStreamController) -> None:
        controller.enqueue(b"\x01\x02\x03")
        request = controller.byob_request
        assert request is not None
        request.respond(2)

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "auto_allocate_chunk_size": 10, "pull": pull}
    )
    reader = stream.get_reader()
    first, second = await asyncio.gather(reader.read(), reader.read())
    assert first == ReadResult(b"\x01\x02\x03", False)
    assert second == ReadResult(b"\0\0", False)
