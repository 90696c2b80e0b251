"""The behaviors WPT's ``streams/readable-byte-streams/read-min.any.js`` checks."""

from __future__ import annotations

import pytest

from tests.streams.support import (
    assert_pending,
    assert_rejects,
    byte_stream,
    error1,
    flush_async_events,
    no_pull,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream


class RequestLog:
    """Records, for each pull, where byob_request.view lies in the reader's buffer."""

    def __init__(self) -> None:
        self.views: list[tuple[int, int]] = []  # (offset in the reader's buffer, length)

    def record(self, controller: ReadableByteStreamController, buffer: bytearray) -> memoryview:
        request = controller.byob_request
        assert request is not None
        view = request.view
        assert view is not None
        assert view.obj is buffer
        offset = len(buffer) - view.nbytes  # the request views the tail of the buffer
        self.views.append((offset, view.nbytes))
        return view


async def test_min_0_rejects_with_type_error() -> None:
    stream, _controller = byte_stream({"pull": no_pull})
    await assert_rejects(stream.get_reader("byob").read(bytearray(1), min=0), TypeError)


@pytest.mark.parametrize(
    "view", [memoryview(bytearray(1)), memoryview(bytearray(2)).cast("H")], ids=["B", "H"]
)
async def test_min_larger_than_the_view_rejects_with_value_error(view: memoryview) -> None:
    stream, _controller = byte_stream({"pull": no_pull})
    assert len(view) == 1
    await assert_rejects(stream.get_reader("byob").read(view, min=2), ValueError)


async def test_read_min_then_read() -> None:
    buffer = bytearray(3)
    log = RequestLog()
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        request = controller.byob_request
        assert request is not None
        view = request.view
        assert view is not None
        if pulls < 2:
            view = log.record(controller, buffer)
        if pulls == 0:
            view[0:2] = b"\x01\x02"
            request.respond(2)
        elif pulls == 1:
            view[0] = 0x03
            request.respond(1)
        elif pulls == 2:
            log.views.append((0, view.nbytes))
            view[0] = 0x04
            request.respond(1)
        pulls += 1

    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes", "pull": pull})
    reader = stream.get_reader("byob")
    read1 = reader.read(buffer, min=3)
    read2 = reader.read(bytearray(1))
    assert bytes((await read1).value) == b"\x01\x02\x03"
    assert bytes((await read2).value) == b"\x04"
    assert pulls == 3
    assert log.views == [(0, 3), (2, 1), (0, 1)]


async def test_enqueue_then_read_min() -> None:
    buffer = bytearray(3)
    log = RequestLog()
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        view = log.record(controller, buffer)
        if pulls == 0:
            view[0:2] = b"\x02\x03"
            request = controller.byob_request
            assert request is not None
            request.respond(2)
        pulls += 1

    stream, controller = byte_stream({"pull": pull})
    controller.enqueue(b"\x01")
    result = await stream.get_reader("byob").read(buffer, min=3)
    assert bytes(result.value) == b"\x01\x02\x03"
    assert pulls == 1
    assert log.views == [(1, 2)]


async def test_read_min_then_several_enqueues() -> None:
    buffer = bytearray(3)
    log = RequestLog()
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        log.record(controller, buffer)
        controller.enqueue(b"\x01\x02" if pulls == 0 else b"\x03")
        pulls += 1

    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes", "pull": pull})
    result = await stream.get_reader("byob").read(buffer, min=3)
    assert bytes(result.value) == b"\x01\x02\x03"
    assert pulls == 2
    assert log.views == [(0, 3), (2, 1)]


async def test_enqueue_read_min_partially_then_read() -> None:
    chunk = bytearray(16)
    chunk[0], chunk[8] = 0x01, 0x02
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    byob = stream.get_reader("byob")
    result = await byob.read(bytearray(8), min=8)
    assert result.value.nbytes == 8
    assert result.value[0] == 0x01
    byob.release_lock()
    rest = await stream.get_reader().read()
    assert len(rest.value) == 8
    assert rest.value[0] == 0x02


async def test_read_min_on_a_closed_stream() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    controller.close()
    reader = stream.get_reader("byob")
    buffer = bytearray(b"\x01")
    result = await reader.read(buffer, min=1)
    assert result.done
    assert result.value.nbytes == 0
    assert result.value.obj is buffer
    await reader.closed


async def test_read_min_when_closed_before_the_view_is_filled() -> None:
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        if pulls == 0:
            request.view[0] = 0x01
            request.respond(1)
        elif pulls == 1:
            controller.close()
            request.respond(0)
        pulls += 1

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(bytearray(3), min=3)
    assert result.done
    assert bytes(result.value) == b"\x01"
    assert pulls == 2
    await reader.closed


async def test_read_min_when_closed_right_after_the_view_is_filled() -> None:
    pulls = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal pulls
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        if pulls == 0:
            request.view[0:2] = b"\x01\x02"
            request.respond(2)
        elif pulls == 1:
            request.view[0] = 0x03
            request.respond(1)
            controller.close()
        pulls += 1

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(bytearray(3), min=3)
    assert not result.done
    assert bytes(result.value) == b"\x01\x02\x03"
    assert pulls == 2
    await reader.closed


async def test_read_min_on_an_errored_stream_or_then_error() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    controller.error(error1)
    reader = stream.get_reader("byob")
    await assert_rejects(reader.read(bytearray(1), min=1), error1)
    await assert_rejects(reader.closed, error1)
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(1), min=1)
    controller.error(error1)
    await assert_rejects(read, error1)
    await assert_rejects(reader.closed, error1)


async def test_read_min_then_cancel() -> None:
    reasons: list[object] = []

    def cancel(reason: object) -> str:
        reasons.append(reason)
        return "bar"

    stream, _controller = byte_stream({"pull": no_pull, "cancel": cancel})
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(1), min=1)
    await reader.cancel(error1)
    assert await read == ReadResult(None, True)
    assert reasons == [error1]


async def test_read_min_with_a_typed_view_waits_for_whole_elements() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(memoryview(bytearray(8)).cast("H"), min=3)
    controller.enqueue(b"\x01\x02\x03\x04\x05")
    await flush_async_events()
    assert_pending(read)
    controller.enqueue(b"\x06\x07")
    result = await read
    assert len(result.value) == 3
    assert result.value.format == "H"
    assert controller._queue_total_size == 1  # the seventh byte waits for the next read


async def test_min_reads_from_a_source_that_trickles() -> None:
    data = bytes(range(100))
    position = 0

    def pull(controller: ReadableByteStreamController) -> None:
        nonlocal position
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        n = min(3, len(data) - position, request.view.nbytes)
        if n == 0:
            controller.close()
            request.respond(0)
            return
        request.view[:n] = data[position : position + n]
        position += n
        request.respond(n)

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    received = bytearray()
    while not (result := await reader.read(bytearray(10), min=10)).done:
        assert result.value.nbytes == 10
        received += result.value
    received += result.value
    assert received == data
    await reader.closed
