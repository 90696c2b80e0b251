"""WritableStream: construction, sinks of every shape, create_writable_stream, fast paths."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from typing import Any

import pytest

from tests.streams.support import assert_rejects, error1, flush_async_events, js_await
from wintersockets.streams._promises import ReasonError
from wintersockets.streams.queuing_strategy import CountQueuingStrategy
from wintersockets.streams.writable_controller import WritableStreamDefaultController
from wintersockets.streams.writable_stream import (
    WritableStream,
    WritableStreamState,
    create_writable_stream,
)


def test_construction_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="running asyncio event loop"):
        WritableStream()


async def test_locked_follows_the_writer() -> None:
    ws = WritableStream()
    assert not ws.locked
    writer = ws.get_writer()
    assert ws.locked
    with pytest.raises(TypeError, match="locked to another writer"):
        ws.get_writer()
    writer.release_lock()
    assert not ws.locked


async def test_an_object_sink_with_coroutine_methods() -> None:
    class Sink:
        def __init__(self) -> None:
            self.chunks: list[bytes] = []
            self.closed = False

        async def write(self, chunk: bytes, controller: WritableStreamDefaultController) -> None:
            await asyncio.sleep(0)
            self.chunks.append(chunk)

        async def close(self) -> None:
            self.closed = True

    sink = Sink()
    writer = WritableStream(sink).get_writer()
    for chunk in (b"a", b"b", b"c"):
        await writer.ready
        writer.write(chunk)
    await writer.close()
    assert sink.chunks == [b"a", b"b", b"c"]
    assert sink.closed


async def test_a_sink_may_return_any_awaitable() -> None:
    class Awaitable:
        def __await__(self) -> Generator[Any, None, None]:
            yield from asyncio.sleep(0).__await__()

    writes: list[object] = []

    def write(chunk: object, controller: object) -> Awaitable:
        writes.append(chunk)
        return Awaitable()

    writer = WritableStream({"write": write}).get_writer()
    await writer.write(1)
    await writer.write(2)
    assert writes == [1, 2]


async def test_the_sink_gets_the_original_reason_and_futures_a_wrapper() -> None:
    reasons: list[object] = []
    ws = WritableStream({"abort": reasons.append})
    writer = ws.get_writer()
    abort_promise = writer.abort({"code": 7})
    await abort_promise
    assert reasons == [{"code": 7}]
    exc = await assert_rejects(writer.closed, {"code": 7})
    assert isinstance(exc, ReasonError)
    assert "stream errored with reason" in str(exc)


async def test_a_sink_write_is_called_at_write_time_once_started() -> None:
    calls: list[object] = []
    writer = WritableStream({"write": lambda c, ctl: calls.append(c)}).get_writer()
    await js_await(writer.ready)
    future = writer.write("now")
    assert calls == ["now"], "the write reaches the sink during write()"
    assert not future.done(), "the future settles on a later loop turn, as a promise would"
    await future


async def test_a_synchronous_sink_keeps_the_spec_backpressure_timing() -> None:
    writer = WritableStream({"write": lambda c, ctl: None}).get_writer()
    await js_await(writer.ready)
    future = writer.write("a")
    assert writer.desired_size == 0
    assert not writer.ready.done()
    await future
    assert writer.desired_size == 1
    assert writer.ready.done()


async def test_a_cancelled_write_future_does_not_disturb_the_stream() -> None:
    sink_result: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    writes: list[object] = []

    def write(chunk: object, controller: object) -> object:
        writes.append(chunk)
        return sink_result if chunk == "slow" else None

    writer = WritableStream({"write": write}).get_writer()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(writer.write("slow"), 0.01)
    sink_result.set_result(None)
    await writer.write("next")
    await writer.close()
    assert writes == ["slow", "next"]


async def test_a_sink_future_cancelled_by_its_owner_errors_the_stream() -> None:
    sink_result: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    writer = WritableStream({"write": lambda c, ctl: sink_result}).get_writer()
    write = writer.write("a")
    await flush_async_events()
    sink_result.cancel()
    await assert_rejects(write, asyncio.CancelledError)
    await assert_rejects(writer.closed, asyncio.CancelledError)


async def test_unawaited_handled_promises_never_log() -> None:
    # writer.closed and writer.ready are marked handled by the spec when they reject.
    ws = WritableStream({"start": lambda c: c.error(error1)})
    writer = ws.get_writer()
    writer.release_lock()
    ws2 = WritableStream()
    writer2 = ws2.get_writer()
    writer2.abort(error1)
    await flush_async_events()


async def test_state_and_repr() -> None:
    ws = WritableStream()
    assert ws._state is WritableStreamState.WRITABLE
    assert "writable" in repr(ws)
    writer = ws.get_writer()
    assert "locked=True" in repr(ws)
    assert "WritableStreamDefaultWriter" in repr(writer)
    await writer.close()
    assert "closed" in repr(ws)


async def test_create_writable_stream_with_algorithms() -> None:
    written: list[object] = []
    events: list[str] = []

    def write(chunk: object) -> None:
        written.append(chunk)

    ws = create_writable_stream(
        lambda: events.append("start"),
        write,
        lambda: events.append("close"),
        lambda reason: events.append(f"abort {reason}"),
        high_water_mark=2,
    )
    writer = ws.get_writer()
    assert writer.desired_size == 2
    writer.write(b"x")
    writer.write(b"y")
    assert writer.desired_size == 0
    await writer.close()
    assert written == [b"x", b"y"]
    assert events == ["start", "close"]


async def test_create_writable_stream_with_a_size_algorithm_and_async_write() -> None:
    written: list[bytes] = []

    async def write(chunk: bytes) -> None:
        await asyncio.sleep(0)
        written.append(chunk)

    ws = create_writable_stream(
        lambda: None,
        write,
        lambda: None,
        lambda reason: None,
        high_water_mark=10,
        size_algorithm=len,
    )
    writer = ws.get_writer()
    writer.write(b"12345")
    assert writer.desired_size == 5
    await writer.write(b"123")
    assert written == [b"12345", b"123"]


async def test_create_writable_stream_start_may_raise() -> None:
    def start() -> None:
        raise error1

    with pytest.raises(type(error1)):
        create_writable_stream(start, lambda c: None, lambda: None, lambda r: None)


async def test_a_strategy_object_and_mapping_are_both_accepted() -> None:
    a = WritableStream({}, CountQueuingStrategy(high_water_mark=3))
    b = WritableStream({}, {"highWaterMark": 3})
    assert a.get_writer().desired_size == b.get_writer().desired_size == 3


async def test_stream_abort_and_close_when_unlocked() -> None:
    ws = WritableStream()
    await ws.close()
    await assert_rejects(ws.close(), TypeError)
    await WritableStream().abort("why")


async def test_many_synchronous_writes_flow_through() -> None:
    total = [0]

    def write(chunk: bytes, controller: object) -> None:
        total[0] += len(chunk)

    writer = WritableStream({"write": write}).get_writer()
    for _ in range(1000):
        await writer.write(b"x" * 10)
    await writer.close()
    assert total[0] == 10_000
