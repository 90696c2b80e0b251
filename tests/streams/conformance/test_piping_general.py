"""Conformance: piping basics and flow control.

WPT streams/piping/general.any.js, flow-control.any.js, pipe-through.any.js,
transform-streams.any.js and then-interception.any.js (its Python reading: the pipe never
looks at chunks, so a chunk with a ``then`` attribute passes through untouched).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from tests.streams.support import (
    assert_rejects,
    delay,
    error1,
    flush_async_events,
    pending,
    readable_stream_to_array,
    recording_readable_stream,
    recording_writable_stream,
)
from wintersockets.streams._promises import promise_rejected_with
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import TransformStream
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream


def chunks_then_close(*chunks: object) -> dict[str, Any]:
    def start(controller: Any) -> None:
        for chunk in chunks:
            controller.enqueue(chunk)
        controller.close()

    return {"start": start}


# -- general.any.js -------------------------------------------------------------------------


async def test_piping_locks_both_streams() -> None:
    rs: ReadableStream[Any] = ReadableStream()
    ws = WritableStream()
    assert not rs.locked
    assert not ws.locked
    rs.pipe_to(ws)
    assert rs.locked
    assert ws.locked


async def test_a_finished_pipe_unlocks_both_streams() -> None:
    rs: ReadableStream[Any] = ReadableStream(chunks_then_close())
    ws = WritableStream()
    await rs.pipe_to(ws)
    assert not rs.locked
    assert not ws.locked


async def test_pipe_to_needs_a_writable_stream() -> None:
    rs: ReadableStream[Any] = ReadableStream()
    await assert_rejects(rs.pipe_to(object()), TypeError)


async def test_pipe_to_a_locked_readable_fails_and_leaves_the_writable_unlocked() -> None:
    rs: ReadableStream[Any] = ReadableStream()
    ws = WritableStream()
    rs.get_reader()
    await assert_rejects(rs.pipe_to(ws), TypeError)
    assert not ws.locked


async def test_pipe_to_a_locked_writable_fails_and_leaves_the_readable_unlocked() -> None:
    rs: ReadableStream[Any] = ReadableStream()
    ws = WritableStream()
    ws.get_writer()
    await assert_rejects(rs.pipe_to(ws), TypeError)
    assert not rs.locked


async def test_lots_of_synchronously_readable_chunks() -> None:
    written: list[object] = []
    ws = WritableStream(
        {"write": lambda c, ctl: written.append(c), "close": lambda: written.append("closed")},
        CountQueuingStrategy(high_water_mark=10),
    )
    rs: ReadableStream[int] = ReadableStream(chunks_then_close(*range(10)))
    await rs.pipe_to(ws)
    assert written == [*range(10), "closed"]
    await rs.get_reader().closed
    await ws.get_writer().closed


async def test_a_chunk_that_becomes_readable_after_pipe_to() -> None:
    rrs = recording_readable_stream()
    ws, events = recording_writable_stream()
    pipe = rrs.stream.pipe_to(ws)
    await delay()
    rrs.controller.enqueue("Hello")
    await delay()
    rrs.controller.close()
    await pipe
    assert events == ["write", "Hello", "close"]


@pytest.mark.parametrize("prevent_abort", [True, False])
async def test_a_none_rejection_from_pull_rejects_the_pipe(prevent_abort: bool) -> None:
    rs: ReadableStream[Any] = ReadableStream({"pull": lambda c: promise_rejected_with(None)})
    await assert_rejects(rs.pipe_to(WritableStream(), prevent_abort=prevent_abort), None)


@pytest.mark.parametrize("prevent_cancel", [True, False])
async def test_a_none_rejection_from_write_rejects_the_pipe(prevent_cancel: bool) -> None:
    rs: ReadableStream[int] = ReadableStream({"pull": lambda c: c.enqueue(0)})
    ws = WritableStream({"write": lambda chunk, c: promise_rejected_with(None)})
    await assert_rejects(rs.pipe_to(ws, prevent_cancel=prevent_cancel), None)


# -- flow-control.any.js --------------------------------------------------------------------


async def test_no_reads_into_a_writable_that_does_not_desire_chunks() -> None:
    rrs = recording_readable_stream(chunks_then_close("a", "b"))
    controllers: list[WritableStreamDefaultController] = []
    ws, events = recording_writable_stream(
        {"start": controllers.append}, CountQueuingStrategy(high_water_mark=0)
    )
    pipe = rrs.stream.pipe_to(ws, prevent_cancel=True)
    await flush_async_events()
    controllers[0].error(error1)
    await assert_rejects(pipe, error1)
    assert rrs.events_without_pulls == []
    assert events == []
    assert await readable_stream_to_array(rrs.stream) == ["a", "b"]


async def test_reads_once_the_writable_desires_chunks() -> None:
    rrs = recording_readable_stream(chunks_then_close("b"))
    first = pending()
    ws, events = recording_writable_stream(
        {"write": lambda c, ctl: first if not first.done() else None}
    )
    writer = ws.get_writer()
    first_write = writer.write("a")
    assert writer.desired_size == 0
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws)
    await flush_async_events()
    first.set_result(None)
    await first_write
    await pipe
    assert rrs.events_without_pulls == []
    assert events == ["write", "a", "write", "b", "close"]


async def test_an_empty_readable_becomes_non_empty_as_the_writable_desires_chunks() -> None:
    rrs = recording_readable_stream()
    first = pending()
    writes = [0]

    def write(chunk: object, c: object) -> object:
        writes[0] += 1
        return first if writes[0] == 1 else None

    ws, events = recording_writable_stream({"write": write})
    writer = ws.get_writer()
    writer.write("a")
    await delay()
    assert events == ["write", "a"]
    assert writer.desired_size == 0
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws)
    rrs.controller.enqueue("b")
    first.set_result(None)
    rrs.controller.close()
    await pipe
    assert rrs.events_without_pulls == []
    assert events == ["write", "a", "write", "b", "close"]


async def test_pipe_reads_until_the_destination_high_water_mark() -> None:
    unread = ["b", "c", "d"]

    def pull(controller: Any) -> None:
        controller.enqueue(unread.pop(0))
        if not unread:
            controller.close()

    rrs = recording_readable_stream({"pull": pull}, CountQueuingStrategy(high_water_mark=0))
    first = pending()
    writes = [0]

    def write(chunk: object, c: object) -> object:
        writes[0] += 1
        return first if writes[0] == 1 else None

    ws, events = recording_writable_stream(
        {"write": write}, CountQueuingStrategy(high_water_mark=3)
    )
    writer = ws.get_writer()
    first_write = writer.write("a")
    assert writer.desired_size == 2
    writer.release_lock()
    pipe = rrs.stream.pipe_to(ws)
    await flush_async_events()
    assert events == ["write", "a"]
    assert len(unread) == 1, "chunks are read until the destination's high-water mark"
    first.set_result(None)
    await first_write
    await pipe
    assert rrs.events == ["pull", "pull", "pull"]
    assert events == ["write", "a", "write", "b", "write", "c", "write", "d", "close"]


async def test_a_slow_destination_exerts_backpressure_on_the_source() -> None:
    rrs = recording_readable_stream()
    desired_sizes: list[float | None] = []
    write_results: list[asyncio.Future[None]] = []
    finished: list[object] = []

    def write(chunk: object, c: object) -> object:
        f: asyncio.Future[None] = pending()
        write_results.append(f)
        f.add_done_callback(lambda _: finished.append(chunk))
        return f

    ws, events = recording_writable_stream({"write": write})
    await delay()
    pipe = rrs.stream.pipe_to(ws)

    def enqueue(chunk: str) -> None:
        rrs.controller.enqueue(chunk)
        desired_sizes.append(rrs.controller.desired_size)

    enqueue("a")
    await delay()
    assert events == ["write", "a"]
    assert desired_sizes == [1], "'a' went straight to the pipe's pending read"
    for chunk, expected in (("b", 0), ("c", -1), ("d", -2)):
        enqueue(chunk)
        await delay()
        assert desired_sizes[-1] == expected
        assert events == ["write", "a"], "no further write until the first completes"
    write_results[0].set_result(None)
    await delay()
    assert finished == ["a"]
    assert events == ["write", "a", "write", "b"]
    assert rrs.controller.desired_size == -1
    rrs.controller.close()
    while len(write_results) < 4 or not write_results[-1].done():
        write_results[-1].set_result(None)
        await delay()
    await pipe
    assert finished == ["a", "b", "c", "d"]
    assert rrs.events_without_pulls == []
    assert events == ["write", "a", "write", "b", "write", "c", "write", "d", "close"]


# -- pipe-through.any.js --------------------------------------------------------------------


async def test_pipe_through_returns_the_readable_side() -> None:
    rs: ReadableStream[int] = ReadableStream(chunks_then_close(1, 2))
    ts = TransformStream()
    assert rs.pipe_through(ts) is ts.readable
    assert await readable_stream_to_array(ts.readable) == [1, 2]


async def test_pipe_through_accepts_any_readable_writable_pair() -> None:
    ts = TransformStream()
    rs: ReadableStream[int] = ReadableStream(chunks_then_close(7))
    out = rs.pipe_through({"readable": ts.readable, "writable": ts.writable})
    assert await readable_stream_to_array(out) == [7]


async def test_pipe_through_rejects_a_locked_writable_synchronously() -> None:
    ts = TransformStream()
    ts.writable.get_writer()
    rs: ReadableStream[Any] = ReadableStream()
    with pytest.raises(TypeError):
        rs.pipe_through(ts)
    assert not rs.locked


async def test_pipe_through_rejects_a_bad_signal_synchronously() -> None:
    rs: ReadableStream[Any] = ReadableStream()
    with pytest.raises(TypeError):
        rs.pipe_through(TransformStream(), signal="signal")  # type: ignore[arg-type]


async def test_pipe_through_errors_are_handled() -> None:
    # The pipe's future is marked handled: an error leaves no "never retrieved" log.
    rs: ReadableStream[Any] = ReadableStream({"start": lambda c: c.error(error1)})
    out = rs.pipe_through(TransformStream())
    await assert_rejects(out.get_reader().closed, error1)
    await flush_async_events()


# -- transform-streams.any.js ---------------------------------------------------------------


async def test_piping_through_an_identity_transform_closes_the_destination() -> None:
    rs: ReadableStream[str] = ReadableStream(chunks_then_close("a", "b", "c"))
    ws, events = recording_writable_stream()
    await rs.pipe_through(TransformStream()).pipe_to(ws)
    assert events == ["write", "a", "write", "b", "write", "c", "close"]


async def test_chained_transforms_with_high_water_marks() -> None:
    rs: ReadableStream[int] = ReadableStream(chunks_then_close(*range(20)))
    ts1 = TransformStream({}, {"high_water_mark": 3}, {"high_water_mark": 3})
    ts2 = TransformStream({"transform": lambda c, ctl: ctl.enqueue(c * 2)})
    assert await readable_stream_to_array(rs.pipe_through(ts1).pipe_through(ts2)) == [
        i * 2 for i in range(20)
    ]


# -- then-interception.any.js ---------------------------------------------------------------


async def test_chunks_with_a_then_attribute_pass_through_untouched() -> None:
    class Thenable:
        def then(self, *args: object) -> None:
            raise AssertionError("the pipe must not call then()")

    chunk = Thenable()
    rs: ReadableStream[Thenable] = ReadableStream(chunks_then_close(chunk))
    written: list[object] = []
    await rs.pipe_to(WritableStream({"write": lambda c, ctl: written.append(c)}))
    assert written == [chunk]


async def test_an_infinite_destination_high_water_mark_reads_everything_at_once() -> None:
    pulls = [0]

    def pull(controller: Any) -> None:
        pulls[0] += 1
        if pulls[0] > 5:
            controller.close()
        else:
            controller.enqueue(pulls[0])

    written: list[object] = []
    ws = WritableStream({"write": lambda c, ctl: written.append(c)}, {"high_water_mark": math.inf})
    rs: ReadableStream[int] = ReadableStream({"pull": pull}, {"high_water_mark": 0})
    await rs.pipe_to(ws)
    assert written == [1, 2, 3, 4, 5]
