"""Conformance: writing (WPT streams/writable-streams/write.any.js and start.any.js)."""

from __future__ import annotations

import asyncio

import pytest

from tests.streams.support import (
    assert_fulfilled,
    assert_rejects,
    error1,
    error2,
    flush_async_events,
    js_await,
    on_settle,
    pending,
    recording_writable_stream,
)
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import WritableStream
from wintersockets.streams.writer import WritableStreamDefaultWriter


def write_all(values: list[object], writer: WritableStreamDefaultWriter) -> asyncio.Future[None]:
    for value in values:
        writer.write(value)
    return writer.close()


# -- write.any.js ---------------------------------------------------------------------------


async def test_asynchronous_writes_complete_before_close_resolves() -> None:
    storage: list[object] = []

    async def write(chunk: object, c: object) -> None:
        await asyncio.sleep(0)
        storage.append(chunk)

    async def close() -> None:
        await asyncio.sleep(0)

    writer = WritableStream({"write": write, "close": close}).get_writer()
    await write_all([1, 2, 3, 4, 5], writer)
    assert storage == [1, 2, 3, 4, 5]


async def test_synchronous_writes_complete_before_close_resolves() -> None:
    ws, events = recording_writable_stream()
    await write_all([1, 2, 3, 4, 5], ws.get_writer())
    assert events == ["write", 1, "write", 2, "write", 3, "write", 4, "write", 5, "close"]


async def test_write_fulfills_with_none_whatever_the_sink_returns() -> None:
    writer = WritableStream({"write": lambda c, ctl: "Hello"}).get_writer()
    await assert_fulfilled(writer.write("a"))


async def test_stream_waits_until_the_write_is_acknowledged() -> None:
    sink_results: list[asyncio.Future[None]] = []

    def write(chunk: object, c: object) -> object:
        sink_results.append(pending())
        return sink_results[-1]

    writer = WritableStream({"write": write}).get_writer()
    assert writer.desired_size == 1
    await js_await(writer.ready)
    write_promise = writer.write("a")
    assert len(sink_results) == 1
    assert writer.desired_size == 0
    order: list[object] = []
    on_settle(write_promise, order, "write")
    ready = writer.ready
    on_settle(ready, order, "ready")
    await flush_async_events()
    assert order == []
    sink_results[0].set_result(None)
    await write_promise
    await ready
    await flush_async_events()
    assert order == ["write", "ready"], "the write promise fulfills before ready"
    assert writer.desired_size == 1


async def test_a_rejected_sink_write_clears_queued_writes_and_close() -> None:
    sink_results: list[asyncio.Future[None]] = []

    def write(chunk: object, c: object) -> object:
        sink_results.append(pending())
        return sink_results[-1]

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    w1 = writer.write("a")
    assert writer.desired_size == 0
    w2 = writer.write("b")
    assert len(sink_results) == 1, "the second write waits for the first"
    assert writer.desired_size == -1
    close_promise = writer.close()
    assert writer.desired_size == -1
    await flush_async_events()
    sink_results[0].set_exception(error1)
    await assert_rejects(close_promise, error1)
    await assert_rejects(w1, error1)
    await assert_rejects(w2, error1)


async def test_a_sink_write_that_raises_errors_the_stream() -> None:
    def write(chunk: object, c: object) -> None:
        raise error1

    writer = WritableStream({"write": write}).get_writer()
    await assert_rejects(writer.write("a"), error1)
    await assert_rejects(writer.close(), TypeError)


async def test_controller_error_before_the_write_raises_decides_ready_and_closed() -> None:
    def write(chunk: object, controller: WritableStreamDefaultController) -> None:
        controller.error(error1)
        raise error2

    writer = WritableStream({"write": write}).get_writer()
    await assert_rejects(writer.write("a"), error2)
    await assert_rejects(writer.ready, error1)
    await assert_rejects(writer.closed, error1)


