"""``write_now``: a sink in another layer takes a write to an idle stream at once.

Not in the spec (see ``create_writable_stream``): the size and write algorithms and the
steps between them are skipped, and the stream must end as the spec's steps would leave it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from tests.streams.support import assert_pending, assert_rejects, flush_async_events
from wintersockets.streams.writable_stream import WritableStream, create_writable_stream


def _none(*_args: object) -> None:
    return None


class Sink:
    """Records what reaches it, and by which way."""

    def __init__(self) -> None:
        self.now: list[object] = []
        self.sized: list[object] = []
        self.written: list[object] = []
        self.take = True
        self.pending: asyncio.Future[None] | None = None

    def write_now(self, chunk: object) -> tuple[int, Awaitable[Any] | None] | None:
        if not self.take or not isinstance(chunk, bytes):
            return None
        self.now.append(chunk)
        return len(chunk), self.pending

    def size(self, chunk: object) -> int:
        self.sized.append(chunk)
        return len(chunk) if isinstance(chunk, bytes) else 1

    def write(self, chunk: object) -> None:
        self.written.append(chunk)


async def _stream(sink: Sink, high_water_mark: int = 4) -> WritableStream:
    stream = create_writable_stream(
        _none,
        sink.write,
        _none,
        _none,
        high_water_mark,
        sink.size,
        settle_sync_writes_at_once=True,
        write_now=sink.write_now,
    )
    await flush_async_events()  # started
    return stream


async def test_a_write_taken_at_once_is_complete_when_write_returns() -> None:
    sink = Sink()
    writer = (await _stream(sink)).get_writer()
    ready = writer.ready
    write = writer.write(b"ab")
    assert write.done()
    assert write.result() is None
    assert sink.now == [b"ab"]
    assert sink.sized == sink.written == []
    assert writer.desired_size == 4
    assert writer.ready is ready  # below the high-water mark: backpressure never turned on


async def test_writes_taken_at_once_share_one_fulfilled_future() -> None:
    sink = Sink()
    writer = (await _stream(sink)).get_writer()
    first = writer.write(b"ab")
    second = writer.write(b"cd")
    assert first is second  # only identity tells them apart
    assert not first.cancel()  # settled: nobody can cancel it for the others
    assert first.done()
    assert not first.cancelled()
    assert first.exception() is None
    called: list[asyncio.Future[None]] = []
    first.add_done_callback(called.append)
    second.add_done_callback(called.append)
    await flush_async_events()
    assert called == [first, first]
    await first
    await second  # settled: awaiting returns at once
    assert sink.now == [b"ab", b"cd"]


async def test_a_chunk_reaching_the_high_water_mark_replaces_the_ready_promise() -> None:
    sink = Sink()
    writer = (await _stream(sink)).get_writer()
    ready = writer.ready
    await writer.write(b"abcd")
    assert writer.ready is not ready  # backpressure turned on, then off: a new promise
    assert writer.ready.done()
    assert writer.desired_size == 4


async def test_a_declined_write_takes_the_spec_steps() -> None:
    sink = Sink()
    sink.take = False
    writer = (await _stream(sink)).get_writer()
    await writer.write(b"ab")
    assert sink.now == []
    assert sink.sized == sink.written == [b"ab"]


async def test_a_write_in_flight_waits_for_the_sink_and_the_next_one_queues() -> None:
    sink = Sink()
    sink.pending = asyncio.get_running_loop().create_future()
    writer = (await _stream(sink)).get_writer()
    ready = writer.ready
    first = writer.write(b"abcd")
    assert_pending(first)
    assert writer.desired_size == 0
    assert writer.ready is not ready
    assert_pending(writer.ready)  # backpressure is on while the chunk is in flight
    second = writer.write(b"ef")  # not idle: queued, through the size algorithm
    assert sink.sized == [b"ef"]
    assert writer.desired_size == -2
    await flush_async_events()
    assert_pending(first)
    assert sink.written == []
    sink.pending.set_result(None)
    sink.pending = None
    await first
    await second
    assert sink.now == [b"abcd"]
    assert sink.written == [b"ef"]  # in order, after the first
    assert writer.desired_size == 4
    assert writer.ready.done()


async def test_a_failed_write_in_flight_errors_the_stream() -> None:
    sink = Sink()
    sink.pending = asyncio.get_running_loop().create_future()
    writer = (await _stream(sink)).get_writer()
    write = writer.write(b"ab")
    error = ValueError("the transport broke")
    sink.pending.set_exception(error)
    await assert_rejects(write, ValueError)
    await assert_rejects(writer.closed, ValueError)
    await assert_rejects(writer.write(b"more"), ValueError)


async def test_a_stream_not_started_or_not_idle_is_not_asked() -> None:
    sink = Sink()
    loop = asyncio.get_running_loop()
    started: asyncio.Future[None] = loop.create_future()
    stream = create_writable_stream(
        lambda: started,
        sink.write,
        _none,
        _none,
        4,
        sink.size,
        settle_sync_writes_at_once=True,
        write_now=sink.write_now,
    )
    writer = stream.get_writer()
    first = writer.write(b"a")  # before start: queued
    started.set_result(None)
    await first
    assert sink.now == []
    assert sink.written == [b"a"]
    await writer.write(b"b")  # idle now
    assert sink.now == [b"b"]


async def test_a_closing_or_errored_stream_is_not_asked() -> None:
    sink = Sink()
    writer = (await _stream(sink)).get_writer()
    close = writer.close()
    await assert_rejects(writer.write(b"late"), TypeError)
    await close
    sink2 = Sink()
    stream2 = await _stream(sink2)
    writer2 = stream2.get_writer()
    await writer2.abort(ValueError("gone"))
    await assert_rejects(writer2.write(b"late"), ValueError)
    assert sink.now == sink2.now == []
