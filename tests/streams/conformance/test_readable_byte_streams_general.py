"""The behaviors WPT's ``streams/readable-byte-streams/general.any.js`` checks.

Python cannot transfer buffers: where WPT checks that a view's buffer was detached after
``respond()``, we check that the request was invalidated (its ``view`` is ``None``). The
current spec's ``release_lock()`` rejects pending reads (older WPT expected it to throw).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    byte_stream,
    error1,
    flush_async_events,
    js_await,
    no_pull,
)
from wintersockets.streams._types import ReadResult
from wintersockets.streams.byob_reader import ReadableStreamBYOBReader
from wintersockets.streams.byte_controller import ReadableByteStreamController
from wintersockets.streams.readable_stream import ReadableStream

Controller = ReadableByteStreamController


def request_of(controller: Controller) -> tuple[Any, memoryview]:
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    return request, request.view


async def test_get_reader_byob_on_a_default_stream_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ReadableStream().get_reader("byob")


async def test_get_reader_byob_modes() -> None:
    stream: ReadableStream[bytes] = ReadableStream({"type": "bytes"})
    reader = stream.get_reader({"mode": "byob", "notmode": "ignored"})
    assert isinstance(reader, ReadableStreamBYOBReader)


async def test_start_then_pull_with_the_high_water_mark_as_desired_size() -> None:
    seen: list[object] = []
    started = asyncio.get_running_loop().create_future()

    def start(controller: Controller) -> None:
        seen.append("start")

    def pull(controller: Controller) -> None:
        seen.append(controller.desired_size)
        if not started.done():
            started.set_result(None)

    ReadableStream({"type": "bytes", "start": start, "pull": pull}, {"high_water_mark": 256})
    await started
    assert seen == ["start", 256]


async def test_no_pull_before_start_finishes() -> None:
    pulls: list[int] = []
    start_done = asyncio.get_running_loop().create_future()
    ReadableStream(
        {"type": "bytes", "start": lambda c: start_done, "pull": lambda c: pulls.append(1)},
        {"high_water_mark": 256},
    )
    await flush_async_events()
    assert pulls == []
    start_done.set_result(None)
    await flush_async_events()
    assert pulls == [1]


async def test_start_that_raises_makes_the_constructor_raise() -> None:
    def start(_controller: Controller) -> None:
        raise error1

    with pytest.raises(type(error1)):
        ReadableStream({"type": "bytes", "start": start})


async def test_no_pull_with_a_high_water_mark_of_0() -> None:
    ReadableStream({"type": "bytes", "pull": no_pull}, {"high_water_mark": 0})
    await flush_async_events()


async def test_desired_size_when_closed_or_errored() -> None:
    _stream, controller = byte_stream(None, {"high_water_mark": 10})
    assert controller.desired_size == 10
    controller.close()
    assert controller.desired_size == 0
    _stream, controller = byte_stream(None, {"high_water_mark": 10})
    controller.error()
    assert controller.desired_size is None


@pytest.mark.parametrize("mode", [None, "byob"])
async def test_release_lock_rejects_closed(mode: Any) -> None:
    reader = ReadableStream({"type": "bytes"}).get_reader(mode)
    reader.release_lock()
    await assert_rejects(reader.closed, TypeError)


@pytest.mark.parametrize("mode", [None, "byob"])
async def test_closing_or_erroring_does_not_release_the_reader(mode: Any) -> None:
    stream, controller = byte_stream({"pull": no_pull})
    controller.close()
    await stream.get_reader(mode).closed
    with pytest.raises(TypeError):
        stream.get_reader(mode)
    stream, controller = byte_stream({"pull": no_pull})
    controller.error(error1)
    await assert_rejects(stream.get_reader(mode).closed, error1)
    with pytest.raises(TypeError):
        stream.get_reader(mode)


async def test_release_lock_with_a_pending_read_rejects_it() -> None:
    reader = ReadableStream({"type": "bytes"}).get_reader()
    read = reader.read()
    reader.release_lock()
    await assert_rejects(read, TypeError)


@pytest.mark.parametrize("read_kind", ["none", "read", "read_view"])
async def test_automatic_pull_after_start(read_kind: str) -> None:
    pulls: list[int] = []
    strategy = {"high_water_mark": 8 if read_kind == "none" else 0}
    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "pull": lambda c: pulls.append(1)}, strategy
    )
    pending: list[asyncio.Future[Any]] = []
    if read_kind == "read":
        pending.append(stream.get_reader().read())
    elif read_kind == "read_view":
        pending.append(stream.get_reader("byob").read(bytearray(8)))
    else:
        stream.get_reader()
    assert pulls == []
    await flush_async_events()
    assert pulls == [1]
    for future in pending:
        future.cancel()


async def test_auto_allocate_chunk_size() -> None:
    views: list[int] = []
    pulls = 0

    def pull(controller: Controller) -> None:
        nonlocal pulls
        request, view = request_of(controller)
        views.append(view.nbytes)
        if pulls == 0:
            view[0] = 0x01
            request.respond(1)
        elif pulls == 1:
            view[0:2] = b"\x02\x03"
            request.respond(2)
        pulls += 1

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "pull": pull, "auto_allocate_chunk_size": 16}, {"high_water_mark": 0}
    )
    reader = stream.get_reader()
    read0, read1 = reader.read(), reader.read()
    assert pulls == 0
    assert await read0 == ReadResult(b"\x01", False)
    assert await read1 == ReadResult(b"\x02\x03", False)
    assert pulls == 2
    assert views == [16, 16]


async def test_mix_of_auto_allocate_and_byob() -> None:
    views: list[int] = []
    pulls = 0

    def pull(controller: Controller) -> None:
        nonlocal pulls
        request, view = request_of(controller)
        views.append(view.nbytes)
        if pulls == 0:
            view[0] = 0x01
            request.respond(1)
        elif pulls == 1:
            view[0:2] = b"\x02\x03"
            request.respond(2)
        pulls += 1

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "pull": pull, "auto_allocate_chunk_size": 16}, {"high_water_mark": 0}
    )
    reader = stream.get_reader()
    assert await reader.read() == ReadResult(b"\x01", False)
    reader.release_lock()
    buffer = bytearray(32)
    result = await stream.get_reader("byob").read(buffer)
    assert bytes(result.value) == b"\x02\x03"
    assert result.value.obj is buffer
    assert views == [16, 32]
    assert pulls == 2


async def test_enqueue_get_reader_then_read() -> None:
    pulls: list[float | None] = []
    box: list[Controller] = []

    def start(controller: Controller) -> None:
        controller.enqueue(bytes(16))
        box.append(controller)

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "start": start, "pull": lambda c: pulls.append(c.desired_size)},
        {"high_water_mark": 8},
    )
    assert box[0].desired_size == -8
    await flush_async_events()
    assert pulls == []
    read = stream.get_reader().read()
    assert pulls == [8]
    result = await read
    assert len(result.value) == 16


async def test_a_push_source_that_ignores_pull() -> None:
    stream, controller = byte_stream()
    read = stream.get_reader().read()
    controller.enqueue(bytes(1))
    assert await read == ReadResult(b"\0", False)


async def test_a_pull_that_is_not_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        ReadableStream({"type": "bytes", "pull": "foo"})


async def test_enqueue_a_typed_view_reads_its_bytes() -> None:
    stream, controller = byte_stream()
    controller.enqueue(memoryview(bytearray(32)).cast("H"))
    result = await stream.get_reader().read()
    assert result.value == bytes(32)


async def test_enqueue_read_view_partially_then_read() -> None:
    chunk = bytearray(16)
    chunk[0], chunk[8] = 0x01, 0x02
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    byob = stream.get_reader("byob")
    first = await byob.read(bytearray(8))
    assert first.value.nbytes == 8
    assert first.value[0] == 0x01
    byob.release_lock()
    rest = await stream.get_reader().read()
    assert len(rest.value) == 8
    assert rest.value[0] == 0x02


@pytest.mark.parametrize("reader_first", [True, False])
async def test_enqueue_close_then_read(reader_first: bool) -> None:
    stream, controller = byte_stream({"pull": no_pull})
    reader = stream.get_reader() if reader_first else None
    controller.enqueue(bytes(16))
    controller.close()
    reader = reader or stream.get_reader()
    assert len((await reader.read()).value) == 16
    assert await reader.read() == ReadResult(None, True)


async def test_respond_to_pull_by_enqueue() -> None:
    requests: list[object] = []

    def pull(controller: Controller) -> None:
        controller.enqueue(bytes(16))
        requests.append(controller.byob_request)

    result = await ReadableStream({"type": "bytes", "pull": pull}).get_reader().read()
    assert len(result.value) == 16
    assert requests == [None]


async def test_respond_to_pull_by_enqueue_asynchronously() -> None:
    pulls = 0
    sizes: list[float | None] = []
    requests: list[object] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        requests.append(controller.byob_request)
        sizes.append(controller.desired_size)
        controller.enqueue(b"\0")
        sizes.append(controller.desired_size)
        controller.enqueue(b"\0")
        sizes.append(controller.desired_size)
        pulls += 1

    stream, controller = byte_stream({"pull": pull}, {"high_water_mark": 0})
    reader = stream.get_reader()
    reads = [reader.read(), reader.read(), reader.read()]
    controller.enqueue(b"\0")
    assert pulls == 0
    results = await asyncio.gather(*reads)
    assert [len(r.value) for r in results] == [1, 1, 1]
    assert pulls == 1
    assert requests == [None]
    assert sizes == [0, 0, 0]


async def test_respond_to_several_pulls_by_separate_enqueues() -> None:
    pulls = 0
    sizes: list[float | None] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        sizes.append(controller.desired_size)
        if pulls < 3:
            controller.enqueue(b"\0")
        else:
            controller.close()
        pulls += 1

    stream: ReadableStream[bytes] = ReadableStream(
        {"type": "bytes", "pull": pull}, {"high_water_mark": 256}
    )
    reader = stream.get_reader()
    reads = [reader.read(), reader.read(), reader.read()]
    assert pulls == 0
    results = await asyncio.gather(*reads)
    await flush_async_events()
    assert pulls == 4
    assert [len(r.value) for r in results] == [1, 1, 1]
    assert sizes == [256, 256, 256, 256]


async def test_read_view_then_respond() -> None:
    had_request: list[bool] = []
    initial_views: list[object] = []

    def pull(controller: Controller) -> None:
        request, view = request_of(controller)
        had_request.append(True)
        view[0] = 0x01
        request.respond(1)
        had_request.append(controller.byob_request is not None)
        initial_views.append(request.view)

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(bytearray(1))
    assert bytes(result.value) == b"\x01"
    assert had_request == [True, False]
    assert initial_views == [None]


async def test_read_view_then_respond_with_new_view() -> None:
    def pull(controller: Controller) -> None:
        request, view = request_of(controller)
        replacement = bytearray(view.nbytes)  # another buffer, same geometry
        replacement[0] = 0x01
        request.respond_with_new_view(replacement)
        assert controller.byob_request is None
        assert request.view is None

    buffer = bytearray(1)
    result = await ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob").read(buffer)
    assert bytes(result.value) == b"\x01"
    assert result.value.obj is buffer


async def test_respond_with_too_big_a_value_is_a_value_error() -> None:
    errors: list[BaseException] = []

    def pull(controller: Controller) -> None:
        request, _view = request_of(controller)
        try:
            request.respond(2)
        except ValueError as exc:
            errors.append(exc)
        request.respond(1)

    await ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob").read(bytearray(1))
    assert len(errors) == 1


async def test_respond_3_to_a_two_element_short_view_queues_the_remainder() -> None:
    pulls = 0
    views: list[int] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        pulls += 1
        request, view = request_of(controller)
        views.append(view.nbytes)
        view[0:3] = b"\x01\x02\x03"
        request.respond(3)

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(memoryview(bytearray(4)).cast("H"))
    assert result.value.tobytes() == b"\x01\x02"
    second = await reader.read(bytearray(1))
    assert bytes(second.value) == b"\x03"
    assert pulls == 1
    assert views == [4]


async def test_enqueue_get_reader_then_read_view() -> None:
    chunk = bytearray(16)
    chunk[15] = 0x01
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    result = await stream.get_reader("byob").read(bytearray(16))
    assert result.value.nbytes == 16
    assert result.value[15] == 0x01


@pytest.mark.parametrize("mode", [None, "byob"])
async def test_enqueue_get_reader_then_cancel(mode: Any) -> None:
    reasons: list[object] = []
    stream, controller = byte_stream({"pull": no_pull, "cancel": reasons.append})
    controller.enqueue(bytes(16))
    reason = TypeError("foo")
    await stream.get_reader(mode).cancel(reason)
    assert reasons == [reason]


async def test_read_view_then_cancel() -> None:
    reasons: list[object] = []

    def cancel(reason: object) -> str:
        reasons.append(reason)
        return "bar"

    stream, _controller = byte_stream({"pull": no_pull, "cancel": cancel})
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(1))
    reason = TypeError("foo")
    await reader.cancel(reason)
    assert await read == ReadResult(None, True)
    assert reasons == [reason]


async def test_cancel_with_a_partially_filled_pending_read() -> None:
    pulls = 0
    sizes: list[int] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        _request, view = request_of(controller)
        sizes.append(view.nbytes)
        controller.enqueue(b"\0")
        _request, view = request_of(controller)
        sizes.append(view.nbytes)
        pulls += 1

    stream, _controller = byte_stream({"pull": pull})
    await flush_async_events()
    assert pulls == 0
    reader = stream.get_reader("byob")
    read = reader.read(memoryview(bytearray(2)).cast("H"))
    assert pulls == 1
    assert sizes == [2, 1]
    cancel = reader.cancel()
    assert pulls == 1
    assert await read == ReadResult(None, True)
    await cancel


async def test_read_view_into_part_of_a_buffer() -> None:
    chunk = bytearray(8)
    chunk[7] = 0x01
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    buffer = bytearray(16)
    result = await stream.get_reader("byob").read(memoryview(buffer)[8:16])
    assert result.value.nbytes == 8
    assert buffer[15] == 0x01


async def test_several_enqueues_then_one_read_view() -> None:
    first, second = bytearray(16), bytearray(8)
    first[15], second[7] = 123, 111
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(first)
    controller.enqueue(second)
    result = await stream.get_reader("byob").read(bytearray(24))
    assert result.value.nbytes == 24
    assert result.value[15] == 123
    assert result.value[23] == 111


async def test_read_view_bigger_or_smaller_than_the_chunk() -> None:
    chunk = bytearray(16)
    chunk[7], chunk[15] = 0x01, 0x02
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    reader = stream.get_reader("byob")
    small = await reader.read(bytearray(8))
    assert small.value[7] == 0x01
    small = await reader.read(bytearray(8))
    assert small.value[7] == 0x02
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(chunk)
    big = await stream.get_reader("byob").read(bytearray(24))
    assert big.value.nbytes == 16


async def test_one_byte_enqueued_then_a_short_view_read_pulls_for_the_rest() -> None:
    views: list[int] = []

    def pull(controller: Controller) -> None:
        if controller.byob_request is None:
            return
        request, view = request_of(controller)
        views.append(view.nbytes)
        view[0] = 0xAA
        request.respond(1)

    stream, controller = byte_stream({"pull": pull})
    controller.enqueue(b"\xff")
    result = await stream.get_reader("byob").read(memoryview(bytearray(2)).cast("H"))
    assert result.value.tobytes() == b"\xff\xaa"
    assert views == [1]


async def test_three_bytes_enqueued_then_two_short_views() -> None:
    pulls = 0
    views: list[int] = []
    sizes: list[float | None] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        request, view = request_of(controller)
        views.append(view.nbytes)
        view[0] = 0x03
        request.respond(1)
        sizes.append(controller.desired_size)
        pulls += 1

    stream, controller = byte_stream({"pull": pull})
    controller.enqueue(b"\x01\x00\x02")
    await flush_async_events()
    reader = stream.get_reader("byob")
    result = await reader.read(memoryview(bytearray(4)).cast("H"))
    assert result.value.tobytes() == b"\x01\x00"
    assert pulls == 0
    second = reader.read(memoryview(bytearray(2)).cast("H"))
    assert pulls == 1
    assert (await second).value.tobytes() == b"\x02\x03"
    assert views == [1]
    assert sizes == [0]


async def test_a_partial_element_on_a_closed_stream_fails_the_read() -> None:
    def start(controller: Controller) -> None:
        controller.enqueue(b"\xff")
        controller.close()

    reader = ReadableStream({"type": "bytes", "start": start, "pull": no_pull}).get_reader("byob")
    await assert_rejects(reader.read(memoryview(bytearray(2)).cast("H")), TypeError)
    await assert_rejects(reader.closed, TypeError)


async def test_close_before_a_short_view_read_is_filled_errors_the_stream() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    controller.enqueue(b"\xff")
    reader = stream.get_reader("byob")
    read = reader.read(memoryview(bytearray(2)).cast("H"))
    with pytest.raises(TypeError):
        controller.close()
    await assert_rejects(read, TypeError)
    await assert_rejects(reader.closed, TypeError)


async def test_close_and_enqueue_after_close_raise_even_before_the_stream_closes() -> None:
    _stream, controller = byte_stream()
    controller.enqueue(b"\0")
    controller.close()
    with pytest.raises(TypeError):
        controller.close()
    with pytest.raises(TypeError):
        controller.enqueue(b"\0")


async def test_read_view_then_respond_and_close_in_pull() -> None:
    views: list[int] = []

    def pull(controller: Controller) -> None:
        request, view = request_of(controller)
        views.append(view.nbytes)
        view[15] = 0x01
        request.respond(16)
        controller.close()

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(bytearray(16))
    assert result.value[15] == 0x01
    last = await reader.read(bytearray(16))
    assert last.done
    assert last.value.nbytes == 0
    assert views == [16]


@pytest.mark.parametrize("by", ["respond", "enqueue"])
async def test_fill_a_uint32_view_one_byte_at_a_time(by: str) -> None:
    pulls = 0
    views: list[int] = []
    invalidated: list[bool] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        if controller.byob_request is None:
            return
        for _ in range(4):
            request, view = request_of(controller)
            views.append(view.nbytes)
            if by == "respond":
                view[0] = 0x01
                request.respond(1)
            else:
                controller.enqueue(b"\x01")
            invalidated.append(request.view is None)
        pulls += 1

    reader = ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob")
    result = await reader.read(memoryview(bytearray(4)).cast("I"))
    assert result.value.tolist() == [0x01010101]
    assert pulls == 1
    assert views == [4, 3, 2, 1]
    assert invalidated == [True] * 4


async def test_read_twice_then_enqueue_twice() -> None:
    pulls = 0
    requests: list[object] = []

    def pull(controller: Controller) -> None:
        nonlocal pulls
        requests.append(controller.byob_request)
        pulls += 1

    stream, controller = byte_stream({"pull": pull})
    reader = stream.get_reader()
    read0, read1 = reader.read(), reader.read()
    assert pulls == 0
    controller.enqueue(b"\0")
    assert pulls == 0
    result0 = await js_await(read0)
    assert pulls == 1
    controller.enqueue(b"\0\0")
    assert pulls == 1  # the queue is no longer below the high-water mark
    assert len(result0.value) == 1
    result1 = await read1
    assert len(result1.value) == 2
    assert requests == [None]


async def test_several_read_views_then_close_and_respond() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    reader = stream.get_reader("byob")
    buffers = [bytearray(16), bytearray(32)]
    reads = [reader.read(buffer) for buffer in buffers]
    controller.close()
    request, _view = request_of(controller)
    request.respond(0)
    for read, buffer in zip(reads, buffers, strict=True):
        result = await read
        assert result.done
        assert result.value.nbytes == 0
        assert result.value.obj is buffer


async def test_several_read_views_then_a_big_enqueue() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    reader = stream.get_reader("byob")
    reads = [reader.read(bytearray(16)), reader.read(bytearray(16))]
    controller.enqueue(bytes(24))
    assert [(await read).value.nbytes for read in reads] == [16, 8]


async def test_several_read_views_and_several_enqueues() -> None:
    stream, controller = byte_stream({"pull": no_pull})
    reader = stream.get_reader("byob")
    first = reader.read(bytearray(7))  # pending before the enqueues, as WPT's pump() is
    controller.enqueue(bytes(512))
    controller.enqueue(bytes(512))
    controller.close()
    total = (await first).value.nbytes
    while not (result := await reader.read(bytearray(7))).done:
        total += result.value.nbytes
    assert total == 1024


@pytest.mark.parametrize("view", [None, {}, object()])
async def test_read_with_something_that_is_not_a_view_rejects(view: Any) -> None:
    stream, _controller = byte_stream({"pull": no_pull})
    await assert_rejects(stream.get_reader("byob").read(view), TypeError)


@pytest.mark.parametrize("mode", [None, "byob"])
async def test_read_on_an_errored_stream_and_read_then_error(mode: Any) -> None:
    def read(reader: Any) -> Any:
        return reader.read(bytearray(1)) if mode == "byob" else reader.read()

    stream, controller = byte_stream({"pull": no_pull})
    controller.error(error1)
    await assert_rejects(read(stream.get_reader(mode)), error1)
    stream, controller = byte_stream()
    pending = read(stream.get_reader(mode))
    controller.error(error1)
    await assert_rejects(pending, error1)


@pytest.mark.parametrize("mode", [None, "byob"])
@pytest.mark.parametrize("errors_first", [False, True])
async def test_a_pull_that_raises_errors_the_stream(mode: Any, errors_first: bool) -> None:
    requests: list[object] = []
    thrown = TypeError("foo")

    def pull(controller: Controller) -> None:
        requests.append(controller.byob_request)
        if errors_first:
            controller.error(error1)
        raise thrown

    reader: Any = ReadableStream({"type": "bytes", "pull": pull}).get_reader(mode)
    expected = error1 if errors_first else thrown
    read = reader.read(bytearray(1)) if mode == "byob" else reader.read()
    await assert_rejects(read, expected)
    await assert_rejects(reader.closed, expected)
    assert (requests[0] is not None) == (mode == "byob")


async def test_respond_twice_on_the_same_request_raises() -> None:
    requests: list[Any] = []

    def pull(controller: Controller) -> None:
        request, _view = request_of(controller)
        requests.append(request)
        request.respond(4)

    await ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob").read(bytearray(16))
    with pytest.raises(TypeError):
        requests[0].respond(4)


async def test_respond_with_new_view_twice_on_the_same_request_raises() -> None:
    requests: list[Any] = []

    def pull(controller: Controller) -> None:
        request, _view = request_of(controller)
        requests.append(request)
        request.respond_with_new_view(bytearray(16))

    await ReadableStream({"type": "bytes", "pull": pull}).get_reader("byob").read(bytearray(16))
    with pytest.raises(TypeError):
        requests[0].respond_with_new_view(bytearray(16))


async def test_respond_0_twice_raises_even_when_closed() -> None:
    loop = asyncio.get_running_loop()
    pulled: asyncio.Future[Any] = loop.create_future()
    release: asyncio.Future[None] = loop.create_future()

    def pull(controller: Controller) -> asyncio.Future[None]:
        pulled.set_result(controller.byob_request)
        return release

    stream, controller = byte_stream({"pull": pull})
    read = stream.get_reader("byob").read(bytearray(16))
    request = await pulled
    controller.close()
    request.respond(0)
    release.set_result(None)
    await read
    with pytest.raises(TypeError):
        request.respond(0)


async def test_pull_sees_enqueued_bytes_as_not_desired() -> None:
    """An enqueue() in start that fills the queue keeps pull from being called."""
    pulls: list[int] = []
    stream, controller = byte_stream({"pull": lambda c: pulls.append(1)}, {"high_water_mark": 4})
    controller.enqueue(bytes(4))
    await flush_async_events()
    assert pulls == []
    assert len((await stream.get_reader().read()).value) == 4
    await flush_async_events()
    assert pulls == [1]
