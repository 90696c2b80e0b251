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
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.streams.support import assert_pending, byte_stream, error1, flush_async_events
from wintersockets.streams.abort_signal import AbortController
from wintersockets.streams.byob_request import (
    current_byob_request_view,
    respond_to_current_byob_request,
)
from wintersockets.streams.byte_controller import (
    ReadableByteStreamController,
    set_up_readable_byte_stream_controller,
)
from wintersockets.streams.readable_stream import ReadableStream, initialize_readable_stream
from wintersockets.streams.transform_stream import TransformStream
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream, create_writable_stream


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


async def test_mixed_chunk_sizes_keep_the_queue_total_through_reads() -> None:
    sizes = {"a": 1, "b": 2.5, "c": 1, "d": 0.1, "e": 1}
    controllers: list[Any] = []
    stream = ReadableStream(
        {"start": controllers.append},
        {"high_water_mark": 10, "size": lambda chunk: sizes[chunk]},
    )
    controller = controllers[0]
    reader = stream.get_reader()
    controller.enqueue("a")
    assert controller.desired_size == 9
    controller.enqueue("b")
    controller.enqueue("c")
    assert controller.desired_size == 5.5
    assert await reader.read() == ("a", False)
    assert controller.desired_size == 6.5
    assert await reader.read() == ("b", False)
    assert controller.desired_size == 9
    controller.enqueue("d")
    controller.enqueue("e")
    assert [tuple(await reader.read()) for _ in range(3)] == [
        ("c", False),
        ("d", False),
        ("e", False),
    ]
    assert controller.desired_size == 10
    controller.enqueue("a")
    assert controller.desired_size == 9
    assert (await reader.read()).value == "a"


async def test_a_float_size_of_one_and_a_bool_size_count_as_the_spec_says() -> None:
    controllers: list[Any] = []
    results: list[object] = [1.0, True]
    stream = ReadableStream(
        {"start": controllers.append}, {"high_water_mark": 3, "size": lambda _c: results.pop(0)}
    )
    controller = controllers[0]
    controller.enqueue("x")
    assert controller.desired_size == 2
    with pytest.raises(ValueError, match="size"):
        controller.enqueue("y")
    assert isinstance(stream._stored_error, ValueError)
    with pytest.raises(ValueError, match="size"):
        await stream.get_reader().read()


async def test_reads_by_a_new_reader_after_a_release_take_the_queue_in_order() -> None:
    controllers: list[Any] = []
    stream = ReadableStream({"start": controllers.append}, {"high_water_mark": 5})
    for chunk in "abc":
        controllers[0].enqueue(chunk)
    first = stream.get_reader()
    assert (await first.read()).value == "a"
    first.release_lock()
    with pytest.raises(TypeError):
        await first.read()
    second = stream.get_reader()
    assert (await second.read()).value == "b"
    assert (await second.read()).value == "c"
    assert controllers[0].desired_size == 5


async def test_a_read_after_an_error_rejects_even_with_chunks_queued() -> None:
    controllers: list[Any] = []
    stream = ReadableStream({"start": controllers.append}, {"high_water_mark": 5})
    reader = stream.get_reader()
    controllers[0].enqueue("a")
    controllers[0].error(error1)
    with pytest.raises(type(error1)):
        await reader.read()


async def test_a_read_after_a_cancel_with_chunks_queued_is_done() -> None:
    controllers: list[Any] = []
    stream = ReadableStream({"start": controllers.append}, {"high_water_mark": 5})
    reader = stream.get_reader()
    for chunk in "abc":
        controllers[0].enqueue(chunk)
    assert (await reader.read()).value == "a"
    await reader.cancel("enough")
    assert (await reader.read()).done
    assert controllers[0].desired_size == 0


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


# pipe_to: reads of a from_() iterator and sink writes that settle at once -----------------


def _counting_to_1000(closed: list[bool]) -> Iterator[int]:
    """0 to 999; appends ``True`` to ``closed`` when the generator is closed."""
    try:
        yield from range(1000)
    finally:
        closed.append(True)


def _recording_sink(
    log: list[object], on_write: Any = None, size: Any = None
) -> tuple[WritableStream, list[WritableStreamDefaultController]]:
    controllers: list[WritableStreamDefaultController] = []

    def start(controller: WritableStreamDefaultController) -> None:
        controllers.append(controller)

    def write(chunk: object, controller: WritableStreamDefaultController) -> object:
        log.append(chunk)
        return None if on_write is None else on_write(chunk, controller)

    strategy = None if size is None else {"high_water_mark": 1, "size": size}
    return WritableStream({"start": start, "write": write}, strategy), controllers