async def test_a_large_queue_of_writes_is_processed_completely() -> None:
    first = pending()
    count = [0]

    def write(chunk: object, c: object) -> object:
        count[0] += 1
        return first if count[0] == 1 else None

    writer = WritableStream({"write": write}).get_writer()
    await js_await(writer.ready)
    for _ in range(999):
        writer.write("a")
    last = writer.write("a")
    assert count[0] == 1
    first.set_result(None)
    await last
    assert count[0] == 1000


async def test_a_manually_constructed_writer_works() -> None:
    ws, events = recording_writable_stream()
    ws.get_writer().release_lock()
    writer = WritableStreamDefaultWriter(ws)
    await js_await(writer.ready)
    write_promise = writer.write("a")
    assert events == ["write", "a"]
    await write_promise


async def test_an_awaitable_returned_from_sink_write_is_awaited() -> None:
    done: list[bool] = []

    async def write(chunk: object, c: object) -> None:
        await asyncio.sleep(0)
        done.append(True)

    await WritableStream({"write": write}).get_writer().write("a")
    assert done == [True]


# -- start.any.js ---------------------------------------------------------------------------


async def test_sink_write_waits_for_start() -> None:
    start_result = pending()
    ws, events = recording_writable_stream({"start": lambda c: start_result})
    writer = ws.get_writer()
    assert writer.desired_size == 1
    write_promise = writer.write("a")
    assert writer.desired_size == 0
    await flush_async_events()
    assert events == []
    start_result.set_result(None)
    await writer.ready
    assert events == ["write", "a"]
    await write_promise


async def test_sink_close_waits_for_start() -> None:
    start_result = pending()
    ws, events = recording_writable_stream({"start": lambda c: start_result})
    writer = ws.get_writer()
    close_promise = writer.close()
    assert writer.desired_size == 1
    await flush_async_events()
    assert events == []
    start_result.set_result(None)
    await writer.closed
    await close_promise


async def test_start_that_raises_makes_the_constructor_raise() -> None:
    calls: list[str] = []

    def start(c: object) -> None:
        raise error1

    with pytest.raises(type(error1)) as info:
        WritableStream(
            {"start": start, "write": lambda c, ctl: calls.append("w"), "close": calls.append}
        )
    assert info.value is error1
    await flush_async_events()
    assert calls == []


async def test_a_rejected_start_calls_neither_write_nor_close() -> None:
    async def start(c: object) -> None:
        raise error1

    ws, events = recording_writable_stream({"start": start})
    await flush_async_events()
    assert events == []
    await assert_rejects(ws.get_writer().closed, error1)


async def test_controller_error_during_start_fails_writes() -> None:
    ws, events = recording_writable_stream({"start": lambda c: c.error(error1)})
    await assert_rejects(ws.get_writer().write("a"), error1)
    assert events == []


async def test_controller_error_during_async_start_fails_existing_writes() -> None:
    start_result = pending()
    controllers: list[WritableStreamDefaultController] = []

    def start(c: WritableStreamDefaultController) -> object:
        controllers.append(c)
        return start_result

    ws, events = recording_writable_stream({"start": start})
    writer = ws.get_writer()
    write_promise = writer.write("a")
    close_promise = writer.close()
    controllers[0].error(error1)
    start_result.set_result(None)
    await assert_rejects(write_promise, error1)
    await assert_rejects(close_promise, error1)
    assert events == []


async def test_writer_promises_reject_in_standard_order_when_start_rejects() -> None:
    async def start(c: object) -> None:
        raise error1

    writer = WritableStream({"start": start}, {"high_water_mark": 0}).get_writer()
    events: list[object] = []
    on_settle(writer.ready, events, "ready")
    on_settle(writer.closed, events, "closed")
    write_promise = writer.write(None)
    on_settle(write_promise, events, "write")
    await assert_rejects(write_promise, error1)
    await flush_async_events()
    assert events == ["ready", "write", "closed"]
