"""Fast paths: the cases at their edges, and the opt-ins other layers use.

The fast paths of the read, respond, enqueue and write hot paths must behave as the spec's
steps do; the conformance tests check that. These tests cover the cases just beside each
fast path (where the spec's path takes over) and the two opt-ins that change *when* a
step runs, which only streams created by other layers (a socket's) may ask for:
``settle_sync_writes_at_once`` and ``settle_sync_pulls_at_once``.
"""

from __future__ import annotations

import array
import asyncio
from typing import Any

import pytest

from tests.streams.support import assert_pending, byte_stream, error1, flush_async_events
from wintersockets.streams.byob_request import (
    current_byob_request_view,
    respond_to_current_byob_request,
)
from wintersockets.streams.byte_controller import (
    ReadableByteStreamController,
    set_up_readable_byte_stream_controller,
)
from wintersockets.streams.readable_stream import ReadableStream, initialize_readable_stream
from wintersockets.streams.writable_stream import create_writable_stream


def _none(*_args: object) -> None:
    return None


# Reads into a buffer -------------------------------------------------------------------------


async def test_a_respond_that_leaves_half_an_element_keeps_it_for_the_next_read() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(memoryview(bytearray(4)).cast("H"))
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:3] = b"\x01\x00\x02"
    request.respond(3)
    result = await read
    assert result.value.format == "H"
    assert result.value.tolist() == [1]
    rest = await reader.read(bytearray(4))
    assert bytes(rest.value) == b"\x02"


async def test_a_respond_short_of_min_keeps_the_read_pending_until_filled() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4), min=4)
    for part in (b"ab", b"cd"):
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        request.view[: len(part)] = part
        request.respond(len(part))
    assert bytes((await read).value) == b"abcd"


async def test_a_respond_with_two_reads_pending_fills_the_first_only() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    first = reader.read(bytearray(2))
    second = reader.read(bytearray(2))
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:2] = b"xy"
    request.respond(2)
    assert bytes((await first).value) == b"xy"
    assert_pending(second)
    controller.enqueue(b"z")
    assert bytes((await second).value) == b"z"


async def test_a_typed_view_read_resolves_in_its_format() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    buffer = array.array("I", [0, 0])
    read = reader.read(buffer)
    request = controller.byob_request
    assert request is not None
    assert request.view is not None
    request.view[:8] = array.array("I", [7, 9]).tobytes()
    request.respond(8)
    result = await read
    assert result.value.tolist() == [7, 9]
    assert buffer.tolist() == [7, 9]


async def test_a_respond_too_large_is_a_value_error_and_changes_nothing() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(2))
    request = controller.byob_request
    assert request is not None
    with pytest.raises(ValueError, match="at most"):
        request.respond(3)
    assert controller.byob_request is request
    request.respond(2)
    assert len((await read).value) == 2


async def test_byob_reads_take_queued_bytes_across_and_within_chunks() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"abc")
    controller.enqueue(b"defgh")
    reader = stream.get_reader("byob")
    first = await reader.read(bytearray(4))
    assert bytes(first.value) == b"abcd"
    second = await reader.read(memoryview(bytearray(2)).cast("b"))
    assert second.value.format == "b"
    assert bytes(second.value) == b"ef"
    assert controller.desired_size == -2
    third = await reader.read(bytearray(8))
    assert bytes(third.value) == b"gh"
    assert controller.desired_size == 0


async def test_a_byob_read_of_the_last_queued_bytes_closes_a_closing_stream() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"end")
    controller.close()
    reader = stream.get_reader("byob")
    assert bytes((await reader.read(bytearray(8))).value) == b"end"
    assert reader.closed.done()
    assert (await reader.read(bytearray(8))).done


async def test_a_byob_read_wanting_more_than_is_queued_waits_for_the_rest() -> None:
    stream, controller = byte_stream()
    controller.enqueue(b"ab")
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4), min=3)
    await flush_async_events()
    assert_pending(read)
    controller.enqueue(b"cd")
    assert bytes((await read).value) == b"abcd"


async def test_a_byob_read_of_a_queue_pulls_once_it_is_drained() -> None:
    pulls = 0

    def pull(controller: Any) -> None:
        nonlocal pulls
        pulls += 1

    stream = ReadableStream({"type": "bytes", "pull": pull}, {"high_water_mark": 1})
    reader = stream.get_reader("byob")
    await flush_async_events()
    assert pulls == 1
    controller = stream._controller
    assert isinstance(controller, ReadableByteStreamController)
    controller.enqueue(b"xyz")
    await flush_async_events()
    assert (await reader.read(bytearray(2))).value.tobytes() == b"xy"
    await flush_async_events()
    assert pulls == 1
    assert (await reader.read(bytearray(2))).value.tobytes() == b"z"
    await flush_async_events()
    assert pulls == 2


