"""Promises a stream keeps and hands out again survive the cancellation of an await.

JavaScript promises cannot be cancelled. An asyncio future is cancelled by a task that is
cancelled while awaiting it, as ``asyncio.timeout()`` does: for ``reader.closed``,
``writer.closed`` and ``writer.ready`` that would cancel them for every awaiter, for good.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from tests.streams.support import flush_async_events
from wintersockets.streams._promises import SharedPromise, shared_promise
from wintersockets.streams.readable_stream import ReadableStream
from wintersockets.streams.writable_stream import WritableStream

# Tasks and their cancellation are the loop's: check both.
pytestmark = pytest.mark.both_loops


def shared() -> SharedPromise[int]:
    return shared_promise(asyncio.get_running_loop())


async def timed_out(awaitable: asyncio.Future[Any]) -> bool:
    try:
        async with asyncio.timeout(0.01):
            await awaitable
    except TimeoutError:
        return True
    return False


async def test_a_timed_out_await_leaves_the_promise_pending_for_the_others() -> None:
    promise = shared()
    other = asyncio.ensure_future(asyncio.shield(promise))
    assert await timed_out(promise)
    assert not promise.done()
    promise.set_result(7)
    assert await promise == 7
    assert await other == 7


async def test_awaits_cancelled_again_and_again_do_not_pile_up() -> None:
    promise = shared()
    for _ in range(50):
        assert await timed_out(promise)
    assert len(promise._followers or []) <= 1
    promise.set_result(1)
    assert await promise == 1


@pytest.mark.parametrize("outcome", ["result", "exception", "cancel"])
async def test_every_pending_await_gets_what_the_promise_settles_with(outcome: str) -> None:
    promise = shared()

    async def wait() -> int:
        return await promise

    waiters = [asyncio.ensure_future(wait()) for _ in range(3)]
    await flush_async_events()
    error = ValueError("rejected")
    if outcome == "result":
        promise.set_result(3)
    elif outcome == "exception":
        promise.set_exception(error)
    else:
        assert promise.cancel()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    if outcome == "result":
        assert results == [3, 3, 3]
    elif outcome == "exception":
        assert results == [error, error, error]
    else:
        assert all(isinstance(r, asyncio.CancelledError) for r in results)


async def test_a_cancelled_task_is_cancelled_at_once_and_the_promise_settles_later() -> None:
    promise = shared()

    async def wait() -> int:
        return await promise

    task = asyncio.ensure_future(wait())
    await flush_async_events()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not promise.done()
    promise.set_result(5)
    assert promise.result() == 5


async def test_wait_for_cancels_the_promise_only_where_the_readme_says_it_does() -> None:
    # Python 3.11's wait_for() cancels the future it was given when the time is up; from
    # 3.12 on it awaits it under asyncio.timeout(), which cancels the await only.
    promise = shared()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(promise, 0.01)
    if sys.version_info < (3, 12):
        assert promise.cancelled()
        return
    assert not promise.done()
    promise.set_result(2)
    assert await promise == 2


async def test_wait_for_on_a_shielded_promise_leaves_it_pending_on_every_python() -> None:
    promise = shared()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(asyncio.shield(promise), 0.01)
    assert not promise.done()
    promise.set_result(4)
    assert await promise == 4


async def test_writer_ready_stays_usable_after_an_await_timed_out() -> None:
    release = asyncio.get_running_loop().create_future()

    async def slow_write(_chunk: object) -> None:
        await release

    writer = WritableStream({"write": slow_write}).get_writer()
    writer.write(b"fills the high-water mark of 1")
    await flush_async_events()
    ready = writer.ready
    assert await timed_out(ready)
    assert writer.ready is ready
    assert not ready.done()
    release.set_result(None)
    await asyncio.wait_for(writer.ready, 1)
    assert ready.done()
    assert ready.exception() is None


async def test_reader_and_writer_closed_stay_usable_after_an_await_timed_out() -> None:
    readable: ReadableStream[bytes] = ReadableStream()
    reader = readable.get_reader()
    writer = WritableStream().get_writer()
    assert await timed_out(reader.closed)
    assert await timed_out(writer.closed)
    reader.release_lock()
    await writer.close()
    assert reader.closed.exception() is not None  # released: rejected, not cancelled
    assert writer.closed.done()
    assert writer.closed.exception() is None
