"""WritableStreamDefaultWriter: lock, backpressure signals, misuse after release_lock."""

from __future__ import annotations

import asyncio

import pytest

from tests.streams.support import assert_rejects, error1, flush_async_events, js_await
from wintersockets.streams.writable_stream import WritableStream
from wintersockets.streams.writer import WritableStreamDefaultWriter


async def released_writer() -> WritableStreamDefaultWriter:
    writer = WritableStream().get_writer()
    writer.release_lock()
    return writer


@pytest.mark.parametrize("method", ["write", "close", "abort"])
async def test_methods_of_a_released_writer_reject_with_type_error(method: str) -> None:
    writer = await released_writer()
    future = getattr(writer, method)()
    assert isinstance(future, asyncio.Future)
    exc = await assert_rejects(future, TypeError)
    assert "released" in str(exc)


async def test_desired_size_of_a_released_writer_raises() -> None:
    writer = await released_writer()
    with pytest.raises(TypeError, match="released"):
        _ = writer.desired_size


async def test_release_lock_twice_is_a_no_op() -> None:
    writer = await released_writer()
    writer.release_lock()


async def test_a_released_writer_does_not_touch_the_next_writer() -> None:
    ws = WritableStream()
    old = ws.get_writer()
    old.release_lock()
    new = ws.get_writer()
    await assert_rejects(old.write("x"), TypeError)
    old.release_lock()
    await js_await(new.ready)
    await new.write("y")


async def test_release_lock_rejects_pending_ready_and_closed_with_one_error() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    writer = WritableStream({"write": lambda c, ctl: never}).get_writer()
    await js_await(writer.ready)
    writer.write("a")
    ready, closed = writer.ready, writer.closed
    assert not ready.done()
    writer.release_lock()
    ready_error = await assert_rejects(ready, TypeError)
    closed_error = await assert_rejects(closed, TypeError)
    assert ready_error is closed_error


async def test_release_lock_after_close_replaces_the_settled_closed() -> None:
    writer = WritableStream().get_writer()
    await writer.close()
    fulfilled = writer.closed
    writer.release_lock()
    assert writer.closed is not fulfilled
    await assert_rejects(writer.closed, TypeError)
    await fulfilled


async def test_close_twice_rejects_the_second_time() -> None:
    writer = WritableStream().get_writer()
    first = writer.close()
    await assert_rejects(writer.close(), TypeError)
    await first


async def test_write_after_close_rejects_without_erroring() -> None:
    writer = WritableStream().get_writer()
    close = writer.close()
    exc = await assert_rejects(writer.write("late"), TypeError)
    assert "closing or closed" in str(exc)
    await close
    await writer.closed


async def test_write_to_an_errored_stream_rejects_with_the_stored_error() -> None:
    writer = WritableStream({"start": lambda c: c.error(error1)}).get_writer()
    await flush_async_events()
    await assert_rejects(writer.write("x"), error1)


async def test_ready_and_desired_size_follow_backpressure() -> None:
    results: list[asyncio.Future[None]] = []

    def write(chunk: object, controller: object) -> asyncio.Future[None]:
        results.append(asyncio.get_running_loop().create_future())
        return results[-1]

    writer = WritableStream({"write": write}, {"high_water_mark": 2}).get_writer()
    await js_await(writer.ready)
    first_ready = writer.ready
    w1 = writer.write(1)
    assert writer.desired_size == 1
    assert writer.ready is first_ready, "still room: ready does not change"
    w2 = writer.write(2)
    assert writer.desired_size == 0
    waiting = writer.ready
    assert waiting is not first_ready
    assert not waiting.done()
    results[0].set_result(None)
    await w1
    await waiting
    assert writer.desired_size == 1
    await flush_async_events()
    results[1].set_result(None)
    await w2


async def test_a_writer_for_an_errored_stream_has_rejected_promises() -> None:
    ws = WritableStream({"start": lambda c: c.error(error1)})
    await flush_async_events()
    writer = ws.get_writer()
    await assert_rejects(writer.ready, error1)
    await assert_rejects(writer.closed, error1)
    assert writer.desired_size is None


async def test_a_writer_for_an_erroring_stream_has_a_rejected_ready() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    ws = WritableStream({"write": lambda c, ctl: never})
    writer = ws.get_writer()
    await js_await(writer.ready)
    writer.write("a")
    writer.abort(error1)
    writer.release_lock()
    second = ws.get_writer()
    await assert_rejects(second.ready, error1)
    assert not second.closed.done()
    assert second.desired_size is None


async def test_a_writer_for_a_closed_stream_is_closed() -> None:
    ws = WritableStream()
    await ws.close()
    writer = ws.get_writer()
    await writer.ready
    await writer.closed
    assert writer.desired_size == 0


async def test_a_write_while_a_close_is_in_flight_rejects_with_type_error() -> None:
    """whatwg/streams#1218: the spec's assert would fire; the write must reject instead."""
    pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    stream = WritableStream({"close": lambda: pending})
    writer = stream.get_writer()
    await asyncio.sleep(0)
    closing = writer.close()
    await asyncio.sleep(0)
    write = writer.write(b"x")
    with pytest.raises(TypeError):
        await write
    pending.set_result(None)
    await closing
