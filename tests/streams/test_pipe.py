"""readable_stream_pipe_to: signals, cancellation, backpressure, byte sources, no leaks."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.streams.support import (
    assert_rejects,
    delay,
    error1,
    flush_async_events,
    readable_stream_to_array,
    recording_readable_stream,
    recording_writable_stream,
)
from wintersockets.streams._promises import ReasonError
from wintersockets.streams.abort_signal import AbortController, AbortSignal
from wintersockets.streams.pipe import readable_stream_pipe_to
from wintersockets.streams.queuing_strategy import ByteLengthQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import TransformStream
from wintersockets.streams.writable_stream import WritableStream, create_writable_stream


def counting_source(n: int) -> dict[str, Any]:
    sent = [0]

    def pull(controller: Any) -> None:
        if sent[0] < n:
            controller.enqueue(sent[0])
            sent[0] += 1
        else:
            controller.close()

    return {"pull": pull}


async def test_the_abstract_operation_pipes_and_resolves() -> None:
    written: list[int] = []
    rs: ReadableStream[int] = ReadableStream(counting_source(50))
    ws = WritableStream({"write": lambda c, ctl: written.append(c)})
    pipe = readable_stream_pipe_to(rs, ws, False, False, False)
    assert isinstance(pipe, asyncio.Future)
    await pipe
    assert written == list(range(50))


async def test_an_abort_mid_pipe_stops_reading_and_cleans_up() -> None:
    controller = AbortController()
    written: list[int] = []

    def write(chunk: int, c: object) -> None:
        written.append(chunk)
        if chunk == 3:
            controller.abort(error1)

    rrs = recording_readable_stream(counting_source(100))
    ws = WritableStream({"write": write})
    await assert_rejects(rrs.stream.pipe_to(ws, signal=controller.signal), error1)
    assert written == [0, 1, 2, 3]
    assert rrs.events_without_pulls == ["cancel", error1]
    assert not rrs.stream.locked
    assert not ws.locked


async def test_a_reason_that_is_not_an_exception_is_wrapped_on_the_future_only() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    controller = AbortController()
    pipe = rrs.stream.pipe_to(ws, signal=controller.signal)
    await delay()
    controller.abort("just stop")
    exc = await assert_rejects(pipe, "just stop")
    assert isinstance(exc, ReasonError)
    assert events == ["abort", "just stop"], "the sink gets the reason as given"
    assert rrs.events_without_pulls == ["cancel", "just stop"]


async def test_abort_signal_any_can_stop_a_pipe() -> None:
    a, b = AbortController(), AbortController()
    rrs = recording_readable_stream()
    ws = WritableStream()
    pipe = rrs.stream.pipe_to(ws, signal=AbortSignal.any([a.signal, b.signal]))
    await delay()
    b.abort(error1)
    await assert_rejects(pipe, error1)


async def test_abort_signal_timeout_stops_a_stalled_pipe() -> None:
    rrs = recording_readable_stream()
    pipe = rrs.stream.pipe_to(WritableStream(), signal=AbortSignal.timeout(1))
    await assert_rejects(pipe, TimeoutError)
    assert not rrs.stream.locked


async def test_backpressure_bounds_what_is_read_ahead() -> None:
    release = asyncio.get_running_loop().create_future()
    pulls = [0]

    def pull(controller: Any) -> None:
        pulls[0] += 1
        controller.enqueue(b"x" * 10)

    rs: ReadableStream[bytes] = ReadableStream({"pull": pull}, {"high_water_mark": 0})
    ws = WritableStream(
        {"write": lambda c, ctl: release}, ByteLengthQueuingStrategy(high_water_mark=30)
    )
    pipe = rs.pipe_to(ws, signal=(controller := AbortController()).signal)
    await flush_async_events()
    # The first chunk is in flight; three more fill the queue up to its high-water mark.
    assert pulls[0] <= 4
    controller.abort()
    release.set_result(None)
    await assert_rejects(pipe, Exception)


async def test_many_chunks_with_async_writes_arrive_in_order() -> None:
    received: list[int] = []

    async def write(chunk: int, c: object) -> None:
        if chunk % 7 == 0:
            await asyncio.sleep(0)
        received.append(chunk)

    rs: ReadableStream[int] = ReadableStream(counting_source(300))
    await rs.pipe_to(WritableStream({"write": write}, {"high_water_mark": 4}))
    assert received == list(range(300))


async def test_a_byte_stream_source_pipes_its_bytes() -> None:
    def start(controller: Any) -> None:
        controller.enqueue(memoryview(bytearray(b"hello ")))
        controller.enqueue(memoryview(bytearray(b"world")))
        controller.close()

    rs: ReadableStream[Any] = ReadableStream({"type": "bytes", "start": start})
    received: list[bytes] = []
    await rs.pipe_to(WritableStream({"write": lambda c, ctl: received.append(bytes(c))}))
    assert b"".join(received) == b"hello world"


async def test_piping_into_a_stream_made_with_create_writable_stream() -> None:
    received: list[object] = []
    ws = create_writable_stream(lambda: None, received.append, lambda: None, lambda r: None)
    rs: ReadableStream[int] = ReadableStream(counting_source(10))
    await rs.pipe_to(ws)
    assert received == list(range(10))


async def test_queued_writes_rejected_by_an_erroring_destination_are_not_logged() -> None:
    calls = [0]

    def write(chunk: object, c: object) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise error1

    rs: ReadableStream[int] = ReadableStream(counting_source(20))
    ws = WritableStream({"write": write}, {"high_water_mark": 10})
    await assert_rejects(rs.pipe_to(ws), error1)
    await flush_async_events()  # a "never retrieved" log here would fail the test


async def test_pipe_through_a_chain_moves_everything() -> None:
    rs: ReadableStream[int] = ReadableStream(counting_source(200))
    out = rs.pipe_through(TransformStream()).pipe_through(
        TransformStream({"transform": lambda c, ctl: ctl.enqueue(c + 1)})
    )
    assert await readable_stream_to_array(out) == list(range(1, 201))


async def test_prevent_close_leaves_the_destination_writable() -> None:
    rs: ReadableStream[int] = ReadableStream(counting_source(3))
    received: list[int] = []
    ws = WritableStream({"write": lambda c, ctl: received.append(c)})
    await rs.pipe_to(ws, prevent_close=True)
    writer = ws.get_writer()
    await writer.write(99)
    assert received == [0, 1, 2, 99]


async def test_two_pipes_in_sequence_into_one_destination() -> None:
    received: list[int] = []
    ws = WritableStream({"write": lambda c, ctl: received.append(c)})
    await ReadableStream(counting_source(3)).pipe_to(ws, prevent_close=True)
    await ReadableStream(counting_source(2)).pipe_to(ws)
    assert received == [0, 1, 2, 0, 1]
    await ws.get_writer().closed


async def test_a_source_that_closes_while_the_destination_wants_more_ends_the_pipe() -> None:
    """The read that finds the source closed is the last: the pipe does not read again."""

    def start(controller: Any) -> None:
        controller.enqueue("a")
        controller.enqueue("b")
        controller.close()

    written: list[str] = []
    source = ReadableStream({"start": start})
    dest = WritableStream({"write": written.append}, {"high_water_mark": 10})
    await asyncio.wait_for(source.pipe_to(dest), 5)
    assert written == ["a", "b"]
    assert dest._state == "closed"


async def test_a_source_that_errors_while_the_destination_wants_more_ends_the_pipe() -> None:
    def start(controller: Any) -> None:
        controller.enqueue("a")

    def pull(controller: Any) -> None:
        controller.error(error1)

    written: list[str] = []
    source = ReadableStream({"start": start, "pull": pull})
    dest = WritableStream({"write": written.append}, {"high_water_mark": 10})
    pipe = source.pipe_to(dest)
    await asyncio.wait([pipe], timeout=5)
    await assert_rejects(pipe, error1)
    assert written == ["a"]