# Chunks for default reads ----------------------------------------------------------------------


async def test_an_enqueued_bytes_subclass_is_copied_to_bytes() -> None:
    class Tagged(bytes):
        pass

    stream, controller = byte_stream()
    reader = stream.get_reader()
    read = reader.read()
    controller.enqueue(Tagged(b"tag"))
    value = (await read).value
    assert value == b"tag"


async def test_enqueue_with_a_queue_and_a_pending_read_keeps_the_order() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader()
    reader.read().cancel()  # abandoned: the chunk stays queued
    controller.enqueue(b"one")
    read = reader.read()
    assert (await read).value == b"one"
    later = reader.read()
    controller.enqueue(b"two")
    assert (await later).value == b"two"


async def test_reads_of_a_default_stream_close_it_after_the_last_chunk() -> None:
    def start(controller: Any) -> None:
        controller.enqueue("a")
        controller.enqueue("b")
        controller.close()

    reader = ReadableStream({"start": start}).get_reader()
    assert (await reader.read()).value == "a"
    assert not reader.closed.done()
    assert (await reader.read()).value == "b"
    assert reader.closed.done()
    assert (await reader.read()).done


async def test_a_read_below_the_high_water_mark_pulls() -> None:
    pulls = 0

    def pull(controller: Any) -> None:
        nonlocal pulls
        pulls += 1

    def start(controller: Any) -> None:
        controller.enqueue("a")
        controller.enqueue("b")

    reader = ReadableStream({"start": start, "pull": pull}, {"high_water_mark": 2}).get_reader()
    await flush_async_events()
    assert pulls == 0
    assert (await reader.read()).value == "a"
    await flush_async_events()
    assert pulls == 1


# settle_sync_writes_at_once ------------------------------------------------------------------


async def test_a_sync_write_settles_before_write_returns_when_asked() -> None:
    written: list[bytes] = []
    stream = create_writable_stream(
        _none, written.append, _none, _none, 4, len, settle_sync_writes_at_once=True
    )
    writer = stream.get_writer()
    await flush_async_events()
    write = writer.write(b"abc")
    assert write.done()
    assert write.exception() is None
    assert writer.desired_size == 4
    assert writer.ready.done()
    assert written == [b"abc"]


async def test_a_sync_write_settles_a_turn_later_by_default() -> None:
    written: list[bytes] = []
    stream = create_writable_stream(_none, written.append, _none, _none, 4, len)
    writer = stream.get_writer()
    await flush_async_events()
    write = writer.write(b"abc")
    assert written == [b"abc"]
    assert not write.done()
    assert writer.desired_size == 1
    await write
    assert writer.desired_size == 4


async def test_writes_queued_before_start_all_reach_the_sink_in_order() -> None:
    written: list[int] = []
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    stream = create_writable_stream(
        lambda: started, written.append, _none, _none, 1, settle_sync_writes_at_once=True
    )
    writer = stream.get_writer()
    count = 5000  # deeper than the recursion limit, were each write to recurse
    writes = [writer.write(i) for i in range(count)]
    close = writer.close()
    assert written == []
    started.set_result(None)
    await close
    assert written == list(range(count))
    assert all(w.done() and w.exception() is None for w in writes)


async def test_an_async_write_keeps_later_writes_waiting_for_it() -> None:
    written: list[str] = []
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def write(chunk: str) -> object:
        written.append(chunk)
        return gate if chunk == "slow" else None

    stream = create_writable_stream(_none, write, _none, _none, 8, settle_sync_writes_at_once=True)
    writer = stream.get_writer()
    await flush_async_events()
    slow = writer.write("slow")
    fast = writer.write("fast")
    assert written == ["slow"]
    assert_pending(slow)
    assert_pending(fast)
    gate.set_result(None)
    await fast
    assert written == ["slow", "fast"]
    assert slow.done()


async def test_a_write_that_raises_rejects_and_errors_the_stream_when_asked() -> None:
    def write(_chunk: object) -> None:
        raise error1

    stream = create_writable_stream(_none, write, _none, _none, settle_sync_writes_at_once=True)
    writer = stream.get_writer()
    await flush_async_events()
    with pytest.raises(type(error1)):
        await writer.write("x")
    with pytest.raises(type(error1)):
        await writer.closed
    assert stream._state == "errored"


async def test_close_after_sync_writes_closes_at_once_when_asked() -> None:
    events: list[str] = []
    stream = create_writable_stream(
        _none,
        lambda chunk: events.append(f"write {chunk}"),
        lambda: events.append("close"),
        _none,
        settle_sync_writes_at_once=True,
    )
    writer = stream.get_writer()
    await flush_async_events()
    writer.write("a")
    writer.write("b")
    close = writer.close()
    assert events == ["write a", "write b", "close"]
    await close
    assert stream._state == "closed"


