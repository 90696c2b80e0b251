"""Conformance: writable streams and queuing strategies.

WPT streams/writable-streams/reentrant-strategy.any.js, floating-point-total-queue-size.any.js,
count-queuing-strategy.any.js and byte-length-queuing-strategy.any.js.
"""

from __future__ import annotations

import asyncio
import sys

from tests.streams.support import (
    assert_rejects,
    error1,
    flush_async_events,
    recording_writable_stream,
)
from wintersockets.streams.queuing_strategy import (
    ByteLengthQueuingStrategy,
    CountQueuingStrategy,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream
from wintersockets.streams.writer import WritableStreamDefaultWriter

MAX_SAFE_INTEGER = 2**53 - 1

# -- reentrant-strategy.any.js --------------------------------------------------------------


async def test_writes_made_from_size_are_written_in_order() -> None:
    writer_box: list[WritableStreamDefaultWriter] = []

    def size(chunk: int) -> float:
        if chunk > 0:
            writer_box[0].write(chunk - 1)
        return chunk

    ws, events = recording_writable_stream(None, {"size": size})
    writer_box.append(ws.get_writer())
    await writer_box[0].write(2)
    assert events == ["write", 0, "write", 1, "write", 2]


async def test_writes_made_from_size_resolve_in_standard_order() -> None:
    events: list[object] = []
    writer_box: list[WritableStreamDefaultWriter] = []

    def size(chunk: int) -> float:
        events.extend(["size", chunk])
        if chunk > 0:
            f = writer_box[0].write(chunk - 1)
            f.add_done_callback(lambda _: events.extend(["writer.write done", chunk - 1]))
        return chunk

    ws = WritableStream(
        {"write": lambda chunk, c: events.extend(["sink.write", chunk])}, {"size": size}
    )
    writer_box.append(ws.get_writer())
    await writer_box[0].write(2)
    events.extend(["writer.write done", 2])
    await flush_async_events()
    assert events == [
        "size", 2, "size", 1, "size", 0,
        "sink.write", 0, "sink.write", 1, "writer.write done", 0,
        "sink.write", 2, "writer.write done", 1,
        "writer.write done", 2,
    ]  # fmt: skip


async def test_controller_error_from_size() -> None:
    controllers: list[WritableStreamDefaultController] = []

    def size(chunk: object) -> float:
        controllers[0].error(error1)
        return 1

    ws, events = recording_writable_stream({"start": controllers.append}, {"size": size})
    writer = ws.get_writer()
    resolved: list[str] = []
    ready1 = writer.ready
    ready1.add_done_callback(lambda _: resolved.append("ready1"))
    write_promise = writer.write(None)
    write_promise.add_done_callback(lambda _: resolved.append("write"))
    ready2 = writer.ready
    ready2.add_done_callback(lambda _: resolved.append("ready2"))
    writer.closed.add_done_callback(lambda _: resolved.append("closed"))
    await ready1
    await assert_rejects(write_promise, error1)
    await assert_rejects(ready2, error1)
    await assert_rejects(writer.closed, error1)
    await flush_async_events()
    assert resolved == ["ready1", "write", "ready2", "closed"]
    assert events == []


async def test_close_from_size() -> None:
    writer_box: list[WritableStreamDefaultWriter] = []
    closes = []

    def size(chunk: object) -> float:
        closes.append(writer_box[0].close())
        return 1

    ws, events = recording_writable_stream(None, {"size": size})
    writer_box.append(ws.get_writer())
    await assert_rejects(writer_box[0].write("a"), TypeError)
    await closes[0]
    assert events == ["close"]


async def test_abort_from_size() -> None:
    writer_box: list[WritableStreamDefaultWriter] = []
    aborts = []

    def size(chunk: object) -> float:
        aborts.append(writer_box[0].abort(error1))
        return 1

    ws, events = recording_writable_stream(None, {"size": size})
    writer_box.append(ws.get_writer())
    await assert_rejects(writer_box[0].write("a"), error1)
    await aborts[0]
    assert events == ["abort", error1]


async def test_release_lock_from_size_fails_the_write() -> None:
    writer_box: list[WritableStreamDefaultWriter] = []

    def size(chunk: object) -> float:
        writer_box[0].release_lock()
        return 1

    ws, events = recording_writable_stream(None, {"size": size})
    writer_box.append(ws.get_writer())
    writer = writer_box[0]
    await assert_rejects(writer.write("a"), TypeError)
    await assert_rejects(writer.ready, TypeError)
    await assert_rejects(writer.closed, TypeError)
    assert events == []


async def test_a_new_writer_made_from_size_works_and_the_old_one_fails() -> None:
    state: dict[str, object] = {}

    def size(chunk: int) -> float:
        if chunk > 0:
            writer1 = state["writer1"]
            assert isinstance(writer1, WritableStreamDefaultWriter)
            writer1.release_lock()
            writer2 = ws.get_writer()
            state["write2"] = writer2.write(0)
            state["close"] = writer2.close()
            state["closed2"] = writer2.closed
        return 1

    ws, events = recording_writable_stream(None, {"size": size})
    writer1 = ws.get_writer()
    state["writer1"] = writer1
    await assert_rejects(writer1.write(1), TypeError)
    await assert_rejects(writer1.ready, TypeError)
    await assert_rejects(writer1.closed, TypeError)
    for key in ("write2", "close", "closed2"):
        await state[key]  # type: ignore[misc]
    assert events == ["write", 0, "close"]


# -- floating-point-total-queue-size.any.js -------------------------------------------------


def identity_size_writer() -> WritableStreamDefaultWriter:
    return WritableStream({}, {"size": lambda x: x, "high_water_mark": 0}).get_writer()


async def test_desired_size_uses_double_arithmetic_near_max_safe_integer() -> None:
    writer = identity_size_writer()
    writes = [writer.write(2), writer.write(MAX_SAFE_INTEGER)]
    assert writer.desired_size == 0.0 - 2 - MAX_SAFE_INTEGER
    for w in writes:
        await w
    assert writer.desired_size == 0, "the total clamps to 0 when it turns negative"


async def test_desired_size_near_zero_clamped() -> None:
    writer = identity_size_writer()
    writes = [writer.write(1e-16), writer.write(1)]
    assert writer.desired_size == 0 - 1e-16 - 1
    for w in writes:
        await w
    assert writer.desired_size == 0


async def test_desired_size_near_zero_positive_not_clamped() -> None:
    writer = identity_size_writer()
    writes = [writer.write(1e-16), writer.write(1), writer.write(2e-16)]
    assert writer.desired_size == 0 - 1e-16 - 1 - 2e-16
    for w in writes:
        await w
    assert writer.desired_size == 0 - 1e-16 - 1 - 2e-16 + 1e-16 + 1 + 2e-16


async def test_desired_size_near_zero_ends_at_zero() -> None:
    writer = identity_size_writer()
    writes = [writer.write(2e-16), writer.write(1)]
    assert writer.desired_size == 0 - 2e-16 - 1
    for w in writes:
        await w
    assert writer.desired_size == 0 - 2e-16 - 1 + 2e-16 + 1


# -- count-queuing-strategy.any.js ----------------------------------------------------------


async def test_count_strategy_with_high_water_mark_zero() -> None:
    ws = WritableStream({}, CountQueuingStrategy(high_water_mark=0))
    writer = ws.get_writer()
    assert writer.desired_size == 0
    assert not writer.ready.done(), "backpressure from the start"


async def test_count_strategy_tracks_queued_chunks() -> None:
    sink_results: list[asyncio.Future[None]] = []

    def write(chunk: object, c: object) -> object:
        sink_results.append(asyncio.get_running_loop().create_future())
        return sink_results[-1]

    writer = WritableStream({"write": write}, CountQueuingStrategy(high_water_mark=4)).get_writer()
    assert writer.desired_size == 4
    writes = [writer.write(x) for x in "abcde"]
    assert writer.desired_size == -1
    assert not writer.ready.done()
    await flush_async_events()
    for _ in range(5):
        sink_results[-1].set_result(None)
        await flush_async_events()
    for w in writes:
        await w
    assert writer.desired_size == 4
    assert writer.ready.done()


# -- byte-length-queuing-strategy.any.js ----------------------------------------------------


async def test_byte_length_strategy_counts_bytes() -> None:
    writer = WritableStream(
        {"write": lambda c, ctl: flush_async_events()},
        ByteLengthQueuingStrategy(high_water_mark=10),
    ).get_writer()
    assert writer.desired_size == 10
    w1 = writer.write(b"12345")
    w2 = writer.write(bytearray(b"123"))
    w3 = writer.write(memoryview(b"1234").cast("B"))
    assert writer.desired_size == -2
    assert not writer.ready.done()
    for w in (w1, w2, w3):
        await w
    assert writer.desired_size == 10


async def test_byte_length_strategy_with_a_chunk_without_length_errors_the_stream() -> None:
    writer = WritableStream({}, ByteLengthQueuingStrategy(high_water_mark=10)).get_writer()
    exc = await assert_rejects(writer.write(12), TypeError)
    assert await assert_rejects(writer.closed, TypeError) is exc


def test_sys_float_info_is_ieee_double() -> None:
    # The floating-point tests above rely on Python floats being IEEE 754 doubles.
    assert sys.float_info.mant_dig == 53
