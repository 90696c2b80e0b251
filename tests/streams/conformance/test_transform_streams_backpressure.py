"""Conformance: transform stream backpressure and strategies.

WPT streams/transform-streams/backpressure.any.js, strategies.any.js and
reentrant-strategies.any.js.
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
    recording_transform_stream,
    recording_writable_stream,
)
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.transform_stream import (
    TransformStream,
    TransformStreamDefaultController,
)
from wintersockets.streams.writer import WritableStreamDefaultWriter

# -- backpressure.any.js --------------------------------------------------------------------


async def test_no_transform_without_a_reader_under_backpressure() -> None:
    rts = recording_transform_stream()
    rts.writable.get_writer().write("a")
    await flush_async_events()
    assert rts.events == []


async def test_only_one_transform_with_a_readable_high_water_mark_of_one() -> None:
    rts = recording_transform_stream({}, None, {"high_water_mark": 1})
    writer = rts.writable.get_writer()
    writer.write("a")
    writer.write("b")
    await flush_async_events()
    assert rts.events == ["transform", "a"]


async def test_transform_keeps_being_called_without_backpressure() -> None:
    rts = recording_transform_stream(
        {"transform": lambda chunk, c: None}, None, {"high_water_mark": 1}
    )
    writer = rts.writable.get_writer()
    writes = [writer.write(i) for i in range(4)]
    for w in writes:
        await w
    assert rts.events == ["transform", 0, "transform", 1, "transform", 2, "transform", 3]


async def test_writes_resolve_as_soon_as_transform_completes() -> None:
    ts = TransformStream({}, None, {"high_water_mark": 1})
    writer = ts.writable.get_writer()
    reader = ts.readable.get_reader()
    events: list[str] = []
    a, b, close = writer.write("a"), writer.write("b"), writer.close()
    a.add_done_callback(lambda _: events.append("a"))
    b.add_done_callback(lambda _: events.append("b"))
    close.add_done_callback(lambda _: events.append("closed"))
    await delay()
    assert events == ["a"]
    assert await reader.read() == ("a", False)
    await delay()
    assert events == ["a", "b", "closed"]
    assert await reader.read() == ("b", False)
    assert (await reader.read()).done


async def test_pull_before_the_first_write_works() -> None:
    ts = TransformStream(None, None, {"high_water_mark": 0})
    writer = ts.writable.get_writer()
    read = ts.readable.get_reader().read()
    write = writer.write("a")
    assert await read == ("a", False)
    await write


async def test_transform_can_read_the_chunk_it_just_enqueued() -> None:
    readers: list[Any] = []

    def transform(chunk: object, c: TransformStreamDefaultController) -> object:
        c.enqueue(chunk)
        return readers[0].read()

    rts = recording_transform_stream({"transform": transform}, None, {"high_water_mark": 1})
    writer = rts.writable.get_writer()
    readers.append(rts.readable.get_reader())
    await writer.write("a")


async def test_a_blocking_transform_causes_backpressure() -> None:
    transform_result = pending()
    rts = recording_transform_stream(
        {"transform": lambda chunk, c: transform_result},
        None,
        CountQueuingStrategy(high_water_mark=math.inf),
    )
    writer = rts.writable.get_writer()
    assert writer.desired_size == 1
    await delay()
    write = writer.write("a")
    assert rts.events == ["transform", "a"]
    assert writer.desired_size == 0
    await flush_async_events()
    assert writer.desired_size == 0
    transform_result.set_result(None)
    await delay()
    assert writer.desired_size == 1
    await write


@pytest.mark.parametrize("hwm", [None, 0, 1])
async def test_writer_closed_rejects_after_readable_cancel(hwm: int | None) -> None:
    ts = TransformStream({}, None, None if hwm is None else {"high_water_mark": hwm})
    if hwm is not None:
        await delay()
    cancel = ts.readable.cancel(error1)
    await assert_rejects(ts.writable.get_writer().closed, error1)
    await cancel


async def test_cancelling_the_readable_resolves_a_pending_write() -> None:
    ts = TransformStream({}, None, {"high_water_mark": 1})
    writer = ts.writable.get_writer()
    await delay()
    write = writer.write("a")
    cancel = ts.readable.cancel(error1)
    await write
    await cancel


@pytest.mark.parametrize("after_startup", [False, True])
async def test_cancelling_the_readable_aborts_an_empty_pipe(after_startup: bool) -> None:
    rs: ReadableStream[Any] = ReadableStream()
    ts = TransformStream()
    pipe = rs.pipe_to(ts.writable)
    if after_startup:
        await delay()
    cancel = ts.readable.cancel(error1)
    await assert_rejects(pipe, error1)
    await cancel


async def test_cancelling_the_readable_aborts_a_full_pipe() -> None:
    def start(c: Any) -> None:
        for chunk in "abc":
            c.enqueue(chunk)

    rs: ReadableStream[str] = ReadableStream({"start": start})
    ts = TransformStream()
    pipe = rs.pipe_to(ts.writable)
    await delay()
    cancel = ts.readable.cancel(error1)
    await assert_rejects(pipe, error1)
    await cancel


# -- strategies.any.js ----------------------------------------------------------------------


async def test_the_writable_strategy_high_water_mark_is_used() -> None:
    ts = TransformStream({}, {"high_water_mark": 17})
    assert ts.writable.get_writer().desired_size == 17


async def test_the_readable_strategy_high_water_mark_is_used() -> None:
    rts = recording_transform_stream({}, None, {"high_water_mark": 9})
    writer = rts.writable.get_writer()
    for i in range(10):
        writer.write(i)
    await delay()
    assert rts.events == [x for i in range(9) for x in ("transform", i)]


async def test_each_side_uses_its_own_size_function() -> None:
    calls: list[str] = []

    def transform(chunk: object, c: TransformStreamDefaultController) -> None:
        assert calls == ["writable size"]
        c.enqueue(chunk)
        assert calls == ["writable size", "readable size"]

    def writable_size(chunk: object) -> float:
        calls.append("writable size")
        return 1

    def readable_size(chunk: object) -> float:
        calls.append("readable size")
        return 1

    ts = TransformStream(
        {"transform": transform},
        {"size": writable_size},
        {"size": readable_size, "high_water_mark": math.inf},
    )
    await ts.writable.get_writer().write(None)
    assert len(calls) == 2


async def test_the_default_writable_strategy_is_a_high_water_mark_of_one() -> None:
    writer = TransformStream().writable.get_writer()
    assert writer.desired_size == 1
    writer.write(None)
    assert writer.desired_size == 0


async def test_the_default_readable_strategy_is_a_high_water_mark_of_zero() -> None:
    def transform(chunk: object, c: TransformStreamDefaultController) -> None:
        assert c.desired_size == 0
        c.enqueue(None)
        assert c.desired_size == 0, "the first chunk goes to the pending read"
        c.enqueue(None)
        assert c.desired_size == -1

    ts = TransformStream({"transform": transform})
    write = ts.writable.get_writer().write(None)
    await ts.readable.get_reader().read()
    await write


@pytest.mark.parametrize("side", ["writable", "readable"])
@pytest.mark.parametrize("hwm", [-1, math.nan])
async def test_an_invalid_high_water_mark_is_a_value_error(side: str, hwm: float) -> None:
    strategy = {"high_water_mark": hwm}
    strategies = (strategy, None) if side == "writable" else (None, strategy)
    with pytest.raises(ValueError, match="high_water_mark"):
        TransformStream(None, *strategies)


async def test_a_non_numeric_high_water_mark_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="high_water_mark"):
        TransformStream(None, {"high_water_mark": "42"})


async def test_a_bad_readable_size_rejects_the_write_of_an_identity_transform() -> None:
    ts = TransformStream(None, None, {"size": lambda c: math.nan, "high_water_mark": 1})
    await assert_rejects(ts.writable.get_writer().write(None), ValueError)


async def test_a_bad_readable_size_errors_even_if_transform_catches_it() -> None:
    def transform(chunk: object, c: TransformStreamDefaultController) -> None:
        with pytest.raises(ValueError):
            c.enqueue(chunk)

    ts = TransformStream(
        {"transform": transform}, None, {"size": lambda c: -1, "high_water_mark": 1}
    )
    writer = ts.writable.get_writer()
    await writer.write(None)
    await assert_rejects(writer.ready, ValueError)
    await assert_rejects(writer.closed, ValueError)
    await assert_rejects(ts.readable.get_reader().closed, ValueError)


# -- reentrant-strategies.any.js ------------------------------------------------------------


async def test_enqueue_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    calls = [0]

    def size(chunk: object) -> float:
        calls[0] += 1
        if calls[0] < 2:
            controllers[0].enqueue("b")
        return 1

    ts = TransformStream(
        {"start": controllers.append}, None, {"size": size, "high_water_mark": math.inf}
    )
    writer = ts.writable.get_writer()
    await asyncio.gather(writer.write("a"), writer.close())
    assert await readable_stream_to_array(ts.readable) == ["b", "a"]


async def test_terminate_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []

    def size(chunk: object) -> float:
        controllers[0].terminate()
        return 1

    ts = TransformStream(
        {"start": controllers.append}, None, {"size": size, "high_water_mark": math.inf}
    )
    await ts.writable.get_writer().write("a")
    assert await readable_stream_to_array(ts.readable) == []


async def test_error_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []

    def size(chunk: object) -> float:
        controllers[0].error(error1)
        return 1

    ts = TransformStream(
        {"start": controllers.append}, None, {"size": size, "high_water_mark": math.inf}
    )
    await ts.writable.get_writer().write("a")
    await assert_rejects(ts.readable.get_reader().read(), error1)


async def test_desired_size_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    seen: list[float | None] = []

    def size(chunk: object) -> float:
        seen.append(controllers[0].desired_size)
        return 1

    ts = TransformStream({"start": controllers.append}, None, {"size": size, "high_water_mark": 1})
    writer = ts.writable.get_writer()
    await asyncio.gather(writer.write("a"), writer.close())
    assert await readable_stream_to_array(ts.readable) == ["a"]
    assert seen == [1]


async def test_readable_cancel_inside_size() -> None:
    cancels: list[asyncio.Future[None]] = []
    box: list[TransformStream] = []

    def size(chunk: object) -> float:
        cancels.append(box[0].readable.cancel(error1))
        return 1

    ts = TransformStream({}, None, {"size": size, "high_water_mark": math.inf})
    box.append(ts)
    writer = ts.writable.get_writer()
    await writer.write("a")
    await assert_rejects(writer.closed, error1)
    await cancels[0]


async def test_pipe_to_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    pipes: list[asyncio.Future[None]] = []
    ws, events = recording_writable_stream()
    box: list[TransformStream] = []

    def size(chunk: object) -> float:
        if not pipes:
            pipes.append(box[0].readable.pipe_to(ws))
        return 1

    ts = TransformStream({"start": controllers.append}, None, {"size": size, "high_water_mark": 1})
    box.append(ts)
    await delay()
    controllers[0].enqueue("a")
    assert pipes
    controllers[0].enqueue("a")
    await delay()
    assert events == ["write", "a", "write", "a"]
    controllers[0].terminate()
    await pipes[0]
    assert events == ["write", "a", "write", "a", "close"]


async def test_read_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    reads: list[asyncio.Future[Any]] = []
    calls = [0]
    readers: list[Any] = []

    def size(chunk: object) -> float:
        reads.append(readers[0].read())
        calls[0] += 1
        return 1

    ts = TransformStream({"start": controllers.append}, None, {"size": size, "high_water_mark": 0})
    readers.append(ts.readable.get_reader())
    writer = ts.writable.get_writer()
    write = writer.write("b")
    await flush_async_events()
    assert not write.done()
    controllers[0].enqueue("a")
    assert calls[0] == 1
    await delay()
    assert write.done()
    assert calls[0] == 1
    assert await reads[0] == ("b", False)
    await write


async def test_writer_write_inside_size() -> None:
    writers: list[WritableStreamDefaultWriter] = []
    first_writes: list[asyncio.Future[None]] = []
    calls = [0]

    def size(chunk: object) -> float:
        calls[0] += 1
        if calls[0] < 2:
            first_writes.append(writers[0].write("a"))
        return 1

    ts = TransformStream({}, None, {"size": size, "high_water_mark": math.inf})
    writers.append(ts.writable.get_writer())
    await delay()
    second = writers[0].write("b")
    assert calls[0] == 1
    await asyncio.gather(first_writes[0], second, writers[0].close())
    assert calls[0] == 2
    assert await readable_stream_to_array(ts.readable) == ["b", "a"]


async def test_synchronous_writer_write_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    writers: list[WritableStreamDefaultWriter] = []
    writes: list[asyncio.Future[None]] = []
    calls = [0]

    def size(chunk: object) -> float:
        calls[0] += 1
        if calls[0] < 2:
            writes.append(writers[0].write("a"))
        return 1

    ts = TransformStream(
        {"start": controllers.append}, None, {"size": size, "high_water_mark": math.inf}
    )
    writers.append(ts.writable.get_writer())
    await delay()
    controllers[0].enqueue("b")
    assert calls[0] == 2
    await asyncio.gather(writes[0], writers[0].close())
    assert await readable_stream_to_array(ts.readable) == ["a", "b"]


async def test_writer_close_inside_size() -> None:
    controllers: list[TransformStreamDefaultController] = []
    writers: list[WritableStreamDefaultWriter] = []
    closes: list[asyncio.Future[None]] = []

    def size(chunk: object) -> float:
        closes.append(writers[0].close())
        return 1

    ts = TransformStream({"start": controllers.append}, None, {"size": size, "high_water_mark": 1})
    writers.append(ts.writable.get_writer())
    reader = ts.readable.get_reader()
    await delay()
    controllers[0].enqueue("a")
    assert await reader.read() == ("a", False)
    assert (await reader.read()).done
    await closes[0]


async def test_writable_abort_inside_size() -> None:
    # The chunk enqueued while size() aborts is still queued; the abort errors the readable
    # one turn later, in the transformer's cancel reaction (the spec since transformer.cancel;
    # older WPT expected the first read to fail).
    controllers: list[TransformStreamDefaultController] = []
    aborts: list[asyncio.Future[None]] = []
    box: list[TransformStream] = []

    def size(chunk: object) -> float:
        aborts.append(box[0].writable.abort(error1))
        return 1

    ts = TransformStream({"start": controllers.append}, None, {"size": size, "high_water_mark": 1})
    box.append(ts)
    reader = ts.readable.get_reader()
    await delay()
    controllers[0].enqueue("a")
    assert await reader.read() == ("a", False)
    await assert_rejects(reader.read(), error1)
    await aborts[0]