# settle_sync_pulls_at_once -------------------------------------------------------------------


def _pulled_byte_stream(
    settle_at_once: bool,
) -> tuple[ReadableStream[bytes], ReadableByteStreamController, list[int]]:
    pulls: list[int] = []
    stream: ReadableStream[bytes] = ReadableStream.__new__(ReadableStream)
    initialize_readable_stream(stream)
    controller = ReadableByteStreamController.__new__(ReadableByteStreamController)

    def pull() -> None:
        pulls.append(len(pulls))

    set_up_readable_byte_stream_controller(
        stream, controller, _none, pull, _none, 0, None, settle_sync_pulls_at_once=settle_at_once
    )
    return stream, controller, pulls


async def test_a_sync_pull_is_done_when_it_returns_when_asked() -> None:
    stream, controller, pulls = _pulled_byte_stream(settle_at_once=True)
    await flush_async_events()
    reader = stream.get_reader()
    reader.read()
    reader.read()
    assert len(pulls) == 2  # the second read pulls at once: the first pull is over
    controller.enqueue(b"a")
    controller.enqueue(b"b")
    assert len(pulls) == 3  # a read is still pending after the first chunk


async def test_a_sync_pull_is_done_a_turn_later_by_default() -> None:
    stream, _controller, pulls = _pulled_byte_stream(settle_at_once=False)
    await flush_async_events()
    reader = stream.get_reader()
    reader.read()
    reader.read()
    assert len(pulls) == 1  # the second read asks to pull again once the first is over
    await flush_async_events()
    assert len(pulls) == 2


async def test_a_byob_read_pulls_and_is_answered_with_sync_pulls() -> None:
    stream, controller, pulls = _pulled_byte_stream(settle_at_once=True)
    await flush_async_events()
    reader = stream.get_reader("byob")
    for i in range(3):
        read = reader.read(bytearray(4))
        request = controller.byob_request
        assert request is not None
        assert request.view is not None
        request.view[:1] = bytes([i])
        request.respond(1)
        assert bytes((await read).value) == bytes([i])
    assert pulls == [0, 1, 2]


async def test_a_pipe_into_writes_that_settle_at_once_waits_for_start_then_moves_all() -> None:
    written: list[int] = []
    started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    dest = create_writable_stream(
        lambda: started, written.append, _none, _none, 2, settle_sync_writes_at_once=True
    )
    pipe = ReadableStream.from_(range(100)).pipe_to(dest)
    await flush_async_events()
    assert written == []
    started.set_result(None)
    await asyncio.wait_for(pipe, 5)
    assert written == list(range(100))


async def test_a_pipe_into_writes_that_settle_at_once_or_later_moves_all_in_order() -> None:
    written: list[int] = []
    loop = asyncio.get_running_loop()

    def write(chunk: int) -> object:
        written.append(chunk)
        if chunk % 7:
            return None
        later: asyncio.Future[None] = loop.create_future()
        loop.call_soon(later.set_result, None)
        return later

    dest = create_writable_stream(_none, write, _none, _none, 3, settle_sync_writes_at_once=True)
    await asyncio.wait_for(ReadableStream.from_(range(200)).pipe_to(dest), 5)
    assert written == list(range(200))


# current_byob_request_view and respond_to_current_byob_request ------------------------------


async def test_the_current_view_is_the_free_part_of_the_pending_read() -> None:
    stream, controller = byte_stream()
    assert current_byob_request_view(controller) is None
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(6), min=6)
    view = current_byob_request_view(controller)
    assert view is not None
    assert view.nbytes == 6
    view[:2] = b"ab"
    respond_to_current_byob_request(controller, 2)
    view = current_byob_request_view(controller)
    assert view is not None
    assert view.nbytes == 4
    view[:4] = b"cdef"
    respond_to_current_byob_request(controller, 4)
    assert bytes((await read).value) == b"abcdef"


async def test_responding_to_the_current_request_invalidates_a_byob_request_made() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4))
    request = controller.byob_request
    assert request is not None
    assert current_byob_request_view(controller) is request.view
    assert request.view is not None
    request.view[:1] = b"z"
    respond_to_current_byob_request(controller, 1)
    assert request.view is None
    with pytest.raises(TypeError, match="invalidated"):
        request.respond(1)
    assert bytes((await read).value) == b"z"


async def test_responding_to_the_current_request_checks_like_respond() -> None:
    stream, controller = byte_stream()
    reader = stream.get_reader("byob")
    read = reader.read(bytearray(4))
    with pytest.raises(ValueError, match="at most"):
        respond_to_current_byob_request(controller, 5)
    with pytest.raises(TypeError, match="respond\\(0\\)"):
        respond_to_current_byob_request(controller, 0)
    controller.close()
    respond_to_current_byob_request(controller, 0)
    result = await read
    assert result.done
    assert bytes(result.value) == b""