async def test_a_pipe_moves_many_chunks_per_turn_but_lets_the_loop_run() -> None:
    log: list[object] = []
    sink, _ = _recording_sink(log)
    seen: list[int] = []
    loop = asyncio.get_running_loop()

    def tick() -> None:
        seen.append(len(log))
        if len(seen) < 3:
            loop.call_soon(tick)

    pipe = ReadableStream.from_(range(2000)).pipe_to(sink)
    loop.call_soon(tick)
    await asyncio.wait_for(pipe, 5)
    assert log == list(range(2000))
    # Other callbacks ran while the pipe was moving chunks, and it moved more than one
    # chunk between them.
    assert 0 < seen[-1] < 2000
    assert seen[1] - seen[0] > 1


async def test_a_pipe_writes_to_the_sink_one_at_a_time_and_never_re_entrantly() -> None:
    depth = [0]
    log: list[object] = []

    def on_write(_chunk: object, _controller: object) -> None:
        assert depth[0] == 0
        depth[0] += 1
        depth[0] -= 1

    sink, _ = _recording_sink(log, on_write)
    await asyncio.wait_for(ReadableStream.from_(range(300)).pipe_to(sink), 5)
    assert log == list(range(300))


async def test_a_sink_raising_mid_batch_stops_the_pipe_and_cancels_the_source() -> None:
    closed: list[bool] = []

    def on_write(chunk: object, _controller: object) -> None:
        if chunk == 50:
            raise error1

    log: list[object] = []
    sink, _ = _recording_sink(log, on_write)
    with pytest.raises(type(error1)):
        await asyncio.wait_for(ReadableStream.from_(_counting_to_1000(closed)).pipe_to(sink), 5)
    assert log == list(range(51))
    assert closed == [True]


async def test_a_sink_erroring_its_controller_mid_batch_keeps_the_spec_timing() -> None:
    def on_write(chunk: object, controller: WritableStreamDefaultController) -> None:
        if chunk == 20:
            controller.error(error1)

    log: list[object] = []
    sink, _ = _recording_sink(log, on_write)
    source = ReadableStream.from_(range(100))
    pipe = source.pipe_to(sink)
    with pytest.raises(type(error1)):
        await asyncio.wait_for(pipe, 5)
    assert log == list(range(21))
    assert sink._state == "errored"
    assert source._state == "closed"  # cancelled


async def test_an_async_write_mid_batch_holds_the_next_writes_until_it_settles() -> None:
    loop = asyncio.get_running_loop()
    pending: list[asyncio.Future[None]] = []

    def on_write(chunk: object, _controller: object) -> object:
        if chunk == 10:
            later: asyncio.Future[None] = loop.create_future()
            pending.append(later)
            return later
        return None

    log: list[object] = []
    sink, _ = _recording_sink(log, on_write)
    pipe = ReadableStream.from_(range(30)).pipe_to(sink)
    await flush_async_events()
    assert log == list(range(11))
    assert_pending(pipe)
    pending[0].set_result(None)
    await asyncio.wait_for(pipe, 5)
    assert log == list(range(30))


async def test_a_sink_with_its_own_size_function_is_asked_once_per_chunk() -> None:
    sizes: list[object] = []

    def size(chunk: object) -> int:
        sizes.append(chunk)
        return 1

    log: list[object] = []
    sink, _ = _recording_sink(log, size=size)
    await asyncio.wait_for(ReadableStream.from_(range(40)).pipe_to(sink), 5)
    assert log == list(range(40))
    assert sizes == list(range(40))


async def test_a_pipe_reads_no_further_than_the_sink_desires_while_a_write_waits() -> None:
    loop = asyncio.get_running_loop()
    pending: list[asyncio.Future[None]] = []
    pulled: list[int] = []

    def chunks() -> Any:
        for i in range(10):
            pulled.append(i)
            yield i

    def write(chunk: object, _controller: object) -> object:
        log.append(chunk)
        if chunk == 0:
            later: asyncio.Future[None] = loop.create_future()
            pending.append(later)
            return later
        return None

    log: list[object] = []
    sink = WritableStream({"write": write}, {"high_water_mark": 3})
    pipe = ReadableStream.from_(chunks()).pipe_to(sink)
    await flush_async_events()
    # One write in flight and two queued fill the high-water mark of 3.
    assert log == [0]
    assert pulled == [0, 1, 2]
    pending[0].set_result(None)
    await asyncio.wait_for(pipe, 5)
    assert log == list(range(10))


async def test_an_abort_signal_mid_batch_stops_the_writes_at_once() -> None:
    abort = AbortController()

    def on_write(chunk: object, _controller: object) -> None:
        if chunk == 30:
            abort.abort(error1)

    closed: list[bool] = []
    log: list[object] = []
    sink, _ = _recording_sink(log, on_write)
    with pytest.raises(type(error1)):
        await asyncio.wait_for(
            ReadableStream.from_(_counting_to_1000(closed)).pipe_to(sink, signal=abort.signal), 5
        )
    assert log == list(range(31))
    assert sink._state == "errored"
    assert closed == [True]


async def test_cancelling_a_pipe_mid_batch_aborts_and_cancels() -> None:
    log: list[object] = []
    sink, _ = _recording_sink(log)
    source = ReadableStream.from_(itertools.count())
    pipe = source.pipe_to(sink)
    while len(log) < 500:
        await asyncio.sleep(0)
    pipe.cancel()
    await flush_async_events()
    assert source._state == "closed"
    assert sink._state == "errored"
    count = len(log)
    await flush_async_events()
    assert len(log) == count


async def test_the_end_of_the_source_closes_the_sink_after_every_write() -> None:
    events: list[object] = []
    sink = WritableStream(
        {"write": lambda chunk, _c: events.append(chunk), "close": lambda: events.append("close")}
    )
    await asyncio.wait_for(ReadableStream.from_(range(300)).pipe_to(sink), 5)
    assert events == [*range(300), "close"]


async def test_prevent_close_leaves_the_sink_writable_after_a_batch() -> None:
    log: list[object] = []
    sink, _ = _recording_sink(log)
    await asyncio.wait_for(ReadableStream.from_(range(300)).pipe_to(sink, prevent_close=True), 5)
    writer = sink.get_writer()
    await writer.write("more")
    assert log == [*range(300), "more"]


async def test_a_from_iterable_stream_pulls_a_turn_apart_unless_piped() -> None:
    pulled: list[int] = []

    def chunks() -> Any:
        for i in range(10):
            pulled.append(i)
            yield i

    stream = ReadableStream.from_(chunks())
    reader = stream.get_reader()
    await flush_async_events()
    first, second = reader.read(), reader.read()
    assert pulled == [0]
    assert (await first).value == 0
    assert (await second).value == 1
    assert pulled == [0, 1]
    reader.release_lock()
    log: list[object] = []
    sink, _ = _recording_sink(log)
    await asyncio.wait_for(stream.pipe_to(sink), 5)
    assert log == list(range(2, 10))
    assert stream._controller._settles_sync_pulls_at_once is False


async def test_a_pipe_through_an_identity_transform_moves_all_in_order() -> None:
    log: list[object] = []
    sink, _ = _recording_sink(log)
    source = ReadableStream.from_(range(1000))
    await asyncio.wait_for(source.pipe_through(TransformStream()).pipe_to(sink), 5)
    assert log == list(range(1000))


async def test_a_piped_from_iterable_awaits_awaitable_values_between_plain_ones() -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[str] = loop.create_future()
    done.set_result("future")

    async def coroutine() -> str:
        return "coroutine"

    class Awaitable(bytes):
        def __await__(self) -> Any:
            return coroutine().__await__()

    log: list[object] = []
    sink, _ = _recording_sink(log)
    values = [b"a", coroutine(), "c", done, 5, Awaitable(b"x"), None]
    await asyncio.wait_for(ReadableStream.from_(values).pipe_to(sink), 5)
    assert log == [b"a", "coroutine", "c", "future", 5, "coroutine", None]


async def test_a_pipe_through_a_transform_with_a_readable_high_water_mark_keeps_order() -> None:
    log: list[object] = []
    sink, _ = _recording_sink(log)
    transform = TransformStream(None, {"high_water_mark": 4}, {"high_water_mark": 3})
    source = ReadableStream.from_(range(500))
    await asyncio.wait_for(source.pipe_through(transform).pipe_to(sink), 5)
    assert log == list(range(500))


async def test_an_identity_transform_read_by_hand_keeps_backpressure() -> None:
    transform = TransformStream()
    writer = transform.writable.get_writer()
    reader = transform.readable.get_reader()
    await flush_async_events()
    first = writer.write("a")
    second = writer.write("b")
    await flush_async_events()
    # The readable side's high-water mark of 0 holds "a" in its queue; "b" waits.
    assert not first.done()
    assert writer.desired_size == -1
    assert await reader.read() == ("a", False)
    assert await reader.read() == ("b", False)
    await first
    await second
    assert writer.desired_size == 1


async def test_an_error_in_a_transform_mid_batch_errors_both_ends() -> None:
    def transform(chunk: object, controller: Any) -> None:
        if chunk == 40:
            raise error1
        controller.enqueue(chunk)

    log: list[object] = []
    sink, _ = _recording_sink(log)
    source = ReadableStream.from_(range(100))
    with pytest.raises(type(error1)):
        await asyncio.wait_for(
            source.pipe_through(TransformStream({"transform": transform})).pipe_to(sink), 5
        )
    assert log == list(range(40))
    assert source._state == "closed"
    assert sink._state == "errored"


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
